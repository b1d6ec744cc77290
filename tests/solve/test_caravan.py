"""Science-caravan day trips: day length, every stop once, brute-force optimum, reasons."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geomatch.model.tours_settings import SeasonalClosure, ToursSettings
from geomatch.solve.caravan import (
    caravan_stops,
    county_problem,
    schedule_caravans,
    solve_county,
    trip_dates,
)
from tests.travel.test_travel import hav

SEAT = (106.0, 26.0)


def stops_frame(points: list[tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "adcode": "520000",
            "stop_code": [f"5200001{k:02d}" for k in range(len(points))],
            "stop_name": [f"stop {k}" for k in range(len(points))],
            "stop_kind": "township",
            "lon": [p[0] for p in points],
            "lat": [p[1] for p in points],
            "need_ids": [f"N{k}" for k in range(len(points))],
        }
    )


def day_minutes(route: list[tuple[float, float]], s: ToursSettings, terrain: str) -> float:
    """Minutes of a day trip seat → stops → seat, recomputed from scratch."""
    pts = [SEAT, *route, SEAT]
    km = sum(hav(*a, *b) * s.detour_factor for a, b in itertools.pairwise(pts))
    return km / s.speed(terrain) * 60 + len(route) * s.service_hours_per_stop * 60


def day_km(route: list[tuple[float, float]], s: ToursSettings) -> float:
    pts = [SEAT, *route, SEAT]
    return sum(hav(*a, *b) * s.detour_factor for a, b in itertools.pairwise(pts))


def test_day_trips_feasible_and_unreachable_reported() -> None:
    s = ToursSettings(working_day_hours=8, service_hours_per_stop=1.5)
    pts = [
        (106.05, 26.0),
        (106.0, 26.07),
        (105.9, 25.95),
        (106.1, 26.1),
        (106.02, 25.9),
        (108.5, 26.0),
    ]  # the last is 250 km away: beyond a day trip
    st = stops_frame(pts)
    cc = county_problem("520000", SEAT, st, s, terrain="mountain")
    tours, unmet = solve_county(cc, 0.3)
    assert list(unmet["reason"]) == ["unreachable_in_day"]
    assert list(unmet["need_id"]) == ["N5"]
    assert sorted(tours["stop_code"]) == sorted(st["stop_code"][:5])  # each once
    where = dict(zip(st["stop_code"], pts, strict=True))
    for _date, day in tours.groupby("date"):
        route = [where[c] for c in day.sort_values("seq")["stop_code"]]
        assert day_minutes(route, s, "mountain") <= 8 * 60 + 1e-6
        assert day["travel_km"].sum() + day["return_km"].sum() == pytest.approx(
            day_km(route, s), abs=0.05
        )
    dates = sorted(tours["date"].unique())
    assert all(dt.date.fromisoformat(d).weekday() < 5 for d in dates)
    assert dates[0] == "2020-03-02"  # 1 March 2020 is a Sunday


def _brute(points: list[tuple[float, float]], s: ToursSettings) -> tuple[int, float]:
    """Fewest days, then least km, over all partitions and orders."""
    n = len(points)
    best = (n + 1, math.inf)

    def partitions(items: list[int]):  # type: ignore[no-untyped-def]
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for p in partitions(rest):
            for i in range(len(p)):
                yield [*p[:i], [first, *p[i]], *p[i + 1 :]]
            yield [[first], *p]

    for part in partitions(list(range(n))):
        total = 0.0
        for block in part:
            good = [
                day_km([points[i] for i in order], s)
                for order in itertools.permutations(block)
                if day_minutes([points[i] for i in order], s, "mountain")
                <= s.working_day_hours * 60
            ]
            if not good:
                break
            total += min(good)
        else:
            best = min(best, (len(part), total))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_county_matches_brute_force(seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    pts = [(SEAT[0] + dx, SEAT[1] + dy) for dx, dy in rng.uniform(-0.5, 0.5, size=(6, 2))]
    s = ToursSettings(working_day_hours=6, service_hours_per_stop=1.0)
    cc = county_problem("520000", SEAT, stops_frame(pts), s, terrain="mountain")
    tours, unmet = solve_county(cc, 5.0, 20)  # deterministic budget, generous time cap
    opt_days, opt_km = _brute(pts, s)
    assert unmet.empty
    assert tours["date"].nunique() == opt_days
    got_km = tours["travel_km"].sum() + tours["return_km"].sum()
    assert got_km == pytest.approx(opt_km, abs=0.01 * len(tours) + 1e-6)


def test_no_trip_days_and_season_closed() -> None:
    pts = [(106.0 + 0.02 * k, 26.0) for k in range(8)]
    s = ToursSettings(trip_days=1, working_day_hours=5, service_hours_per_stop=1.0)
    tours, unmet = solve_county(county_problem("520000", SEAT, stops_frame(pts), s), 0.2)
    assert tours["date"].nunique() == 1 and len(tours) <= 5
    assert set(unmet["reason"]) == {"no_trip_days"}
    assert len(tours) + len(unmet) == 8

    closed = ToursSettings(
        closures=(SeasonalClosure(start="01-01", end="12-31", adcodes=("520000",)),)
    )
    cl = closed.closures[0].closed_days(2020)
    cc = county_problem("520000", SEAT, stops_frame(pts), closed, closures=cl)
    tours, unmet = solve_county(cc, 0.2)
    assert tours.empty and set(unmet["reason"]) == {"season_closed"}


def test_trip_dates_skip_weekends_and_closures() -> None:
    s = ToursSettings(trip_days=10, caravan_season_start="03-01", caravan_season_end="03-31")
    cl = [(66, 70)]  # 7–11 March 2020 (day 66 = 7 March)
    days = [dt.date.fromisoformat(d) for d in trip_dates(s, cl)]
    assert len(days) == 10 and all(d.weekday() < 5 for d in days)
    assert not any(dt.date(2020, 3, 7) <= d <= dt.date(2020, 3, 11) for d in days)
    assert days == sorted(days)


def test_caravan_stops_from_needs() -> None:
    needs = pd.DataFrame(
        {
            "need_id": ["a", "b", "c", "d"],
            "kind": ["township_industry", "village_product", "village_product", "training"],
            "adcode": ["520000"] * 4,
            "unit_code": ["520000101", "520000101001", "520000101001", "520000"],
            "unit_name": ["t", "v", "v", "c"],
            "lon": [106.1, 106.2, 106.2, 106.0],
            "lat": [26.1, 26.2, 26.2, 26.0],
        }
    )
    st = caravan_stops(needs)
    assert list(st["stop_code"]) == ["520000101", "520000101001"]
    assert list(st["stop_kind"]) == ["township", "village"]
    assert list(st["need_ids"]) == ["a", "b;c"]


def test_mini_data_every_stop_once(mini_data_dir: Path) -> None:
    from geomatch.dataset import load_dataset

    ds = load_dataset(root=mini_data_dir)
    s = ToursSettings(workers=1)  # deterministic budget; the time cap must not bind
    plan = schedule_caravans(ds, s)
    stops = caravan_stops(ds.needs)
    served = plan.tours.groupby("caravan_id")["stop_code"].apply(list)
    for cid, codes in served.items():
        assert len(codes) == len(set(codes)), cid
    assert len(plan.tours) + plan.unmet["stop_code"].nunique() == len(stops)
    assert (plan.tours.groupby(["caravan_id", "date"]).size() >= 1).all()
    assert plan.tours["caravan_id"].nunique() == ds.poor_counties["adcode"].nunique()


def _fewest_trips_brute_force(minutes: np.ndarray, svc: float, day: float) -> int:
    """Fewest day trips by enumerating set partitions and stop orders (tiny instances)."""
    import itertools

    n = len(minutes) - 1

    def fits(group: tuple[int, ...]) -> bool:
        for order in itertools.permutations(group):
            clock, here = 0.0, 0
            for j in order:
                clock += minutes[here, j] + svc
                here = j
            if clock + minutes[here, 0] <= day + 1e-9:
                return True
        return False

    def partitions(items: list[int]) -> list[list[tuple[int, ...]]]:
        if not items:
            return [[]]
        first, rest = items[0], items[1:]
        out = []
        for k in range(len(rest) + 1):
            for others in itertools.combinations(rest, k):
                left = [x for x in rest if x not in others]
                for p in partitions(left):
                    out.append([(first, *others), *p])
        return out

    return min(len(p) for p in partitions(list(range(1, n + 1))) if all(fits(g) for g in p))


def test_greedy_trip_count_is_a_feasible_upper_bound() -> None:
    from geomatch.solve.caravan import greedy_trip_count

    rng = np.random.default_rng(20161207)
    for _ in range(40):
        n = int(rng.integers(1, 7))
        xy = rng.uniform(0, 60, size=(n + 1, 2))
        minutes = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        svc, day = 30.0, 240.0
        reach = 2 * minutes[0, 1:] + svc <= day
        keep = np.r_[True, reach]
        m = minutes[np.ix_(keep, keep)]
        if len(m) == 1:
            continue
        greedy = greedy_trip_count(m, svc, day)
        assert greedy >= _fewest_trips_brute_force(m, svc, day)
        assert greedy <= len(m) - 1
