"""Quotas (奖补指标 / 推荐指标): ``N`` whole units shared in proportion to scores.

Every unit ``i`` has a score ``s_i ≥ 0``; the quotas ``a_i`` are integers with

(1) ``Σ a_i = N``,
(2) ``F ≤ a_i ≤ C`` (floor and cap),
(3) ``s_i > s_j ⇒ a_i ≥ a_j`` (monotone: a higher score never gets fewer).

Bounds are handled exactly, not by trimming afterwards.

**largest-remainder** (Hamilton) with bounds: first the *bounded proportional share*
``q_i = clamp(λ·s_i, F, C)`` with the unique ``λ`` for which ``Σ q_i = N`` (computed in
exact rational arithmetic: ``Σ clamp(λ s_i, F, C)`` is piecewise linear and
non-decreasing in ``λ``, so ``λ`` is found between two breakpoints ``F/s_i``, ``C/s_i``).
Units whose proportional share would pass the cap are thereby fixed at ``C`` and the
rest re-apportioned among the others, and likewise for the floor, in one step. Then
every unit gets ``⌊q_i⌋`` and the ``N - Σ⌊q_i⌋`` remaining units go to the largest
fractional parts (ties: higher score, then unit name). Because ``Σ frac(q_i)`` equals
the number of remaining units and each fraction is below 1, only units with
``q_i < C`` receive one, so (2) holds; the result minimises ``Σ (a_i − q_i)²`` over all
integer vectors meeting (1)–(2), its defining property.

**sainte-lague** (Webster) with bounds (Balinski–Young bounded divisor method): every
unit starts at ``F``; each further unit goes to the highest priority
``s_i / (2 a_i + 1)`` among units below ``C``. This equals
``a_i = clamp(round(s_i / d), F, C)`` for a common divisor ``d`` and minimises
``Σ a_i² / s_i`` subject to (1)–(2) (separable convex objective, greedy is optimal).

Units with score 0 get ``F`` unless the units with positive scores are all at ``C``;
only then are the remaining units shared equally among the zero-score units (the same
rule applied with equal weights). Infeasible bounds (``N < n·F`` or ``N > n·C``) raise
:class:`~geomatch.errors.InfeasibleError`.
"""

from __future__ import annotations

import heapq
import logging
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import pandas as pd

from geomatch.cycle.validate import ErrorList, read_checked_table
from geomatch.errors import InfeasibleError, InputError

__all__ = [
    "METHODS",
    "Method",
    "QuotaResult",
    "apportion",
    "bounded_shares",
    "quotas_frame",
    "read_scores",
]

log = logging.getLogger(__name__)

Method = Literal["largest-remainder", "sainte-lague"]
METHODS: tuple[Method, ...] = ("largest-remainder", "sainte-lague")


@dataclass(frozen=True)
class QuotaResult:
    """Quotas of one apportionment, in the order of the input units."""

    units: tuple[str, ...]
    scores: tuple[Fraction, ...]
    quotas: tuple[int, ...]
    #: the bounded proportional share ``q_i`` (what each unit would get if quotas
    #: could be fractions); explains the rounding.
    shares: tuple[Fraction, ...]
    method: Method
    total: int
    floor: int
    cap: int


def _check_bounds(n: int, total: int, floor: int, cap: int) -> None:
    if total < 0 or floor < 0:
        raise InputError(f"--total and --floor must be non-negative (got {total}, {floor})")
    if cap < floor:
        raise InfeasibleError(f"cap {cap} is below floor {floor}", constraint="floor ≤ cap")
    if total < n * floor:
        raise InfeasibleError(
            f"total {total} < {n} units × floor {floor} = {n * floor}: "
            "the floors alone need more than the total",
            constraint="floor",
        )
    if total > n * cap:
        raise InfeasibleError(
            f"total {total} > {n} units × cap {cap} = {n * cap}: the caps cannot absorb the total",
            constraint="cap",
        )


def _clamped_sum(lam: Fraction, weights: list[Fraction], floor: int, cap: int) -> Fraction:
    return sum((min(max(lam * w, Fraction(floor)), Fraction(cap)) for w in weights), Fraction(0))


def bounded_shares(weights: list[Fraction], total: int, floor: int, cap: int) -> list[Fraction]:
    """``clamp(λ·w_i, floor, cap)`` with ``Σ = total``, exactly; needs some ``w_i > 0``
    and ``n·floor ≤ total ≤ Σ_{w_i>0} cap + Σ_{w_i=0} floor``."""
    points = sorted(
        {Fraction(0)} | {Fraction(b) / w for w in weights if w > 0 for b in (floor, cap)}
    )
    target = Fraction(total)
    lo = points[0]
    for hi in points[1:]:
        if _clamped_sum(hi, weights, floor, cap) >= target:
            break
        lo = hi
    else:
        hi = lo
    # On [lo, hi] the sum is A + λ·B: units fixed at a bound give A, the others B.
    mid = (lo + hi) / 2
    fixed = Fraction(0)
    slope = Fraction(0)
    for w in weights:
        v = mid * w
        if v <= floor:
            fixed += floor
        elif v >= cap:
            fixed += cap
        else:
            slope += w
    lam = lo if slope == 0 else (target - fixed) / slope
    return [min(max(lam * w, Fraction(floor)), Fraction(cap)) for w in weights]


