"""Exact pairing over every compatible pair: column generation with node potentials.

Symbols
-------
``N`` needs, ``H`` helper hubs (pooled helpers, capacity ``b_h`` in pairs), ``P`` the
compatible pairs: ``(h, n)`` with a fitting specialty, language and level within
``radius_km`` great-circle km — plus, with ``relation_mode = "preference"`` and
``k_relation > 0``, the compatible pairs from the need's officially paired provinces at
any distance (:mod:`geomatch.candidates.build`). ``c_hn`` is the pair's cost,
``e_n`` the change penalty of a re-planned need, ``p_n`` its unmet penalty.

Problem (the LP of the min-cost flow of :mod:`geomatch.solve.pairing_flow`)::

    minimise    Σ_{(h,n) ∈ P} (c_hn + e_n) x_hn + Σ_n p_n u_n
    subject to  Σ_{h:(h,n) ∈ P} x_hn + u_n = 1          ∀ n      dual π_n  (free)   (1)
                Σ_{n:(h,n) ∈ P} x_hn ≤ b_h               ∀ h      dual −μ_h (μ_h ≥ 0) (2)
                0 ≤ x_hn ≤ 1, 0 ≤ u_n ≤ 1                                           (3)

(side-constraint groups of :mod:`geomatch.solve.pairing_model` add nodes between a
helper and its needs; their potentials enter ``μ_h`` below). The constraint matrix is
a network matrix, so the LP optimum is integral and is the pairing optimum.

Dual feasibility of a pair::

    rc(h, n) = c_hn + e_n + μ_h − π_n ≥ 0                                         (4)

Algorithm
---------
1. ``A ⊂ P``: the nearest compatible hubs of every need (the candidate builder).
2. Solve the restricted problem (1)–(3) over ``A`` with OR-Tools' min-cost flow.
3. Potentials: shortest-path distances ``d`` from the source in the residual network of
   the optimal flow (:mod:`geomatch.solve.pairing_duals`); ``π_n = d(n)``, ``μ_h`` the
   least of ``d`` over the helper's node and its group nodes. They satisfy (4) for every
   arc of ``A`` that can carry more flow, i.e. they prove the restricted optimum.
4. Pricing (:class:`geomatch.candidates.pricing.Pricer`): find pairs of ``P \\ A`` with
   ``rc < 0``; a box of hubs at least ``d_lo`` km from the need holds none when
   ``α·d_lo − ½ + fit + μ_lo ≥ π_n`` (``α`` = cost per great-circle km, ``μ_lo`` the
   box's least potential), so each need searches a KD-tree of each hub pool by branch
   and bound (:mod:`geomatch.candidates.hubsearch`) — never needs × helpers. Pairs
   of ``A`` are skipped, not counted as violators: one may price below zero (it carries
   flow, or its ``μ_h`` is a least over group nodes and underestimates its reduced
   cost), and a search that stopped there would not see a violator of ``P \\ A`` behind
   it. From the second round on, a need that the previous round certified (no
   violator) is searched only among the hubs whose ``μ`` fell by more than its ``π``
   rose, the only ones whose pairs can have turned negative (the pricing module's (P3)).
5. No violator: (4) holds on all of ``P \\ A`` (on ``A`` the restricted optimum settles
   every arc, step 3); with the flow's complementary slackness,
   ``(π, μ)`` is an optimal dual of the full problem and the flow is optimal over
   ``P`` (LP duality; integral by total unimodularity) — ``status = optimal``.
   Otherwise add the ``price_per_need`` most negative violators of each need to ``A``,
   and the violators among the hubs that its ``exchange_neighbours`` nearest needs of
   the same category are paired with (the exchanges that uncross neighbouring pairs;
   measured to reach a given objective in far fewer rounds), and go to 2. While every
   round lowers the objective, added pairs that carry no flow and have a positive
   reduced cost are dropped from ``A`` again (they are priced like any other pair, so
   the proof is unchanged; this keeps the re-solves small and the memory flat). The
   objective of an integral flow takes finitely many values, so there are finitely
   many pruning rounds; after the first round that does not lower it, each round only
   adds at least one pair not in ``A``, and ``P`` is finite: the loop ends.

If ``time_limit_s`` runs out, or ``max_rounds`` pricing rounds are done (a fixed amount of
work: the same pairing on any machine), or — with ``relative_gap > 0`` — a round's objective
is within ``relative_gap`` of the warm start's bound (below), before the proof, the pairing
of the last round is returned as ``feasible`` with the Lagrangian bound of
:func:`geomatch.solve.pairing_flow.lagrangian_bound`: for node potentials ``p``,

    LB(p) = Σ_v p(v)·demand(v) + Σ_a u_a·min(0, c_a + p(tail a) − p(head a))

over the arcs of the restricted network, with each need's potential lowered to
``π'_n = min(π_n, ℓ_n)`` (``ℓ_n``: the pricer's lower bound of ``c + e + μ`` over all pairs
of ``n`` outside (P2)), which makes every pair outside the model contribute nothing —
hence ≤ the optimum over ``P`` (weak duality), side-constraint groups included. The
restricted flow's potentials are far from the full problem's duals in early rounds (this
bound was 16 % below the optimum after one round at 12,800 needs, 85 % at 128,000), so
the bound reported is the larger of it and the capacity Lagrangian at the warm start's
helper prices, :func:`geomatch.solve.pairing_flow.helper_price_bound`,

    L(μ) = Σ_n min(p_n, min_h (c_hn + e_n + μ_h)) − Σ_h b_h μ_h,

whose inner minimum over all compatible pairs the warm start's pricing bounds already
(0.011 % and 0.008 % below the optimum on those two instances).
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from geomatch.candidates.pricing import (
    PricedArcs,
    Since,
    first_of_each_pair,
    in_sorted,
    pair_keys,
)
from geomatch.progress import ProgressCallback, null_progress
from geomatch.solve.pairing_flow import helper_price_bound, lagrangian_bound, solve_flow
from geomatch.solve.pairing_model import ArcModel, ModelSolution

if TYPE_CHECKING:
    from geomatch.candidates.pricing import Pricer
    from geomatch.model.pairing_settings import PairingSettings
    from geomatch.solve.pairing import _Problem

__all__ = ["ExactResult", "column_generation"]

log = logging.getLogger(__name__)


#: What ``status: optimal`` is proven over.
OPTIMAL_OVER = "all compatible pairs within radius_km (and the relation pools)"


@dataclass(frozen=True)
class ExactResult:
    """The last restricted model and its solution (status, bound and rounds in extra)."""

    model: ArcModel
    solution: ModelSolution
    rounds: list[dict[str, Any]] = field(default_factory=list)
    #: A run stopped before its proof: the last round's pairs of negative reduced cost
    #: whose need is unmet (each would lower the cost; ``None`` when proven).
    open_pairs: PricedArcs | None = None


def _model_keys(p: _Problem) -> np.ndarray:
    """Sorted :func:`pair_keys` of the pairs in the restricted model."""
    return np.sort(pair_keys(p.arc_n, p.arc_h, len(p.h)))


def _new_arcs(p: _Problem, priced: PricedArcs) -> PricedArcs:
    """The priced pairs not already in the model."""
    old = in_sorted(_model_keys(p), pair_keys(priced.need, priced.helper, len(p.h)))
    return priced.take(~old) if old.any() else priced


def _exchanges(
    p: _Problem, pricer: Pricer, model: ArcModel, sol: ModelSolution, extra: np.ndarray
) -> PricedArcs:
    """Violators among the hubs of each need's neighbours (``exchange_neighbours``)."""
    assert sol.need_potential is not None and sol.helper_potential is not None
    paired = np.full(len(sol.need_potential), -1, dtype=np.int64)
    paired[model.arc_need[sol.x]] = model.arc_helper[sol.x]
    k = p.settings.exchange_neighbours
    mu, pi = sol.helper_potential, sol.need_potential
    swaps = pricer.exchange(paired, mu, pi, extra, skip=p.locked_need, prev=p.prev_h, k=k)
    return _new_arcs(p, swaps)


