"""Exact pairing by min-cost flow (OR-Tools ``SimpleMinCostFlow``): the national path.

Network
-------
::

    source S (supply = number of needs)
      ├─▶ helper h      capacity ⌊b_h / w_h⌋ (w_h: the helper's uniform load), cost 0
      │     ├─▶ group g capacity q_g, cost 0         (side-constraint groups of h)
      │     └─▶ need n  capacity 1, cost c_(h,n)     (from h, or from its group g)
      └─▶ need n        capacity 1, cost p_n          (the unmet-penalty arc)
    need n: supply −1

Integral min-cost flows are optimal pairings of the model in
:mod:`geomatch.solve.pairing_model`. All arrays are built with numpy; the solver's
vectorised ``add_arcs_with_capacity_and_unit_cost`` takes them whole.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from geomatch.solve.pairing_duals import UNREACHED, FlowNetwork, residual_potentials
from geomatch.solve.pairing_model import ArcModel, ModelSolution

__all__ = ["helper_price_bound", "lagrangian_bound", "solve_flow"]

log = logging.getLogger(__name__)


#: One part of the network's arcs: (tails, heads, capacities, unit costs).
_Part = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Where:
    """Where the parts of a model's network sit in its node and arc arrays."""

    n_nodes: int
    supplies: np.ndarray
    first_pair_arc: int
    group_nodes: list[tuple[np.ndarray, np.ndarray]]  # (node ids, helper) per family
    need0: int


@dataclass(frozen=True)
class _Parts(_Where):
    """The arcs of a model's network in parts, in arc order."""

    parts: list[_Part]


@dataclass(frozen=True)
class _Layout(_Where):
    """The network of a model as one set of arc arrays."""

    net: FlowNetwork


def _capacity_units(model: ArcModel) -> np.ndarray:
    """Pairs each helper can take: ``⌊b_h / w_h⌋`` (``w_h``: its uniform load)."""
    load_h = np.ones(model.n_helpers, dtype=np.int64)
    load_h[model.arc_helper] = model.arc_load
    units: np.ndarray = model.helper_cap // np.maximum(load_h, 1)
    return units


def _parts(model: ArcModel, unmet: np.ndarray | None) -> _Parts:
    """Arc arrays of the network drawn in the module docstring, part by part."""
    H, N, A = model.n_helpers, model.n_needs, model.n_arcs
    cap_units = _capacity_units(model)
    arc_src = 1 + model.arc_helper.astype(np.int64)
    g_start = 1 + H
    parts: list[_Part] = [
        (np.zeros(H, np.int64), 1 + np.arange(H, dtype=np.int64), cap_units, np.zeros(H, np.int64))
    ]
    groups = []
    for fam in model.groups:
        ids = g_start + np.arange(len(fam.group_cap), dtype=np.int64)
        tail = 1 + fam.group_helper.astype(np.int64)
        parts.append((tail, ids, fam.group_cap.astype(np.int64), np.zeros(len(ids), np.int64)))
        groups.append((ids, tail - 1))
        m = fam.arc_group >= 0
        arc_src[m] = g_start + fam.arc_group[m]
        g_start += len(ids)
    need0 = g_start
    need_nodes = need0 + np.arange(N, dtype=np.int64)
    first_pair_arc = sum(len(part[0]) for part in parts)
    cost = model.arc_cost.astype(np.int64, copy=False)
    parts.append((arc_src, need0 + model.arc_need.astype(np.int64), np.ones(A, np.int64), cost))
    if unmet is not None:
        ones = np.ones(N, np.int64)
        parts.append((np.zeros(N, np.int64), need_nodes, ones, unmet.astype(np.int64)))
    supplies = np.zeros(need0 + N, dtype=np.int64)
    supplies[0] = N
    supplies[need_nodes] = -1
    return _Parts(need0 + N, supplies, first_pair_arc, groups, need0, parts)


def _layout(model: ArcModel, unmet: np.ndarray | None) -> _Layout:
    """The network of :func:`_parts` as one set of arc arrays."""
    p = _parts(model, unmet)
    net = FlowNetwork(p.n_nodes, *(np.concatenate([part[i] for part in p.parts]) for i in range(4)))
    where = {f.name: getattr(p, f.name) for f in fields(_Where)}
    return _Layout(**where, net=net)