def _shares(scores: list[Fraction], total: int, floor: int, cap: int) -> list[Fraction]:
    """Two tiers: positive scores first; zero scores share only what the caps leave."""
    positive = [s for s in scores if s > 0]
    n_zero = len(scores) - len(positive)
    room = len(positive) * cap + n_zero * floor
    if positive and total <= room:
        return bounded_shares(scores, total, floor, cap)
    rest = total - len(positive) * cap
    zero = bounded_shares([Fraction(1)] * n_zero, rest, floor, cap)
    it = iter(zero)
    return [Fraction(cap) if s > 0 else next(it) for s in scores]


def _largest_remainder(
    units: list[str], scores: list[Fraction], shares: list[Fraction], total: int
) -> list[int]:
    base = [math.floor(q) for q in shares]
    left = total - sum(base)
    order = sorted(range(len(units)), key=lambda i: (-(shares[i] - base[i]), -scores[i], units[i]))
    for i in order[:left]:
        base[i] += 1
    return base


def _sainte_lague(
    units: list[str], scores: list[Fraction], total: int, floor: int, cap: int
) -> list[int]:
    seats = [floor] * len(units)
    tiered = any(s > 0 for s in scores)

    def key(i: int) -> tuple[int, Fraction, Fraction, str, int]:
        # zero-score units form a second tier with equal weights (see the module doc)
        first = scores[i] > 0 or not tiered
        w = scores[i] if first else Fraction(1)
        return (-int(first), -w / (2 * seats[i] + 1), -scores[i], units[i], i)

    heap = [key(i) for i in range(len(units)) if seats[i] < cap]
    heapq.heapify(heap)
    for _ in range(total - floor * len(units)):
        *_, i = heapq.heappop(heap)
        seats[i] += 1
        if seats[i] < cap:
            heapq.heappush(heap, key(i))
    return seats


def apportion(
    units: list[str],
    scores: list[Fraction],
    total: int,
    *,
    floor: int = 0,
    cap: int | None = None,
    method: Method = "largest-remainder",
) -> QuotaResult:
    """Integer quotas for ``units`` proportional to ``scores`` (see the module doc)."""
    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if not units:
        raise InputError("no units to share the total among")
    cap_ = total if cap is None else cap
    _check_bounds(len(units), total, floor, cap_)
    if all(s == 0 for s in scores):
        log.warning("every score is 0: the total is shared equally")
        shares = bounded_shares([Fraction(1)] * len(units), total, floor, cap_)
    else:
        shares = _shares(scores, total, floor, cap_)
    if method == "largest-remainder":
        quotas = _largest_remainder(units, scores, shares, total)
    else:
        quotas = _sainte_lague(units, scores, total, floor, cap_)
    return QuotaResult(
        units=tuple(units),
        scores=tuple(scores),
        quotas=tuple(quotas),
        shares=tuple(shares),
        method=method,
        total=total,
        floor=floor,
        cap=cap_,
    )


def read_scores(path: str | Path) -> tuple[list[str], list[Fraction]]:
    """Units and scores from a table with columns ``unit`` and ``score`` (e.g. the
    evaluation's ``unit_scores.csv``); every bad row is reported at once."""
    df = read_checked_table(path, ("unit", "score"))
    errors = ErrorList(path)
    units: list[str] = []
    scores: list[Fraction] = []
    for k, (unit, raw) in enumerate(zip(df["unit"], df["score"], strict=True), start=2):
        unit = str(unit).strip()
        if not unit or unit in units:
            errors.add(
                "empty unit" if not unit else f"unit {unit!r} appears twice", row=k, column="unit"
            )
        try:
            value = Fraction(str(raw).strip())
        except (ValueError, ZeroDivisionError):
            value = Fraction(-1)
        if value < 0:
            errors.add(f"score must be a number ≥ 0, got {raw!r}", row=k, column="score")
        units.append(unit)
        scores.append(value)
    errors.raise_if_any()
    return units, scores


def quotas_frame(result: QuotaResult) -> pd.DataFrame:
    """``unit, score, quota, share`` sorted by quota then score (highest first)."""
    df = pd.DataFrame(
        {
            "unit": list(result.units),
            "score": [float(s) for s in result.scores],
            "quota": list(result.quotas),
            "share": [round(float(q), 6) for q in result.shares],
        }
    )
    return df.sort_values(["quota", "score", "unit"], ascending=[False, False, True])