def _union(p: _Problem, first: PricedArcs, then: PricedArcs) -> PricedArcs:
    """``first`` and ``then`` without repeated pairs (``lower`` of ``then``)."""
    if len(first) == 0:
        return then
    both = PricedArcs.concat([first, then])
    return both.take(first_of_each_pair(both.need, both.helper, len(p.h)))


def _extend(p: _Problem, new: PricedArcs, extra: np.ndarray) -> None:
    """Add priced pairs to the problem's arcs (index arrays; ids only for the output)."""
    p.added.append(new.narrowed())
    p.arc_h = np.concatenate([p.arc_h, new.helper.astype(np.int64)])
    p.arc_n = np.concatenate([p.arc_n, new.need.astype(np.int64)])
    change = np.where(p.prev_h[new.need] == new.helper, 0, extra[new.need])
    p.change = np.concatenate([p.change, change])


def _prune(p: _Problem, model: ArcModel, sol: ModelSolution) -> int:
    """Drop added arcs that carry no flow and have a positive reduced cost.

    They cannot be in an optimal basis now; pricing sees them again like any pair
    outside the model, so the proof is unchanged. Arcs of the first restricted set
    (candidates, locks) stay. Returns the number dropped.
    """
    pi, mu = sol.need_potential, sol.helper_potential
    if pi is None or mu is None or not p.added:
        return 0
    rc = model.arc_cost + mu[model.arc_helper] - pi[model.arc_need]
    drop = ~sol.x & (rc > 0)
    drop[: len(p.a)] = False
    if not drop.any():
        return 0
    keep = ~drop
    p.added = [PricedArcs.concat(p.added).take(keep[len(p.a) :])]
    p.arc_h, p.arc_n, p.change = p.arc_h[keep], p.arc_n[keep], p.change[keep]
    return int(drop.sum())


