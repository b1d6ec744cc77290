"""GAP by CP-SAT against HiGHS MILP on small random instances and a shipped instance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from geomatch.errors import InputError
from solvers.bench import INSTANCES
from solvers.bench.gap_search import GapInstance, greedy_gap, read_gap_file, solve_gap


def _milp(inst: GapInstance, sense: str) -> float | None:
    m, n = inst.m, inst.n
    c = inst.cost.ravel().astype(float) * (1 if sense == "min" else -1)
    assign = np.zeros((n, m * n))
    for j in range(n):
        assign[j, [i * n + j for i in range(m)]] = 1
    cap = np.zeros((m, m * n))
    for i in range(m):
        cap[i, i * n : (i + 1) * n] = inst.weight[i]
    res = milp(
        c,
        constraints=[LinearConstraint(assign, 1, 1), LinearConstraint(cap, -np.inf, inst.capacity)],
        integrality=np.ones(m * n),
        bounds=Bounds(0, 1),
    )
    return None if res.status != 0 else float(res.fun) * (1 if sense == "min" else -1)


def _feasible(inst: GapInstance, agent: np.ndarray) -> bool:
    if (agent < 0).any():
        return False
    load = np.bincount(agent, weights=inst.weight[agent, np.arange(inst.n)], minlength=inst.m)
    return bool((load <= inst.capacity).all())


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), sense=st.sampled_from(["min", "max"]))
def test_cpsat_equals_milp(seed: int, sense: str) -> None:
    rng = np.random.default_rng(seed)
    m, n = int(rng.integers(2, 4)), int(rng.integers(4, 9))
    w = rng.integers(1, 10, (m, n))
    inst = GapInstance(
        "r", rng.integers(1, 50, (m, n)), w, np.maximum(w.sum(axis=1) // 2, w.max(axis=1))
    )
    ref = _milp(inst, sense)
    r = solve_gap(inst, sense=sense, time_limit_s=5)  # type: ignore[arg-type]
    if ref is None:
        assert r.status in ("infeasible", "unknown")
        return
    assert r.status == "optimal" and r.objective == pytest.approx(ref)
    assert _feasible(inst, r.agent)
    assert int(inst.cost[r.agent, np.arange(n)].sum()) == r.objective


def test_shipped_gap1_first_problem_both_senses() -> None:
    inst = read_gap_file(INSTANCES / "gap" / "gap1.txt")[0]
    assert (inst.m, inst.n) == (5, 15)
    assert solve_gap(inst, sense="min").objective == 261  # reference table, min
    assert solve_gap(inst, sense="max").objective == 336  # OR-Library gapinfo, max
    g = greedy_gap(inst)
    assert g is not None and _feasible(inst, g)


def test_bad_gap_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.txt"
    p.write_text("1\n2 3\n1 2 x\n")
    with pytest.raises(InputError):
        read_gap_file(p)
    p.write_text("1\n2 3\n1 2 3\n")
    with pytest.raises(InputError, match="truncated"):
        read_gap_file(p)
