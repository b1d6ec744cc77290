"""The generalised assignment problem (GAP): Lagrangian heuristic, LNS and CP-SAT.

Formulation (agents ``i``, jobs ``j``; ``x_ij ∈ {0, 1}``)::

    minimise (or maximise)  Σ_ij c_ij x_ij
    subject to              Σ_i x_ij = 1          every job to exactly one agent
                            Σ_j a_ij x_ij ≤ b_i   agent capacity

This search serves ``geomatch bench gap`` only; it is not part of the installed package.
The pairing (:mod:`geomatch.solve.pairing`) does not use it: a ``load_mode = "days"``
pairing is a small GAP with an unmet option that it hands to its own CP-SAT model
(:mod:`geomatch.solve.pairing_cpsat`). Here the benchmark instances are solved directly
from their matrices: OR-Library ``gap1``–``gap12`` / ``gapa``–``gapd`` (several problems per file)
and Yagiura's single-instance files (same layout without the leading count).

:func:`solve_gap` runs, within one wall-clock budget:

1. :func:`lagrangian_bound` — the capacity constraints relaxed with multipliers
   ``λ ≥ 0``, subgradient ascent; a lower bound (min) and prices for capacity;
2. :func:`lagrangian_heuristic` — each job to its cheapest agent under the priced costs
   ``c_ij + λ_i a_ij``, repaired to feasibility by a penalised shift/swap descent, then
   improved by the same descent on the true costs (:func:`local_search_gap`);
3. either CP-SAT on the whole model with that hint (small instances, where CP-SAT proves
   optimality), or :func:`lns_gap`: repeatedly free the jobs of a few related agents
   and re-optimise them exactly with CP-SAT (large instances).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from geomatch.errors import InputError

__all__ = [
    "GapInstance",
    "GapResult",
    "LagrangianBound",
    "greedy_gap",
    "lagrangian_bound",
    "lagrangian_heuristic",
    "lns_gap",
    "local_search_gap",
    "read_gap_file",
    "solve_gap",
]

log = logging.getLogger(__name__)

Sense = Literal["min", "max"]

#: Instances with at most this many agent × job pairs go to CP-SAT whole (after the
#: heuristic); larger ones to the CP-SAT large-neighbourhood search.
FULL_MODEL_MAX_PAIRS = 800
#: Up to this many pairs, the LNS shares the machine with CP-SAT on the whole model
#: (:func:`_portfolio`); above it the LNS has every worker.
PORTFOLIO_MAX_PAIRS = 5000

_EPS = 1e-7
_LNS_LIMIT = 0.1
_LNS_GROW = 0.3


@dataclass(frozen=True)
class GapInstance:
    """One GAP instance: ``cost`` and ``weight`` are ``m × n`` int arrays, ``capacity`` ``m``."""

    name: str
    cost: np.ndarray
    weight: np.ndarray
    capacity: np.ndarray

    @property
    def m(self) -> int:
        return int(self.cost.shape[0])

    @property
    def n(self) -> int:
        return int(self.cost.shape[1])


@dataclass(frozen=True)
class GapResult:
    """The answer: ``agent[j]`` (−1 when none was found).

    ``bound`` is the best proven bound in the instance's sense (a lower bound for
    ``min``, an upper bound for ``max``): the better of CP-SAT's and the Lagrangian one,
    which is also given alone as ``lagrangian_bound``.
    """

    agent: np.ndarray
    objective: int | None
    bound: float
    status: str  # optimal | feasible | infeasible | unknown
    seconds: float
    lagrangian_bound: float = field(default=float("nan"))

    @property
    def gap(self) -> float | None:
        """Relative gap |objective − bound| / |objective| (0 when optimal)."""
        if self.objective is None:
            return None
        if self.status == "optimal":
            return 0.0
        return abs(self.objective - self.bound) / max(abs(self.objective), 1)


@dataclass(frozen=True)
class LagrangianBound:
    """The capacity-relaxed Lagrangian dual at its best multipliers.

    ``bound`` is in the instance's sense (lower for ``min``, upper for ``max``);
    ``multipliers`` are ``λ_i ≥ 0`` per unit of capacity (for the minimisation form);
    ``agent`` is each job's cheapest agent under ``c_ij + λ_i a_ij`` at those
    multipliers (usually over capacity somewhere).
    """

    bound: float
    multipliers: np.ndarray
    agent: np.ndarray
    iterations: int


def _check(inst: GapInstance, sense: str) -> None:
    """Raise :class:`InputError` for inconsistent shapes or an unknown sense."""
    if sense not in ("min", "max"):
        raise InputError(f"GAP sense must be 'min' or 'max', not {sense!r}")
    m, n = inst.cost.shape if inst.cost.ndim == 2 else (0, 0)
    if m == 0 or n == 0:
        raise InputError(f"GAP instance {inst.name!r}: cost must be a non-empty m × n matrix")
    if inst.weight.shape != (m, n) or inst.capacity.shape != (m,):
        raise InputError(
            f"GAP instance {inst.name!r}: weight {inst.weight.shape} and capacity "
            f"{inst.capacity.shape} do not match cost ({m}, {n})"
        )
    if (inst.weight < 0).any():
        raise InputError(f"GAP instance {inst.name!r}: negative resource use")


def _min_form(inst: GapInstance, sense: Sense) -> tuple[np.ndarray, np.ndarray]:
    """Float costs to minimise (negated for ``max``) and the mask of pairs with ``a_ij ≤ b_i``."""
    c = inst.cost.astype(float)
    if sense == "max":
        c = -c
    return c, inst.weight <= inst.capacity[:, None]


def _objective(inst: GapInstance, agent: np.ndarray) -> int:
    return int(inst.cost[agent, np.arange(inst.n)].sum())


def _is_feasible(inst: GapInstance, agent: np.ndarray) -> bool:
    if (agent < 0).any():
        return False
    load = np.bincount(agent, weights=inst.weight[agent, np.arange(inst.n)], minlength=inst.m)
    return bool((load <= inst.capacity).all())


def read_gap_file(path: str | Path, *, single: bool | None = None) -> list[GapInstance]:
    """Read an OR-Library GAP file (``P`` then ``P`` problems) or a Yagiura file (one).

    Parameters
    ----------
    path
        The file; whitespace-separated integers, line breaks anywhere.
    single
        ``True`` for Yagiura's single-instance layout; ``None`` guesses from the token
        count.

    Raises
    ------
    InputError
        A token that is not an integer, or a token count that fits neither layout.
    """
    path = Path(path)
    text = path.read_text(encoding="ascii", errors="replace").split()
    try:
        tok = np.array([int(t) for t in text], dtype=np.int64)
    except ValueError as exc:
        raise InputError(f"not a GAP file: {exc}", file=path) from None

    def parse(start: int, name: str) -> tuple[GapInstance, int]:
        m, n = int(tok[start]), int(tok[start + 1])
        p = start + 2
        need = 2 * m * n + m
        if m <= 0 or n <= 0 or p + need > len(tok):
            raise InputError(f"truncated GAP data for {name} (m={m}, n={n})", file=path)
        c = tok[p : p + m * n].reshape(m, n)
        a = tok[p + m * n : p + 2 * m * n].reshape(m, n)
        b = tok[p + 2 * m * n : p + need]
        return GapInstance(name, c, a, b), p + need

    stem = path.stem
    if single is None:
        m, n = (int(tok[0]), int(tok[1])) if len(tok) > 1 else (0, 0)
        single = len(tok) == 2 + 2 * m * n + m
    if single:
        inst, _ = parse(0, stem)
        return [inst]
    count = int(tok[0])
    out: list[GapInstance] = []
    pos = 1
    for k in range(count):
        inst, pos = parse(pos, f"{stem}-{k + 1}")
        out.append(inst)
    return out


def greedy_gap(
    inst: GapInstance, *, sense: Literal["min", "max"] = "min", time_limit_s: float = 1.0
) -> np.ndarray | None:
    """A feasible assignment by regret greedy plus shift/swap descent (a CP-SAT hint).

    Martello–Toth style: repeatedly assign the job whose best and second-best feasible
    agents differ most (by cost, then by resource use relative to the agent's capacity),
    then move or swap jobs while that lowers the cost. Returns ``None`` when the greedy
    finds no feasible assignment.
    """
    t_end = time.perf_counter() + time_limit_s
    c = inst.cost.astype(float) * (1.0 if sense == "min" else -1.0)
    a = inst.weight.astype(float)
    b = inst.capacity.astype(float)
    best_agent: np.ndarray | None = None
    best_cost = np.inf
    for desir in (c, a / np.maximum(b, 1.0)[:, None], c * a):
        rem = b.copy()
        agent = np.full(inst.n, -1, dtype=np.int64)
        todo = np.arange(inst.n)
        ok = True
        while len(todo):
            feas = a[:, todo] <= rem[:, None]
            f = np.where(feas, desir[:, todo], np.inf)
            if not feas.any(axis=0).all():
                ok = False
                break
            srt = np.sort(f, axis=0)
            second = srt[1] if inst.m > 1 else np.full(len(todo), np.inf)
            regret = np.where(np.isinf(second), np.inf, second - srt[0])
            k = int(np.argmax(regret))
            j = int(todo[k])
            i = int(np.argmin(f[:, k]))
            agent[j] = i
            rem[i] -= a[i, j]
            todo = np.delete(todo, k)
        if not ok:
            continue
        total = float(c[agent, np.arange(inst.n)].sum())
        if total < best_cost:
            best_cost, best_agent = total, agent
    if best_agent is None:
        return None
    agent = best_agent
    cols = np.arange(inst.n)
    load = np.bincount(agent, weights=a[agent, cols], minlength=inst.m)
    improved = True
    while improved and time.perf_counter() < t_end:
        improved = False
        # shifts: job j to agent i when it fits and costs less
        for j in range(inst.n):
            i0 = agent[j]
            gain = c[i0, j] - c[:, j]
            fits = load + a[:, j] <= b
            fits[i0] = False
            cand = np.flatnonzero(fits & (gain > 0))
            if len(cand):
                i = int(cand[np.argmax(gain[cand])])
                load[i0] -= a[i0, j]
                load[i] += a[i, j]
                agent[j] = i
                improved = True
        if improved or time.perf_counter() >= t_end:
            continue
        # swaps: jobs j, k on different agents exchange them
        cur = c[agent, cols]
        for j in range(inst.n):
            i = agent[j]
            other = agent
            delta = (c[other, j] + c[i, cols]) - (cur[j] + cur)
            load_i = load[i] - a[i, j] + a[i, cols]
            load_o = load[other] - a[other, cols] + a[other, j]
            good = (other != i) & (delta < -1e-9) & (load_i <= b[i]) & (load_o <= b[other])
            if good.any():
                k = int(np.flatnonzero(good)[np.argmin(delta[good])])
                ik = agent[k]
                load[i] += a[i, k] - a[i, j]
                load[ik] += a[ik, j] - a[ik, k]
                agent[j], agent[k] = ik, i
                cur[j], cur[k] = c[ik, j], c[i, k]
                improved = True
            if time.perf_counter() >= t_end:
                break
    return agent


def lagrangian_bound(
    inst: GapInstance,
    *,
    sense: Sense = "min",
    upper: float | None = None,
    max_iterations: int = 400,
    time_limit_s: float = 1.0,
) -> LagrangianBound:
    """Bound the GAP by relaxing the capacities; subgradient ascent on the multipliers.

    For the minimisation form (``max`` negates the costs) and ``λ ≥ 0``::

        L(λ) = Σ_j min_{i: a_ij ≤ b_i} (c_ij + λ_i a_ij) − Σ_i λ_i b_i  ≤  optimum

    since the assignment constraints alone have integral vertices, ``max_λ L(λ)`` is the
    LP-relaxation bound (with ``x_ij = 0`` fixed where ``a_ij > b_i``). The subgradient
    at ``λ`` is ``g_i = Σ_j a_ij x_ij(λ) − b_i``; steps follow Polyak,
    ``λ ← max(0, λ + α (U − L(λ)) g / ‖g‖²)``, with ``U`` the value of a known feasible
    solution (``upper``) or an estimate 5 % above the best bound so far, and ``α``
    halved after 20 steps without improvement.

    Parameters
    ----------
    inst
        The instance.
    sense
        ``min`` or ``max``.
    upper
        The objective of a feasible solution, in the instance's sense (sharper steps).
    max_iterations, time_limit_s
        Stopping rules (also stops when ``α`` falls below ``1e-4``).

    Returns
    -------
    LagrangianBound
        The best bound in the instance's sense, with its multipliers.
    """
    _check(inst, sense)
    t_end = time.perf_counter() + time_limit_s
    c, allowed = _min_form(inst, sense)
    a = inst.weight.astype(float)
    b = inst.capacity.astype(float)
    m, n = c.shape
    cols = np.arange(n)
    sign = 1.0 if sense == "min" else -1.0
    lam = np.zeros(m)
    if not allowed.any(axis=0).all():  # a job fits no agent: no feasible solution
        return LagrangianBound(sign * math.inf, lam, np.full(n, -1, dtype=np.int64), 0)
    base = np.where(allowed, c, np.inf)
    target = None if upper is None else sign * float(upper)
    best = -math.inf
    best_lam = lam.copy()
    best_x = base.argmin(axis=0)
    alpha, stall, it = 2.0, 0, 0
    while it < max_iterations and alpha > 1e-4 and time.perf_counter() < t_end:
        it += 1
        red = base + lam[:, None] * a
        x = red.argmin(axis=0)
        val = float(red[x, cols].sum() - lam @ b)
        if it == 1 or val > best + 1e-9 * max(1.0, abs(best)):
            best, best_lam, best_x, stall = val, lam.copy(), x, 0
        else:
            stall += 1
            if stall >= 20:
                alpha, stall = alpha / 2, 0
        g = np.bincount(x, weights=a[x, cols], minlength=m) - b
        g[(lam <= 0) & (g < 0)] = 0.0
        norm = float(g @ g)
        if norm == 0.0:  # x(λ) feasible with complementary slackness: L(λ) is optimal
            break
        goal = target if target is not None and target > best else best + 0.05 * abs(best) + 1
        lam = np.maximum(0.0, lam + alpha * (goal - val) / norm * g)
    return LagrangianBound(sign * best, best_lam, best_x, it)


def _shift_pass(
    cost: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    allowed: np.ndarray,
    agent: np.ndarray,
    load: np.ndarray,
    penalty: float,
) -> int:
    """One round of improving shifts (job ``j`` from agent ``i`` to ``k``); in place.

    Every shift is priced at once as ``c_kj − c_ij + P (Δexcess_i + Δexcess_k)`` with
    ``excess = max(0, load − b)``; the best shift of each job is then applied in order
    of gain, each re-priced against the loads as they stand. Returns the moves made.
    """
    n = cost.shape[1]
    cols = np.arange(n)
    cur = cost[agent, cols]
    own = a[agent, cols]
    exc = np.maximum(load - b, 0.0)
    src = np.maximum(load[agent] - own - b[agent], 0.0) - exc[agent]
    dst = np.maximum(load[:, None] + a - b[:, None], 0.0) - exc[:, None]
    delta = cost - cur + penalty * (dst + src)
    delta[~allowed] = np.inf
    delta[agent, cols] = np.inf
    to = delta.argmin(axis=0)
    d = delta[to, cols]
    cand = np.flatnonzero(d < -_EPS)
    moved = 0
    for j in cand[np.argsort(d[cand], kind="stable")].tolist():
        i, k = int(agent[j]), int(to[j])
        aij, akj = a[i, j], a[k, j]
        dd = (
            cost[k, j]
            - cost[i, j]
            + penalty
            * (
                max(load[k] + akj - b[k], 0.0)
                - max(load[k] - b[k], 0.0)
                + max(load[i] - aij - b[i], 0.0)
                - max(load[i] - b[i], 0.0)
            )
        )
        if dd < -_EPS:
            load[i] -= aij
            load[k] += akj
            agent[j] = k
            moved += 1
    return moved


def _swap_pass(
    cost: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    allowed: np.ndarray,
    agent: np.ndarray,
    load: np.ndarray,
    penalty: float,
) -> int:
    """One round of improving swaps (jobs ``j``, ``l`` exchange agents); in place.

    All ``n²`` pairs are priced in row blocks (``c_hj + c_il − c_ij − c_hl`` plus the
    penalised change in excess of both agents); each job's best partner is then
    applied in order of gain, re-priced against the current loads.
    """
    n = cost.shape[1]
    cols = np.arange(n)
    cur = cost[agent, cols]
    own = a[agent, cols]
    exc = np.maximum(load - b, 0.0)
    block = max(1, 200_000 // n)
    found: list[tuple[float, int, int]] = []
    for s in range(0, n, block):
        jj = cols[s : s + block]
        ia = agent[jj][:, None]
        ha = agent[None, :]
        rows = jj[:, None]
        a_hj = a[ha, rows]
        a_il = a[ia, cols[None, :]]
        li_all = load[ia] - own[rows] + a_il
        lh_all = load[ha] - own[None, :] + a_hj
        dexc = np.maximum(li_all - b[ia], 0.0) + np.maximum(lh_all - b[ha], 0.0) - exc[ia] - exc[ha]
        delta = cost[ha, rows] + cost[ia, cols[None, :]] - cur[rows] - cur[None, :]
        delta += penalty * dexc
        ok = (ha != ia) & allowed[ha, rows] & allowed[ia, cols[None, :]]
        delta = np.where(ok, delta, np.inf)
        best = delta.argmin(axis=1)
        d = delta[np.arange(len(jj)), best]
        for r in np.flatnonzero(d < -_EPS).tolist():
            found.append((float(d[r]), int(jj[r]), int(best[r])))
    found.sort()
    moved = 0
    for _, j, p in found:
        i, h = int(agent[j]), int(agent[p])
        if i == h or not (allowed[h, j] and allowed[i, p]):
            continue
        li = load[i] - a[i, j] + a[i, p]
        lh = load[h] - a[h, p] + a[h, j]
        dd = (
            cost[h, j]
            + cost[i, p]
            - cost[i, j]
            - cost[h, p]
            + penalty
            * (
                max(li - b[i], 0.0)
                + max(lh - b[h], 0.0)
                - max(load[i] - b[i], 0.0)
                - max(load[h] - b[h], 0.0)
            )
        )
        if dd < -_EPS:
            load[i], load[h] = li, lh
            agent[j], agent[p] = h, i
            moved += 1
    return moved


def _penalty(cost: np.ndarray, allowed: np.ndarray) -> float:
    """A price per unit of excess above any cost a single shift or swap can gain."""
    vals = cost[allowed]
    return 2.0 * float(vals.max() - vals.min()) + 1.0


def _descent(
    cost: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    allowed: np.ndarray,
    agent: np.ndarray,
    t_end: float,
    *,
    swaps: bool = True,
) -> np.ndarray:
    """Shift, then swap, descent on ``Σ c + P · Σ excess`` until no move improves."""
    agent = agent.copy()
    cols = np.arange(cost.shape[1])
    load = np.bincount(agent, weights=a[agent, cols], minlength=cost.shape[0])
    penalty = _penalty(cost, allowed)
    while time.perf_counter() < t_end:
        if _shift_pass(cost, a, b, allowed, agent, load, penalty):
            continue
        if not swaps or not _swap_pass(cost, a, b, allowed, agent, load, penalty):
            break
    return agent


def local_search_gap(
    inst: GapInstance,
    agent: np.ndarray,
    *,
    sense: Sense = "min",
    time_limit_s: float = 1.0,
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """Shift/swap descent from ``agent``, minimising total capacity excess, then cost.

    The objective is ``Σ_j c_{agent(j) j} + P Σ_i max(0, load_i − b_i)`` with ``P``
    larger than any cost change of one move, so a move never buys cost with excess:
    from an infeasible start it is a repair, from a feasible one a cost descent that
    stays feasible. Moves: shift one job to another agent; swap the agents of two jobs.
    Each round prices all ``m n`` shifts (or ``n²`` swaps) with numpy and applies the
    improving ones best first.

    Parameters
    ----------
    cost
        Costs to minimise instead of the instance's (e.g. Lagrangian costs
        ``c_ij + λ_i a_ij`` during repair); default the instance's in ``sense``.

    Returns
    -------
    numpy.ndarray
        The agent of each job (feasible only if the descent removed all excess).
    """
    _check(inst, sense)
    c, allowed = _min_form(inst, sense)
    if cost is not None:
        c = np.asarray(cost, dtype=float)
    return _descent(
        c,
        inst.weight.astype(float),
        inst.capacity.astype(float),
        allowed,
        np.asarray(agent, dtype=np.int64),
        time.perf_counter() + time_limit_s,
    )


def lagrangian_heuristic(
    inst: GapInstance,
    *,
    sense: Sense = "min",
    time_limit_s: float = 1.0,
    upper: float | None = None,
) -> tuple[np.ndarray | None, LagrangianBound]:
    """A feasible assignment from the Lagrangian prices, and the Lagrangian bound.

    1. :func:`lagrangian_bound` (about 40 % of the time) gives multipliers ``λ``;
    2. for a few scalings ``s`` of ``λ`` (larger ``s`` pushes jobs to agents where they
       weigh less): each job to its cheapest agent under ``c_ij + s λ_i a_ij``, then
       :func:`local_search_gap` on those priced costs (repair: excess first), then on
       the true costs;
    3. the best feasible result (also against :func:`greedy_gap` on small instances).

    Returns
    -------
    tuple
        ``(agent or None, LagrangianBound)``; ``None`` when no start was repaired.
    """
    _check(inst, sense)
    t0 = time.perf_counter()
    t_end = t0 + time_limit_s
    lb = lagrangian_bound(inst, sense=sense, upper=upper, time_limit_s=0.4 * time_limit_s)
    c, allowed = _min_form(inst, sense)
    if not allowed.any(axis=0).all():
        return None, lb
    a = inst.weight.astype(float)
    b = inst.capacity.astype(float)
    base = np.where(allowed, c, np.inf)
    best: np.ndarray | None = None
    best_val = math.inf
    scales = (1.0, 1.5, 1.1, 2.0, 1.25, 3.0)
    for k, s in enumerate(scales):
        now = time.perf_counter()
        if now >= t_end:
            break
        share = (t_end - now) / (len(scales) - k)
        priced = base + s * lb.multipliers[:, None] * a
        start = priced.argmin(axis=0)
        priced = np.where(allowed, priced, 0.0)
        x = _descent(priced, a, b, allowed, start, now + 0.5 * share)
        x = _descent(c, a, b, allowed, x, now + share)
        if _is_feasible(inst, x):
            val = float(c[x, np.arange(inst.n)].sum())
            if val < best_val - _EPS:
                best, best_val = x, val
    if inst.m * inst.n <= 5000 and time.perf_counter() < t_end:
        g = greedy_gap(inst, sense=sense, time_limit_s=max(0.01, t_end - time.perf_counter()))
        if g is not None:
            val = float(c[g, np.arange(inst.n)].sum())
            if val < best_val - _EPS:
                best, best_val = g, val
    log.debug(
        "%s: Lagrangian bound %.1f (%d steps), heuristic %s in %.2fs",
        inst.name,
        lb.bound,
        lb.iterations,
        None if best is None else _objective(inst, best),
        time.perf_counter() - t0,
    )
    return best, lb


def _solve_subproblem(
    cost: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    agents: list[int],
    jobs: list[int],
    hint: dict[int, int],
    penalty: int,
    time_limit_s: float,
    seed: int,
    deadline: float,
) -> tuple[dict[int, int], int, bool] | None:
    """Re-assign ``jobs`` among ``agents`` exactly (CP-SAT, one worker).

    ``jobs`` are all the jobs of ``agents``, so each agent's whole capacity ``b_i`` is
    free for them. Minimises ``Σ c_ij x_ij + P Σ_i e_i`` subject to one agent per job
    and ``Σ_j a_ij x_ij ≤ b_i + e_i``; the excess ``e_i ≥ 0`` exists only when
    ``penalty`` is non-zero (an infeasible start). CP-SAT stops at ``time_limit_s`` or
    at the absolute ``deadline`` (``time.perf_counter``), whichever comes first.

    Returns ``(job → agent, objective, proved optimal)``, or ``None`` when CP-SAT found
    nothing in time.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    per_agent: dict[int, tuple[list[cp_model.IntVar], list[int]]] = {i: ([], []) for i in agents}
    obj_vars: list[cp_model.IntVar] = []
    obj_coefs: list[int] = []
    choice: list[tuple[int, int, cp_model.IntVar]] = []
    for j in jobs:
        vs = []
        for i in agents:
            if a[i, j] > b[i]:
                continue
            v = model.new_bool_var("")
            vs.append(v)
            per_agent[i][0].append(v)
            per_agent[i][1].append(int(a[i, j]))
            obj_vars.append(v)
            obj_coefs.append(int(cost[i, j]))
            choice.append((j, i, v))
            model.add_hint(v, hint[j] == i)
        model.add_exactly_one(vs)
    for i in agents:
        vs, ws = per_agent[i]
        if not vs:
            continue
        expr = cp_model.LinearExpr.weighted_sum(vs, ws)
        if penalty:
            e = model.new_int_var(0, max(0, sum(ws) - max(int(b[i]), 0)), "")
            model.add(expr <= int(b[i]) + e)
            obj_vars.append(e)
            obj_coefs.append(penalty)
        else:
            model.add(expr <= int(b[i]))
    model.minimize(cp_model.LinearExpr.weighted_sum(obj_vars, obj_coefs))
    solver = cp_model.CpSolver()
    left = deadline - time.perf_counter()  # the model was built since the call
    solver.parameters.max_time_in_seconds = max(0.001, min(time_limit_s, left))
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    st = solver.solve(model)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out = {j: i for j, i, v in choice if solver.boolean_value(v)}
    return out, round(solver.objective_value), st == cp_model.OPTIMAL