def _potentials(
    model: ArcModel, lay: _Layout, flows: np.ndarray, unmet: np.ndarray | None, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(π per need, lower bound of the tail potential per helper) of an optimal flow.

    ``d``: the shortest-path distances from the source in the flow's residual network
    (:func:`~geomatch.solve.pairing_duals.residual_potentials`).

    The helper side keeps the shortest-path distances ``d`` from the source (the largest
    potentials: the highest prices of full helpers). Each need then gets the *least*
    potential that (D1) allows, given ``d`` on the helper side: the tail potential plus
    the cost of the arc that carries its flow, or ``p_n`` when it is unmet. Both are
    ≤ ``d(n)``, so every residual arc into a need keeps a reduced cost ≥ 0 and the
    reverse of its flow arc has reduced cost 0 — the pair is still an optimal dual, and
    the one that makes the fewest outside pairs look profitable (a pair ``(h, n)``
    violates only if ``n`` strictly prefers ``h`` at the current helper prices).
    A need the source cannot reach is unmet with no usable arc; ``π_n = p_n`` as well.
    """
    n_of = slice(lay.need0, lay.need0 + model.n_needs)
    pi = d[n_of].copy()
    if unmet is not None:
        unmet_flow = flows[len(flows) - model.n_needs :] > 0
        pi[unmet_flow] = unmet[unmet_flow]
    lost = pi >= UNREACHED
    if lost.any():
        pi[lost] = unmet[lost] if unmet is not None else UNREACHED
    pairs = slice(lay.first_pair_arc, lay.first_pair_arc + model.n_arcs)
    used = flows[pairs] > 0
    tight = d[lay.net.tail[pairs][used]] + lay.net.cost[pairs][used]
    pi[model.arc_need[used]] = tight
    mu = d[1 : 1 + model.n_helpers].copy()
    for nodes, helper in lay.group_nodes:
        np.minimum.at(mu, helper, d[nodes])
    return pi, mu


def _handed_over(model: ArcModel, unmet: np.ndarray | None) -> Any:
    """An OR-Tools ``SimpleMinCostFlow`` holding the model's network.

    The arcs are handed over part by part and not kept: during the solve only the
    solver's copy of the network is in memory (the arrays for the potentials are built
    again afterwards, when the solver's copy is gone).
    """
    from ortools.graph.python import min_cost_flow

    smcf = min_cost_flow.SimpleMinCostFlow()
    p = _parts(model, unmet)
    for tail, head, cap, cost in p.parts:
        smcf.add_arcs_with_capacity_and_unit_cost(tail, head, cap, cost)
    smcf.set_nodes_supplies(np.arange(p.n_nodes, dtype=np.int64), p.supplies)
    return smcf


def solve_flow(model: ArcModel, *, big_m: bool = False, potentials: bool = False) -> ModelSolution:
    """Solve a network :class:`ArcModel` exactly.

    Parameters
    ----------
    model
        Must satisfy :meth:`ArcModel.is_network`.
    big_m
        With ``model.unmet_cost is None`` (every need must be paired), still add unmet
        arcs at a cost larger than any pairing, so that an infeasible request yields the
        maximum pairing (used to name the binding constraint). The returned status is
        then ``infeasible`` when a need stays unmet.
    potentials
        Also return the node potentials (``need_potential``, ``helper_potential``) that
        prove the flow optimal (:mod:`geomatch.solve.pairing_duals`).

    Returns
    -------
    ModelSolution
        ``x`` (bool per arc), status ``optimal`` or ``infeasible``, objective (Σ c x +
        Σ p u), ``bound`` = objective when optimal, raw solver seconds.
    """
    if not model.is_network():
        raise RuntimeError("the model is not a network; solve it with CP-SAT (a caller bug)")
    t0 = time.perf_counter()
    A, N = model.n_arcs, model.n_needs
    unmet = model.unmet_cost
    if unmet is None and big_m:
        m_cost = int(np.abs(model.arc_cost).sum()) + 1 if A else 1
        unmet = np.full(N, m_cost, dtype=np.int64)
    smcf = _handed_over(model, unmet)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    status = smcf.solve()
    t_solve = time.perf_counter() - t1
    if status != smcf.OPTIMAL:
        log.info("min-cost flow status %s", status)
        return ModelSolution(
            x=np.zeros(A, dtype=bool),
            status="infeasible",
            objective=0,
            bound=float("nan"),
            seconds=t_solve,
            solver="ortools-min-cost-flow",
            extra={"build_seconds": t_build},
        )
    flows = smcf.flows(np.arange(smcf.num_arcs(), dtype=np.int64))
    del smcf  # the solver's copy of the network, before the potentials build another
    lay = _layout(model, unmet)
    x = flows[lay.first_pair_arc : lay.first_pair_arc + A] > 0
    obj = model.objective(x)
    met = np.zeros(N, dtype=bool)
    met[model.arc_need[x]] = True
    infeasible = model.unmet_cost is None and not met.all()
    pi = mu = None
    if potentials:
        pi, mu = _potentials(model, lay, flows, unmet, residual_potentials(lay.net, flows))
    log.info(
        "min-cost flow: %d pairs of %d needs, cost %d, %.2f s (+%.2f s build)",
        int(x.sum()),
        N,
        obj,
        t_solve,
        t_build,
    )
    return ModelSolution(
        x=x,
        status="infeasible" if infeasible else "optimal",
        objective=obj,
        bound=float(obj),
        seconds=t_solve,
        solver="ortools-min-cost-flow",
        extra={"build_seconds": round(t_build, 3)},
        need_potential=pi,
        helper_potential=mu,
    )


def _flows_of(model: ArcModel, lay: _Layout, x: np.ndarray) -> np.ndarray:
    """The flow on every arc of the layout that pairs ``x`` (bool per model arc) carries."""
    H, A = model.n_helpers, model.n_arcs
    parts = [np.bincount(model.arc_helper[x], minlength=H)]
    for fam in model.groups:
        m = x & (fam.arc_group >= 0)
        parts.append(np.bincount(fam.arc_group[m], minlength=len(fam.group_cap)))
    parts.append(x.astype(np.int64))
    n_layout = len(lay.net.tail)
    if n_layout > lay.first_pair_arc + A:  # unmet arcs
        met = np.zeros(model.n_needs, dtype=bool)
        met[model.arc_need[x]] = True
        parts.append((~met).astype(np.int64))
    return np.concatenate(parts).astype(np.int64)


def lagrangian_bound(model: ArcModel, x: np.ndarray, lower: np.ndarray) -> float:
    """A lower bound of the optimum over *all* compatible pairs, from a restricted flow.

    With node potentials ``p`` (``p(S) = 0``) the Lagrangian of the flow-conservation
    constraints gives, for any ``p`` (weak duality),

        LB(p) = Σ_v p(v)·demand(v) + Σ_a u_a·min(0, c_a + p(tail a) − p(head a)),

    the sum over the arcs of the whole network — those of the restricted model here, and
    the compatible pairs outside it, which contribute nothing when every need's
    potential is lowered to ``p'(n) = min(π_n, ℓ_n)``: ``ℓ_n`` (the pricer's ``lower``)
    bounds ``c + μ`` of every outside pair of ``n`` from below, and ``μ_h`` is the least
    tail potential of the helper's arcs. ``π`` are the potentials of
    :func:`_potentials` for the flow ``x`` (optimal on the restricted model). Holds with
    side-constraint groups (their nodes are part of the network). ``nan`` when the model
    has no unmet arcs (every need must be paired).
    """
    if model.unmet_cost is None or not model.is_network():
        return float("nan")
    lay = _layout(model, model.unmet_cost)
    flows = _flows_of(model, lay, x)
    d = residual_potentials(lay.net, flows)
    pi, _ = _potentials(model, lay, flows, model.unmet_cost, d)
    p = d.astype(float)
    need_nodes = slice(lay.need0, lay.need0 + model.n_needs)
    p[need_nodes] = np.minimum(pi.astype(float), lower)
    if (p >= UNREACHED).any():  # nodes no flow can reach (no arc, or cut off): p = 0
        p[p >= UNREACHED] = 0.0
    net = lay.net
    rc = net.cost + p[net.tail] - p[net.head]
    demand = -lay.supplies.astype(float)
    return float((p * demand).sum() + (net.capacity * np.minimum(rc, 0.0)).sum())


def helper_price_bound(model: ArcModel, mu: np.ndarray, lower: np.ndarray) -> float:
    """A lower bound of the optimum over *all* compatible pairs from helper prices alone.

    Relax the helper capacities (and every side-constraint group) with prices
    ``μ_h ≥ 0`` per unit of a helper's capacity; each need then chooses alone the
    cheapest of its options (the Lagrangian relaxation of the capacity constraints)::

        L(μ) = Σ_n min(p_n, min_h (c_hn + e_n + μ_h)) − Σ_h ⌊b_h / w_h⌋ · μ_h     (L1)

    and ``L(μ) ≤`` the optimum for every ``μ ≥ 0`` (weak duality); at the optimal duals
    it equals the optimum (the constraint matrix is a network matrix). The inner
    minimum runs over every compatible pair: ``lower`` (the pricer's ``lower`` for
    ``π = p``: a lower bound of ``c + e + μ`` over the pairs whose ``c + e + μ < p_n`` is
    not excluded) bounds it from below together with ``p_n``, and the model's own arcs
    (the candidates and locks, which a locked need is limited to) are taken as they are.
    ``nan`` when some ``μ_h < 0`` or every need must be paired (no ``p_n``).
    """
    unmet = model.unmet_cost
    if unmet is None or (mu < 0).any():
        return float("nan")
    units = _capacity_units(model)
    best = np.minimum(unmet.astype(float), lower)
    np.minimum.at(best, model.arc_need, model.arc_cost + mu[model.arc_helper].astype(float))
    return float(best.sum() - (units * mu.astype(float)).sum())
