"""Pairing with per-pair loads and side constraints by CP-SAT (OR-Tools).

Model: the formulation of :mod:`geomatch.solve.pairing_model` with boolean ``x_a`` and
``u_n``, plus, for the equity objectives, an integer ``T`` ≥ ``⌈distance_km⌉ · x_a``
(the longest trip, km):

* ``weighted``: minimise ``Σ c x + Σ p u + ⌈equity_weight⌉ · T``;
* ``minmax``: lexicographic — (1) minimise ``Σ p u``; (2) keep it, minimise ``T``;
  (3) keep both, minimise ``Σ c x + Σ p u``; the time limit is shared by the phases.

A hint (usually the min-cost-flow solution of the network relaxation) speeds the
search; the proven lower bound and the relative gap are reported.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from geomatch.solve.pairing_model import ArcModel, ModelSolution

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["solve_cpsat"]

log = logging.getLogger(__name__)


def solve_cpsat(
    model: ArcModel,
    *,
    time_limit_s: float = 60.0,
    num_workers: int = 2,
    relative_gap: float = 0.0,
    hint: np.ndarray | None = None,
    equity: Literal["off", "minmax", "weighted"] = "off",
    equity_weight: float = 0.0,
    seed: int = 0,
) -> ModelSolution:
    """Solve an :class:`ArcModel` with CP-SAT.

    Returns
    -------
    ModelSolution
        Status ``optimal`` (proved), ``feasible`` (time limit with a solution),
        ``infeasible`` (proved) or ``timeout`` (no solution within the time limit: nothing
        is proved; the caller raises :class:`~geomatch.errors.SolverTimeoutError`).
    """
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    cp = _build(model, with_longest=equity != "off")
    if hint is not None:
        _add_hint(cp, model, hint)
    t_build = time.perf_counter() - t0
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.relative_gap_limit = relative_gap
    run = _Runner(cp, solver, deadline=time.perf_counter() + time_limit_s)
    if equity == "minmax" and cp.longest is not None:
        st = run.lexicographic()
    elif equity == "weighted" and cp.longest is not None:
        st = run(cp.pair_cost + cp.unmet_cost + math.ceil(equity_weight) * cp.longest)
    else:
        st = run(cp.pair_cost + cp.unmet_cost)
    seconds = time.perf_counter() - t0 - t_build
    extra: dict[str, object] = {"build_seconds": round(t_build, 3)}
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        proved = st == cp_model.INFEASIBLE
        extra["reason"] = "proved infeasible" if proved else "no solution within the time limit"
        status = "infeasible" if proved else "timeout"
        none = np.zeros(model.n_arcs, dtype=bool)
        return ModelSolution(none, status, 0, float("nan"), seconds, "ortools-cp-sat", extra)
    xs = np.array([solver.boolean_value(v) for v in cp.x], dtype=bool)
    obj = model.objective(xs)
    if equity == "weighted" and cp.longest is not None:
        obj += math.ceil(equity_weight) * int(solver.value(cp.longest))
    extra.update(solver_objective=float(solver.objective_value), phases=run.phases)
    if cp.longest is not None:
        extra["longest_trip_km"] = int(solver.value(cp.longest))
    status = "optimal" if st == cp_model.OPTIMAL else "feasible"
    bound = float(solver.best_objective_bound)
    return ModelSolution(xs, status, obj, bound, seconds, "ortools-cp-sat", extra)


@dataclass
class _CpPairing:
    """The CP-SAT model of an :class:`ArcModel`: variables and objective parts."""

    m: cp_model.CpModel
    x: list[cp_model.IntVar]
    u: list[cp_model.IntVar] | None
    longest: cp_model.IntVar | None
    pair_cost: cp_model.LinearExpr
    unmet_cost: cp_model.LinearExpr


def _members(keys: list[int]) -> dict[int, list[int]]:
    """Positions of each non-negative key (``-1`` = none)."""
    out: dict[int, list[int]] = {}
    for pos, key in enumerate(keys):
        if key >= 0:
            out.setdefault(key, []).append(pos)
    return out


def _build(model: ArcModel, *, with_longest: bool) -> _CpPairing:
    """Variables, the need and capacity constraints, side groups, same fate, objective."""
    from ortools.sat.python import cp_model

    A, N, H = model.n_arcs, model.n_needs, model.n_helpers
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{a}") for a in range(A)]
    by_need = _members(model.arc_need.tolist())
    u = [m.new_bool_var(f"u{n}") for n in range(N)] if model.unmet_cost is not None else None
    for n in range(N):
        m.add_exactly_one([x[a] for a in by_need.get(n, [])] + ([u[n]] if u else []))
    by_helper = _members(model.arc_helper.tolist())
    loads, caps = model.arc_load.tolist(), model.helper_cap.tolist()
    for h in range(H):
        arcs = by_helper.get(h, [])
        if arcs and sum(loads[a] for a in arcs) > caps[h]:
            m.add(sum(loads[a] * x[a] for a in arcs) <= caps[h])
    for fam in model.groups:
        gcap = fam.group_cap.tolist()
        for g, arcs in _members(fam.arc_group.tolist()).items():
            if len(arcs) > gcap[g] == 1:
                m.add_at_most_one([x[a] for a in arcs])
            elif len(arcs) > gcap[g]:
                m.add(sum(x[a] for a in arcs) <= gcap[g])
    if model.same_fate is not None and u is not None:
        for team in _members(model.same_fate.tolist()).values():
            for n in team[1:]:
                m.add(u[n] == u[team[0]])
    longest = None
    if with_longest and A:
        dist = np.ceil(model.arc_dist).astype(np.int64).tolist()
        longest = m.new_int_var(0, max(dist), "longest_trip_km")
        for a in range(A):
            m.add(longest >= dist[a] * x[a])
    pair_cost = cp_model.LinearExpr.weighted_sum(x, model.arc_cost.tolist())
    unmet_cost = cp_model.LinearExpr.constant(0)
    if u is not None and model.unmet_cost is not None:
        unmet_cost = cp_model.LinearExpr.weighted_sum(u, model.unmet_cost.tolist())
    return _CpPairing(m, x, u, longest, pair_cost, unmet_cost)


def _add_hint(cp: _CpPairing, model: ArcModel, hint: np.ndarray) -> None:
    """Start the search from ``hint`` (a chosen-arc mask) and the unmet needs it implies."""
    for a, v in enumerate(cp.x):
        cp.m.add_hint(v, bool(hint[a]))
    if cp.u is not None:
        met = np.zeros(model.n_needs, dtype=bool)
        met[model.arc_need[hint]] = True
        for n, v in enumerate(cp.u):
            cp.m.add_hint(v, not met[n])


@dataclass
class _Runner:
    """Solves the model for an objective within the shared deadline."""

    cp: _CpPairing
    solver: cp_model.CpSolver
    deadline: float
    phases: list[dict[str, object]] = field(default_factory=list)

    def __call__(self, objective: cp_model.LinearExprT) -> int:
        self.cp.m.minimize(objective)
        left = max(0.1, self.deadline - time.perf_counter())
        self.solver.parameters.max_time_in_seconds = left
        return int(self.solver.solve(self.cp.m))

    def lexicographic(self) -> int:
        """``minmax``: unmet penalty, then the longest trip, then the cost, each kept."""
        from ortools.sat.python import cp_model

        cp, solver = self.cp, self.solver
        assert cp.longest is not None
        for name, expr in (("unmet", cp.unmet_cost), ("longest_trip_km", cp.longest)):
            st = self(expr)
            if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break
            val = round(solver.objective_value)
            self.phases.append({"phase": name, "value": val, "optimal": st == cp_model.OPTIMAL})
            cp.m.add(expr <= val)
            clear_hints: Callable[[], None] = cp.m.clear_hints  # untyped in ortools' stubs
            clear_hints()
            for v in cp.x:
                cp.m.add_hint(v, solver.boolean_value(v))
        return self(cp.pair_cost + cp.unmet_cost)
