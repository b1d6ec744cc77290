"""Errors with one meaning each, and the exit code the command line gives each."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import geomatch.cli.app
from geomatch.cli.main import main
from geomatch.errors import (
    AuthorizationError,
    DatasetMissingError,
    GeomatchError,
    InfeasibleError,
    InputError,
    SolverTimeoutError,
)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InputError("bad value", file="needs.csv", row=3, column="size"), 2),
        (DatasetMissingError("no data"), 2),
        (InfeasibleError("capacity of H1", constraint="capacity"), 3),
        (SolverTimeoutError("no solution in 5 s", time_limit_s=5.0), 4),
        (AuthorizationError("not your province", province="620000"), 1),
        (RuntimeError("a bug"), 1),
    ],
)
def test_cli_exit_code(
    exc: Exception, code: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def app(*args: Any, **kwargs: Any) -> None:
        raise exc

    monkeypatch.setattr(geomatch.cli.app, "app_for", lambda args: app)
    with caplog.at_level(logging.ERROR, logger="geomatch.cli"):
        assert main(["run"]) == code
    if not isinstance(exc, GeomatchError):
        assert "Traceback" in caplog.text or caplog.records[-1].exc_info  # a bug is logged


def test_each_error_means_one_thing() -> None:
    assert not issubclass(AuthorizationError, PermissionError)
    assert not issubclass(SolverTimeoutError, InfeasibleError)
    err = InputError("expected a number", file="needs.csv", row=3, column="size")
    assert str(err) == "file needs.csv, row 3, column 'size': expected a number"
    codes = {InputError.exit_code, InfeasibleError.exit_code, SolverTimeoutError.exit_code}
    assert codes == {2, 3, 4}


def test_cpsat_without_a_solution_in_time_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """No solution within the limit is SolverTimeoutError, never 'infeasible'."""
    import numpy as np
    import pandas as pd

    from geomatch.model.pairing_settings import PairingSettings
    from geomatch.solve import pairing
    from geomatch.solve.pairing_model import ModelSolution

    def no_solution_in_time(model: Any, **kwargs: Any) -> ModelSolution:
        return ModelSolution(
            np.zeros(model.n_arcs, dtype=bool), "timeout", 0, float("nan"), 2.0, "ortools-cp-sat"
        )

    monkeypatch.setattr(pairing, "solve_cpsat", no_solution_in_time)
    helpers = pd.DataFrame({"helper_id": ["h"], "capacity": [1]})
    needs = pd.DataFrame({"need_id": ["n"], "unmet_penalty": [100]})
    arcs = pd.DataFrame({"helper_id": ["h"], "need_id": ["n"], "cost": [5]})
    cpsat = PairingSettings(relation_mode="ignore", solver="cpsat", time_limit_s=2)
    for require_all in (False, True):
        with pytest.raises(SolverTimeoutError, match="time limit") as err:
            pairing.solve_pairing(helpers, needs, arcs, cpsat, require_all=require_all)
        assert err.value.time_limit_s == 2
