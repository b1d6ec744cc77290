"""GAP heuristic, Lagrangian bound and LNS against HiGHS MILP optima on small instances."""

from __future__ import annotations

import numpy as np
import pytest

from geomatch.errors import InputError
from solvers.bench.gap_search import (
    GapInstance,
    lagrangian_bound,
    lagrangian_heuristic,
    lns_gap,
    local_search_gap,
    solve_gap,
)
from tests.bench.test_gap import _feasible, _milp


def _random(seed: int, m: int, n: int, tightness: float) -> GapInstance:
    """Yagiura-type-E-like: weight ``1 − 10 ln U``, cost falling with weight, capacity
    ``tightness × Σ_j a_ij / m`` (at least the agent's largest weight)."""
    rng = np.random.default_rng(seed)
    w = np.ceil(1 - 10 * np.log(rng.random((m, n)))).astype(np.int64)
    c = np.maximum(1, (1000 / w - 10 * rng.random((m, n))).astype(np.int64))
    cap = np.maximum((tightness * w.sum(axis=1) / m).astype(np.int64), w.max(axis=1))
    return GapInstance(f"r{seed}", c, w, cap)


def _cost(inst: GapInstance, agent: np.ndarray) -> int:
    return int(inst.cost[agent, np.arange(inst.n)].sum())


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("sense", ["min", "max"])
def test_heuristic_feasible_and_not_below_optimum(seed: int, sense: str) -> None:
    inst = _random(seed, m=3 + seed % 3, n=12 + 2 * seed, tightness=0.8)
    opt = _milp(inst, sense)
    assert opt is not None
    agent, lb = lagrangian_heuristic(inst, sense=sense, time_limit_s=0.3)  # type: ignore[arg-type]
    assert agent is not None and _feasible(inst, agent)
    if sense == "min":
        assert _cost(inst, agent) >= opt - 1e-6
        assert lb.bound <= opt + 1e-6
    else:
        assert _cost(inst, agent) <= opt + 1e-6
        assert lb.bound >= opt - 1e-6


@pytest.mark.parametrize("seed", range(5))
def test_tight_instances_always_feasible(seed: int) -> None:
    """Capacity at 80 % of the even share, as type E: a feasible answer every time."""
    inst = _random(100 + seed, m=8, n=120, tightness=0.8)
    agent, _ = lagrangian_heuristic(inst, time_limit_s=0.4)
    assert agent is not None
    assert np.bincount(agent, minlength=inst.n).sum() == inst.n  # every job exactly once
    assert _feasible(inst, agent)
    r = solve_gap(inst, time_limit_s=0.6)
    assert r.objective is not None and _feasible(inst, r.agent)
    assert r.objective == _cost(inst, r.agent)
    assert r.bound <= r.objective + 1e-6
    assert r.bound >= r.lagrangian_bound - 1e-6  # best of CP-SAT's and the Lagrangian one


def test_loose_capacities_give_each_job_its_cheapest_agent() -> None:
    rng = np.random.default_rng(7)
    m, n = 6, 40
    c = rng.integers(1, 100, (m, n))
    w = rng.integers(1, 10, (m, n))
    inst = GapInstance("easy", c, w, np.full(m, 10 * n))
    opt = int(c.min(axis=0).sum())
    agent, lb = lagrangian_heuristic(inst, time_limit_s=0.2)
    assert agent is not None and _cost(inst, agent) == opt
    assert lb.bound == pytest.approx(opt)
    r = solve_gap(inst, time_limit_s=2.0)
    assert r.status == "optimal" and r.objective == opt == _milp(inst, "min")


@pytest.mark.parametrize("seed", range(5))
def test_lagrangian_bound_below_milp_optimum(seed: int) -> None:
    inst = _random(200 + seed, m=4, n=20, tightness=0.7 + 0.05 * seed)
    opt = _milp(inst, "min")
    assert opt is not None
    lb = lagrangian_bound(inst, time_limit_s=0.5)
    assert lb.bound <= opt + 1e-6
    assert (lb.multipliers >= 0).all()
    ub = lagrangian_bound(inst, sense="max", time_limit_s=0.5).bound
    assert ub >= _milp(inst, "max") - 1e-6  # type: ignore[operator]


def test_local_search_repairs_an_overloaded_start() -> None:
    inst = _random(300, m=6, n=80, tightness=0.8)
    start = np.zeros(inst.n, dtype=np.int64)  # everything on agent 0: far over capacity
    agent = local_search_gap(inst, start, time_limit_s=2.0)
    assert _feasible(inst, agent)


@pytest.mark.parametrize("seed", range(3))
def test_lns_on_three_agents_reaches_the_milp_optimum(seed: int) -> None:
    """With three agents every subproblem is the whole instance: LNS is exact."""
    inst = _random(400 + seed, m=3, n=24, tightness=0.8)
    opt = _milp(inst, "min")
    start, lb = lagrangian_heuristic(inst, time_limit_s=0.2)
    assert start is not None and opt is not None
    agent = lns_gap(inst, start, time_limit_s=2.0, bound=lb.bound, multipliers=lb.multipliers)
    assert _feasible(inst, agent) and _cost(inst, agent) == pytest.approx(opt)


@pytest.mark.parametrize("n", [200, 520])
def test_large_instance_goes_through_lns_within_the_time_limit(n: int) -> None:
    """2000 pairs: LNS beside whole-model CP-SAT; 5200 pairs: LNS on both workers."""
    inst = _random(500, m=10, n=n, tightness=0.8)
    r = solve_gap(inst, time_limit_s=1.5, num_workers=2)
    assert r.status in ("feasible", "optimal")
    assert _feasible(inst, r.agent)
    assert r.seconds <= 1.5 + 0.3
    start, _ = lagrangian_heuristic(inst, time_limit_s=0.4)
    assert start is not None and r.objective is not None
    assert r.objective <= _cost(inst, start)
    assert r.bound <= r.objective + 1e-6


def test_job_that_fits_nowhere_is_infeasible() -> None:
    w = np.array([[3, 9], [4, 8]])
    inst = GapInstance("nofit", np.ones((2, 2), dtype=np.int64), w, np.array([5, 5]))
    r = solve_gap(inst, time_limit_s=1.0)
    assert r.status == "infeasible" and r.objective is None
    assert (r.agent == -1).all()
    assert lagrangian_heuristic(inst, time_limit_s=0.1)[0] is None


def test_total_capacity_too_small_is_infeasible() -> None:
    """Each job fits somewhere alone, but three jobs of weight 4 do not fit in 2 × 5."""
    w = np.full((2, 3), 4)
    inst = GapInstance("tight", np.ones((2, 3), dtype=np.int64), w, np.array([5, 5]))
    assert _milp(inst, "min") is None
    r = solve_gap(inst, time_limit_s=1.0)
    assert r.status == "infeasible" and r.objective is None


def test_bad_instance_raises_input_error() -> None:
    inst = GapInstance("bad", np.ones((2, 3)), np.ones((3, 2)), np.ones(2))
    with pytest.raises(InputError, match="do not match"):
        solve_gap(inst)
    ok = GapInstance("ok", np.ones((2, 3)), np.ones((2, 3)), np.ones(2))
    with pytest.raises(InputError, match="sense"):
        solve_gap(ok, sense="maximise")  # type: ignore[arg-type]
    neg = GapInstance("neg", np.ones((2, 3)), -np.ones((2, 3)), np.ones(2))
    with pytest.raises(InputError, match="negative"):
        lagrangian_bound(neg)
