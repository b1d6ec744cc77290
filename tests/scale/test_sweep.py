"""Sweeps: keys and values checked against the settings, grid order, keys, resume,
sweep.csv and the report; the Pareto front against a second method."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geomatch.errors import InputError
from geomatch.model.scenario import load_scenario
from geomatch.scale.executor import InProcessExecutor
from geomatch.scale.sweep import (
    data_fingerprint,
    expand,
    known_keys,
    parse_vary,
    read_grid,
    run_sweep,
)
from geomatch.scale.sweep_report import pareto_front

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.toml"


def test_known_keys_cover_both_tables() -> None:
    keys = known_keys()
    assert "pairing.unmet_penalty" in keys
    assert "tours.sets_per_province" in keys
    assert "pairing.relation_mode" in keys
    assert all(k.split(".")[0] in ("pairing", "tours") for k in keys)


def test_parse_vary_and_its_errors() -> None:
    assert parse_vary(["pairing.unmet_penalty=3000, 6000", "tours.workers=1"]) == {
        "pairing.unmet_penalty": ["3000", "6000"],
        "tours.workers": ["1"],
    }
    with pytest.raises(InputError) as exc:
        parse_vary(["pairing.unmet_penalty", "=3"])
    assert "pairing.unmet_penalty" in str(exc.value) and "'=3'" in str(exc.value)


def test_unknown_key_lists_known_keys() -> None:
    base = load_scenario(MINI)
    with pytest.raises(InputError) as exc:
        expand(base, {"pairing.unmet_penalt": ["1"]}, fingerprint="x")
    msg = str(exc.value)
    assert "pairing.unmet_penalt" in msg and "pairing.unmet_penalty" in msg


def test_bad_values_all_listed() -> None:
    base = load_scenario(MINI)
    with pytest.raises(InputError) as exc:
        expand(
            base,
            {"tours.exhibition_days": ["0", "20"], "pairing.relation_mode": ["sideways"]},
            fingerprint="x",
        )
    msg = str(exc.value)
    assert "tours.exhibition_days=" in msg and "pairing.relation_mode=" in msg


def test_cartesian_order_types_and_keys() -> None:
    base = load_scenario(MINI)
    vary = {"pairing.unmet_penalty": ["3000", "6000"], "tours.sets_per_province": [1, 2, 3]}
    pts = expand(base, vary, fingerprint="data-a")
    combos = [(p.varied["pairing.unmet_penalty"], p.varied["tours.sets_per_province"]) for p in pts]
    assert combos == list(itertools.product([3000, 6000], [1, 2, 3]))
    assert pts[0].scenario.pairing.unmet_penalty == 3000
    assert len({p.key for p in pts}) == 6
    again = expand(base, vary, fingerprint="data-a")
    assert [p.key for p in again] == [p.key for p in pts]
    other = expand(base, vary, fingerprint="data-b")
    assert not {p.key for p in other} & {p.key for p in pts}


def test_grid_file(tmp_path: Path) -> None:
    g = tmp_path / "grid.toml"
    g.write_text("[pairing]\nunmet_penalty = [3000, 6000]\n[tours]\nyear = 2020\n", "utf-8")
    assert read_grid(g) == {"pairing.unmet_penalty": [3000, 6000], "tours.year": [2020]}
    g.write_text("[pairing\n", "utf-8")
    with pytest.raises(InputError):
        read_grid(g)


def test_pareto_front_against_sorting_method() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        x = rng.integers(0, 8, n).astype(float)
        y = rng.integers(0, 8, n).astype(float)
        got = pareto_front(x, y)
        # second method: sweep by x then y, keep points whose y beats every earlier x
        want = np.zeros(n, dtype=bool)
        best = np.inf
        for xv in sorted(set(x)):
            idx = np.flatnonzero(x == xv)
            ymin = y[idx].min()
            if ymin < best:
                want[idx[y[idx] == ymin]] = True
                best = ymin
        assert (got == want).all(), (x, y)


def test_sweep_on_mini_writes_rows_report_and_resumes(tmp_path: Path) -> None:
    base = load_scenario(MINI)
    assert base.data_root is not None
    pts = expand(
        base,
        {"pairing.unmet_penalty": [3000, 6000]},
        fingerprint=data_fingerprint(base.data_root),
    )
    out = tmp_path / "sw"
    res = run_sweep(pts, out, InProcessExecutor())
    t = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert list(t["status"]) == ["ok", "ok"]
    assert list(t["pairing.unmet_penalty"]) == [3000, 6000]
    for p in pts:
        assert (out / "runs" / p.key / "manifest.json").is_file()
        row = json.loads((out / "runs" / f"{p.key}.json").read_text("utf-8"))
        assert row["status"] == "ok"
    assert (t["needs_paired"] + t["unmet_needs"] > 0).all()
    assert (t["total_travel_km"] >= t["longest_trip_km"]).all()
    unmet_cols = [c for c in t.columns if c.startswith("unmet_priority_")]
    assert (t[unmet_cols].sum(axis=1) == t["unmet_needs"]).all()
    html = (out / "sweep.html").read_text("utf-8")
    assert "<svg" in html and "帕累托前沿" in html and "http" not in html.split("<svg")[0]
    assert (out / "sweep.png").stat().st_size > 1000
    assert res.reused == 0
    again = run_sweep(pts, out, InProcessExecutor())
    assert again.reused == 2
    pd.testing.assert_frame_equal(again.table, res.table)


def test_cli_unknown_key_exit_2(
    run_cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    code = run_cli(
        ["sweep", "--scenario", MINI, "--vary", "pairing.nope=1,2", "--out", tmp_path / "o"]
    )
    assert code == 2
    err = capsys.readouterr()
    assert "pairing.unmet_penalty" in err.err + err.out
    assert not (tmp_path / "o").exists()