def _of_unmet(model: ArcModel, sol: ModelSolution, priced: PricedArcs) -> PricedArcs:
    """The priced pairs whose need the flow leaves unmet."""
    met = np.zeros(model.n_needs, dtype=bool)
    met[model.arc_need[sol.x]] = True
    return priced.take(~met[priced.need])


def _best_bound(
    model: ArcModel, sol: ModelSolution, lower: np.ndarray, first: float
) -> tuple[float, str]:
    """The better of the two lower bounds of a stopped run and where it comes from
    (``nan`` if neither holds): the last round's (its flow's potentials) and the warm
    start's (its helper prices)."""
    last = lagrangian_bound(model, sol.x, lower)
    if np.isnan(first) or (not np.isnan(last) and last >= first):
        return last, "the last round's potentials"
    return first, "the warm start's helper prices"


def _within_gap(s: PairingSettings, objective: int, bound: float) -> bool:
    """The objective is within ``relative_gap`` of a lower bound (never when it is 0)."""
    return (
        s.relative_gap > 0
        and bound == bound
        and objective - bound <= s.relative_gap * abs(objective)
    )


def _budget_stop(s: PairingSettings, rounds: list[dict[str, Any]], bound: float) -> str | None:
    """Why the loop stops before its proof by a budget — the round budget used up, or the
    last objective within ``relative_gap`` of ``bound`` — or ``None`` to go on."""
    if s.max_rounds is not None and len(rounds) >= s.max_rounds:
        return f"round budget ({s.max_rounds} pricing rounds) before proof"
    if _within_gap(s, rounds[-1]["objective"], bound):
        return f"within relative_gap {s.relative_gap:g} of the bound before proof"
    return None


def _report(
    progress: ProgressCallback, s: PairingSettings, rounds: list[dict[str, Any]], used_s: float
) -> None:
    """Progress after a round: the largest of the shares of the round budget and of the
    time limit used up, and of the first round's violators settled (log scale)."""
    last, first = rounds[-1], rounds[0]
    least = min(r["violators"] for r in rounds)  # on a log scale: the tail is long
    settled = 1 - np.log1p(least) / max(np.log1p(first["violators"]), 1e-9)
    done = max(used_s / s.time_limit_s, float(settled))
    if s.max_rounds is not None:
        done = max(done, len(rounds) / s.max_rounds)
    progress(
        min(done, 1.0),
        f"pricing round {last['round']}: objective {last['objective']:,}, "
        f"{last['violators']:,} pairs still price out",
    )


