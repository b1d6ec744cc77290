"""Quotas against brute force: sum, bounds, monotonicity and each method's defining
property (Hamilton: nearest to the bounded proportional share; Sainte-Laguë: least
Σ a²/s), on small random cases."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from geomatch.cycle.quotas import apportion
from geomatch.errors import InfeasibleError


def _vectors(n: int, total: int, floor: int, cap: int) -> list[tuple[int, ...]]:
    return [v for v in itertools.product(range(floor, cap + 1), repeat=n) if sum(v) == total]


def _share_by_bisection(scores: list[float], total: int, floor: int, cap: int) -> list[float]:
    """The bounded proportional share clamp(λ s, F, C), λ by float bisection (independent
    of the exact breakpoint search in the module)."""

    def total_at(lam: float) -> float:
        return sum(min(max(lam * s, floor), cap) for s in scores)

    lo, hi = 0.0, 1.0
    while total_at(hi) < total:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if total_at(mid) < total else (lo, mid)
    return [min(max(hi * s, floor), cap) for s in scores]


def _case(rng: random.Random) -> tuple[list[str], list[int], int, int, int]:
    n = rng.randint(1, 5)
    floor = rng.randint(0, 2)
    cap = rng.randint(max(floor, 1), floor + 5)
    total = rng.randint(n * floor, n * cap)
    scores = [rng.randint(1, 30) for _ in range(n)]
    return [f"u{i}" for i in range(n)], scores, total, floor, cap


def _check_common(
    units: list[str], scores: list[int], quotas: tuple[int, ...], total: int, floor: int, cap: int
) -> None:
    assert sum(quotas) == total
    assert all(floor <= q <= cap for q in quotas)
    for i, j in itertools.permutations(range(len(units)), 2):
        if scores[i] > scores[j]:
            assert quotas[i] >= quotas[j], (scores, quotas)


@pytest.mark.parametrize("seed", range(300))
def test_largest_remainder_is_nearest_to_bounded_share(seed: int) -> None:
    rng = random.Random(seed)
    units, scores, total, floor, cap = _case(rng)
    res = apportion(units, [Fraction(s) for s in scores], total, floor=floor, cap=cap)
    _check_common(units, scores, res.quotas, total, floor, cap)
    q = _share_by_bisection([float(s) for s in scores], total, floor, cap)
    assert [float(x) for x in res.shares] == pytest.approx(q, abs=1e-9)
    best = min(
        sum((a - b) ** 2 for a, b in zip(v, q, strict=True))
        for v in _vectors(len(units), total, floor, cap)
    )
    ours = sum((a - b) ** 2 for a, b in zip(res.quotas, q, strict=True))
    assert ours == pytest.approx(best, abs=1e-9)
    assert all(abs(a - b) < 1 for a, b in zip(res.quotas, q, strict=True))


@pytest.mark.parametrize("seed", range(300))
def test_sainte_lague_minimises_webster_objective(seed: int) -> None:
    rng = random.Random(seed)
    units, scores, total, floor, cap = _case(rng)
    res = apportion(
        units, [Fraction(s) for s in scores], total, floor=floor, cap=cap, method="sainte-lague"
    )
    _check_common(units, scores, res.quotas, total, floor, cap)
    best = min(
        sum(Fraction(a * a, s) for a, s in zip(v, scores, strict=True))
        for v in _vectors(len(units), total, floor, cap)
    )
    assert sum(Fraction(a * a, s) for a, s in zip(res.quotas, scores, strict=True)) == best


@pytest.mark.parametrize("seed", range(100))
def test_unbounded_sainte_lague_is_a_divisor_rounding(seed: int) -> None:
    """Without bounds there is a divisor d with a_i = round(s_i / d) for all i."""
    rng = random.Random(seed)
    scores = [rng.randint(1, 1000) for _ in range(rng.randint(2, 8))]
    total = rng.randint(1, 40)
    res = apportion(
        [f"u{i}" for i in range(len(scores))],
        [Fraction(x) for x in scores],
        total,
        method="sainte-lague",
    )
    low = max(Fraction(2 * a - 1, 2 * s) for a, s in zip(res.quotas, scores, strict=True))
    high = min(Fraction(2 * a + 1, 2 * s) for a, s in zip(res.quotas, scores, strict=True))
    assert low <= high


def test_textbook_examples() -> None:
    scores = [Fraction(53), Fraction(24), Fraction(23)]
    # Sainte-Laguë priorities 53, 24, 23, 17.7, 10.6, 8, 7.7 → 3, 2, 2
    assert apportion(["a", "b", "c"], scores, 7, method="sainte-lague").quotas == (3, 2, 2)
    # Hamilton: shares 3.71, 1.68, 1.61 → 3, 2, 2; with 8 units 4.24, 1.92, 1.84 → 4, 2, 2
    assert apportion(["a", "b", "c"], scores, 8).quotas == (4, 2, 2)


def test_cap_reapportions_to_the_others() -> None:
    res = apportion(["a", "b", "c"], [Fraction(90), Fraction(5), Fraction(5)], 10, cap=4)
    assert res.quotas == (4, 3, 3)
    assert res.shares == (Fraction(4), Fraction(3), Fraction(3))


def test_zero_scores_get_the_floor_until_the_others_are_capped() -> None:
    units = ["a", "b", "z1", "z2"]
    scores = [Fraction(3), Fraction(1), Fraction(0), Fraction(0)]
    res = apportion(units, scores, 8, floor=1, cap=5)
    assert res.quotas[2:] == (1, 1) and sum(res.quotas) == 8
    res = apportion(units, scores, 14, floor=1, cap=5)
    assert res.quotas == (5, 5, 2, 2)


@pytest.mark.parametrize(
    ("total", "floor", "cap", "needle"),
    [(5, 2, 9, "5 < 3 units × floor 2 = 6"), (20, 0, 6, "20 > 3 units × cap 6 = 18")],
)
def test_infeasible_bounds_name_the_numbers(total: int, floor: int, cap: int, needle: str) -> None:
    with pytest.raises(InfeasibleError, match=needle) as info:
        apportion(["a", "b", "c"], [Fraction(1)] * 3, total, floor=floor, cap=cap)
    assert info.value.exit_code == 3