def _related_agents(
    rng: np.random.Generator,
    k: int,
    agent: np.ndarray,
    near: np.ndarray,
    regret: np.ndarray,
    busy: set[int],
    m: int,
) -> list[int]:
    """Up to ``k`` agents, none in ``busy``, related through their jobs.

    The first pair comes, with probability 0.7, from an *unhappy* job (drawn with
    probability proportional to its priced regret, how much dearer its agent is than
    its cheapest one under ``c_ij + λ_i a_ij``): its agent and its cheapest agent.
    Otherwise the first agent is uniform. Each further agent is, with probability
    0.85, one of the cheapest agents (``near``) of a random job of a chosen agent,
    else uniform.
    """
    free = [i for i in range(m) if i not in busy]
    if len(free) < 2:
        return []
    chosen: list[int] = []
    total = float(regret.sum())
    if total > 0 and rng.random() < 0.7:
        j = int(rng.choice(len(regret), p=regret / total))
        for i in (int(agent[j]), int(near[0, j]) if near[0, j] != agent[j] else int(near[1, j])):
            if i not in busy and i not in chosen:
                chosen.append(i)
    if not chosen:
        chosen.append(free[int(rng.integers(len(free)))])
    tries = 0
    while len(chosen) < k and tries < 10 * k:
        tries += 1
        if rng.random() < 0.15:
            cand = free[int(rng.integers(len(free)))]
        else:
            src = chosen[int(rng.integers(len(chosen)))]
            jobs_src = np.flatnonzero(agent == src)
            if len(jobs_src) == 0:
                cand = free[int(rng.integers(len(free)))]
            else:
                j = int(jobs_src[rng.integers(len(jobs_src))])
                cand = int(near[int(rng.integers(near.shape[0])), j])
        if cand not in chosen and cand not in busy:
            chosen.append(cand)
    return chosen


