"""Spot checks: exact inclusion probabilities, empirical inclusion frequencies of the
systematic πps design against them, and the itinerary's dates and deadline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from geomatch.cycle.spotcheck import (
    draw_sample,
    inclusion_probabilities,
    itinerary,
    load_spotcheck,
    systematic_sample,
)
from geomatch.errors import InfeasibleError

SETTINGS = load_spotcheck()


def test_inclusion_probabilities_are_capped_proportional() -> None:
    risk = [5.0, 0.2, 1.0, 1.0, 0.4, 3.0]
    pi = inclusion_probabilities(risk, 3)
    assert sum(pi) == 3 and all(0 < p <= 1 for p in pi)
    free = [(p, r) for p, r in zip(pi, risk, strict=True) if p < 1]
    ratios = {p / Fraction(r).limit_denominator(10**9) for p, r in free}
    assert len(ratios) == 1  # π ∝ risk below the cap
    assert pi[0] == 1


def test_systematic_sampling_matches_inclusion_probabilities() -> None:
    risk = [0.2, 0.5, 1.7, 0.9, 0.3, 2.5, 0.25, 1.1]
    n = 3
    pi = inclusion_probabilities(risk, n)
    rng = np.random.default_rng(12345)
    reps = 4000
    counts = np.zeros(len(risk))
    for _ in range(reps):
        picked = systematic_sample(pi, rng)
        assert len(picked) == n and len(set(picked)) == n
        counts[picked] += 1
    expected = np.array([float(p) for p in pi])
    sigma = np.sqrt(expected * (1 - expected) / reps)
    assert np.all(np.abs(counts / reps - expected) <= 4.5 * sigma + 1e-12)


def _poor() -> pd.DataFrame:
    from geomatch.dataset import load_dataset

    poor = load_dataset().poor_counties.drop(columns="geometry")
    return pd.DataFrame(poor).drop_duplicates("adcode")


def test_sample_is_reproducible_and_every_province_can_be_drawn() -> None:
    poor = _poor()
    scores = pd.DataFrame(
        {"unit": ["520000", "530000"], "score": [40.0, 95.0], "liangshu": [0.5, 1.0]}
    )
    a = draw_sample(poor, provinces=4, per_province=2, seed=9, settings=SETTINGS, scores=scores)
    b = draw_sample(poor, provinces=4, per_province=2, seed=9, settings=SETTINGS, scores=scores)
    pd.testing.assert_frame_equal(a.counties, b.counties)
    assert len(a.provinces) == 22 and (a.provinces["pi"] > 0).all()
    assert a.provinces["pi"].sum() == pytest.approx(4)
    pi = a.provinces.set_index("province_adcode")["pi"]
    assert pi["520000"] > pi["530000"]  # low score and 两数 shortfall → higher risk
    assert a.provinces["sampled"].sum() == 4 and len(a.counties) == 8
    assert (a.counties["pi"] == a.counties["pi_province"] * a.counties["pi_county"]).all()


def test_itinerary_visits_each_county_once_and_is_back_by_the_deadline() -> None:
    poor = _poor()
    sample = draw_sample(poor, provinces=3, per_province=2, seed=4, settings=SETTINGS)
    fast = dataclasses.replace(SETTINGS, time_limit_s=1.0)
    it = itinerary(sample.counties, fast)
    visits = it[it["adcode"] != ""]
    assert sorted(visits["adcode"]) == sorted(sample.counties["adcode"])
    assert it.groupby("team")["place"].last().eq("北京（返回）").all()
    assert max(dt.date.fromisoformat(d) for d in it["arrive"]) <= SETTINGS.deadline
    for _, route in it.groupby("team"):
        rows = route.to_dict("records")
        day = SETTINGS.start
        for row in rows:
            day += dt.timedelta(days=row["travel_days"])
            assert row["arrive"] == day.isoformat()
            if row["depart"]:
                day += dt.timedelta(days=SETTINGS.inspection_days)
                assert row["depart"] == day.isoformat()
    tight = dataclasses.replace(fast, deadline=SETTINGS.start + dt.timedelta(days=3), teams=1)
    with pytest.raises(InfeasibleError, match="back in Beijing by"):
        itinerary(sample.counties, tight)