def column_generation(
    p: _Problem, pricer: Pricer, *, t_start: float, progress: ProgressCallback = null_progress
) -> ExactResult:
    """Solve, price, add violators and re-solve until none is left (or the time limit)."""
    s = p.settings
    extra = p.change_of_new_arcs()
    deadline = t_start + s.time_limit_s
    rounds: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    price = functools.partial(
        pricer.price, extra=extra, skip=p.locked_need, prev=p.prev_h, per_need=s.price_per_need
    )
    start = pricer.coarse_potentials(p.cap_model, p.unmet_cost)
    warm = price(start.mu, p.unmet_cost, scores=True)
    n_warm = len(warm)
    first_bound = helper_price_bound(p.model(), start.mu, warm.lower)
    _extend(p, _new_arcs(p, warm), extra)
    del warm  # kept (narrowed) in the problem; this copy would stay for the whole proof
    keep = ~p.locked_need[start.need]
    _extend(p, _new_arcs(p, pricer.arcs_for(start.need[keep], start.helper[keep])), extra)
    raw, price_s = 0.0, time.perf_counter() - t0
    log.info("warm start: %d pairs by estimated potentials, %.2f s", n_warm, price_s)
    pruning = True  # until the first round that does not lower the objective
    since: Since | None = None  # the previous round's pricing (searched again only in part)
    while True:
        model = p.model()
        sol = solve_flow(model, big_m=p.require_all, potentials=True)
        raw += sol.seconds
        assert sol.need_potential is not None and sol.helper_potential is not None
        t0 = time.perf_counter()
        # exhaustive every round: a quick look at the nearest hubs only was measured
        # to need twice the rounds (it misses violators the proof then finds)
        priced = price(sol.helper_potential, sol.need_potential, since=since, inside=_model_keys(p))
        since = Since.after(sol.helper_potential, sol.need_potential, priced)
        new = priced  # never a pair of the model (``inside``)
        swaps = 0
        if len(new) and s.exchange_neighbours:
            exchanged = _exchanges(p, pricer, model, sol, extra)
            swaps, new = len(exchanged), _union(p, exchanged, new)
            del exchanged
        price_s += time.perf_counter() - t0
        rounds.append(
            {
                "round": len(rounds),
                "arcs": model.n_arcs,
                "objective": sol.objective,
                "violators": len(new),
                "exchanges": swaps,
                "pairs_priced": priced.pairs_checked,
                "solve_seconds": round(sol.seconds, 3),
            }
        )
        log.info("column generation round %d: %s", len(rounds) - 1, rounds[-1])
        _report(progress, s, rounds, time.perf_counter() - t_start)
        stop = _budget_stop(s, rounds, first_bound)
        if len(new) == 0 or time.perf_counter() > deadline or stop is not None:
            break
        pruning = pruning and (len(rounds) < 2 or sol.objective < rounds[-2]["objective"])
        if pruning:
            rounds[-1]["pruned"] = _prune(p, model, sol)
        _extend(p, new, extra)
        del model, sol, priced, new  # before the next model is built beside them
    proven, lower = len(new) == 0, priced.lower
    open_pairs = None if proven else _of_unmet(model, sol, priced)
    del priced, new, since  # a stopped run's violators are not kept: the bound needs ``lower``
    bound, bound_from = (
        (float(sol.objective), "the proof")
        if proven
        else _best_bound(model, sol, lower, first_bound)
    )
    status = sol.status if (proven or sol.status == "infeasible") else "feasible"
    proof = "no pair of negative reduced cost" if proven else stop or "time limit before proof"
    info = {
        **sol.extra,
        "optimal_over": OPTIMAL_OVER,
        "proof": proof,
        "bound_from": bound_from,
        "pricing_rounds": rounds,
        "solve_seconds_all_rounds": round(raw, 3),
        "pricing_seconds": round(price_s, 3),
    }
    sol = replace(sol, status=status, bound=bound, extra=info, solver="column generation + "
                  + sol.solver)  # fmt: skip
    return ExactResult(model, sol, rounds, open_pairs)