def lns_gap(
    inst: GapInstance,
    agent: np.ndarray,
    *,
    sense: Sense = "min",
    time_limit_s: float = 4.0,
    seed: int = 0,
    bound: float | None = None,
    multipliers: np.ndarray | None = None,
    num_workers: int = 1,
    stop: threading.Event | None = None,
) -> np.ndarray:
    """Improve an assignment by large-neighbourhood search over CP-SAT subproblems.

    Each step frees every job of a few *related* agents (:func:`_related_agents`) and
    re-assigns those jobs among the same agents optimally (:func:`_solve_subproblem`,
    the other jobs fixed), accepting the result when it is no worse. The subproblem
    size (free agent × job pairs) adapts: it grows while CP-SAT proves its subproblems
    optimal within a third of their time limit, and shrinks otherwise. While the start
    is over capacity the subproblems pay ``P`` per unit of excess, so the search also
    repairs. It stops at the time limit, at ``bound``, or when a subproblem over all
    agents is solved to optimality. ``num_workers`` subproblems on disjoint agents are
    solved at once in threads (CP-SAT releases the GIL while it solves); their results
    never conflict.

    Parameters
    ----------
    agent
        The start (an agent per job; may be infeasible).
    bound
        A proven bound in the instance's sense; the search stops when it is reached.
    multipliers
        Lagrangian ``λ`` (from :func:`lagrangian_bound`) that price capacity in the
        choice of agents; zero when absent.
    num_workers
        Subproblems in flight. With one the search is repeatable for a given number of
        steps; with more, the order in which results arrive depends on timing.
    stop
        Set by another thread to end the search early.

    Returns
    -------
    numpy.ndarray
        The best assignment found (the start when nothing improved it).
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    _check(inst, sense)
    t_end = time.perf_counter() + time_limit_s
    m, n = inst.m, inst.n
    cost = inst.cost.astype(np.int64) * (1 if sense == "min" else -1)
    a = inst.weight.astype(np.int64)
    b = inst.capacity.astype(np.int64)
    allowed = a <= b[:, None]
    agent = np.asarray(agent, dtype=np.int64).copy()
    cols = np.arange(n)
    if m < 2:
        return agent
    lam = np.zeros(m) if multipliers is None else np.asarray(multipliers, dtype=float)
    priced = np.where(allowed, cost + lam[:, None] * a, np.inf)
    near = np.argsort(priced, axis=0)[: min(4, m)]  # each job's cheapest agents
    cheapest = priced[near[0], cols]
    rng = np.random.default_rng(seed)
    load = np.bincount(agent, weights=a[agent, cols], minlength=m).astype(np.int64)
    penalty = int(2 * (cost.max() - cost.min()) + 1)
    goal = None
    if bound is not None and math.isfinite(bound):
        goal = math.ceil(bound - 1e-6) if sense == "min" else -math.floor(bound + 1e-6)
    total = int(cost[agent, cols].sum())
    size = 300.0  # free agent × job pairs per subproblem
    steps = improved = 0
    busy: set[int] = set()
    exact = False  # a subproblem over all agents was solved to optimality
    flight: dict[
        Future[tuple[dict[int, int], int, bool] | None], tuple[list[int], int, float, float]
    ] = {}
    workers = max(1, num_workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while True:
            halt = exact or (goal is not None and total <= goal and bool((load <= b).all()))
            halt = halt or (stop is not None and stop.is_set())
            while not halt and len(flight) < workers:
                left = t_end - time.perf_counter()
                if left < 0.01:
                    break
                k = int(min(m, max(2, round(math.sqrt(size * m / n)))))
                regret = priced[agent, cols] - cheapest
                chosen = _related_agents(rng, k, agent, near, regret, busy, m)
                jobs = np.flatnonzero(np.isin(agent, chosen)).tolist()
                if len(chosen) < 2 or not jobs:
                    break
                feasible = bool((load <= b).all())
                before = int(cost[agent[jobs], jobs].sum())
                if not feasible:
                    before += penalty * sum(max(0, int(load[i] - b[i])) for i in chosen)
                limit = min(left, _LNS_LIMIT)
                fut = pool.submit(
                    _solve_subproblem,
                    cost,
                    a,
                    b,
                    chosen,
                    jobs,
                    {j: int(agent[j]) for j in jobs},
                    0 if feasible else penalty,
                    limit,
                    seed + steps,
                    t_end,
                )
                steps += 1
                flight[fut] = (chosen, before, limit, time.perf_counter())
                busy.update(chosen)
            if not flight:
                break
            finished, _ = wait(list(flight), return_when=FIRST_COMPLETED)
            for fut in finished:
                chosen, before, limit, t_sub = flight.pop(fut)
                busy.difference_update(chosen)
                took = time.perf_counter() - t_sub
                res = fut.result()
                if res is None:
                    size = max(60.0, size * 0.8)
                    continue
                assign, value, proved = res
                if proved and took < _LNS_GROW * limit:
                    size = min(4000.0, size * 1.1)
                elif not proved:
                    size = max(60.0, size * 0.85)
                if value <= before:
                    exact = exact or (proved and len(chosen) == m)
                    improved += value < before
                    for j, i in assign.items():
                        agent[j] = i
                    load = np.bincount(agent, weights=a[agent, cols], minlength=m).astype(np.int64)
                    total = int(cost[agent, cols].sum())
    log.debug(
        "%s: LNS %d subproblems, %d improving, objective %d, last size %.0f",
        inst.name,
        steps,
        improved,
        total if sense == "min" else -total,
        size,
    )
    return agent


def _solve_full(
    inst: GapInstance,
    sense: Sense,
    hint: np.ndarray | None,
    time_limit_s: float,
    num_workers: int,
    seed: int,
    started: list[object] | None = None,
    deadline: float | None = None,
) -> tuple[np.ndarray | None, float, str]:
    """CP-SAT on the whole model (pairs with ``a_ij > b_i`` left out), ``hint`` as start.

    ``started`` receives the solver before it starts (so another thread can call its
    ``stop_search``); CP-SAT stops at ``time_limit_s`` or at the absolute ``deadline``
    (``time.perf_counter``), whichever comes first.

    Returns ``(agent or None, CP-SAT's bound, status)``.
    """
    from ortools.sat.python import cp_model

    m, n = inst.m, inst.n
    w = inst.weight.tolist()
    c = inst.cost.tolist()
    cap = inst.capacity.tolist()
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for j in range(n):
        vs = []
        for i in range(m):
            if w[i][j] <= cap[i]:
                x[i, j] = v = model.new_bool_var(f"x{i}_{j}")
                vs.append(v)
                if hint is not None:
                    model.add_hint(v, int(hint[j]) == i)
        model.add_exactly_one(vs)
    for i in range(m):
        keys = [(i, j) for j in range(n) if (i, j) in x]
        model.add(
            cp_model.LinearExpr.weighted_sum([x[k] for k in keys], [w[i][j] for _, j in keys])
            <= cap[i]
        )
    obj = cp_model.LinearExpr.weighted_sum(list(x.values()), [c[i][j] for i, j in x])
    if sense == "min":
        model.minimize(obj)
    else:
        model.maximize(obj)
    solver = cp_model.CpSolver()
    if deadline is not None:  # building the model took some of the time
        time_limit_s = min(time_limit_s, deadline - time.perf_counter())
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    if started is not None:
        started.append(solver)
    st = solver.solve(model)
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        agent = np.full(n, -1, dtype=np.int64)
        for (i, j), v in x.items():
            if solver.boolean_value(v):
                agent[j] = i
        status = "optimal" if st == cp_model.OPTIMAL else "feasible"
        return agent, float(solver.best_objective_bound), status
    status = "infeasible" if st == cp_model.INFEASIBLE else "unknown"
    return None, float("nan"), status


def _portfolio(
    inst: GapInstance,
    sense: Sense,
    start: np.ndarray,
    lb: LagrangianBound,
    time_limit_s: float,
    num_workers: int,
    seed: int,
) -> tuple[np.ndarray, float, str]:
    """CP-SAT on the whole model (``num_workers − 1`` workers) beside a one-worker LNS.

    Both start from ``start``; CP-SAT runs in a thread, the LNS here. Whichever ends
    first stops the other (CP-SAT by a proof or its limit; the LNS at the bound or on
    an exact all-agent subproblem). The better assignment is returned with CP-SAT's
    bound; the status is CP-SAT's when its answer is kept, else ``feasible``.
    """
    from concurrent.futures import ThreadPoolExecutor

    stop = threading.Event()
    started: list[object] = []
    sign = 1 if sense == "min" else -1
    deadline = time.perf_counter() + time_limit_s
    with ThreadPoolExecutor(max_workers=1) as pool:
        fut = pool.submit(
            _solve_full,
            inst,
            sense,
            start,
            time_limit_s,
            max(1, num_workers - 1),
            seed,
            started,
            deadline,
        )
        fut.add_done_callback(lambda _: stop.set())
        agent = lns_gap(
            inst,
            start,
            sense=sense,
            time_limit_s=time_limit_s,
            seed=seed,
            bound=lb.bound,
            multipliers=lb.multipliers,
            stop=stop,
        )
        while not fut.done():  # stop_search is a no-op until CP-SAT's solve has begun
            for solver in started:
                solver.stop_search()  # type: ignore[attr-defined]
            time.sleep(0.01)
        cp_agent, cp_bound, status = fut.result()
    if cp_agent is not None and sign * _objective(inst, cp_agent) <= sign * _objective(inst, agent):
        return cp_agent, cp_bound, status
    return agent, cp_bound, "feasible"


def solve_gap(
    inst: GapInstance,
    *,
    sense: Sense = "min",
    time_limit_s: float = 5.0,
    num_workers: int = 2,
    seed: int = 0,
    hint: np.ndarray | None = None,
) -> GapResult:
    """Solve a GAP instance within ``time_limit_s`` seconds of wall clock, all phases included.

    The clock starts on entry and every phase is given what is left of the budget
    (CP-SAT and the LNS subproblems get time limits that end before the deadline; the
    overrun is model-building and thread shutdown, a few tens of milliseconds).

    1. :func:`lagrangian_heuristic`: 10 % of the budget on instances of at most
       :data:`FULL_MODEL_MAX_PAIRS` agent × job pairs, 25 % on larger ones (it usually
       returns sooner).
    2. Up to :data:`FULL_MODEL_MAX_PAIRS` pairs: CP-SAT (``num_workers``) on the whole
       model with the best assignment as hint, for the rest of the time.
    3. Up to :data:`PORTFOLIO_MAX_PAIRS`: :func:`_portfolio`, whole-model CP-SAT with
       ``num_workers − 1`` workers beside a one-worker :func:`lns_gap`.
    4. Larger: :func:`lns_gap` with ``num_workers`` subproblems in flight.

    If the heuristic found nothing feasible, a penalised LNS repairs first (half the
    remaining time); failing that, whole-model CP-SAT decides. The answer is proved
    optimal when CP-SAT says so or when its objective meets the Lagrangian bound.

    Parameters
    ----------
    inst
        The instance.
    sense
        ``min`` (Yagiura, A–E, and the common reading of gap1–12) or ``max``
        (OR-Library's own sense of gap1–12).
    time_limit_s
        Wall-clock limit, seconds.
    num_workers
        CP-SAT workers for the whole-model solve (the LNS subproblems use one).
    seed
        Seeds the LNS and CP-SAT; with a generous limit the answer is repeatable, under
        a tight one it depends on how far each phase got.
    hint
        An agent per job to start from, used when it beats the heuristic.

    Raises
    ------
    InputError
        Inconsistent shapes, negative resource use, or an unknown sense.
    """
    _check(inst, sense)
    t0 = time.perf_counter()
    deadline = t0 + time_limit_s
    m, n = inst.m, inst.n
    sign = 1 if sense == "min" else -1
    allowed = inst.weight <= inst.capacity[:, None]

    def left() -> float:
        return deadline - time.perf_counter()

    def done(
        agent: np.ndarray | None, status: str, bound: float, lag: float = float("nan")
    ) -> GapResult:
        if agent is None:
            return GapResult(
                np.full(n, -1, dtype=np.int64),
                None,
                bound,
                status,
                time.perf_counter() - t0,
                lag,
            )
        obj = _objective(inst, agent)
        if status != "optimal" and math.isfinite(bound):
            tight = math.ceil(bound - 1e-6) if sense == "min" else math.floor(bound + 1e-6)
            if obj == tight:
                status = "optimal"
        return GapResult(agent, obj, bound, status, time.perf_counter() - t0, lag)

    if not allowed.any(axis=0).all():
        log.info("%s: a job fits no agent's capacity: infeasible", inst.name)
        return done(None, "infeasible", float("nan"))

    small = m * n <= FULL_MODEL_MAX_PAIRS
    upper = None
    if hint is not None and _is_feasible(inst, hint):
        upper = float(_objective(inst, hint))
    best, lb = lagrangian_heuristic(
        inst, sense=sense, time_limit_s=(0.1 if small else 0.25) * time_limit_s, upper=upper
    )
    lag = lb.bound
    if hint is not None and _is_feasible(inst, hint):
        h = np.asarray(hint, dtype=np.int64)
        if best is None or sign * _objective(inst, h) < sign * _objective(inst, best):
            best = h
    bound = lag

    def better(cp_bound: float) -> float:
        if not math.isfinite(cp_bound):
            return lag
        return max(lag, cp_bound) if sense == "min" else min(lag, cp_bound)

    if best is not None and math.isfinite(lag):
        tight = math.ceil(lag - 1e-6) if sense == "min" else math.floor(lag + 1e-6)
        if _objective(inst, best) == tight:
            return done(best, "optimal", bound, lag)
    if best is None and not small:  # repair the Lagrangian assignment by penalised LNS
        start = lns_gap(
            inst,
            lb.agent,
            sense=sense,
            time_limit_s=0.5 * left(),
            seed=seed,
            multipliers=lb.multipliers,
            num_workers=num_workers,
        )
        best = start if _is_feasible(inst, start) else None
    if best is not None and not small:
        if m * n > PORTFOLIO_MAX_PAIRS or num_workers < 2:
            best = lns_gap(
                inst,
                best,
                sense=sense,
                time_limit_s=max(0.0, left() - 0.05),
                seed=seed,
                bound=lag,
                multipliers=lb.multipliers,
                num_workers=num_workers,
            )
            return done(best, "feasible", bound, lag)
        won, cp_bound, status = _portfolio(
            inst, sense, best, lb, max(0.05, left() - 0.05), num_workers, seed
        )
        return done(won, status, better(cp_bound), lag)
    cp_agent, cp_bound, status = _solve_full(
        inst, sense, best, max(0.05, left() - 0.02), num_workers, seed, deadline=deadline - 0.02
    )
    bound = better(cp_bound)
    if cp_agent is None:
        if best is not None:
            return done(best, "feasible", bound, lag)
        return done(None, status, bound, lag)
    if best is not None and sign * _objective(inst, best) < sign * _objective(inst, cp_agent):
        return done(best, "feasible", bound, lag)
    return done(cp_agent, status, bound, lag)
