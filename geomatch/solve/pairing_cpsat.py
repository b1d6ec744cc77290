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
from typing import Literal

import numpy as np

from geomatch.solve.pairing_model import ArcModel, ModelSolution

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
    A, N, H = model.n_arcs, model.n_needs, model.n_helpers
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x{a}") for a in range(A)]
    by_need: list[list[int]] = [[] for _ in range(N)]
    for a, n in enumerate(model.arc_need.tolist()):
        by_need[n].append(a)
    u: list[cp_model.IntVar] | None = None
    if model.unmet_cost is not None:
        u = [m.new_bool_var(f"u{n}") for n in range(N)]
        for n in range(N):
            m.add_exactly_one([x[a] for a in by_need[n]] + [u[n]])
    else:
        for n in range(N):
            m.add_exactly_one([x[a] for a in by_need[n]])
    by_helper: list[list[int]] = [[] for _ in range(H)]
    for a, h in enumerate(model.arc_helper.tolist()):
        by_helper[h].append(a)
    loads = model.arc_load.tolist()
    caps = model.helper_cap.tolist()
    for h in range(H):
        arcs = by_helper[h]
        if arcs and sum(loads[a] for a in arcs) > caps[h]:
            m.add(sum(loads[a] * x[a] for a in arcs) <= caps[h])
    for fam in model.groups:
        members: dict[int, list[int]] = {}
        for a, g in enumerate(fam.arc_group.tolist()):
            if g >= 0:
                members.setdefault(g, []).append(a)
        gcap = fam.group_cap.tolist()
        for g, arcs in members.items():
            if len(arcs) > gcap[g]:
                if gcap[g] == 1:
                    m.add_at_most_one([x[a] for a in arcs])
                else:
                    m.add(sum(x[a] for a in arcs) <= gcap[g])
    if model.same_fate is not None and u is not None:
        fate: dict[int, list[int]] = {}
        for n, f in enumerate(model.same_fate.tolist()):
            if f >= 0:
                fate.setdefault(f, []).append(n)
        for team in fate.values():
            for n in team[1:]:
                m.add(u[n] == u[team[0]])
    cost = model.arc_cost.tolist()
    pair_cost = cp_model.LinearExpr.weighted_sum(x, cost)
    unmet_cost = (
        cp_model.LinearExpr.weighted_sum(u, model.unmet_cost.tolist())
        if u is not None and model.unmet_cost is not None
        else 0
    )
    longest = None
    if equity != "off" and A:
        dist = np.ceil(model.arc_dist).astype(np.int64).tolist()
        longest = m.new_int_var(0, max(dist), "longest_trip_km")
        for a in range(A):
            m.add(longest >= dist[a] * x[a])
    if hint is not None:
        for a in range(A):
            m.add_hint(x[a], bool(hint[a]))
        if u is not None:
            met = np.zeros(N, dtype=bool)
            met[model.arc_need[hint]] = True
            for n in range(N):
                m.add_hint(u[n], not met[n])
    t_build = time.perf_counter() - t0

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.relative_gap_limit = relative_gap
    deadline = time.perf_counter() + time_limit_s

    def run(objective: cp_model.LinearExprT) -> int:
        m.minimize(objective)
        solver.parameters.max_time_in_seconds = max(0.1, deadline - time.perf_counter())
        return int(solver.solve(m))

    phases: list[dict[str, object]] = []
    if equity == "minmax" and longest is not None:
        for name, expr in (("unmet", unmet_cost), ("longest_trip_km", longest)):
            st = run(expr)
            if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break
            val = round(solver.objective_value)
            phases.append({"phase": name, "value": val, "optimal": st == cp_model.OPTIMAL})
            m.add(expr <= val)
            clear_hints: Callable[[], None] = m.clear_hints  # untyped in ortools' stubs
            clear_hints()
            xs = [solver.boolean_value(v) for v in x]
            for a in range(A):
                m.add_hint(x[a], xs[a])
        st = run(pair_cost + unmet_cost)
    elif equity == "weighted" and longest is not None:
        st = run(pair_cost + unmet_cost + math.ceil(equity_weight) * longest)
    else:
        st = run(pair_cost + unmet_cost)
    seconds = time.perf_counter() - t0 - t_build
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        xs_arr = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        obj = model.objective(xs_arr)
        if equity == "weighted" and longest is not None:
            obj += math.ceil(equity_weight) * int(solver.value(longest))
        bound = float(solver.best_objective_bound)
        status = "optimal" if st == cp_model.OPTIMAL else "feasible"
        extra: dict[str, object] = {
            "build_seconds": round(t_build, 3),
            "solver_objective": float(solver.objective_value),
            "phases": phases,
        }
        if longest is not None:
            extra["longest_trip_km"] = int(solver.value(longest))
        return ModelSolution(xs_arr, status, obj, bound, seconds, "ortools-cp-sat", extra)
    proved = st == cp_model.INFEASIBLE
    reason = "proved infeasible" if proved else "no solution within the time limit"
    return ModelSolution(
        np.zeros(A, dtype=bool),
        "infeasible" if proved else "timeout",
        0,
        float("nan"),
        seconds,
        "ortools-cp-sat",
        {"reason": reason, "build_seconds": round(t_build, 3)},
    )
