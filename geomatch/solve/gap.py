"""The generalised assignment problem (GAP) by CP-SAT, and its standard file formats.

Formulation (agents ``i``, jobs ``j``; ``x_ij ∈ {0, 1}``)::

    minimise (or maximise)  Σ_ij c_ij x_ij
    subject to              Σ_i x_ij = 1          every job to exactly one agent
                            Σ_j a_ij x_ij ≤ b_i   agent capacity

This is the pairing model with per-pair loads (helpers = agents, needs = jobs) and no
unmet option; :mod:`geomatch.solve.pairing` reaches the same CP-SAT machinery for
``load_mode = "days"``. Here the benchmark instances are solved directly from their
matrices: OR-Library ``gap1``–``gap12`` / ``gapa``–``gapd`` (several problems per file)
and Yagiura's single-instance files (same layout without the leading count).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from geomatch.errors import InputError

__all__ = ["GapInstance", "GapResult", "greedy_gap", "read_gap_file", "solve_gap"]


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
    """CP-SAT's answer: ``agent[j]`` (−1 when none was found)."""

    agent: np.ndarray
    objective: int | None
    bound: float
    status: str  # optimal | feasible | infeasible | unknown
    seconds: float

    @property
    def gap(self) -> float | None:
        """Relative gap |objective − bound| / |objective| (0 when optimal)."""
        if self.objective is None:
            return None
        if self.status == "optimal":
            return 0.0
        return abs(self.objective - self.bound) / max(abs(self.objective), 1)


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


def solve_gap(
    inst: GapInstance,
    *,
    sense: Literal["min", "max"] = "min",
    time_limit_s: float = 5.0,
    num_workers: int = 2,
    seed: int = 0,
    hint: np.ndarray | None = None,
) -> GapResult:
    """Solve a GAP instance with CP-SAT.

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
        CP-SAT workers.
    hint
        An agent per job to start from (default: :func:`greedy_gap`).
    """
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    m, n = inst.m, inst.n
    if hint is None:
        hint = greedy_gap(inst, sense=sense, time_limit_s=min(1.0, 0.2 * time_limit_s))
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        model.add_exactly_one(x[i][j] for i in range(m))
    w = inst.weight.tolist()
    c = inst.cost.tolist()
    cap = inst.capacity.tolist()
    for i in range(m):
        model.add(sum(w[i][j] * x[i][j] for j in range(n)) <= cap[i])
    flat = [x[i][j] for i in range(m) for j in range(n)]
    coefs = [c[i][j] for i in range(m) for j in range(n)]
    obj = cp_model.LinearExpr.weighted_sum(flat, coefs)
    if sense == "min":
        model.minimize(obj)
    else:
        model.maximize(obj)
    if hint is not None:
        for j in range(n):
            for i in range(m):
                model.add_hint(x[i][j], int(hint[j]) == i)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_s - (time.perf_counter() - t0))
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    st = solver.solve(model)
    seconds = time.perf_counter() - t0
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        agent = np.full(n, -1, dtype=np.int64)
        for i in range(m):
            for j in range(n):
                if solver.boolean_value(x[i][j]):
                    agent[j] = i
        return GapResult(
            agent=agent,
            objective=round(solver.objective_value),
            bound=float(solver.best_objective_bound),
            status="optimal" if st == cp_model.OPTIMAL else "feasible",
            seconds=seconds,
        )
    return GapResult(
        agent=np.full(n, -1, dtype=np.int64),
        objective=None,
        bound=float("nan"),
        status="infeasible" if st == cp_model.INFEASIBLE else "unknown",
        seconds=seconds,
    )
