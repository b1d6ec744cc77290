"""Mobile-museum tours: independent schedule checks, brute force, fleet, missing visits."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pytest

from geomatch.model.tours_settings import SeasonalClosure, ToursSettings
from geomatch.solve.museum import (
    min_fleet,
    province_problem,
    schedule_museums,
    schedule_province,
    workload_bound,
)
from geomatch.travel import build_travel_model
from tests.travel.fixtures import grid_dataset, independent_museum_check


def _plan(ds, s, province):  # type: ignore[no-untyped-def]
    tm = build_travel_model(ds, s)
    g = ds.poor_counties
    pp = province_problem(province, g, (float(ds.museums.lon[0]), float(ds.museums.lat[0])), s, tm)
    return pp


def test_mini_data_schedule_passes_independent_check(mini_data_dir: Path) -> None:
    from geomatch.dataset import load_dataset

    ds = load_dataset(root=mini_data_dir)
    s = ToursSettings(museum_time_limit_s=1.0)
    plan = schedule_museums(ds, s)
    assert len(plan.visits) == 2 * ds.poor_counties["adcode"].nunique()
    assert plan.unmet.empty
    terrain = {a: "mountain" for a in ds.poor_counties["adcode"]}
    assert independent_museum_check(plan.visits, ds, s, terrain) == []


def test_plateau_winter_closure_respected() -> None:
    ds = grid_dataset(3, province="540000", origin=(91.0, 29.5), size=0.6, deep="西藏")
    s = ToursSettings(sets_per_province=2, museum_time_limit_s=1.0, exhibition_days=15)
    plan = schedule_museums(ds, s)
    v = plan.visits
    assert len(v) == 18
    terrain = {a: "plateau" for a in ds.poor_counties["adcode"]}
    assert independent_museum_check(v, ds, s, terrain) == []
    for a, b in zip(v["start_date"], v["end_date"], strict=True):
        d, end = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
        while d <= end:  # 2020 is a leap year: 29 February is open
            assert not (d.month in (12, 1) or (d.month == 2 and d.day <= 28)), d
            d += dt.timedelta(days=1)


def test_season_closed_and_no_set_capacity_reasons() -> None:
    ds = grid_dataset(3, last_batch=("52110" + "3",))
    shut = ds.poor_counties["adcode"].iloc[0]
    s = ToursSettings(
        sets_per_province=1,
        exhibition_days=40,
        min_gap_days=120,
        museum_time_limit_s=1.0,
        closures=(SeasonalClosure(adcodes=(shut,), start="04-01", end="12-31"),),
    )
    plan = schedule_museums(ds, s)
    terrain = {a: "mountain" for a in ds.poor_counties["adcode"]}
    assert independent_museum_check(plan.visits, ds, s, terrain) == []
    u = plan.unmet.set_index("need_id")
    # only January–March is open there: one visit fits, the second is season_closed
    assert u.loc[f"museum:{shut}:2", "reason"] == "season_closed"
    # one set shows 40 days at a time: 8 visits a year at most for 18 wanted
    assert len(plan.visits) <= 8
    assert (plan.unmet["reason"] == "no_set_capacity").sum() >= 18 - 1 - 8
    assert set(plan.unmet["reason"]) == {"season_closed", "no_set_capacity"}
    # the last-batch county weighs 4× and gets both visits first
    counts = plan.visits.groupby("adcode").size()
    assert counts.get("521103", 0) == 2


def _brute_force(pp, penalty_km: float) -> float:  # type: ignore[no-untyped-def]
    """Optimal objective for one set by enumerating every visit sequence."""
    s = pp.settings
    E, gap = s.exhibition_days, max(s.min_gap_days, s.exhibition_days)
    nodes = [(c, v) for c in range(len(pp.adcodes)) for v in range(1, int(pp.max_visits[c]) + 1)]
    best = penalty_km * len(nodes) * 10
    for k in range(len(nodes) + 1):
        for seq in itertools.permutations(nodes, k):
            done: dict[tuple[int, int], int] = {}
            cur, place, ok, km = 0, 0, True, 0.0
            for c, v in seq:
                if v > 1 and (c, v - 1) not in done:
                    ok = False
                    break
                t = cur + (E if place else 0) + int(pp.travel_days[place, c + 1])
                if v > 1:
                    t = max(t, done[(c, v - 1)] + gap)
                free = np.flatnonzero(pp.allowed[c, t:])
                if len(free) == 0:
                    ok = False
                    break
                cur = t + int(free[0])
                done[(c, v)] = cur
                km += pp.km[place, c + 1]
                place = c + 1
            if not ok:
                continue
            km += pp.km[place, 0]
            missing = sum(pp.weights[c] for c, v in nodes if (c, v) not in done)
            best = min(best, km + penalty_km * missing)
    return best


@pytest.mark.parametrize("E,gap", [(60, 90), (100, 150)])
def test_small_province_matches_brute_force(E: int, gap: int) -> None:
    ds = grid_dataset(2, size=0.5)
    ds.poor_counties = ds.poor_counties.iloc[:3]
    s = ToursSettings(
        sets_per_province=1,
        exhibition_days=E,
        min_gap_days=gap,
        museum_time_limit_s=1.0,
        missing_visit_penalty_km=1000.0,
    )
    pp = _plan(ds, s, "520000")
    opt = _brute_force(pp, 1000.0)
    plan = schedule_province(pp)
    pos = {c: i + 1 for i, c in enumerate(pp.adcodes)}
    v = plan.visits.sort_values("start_date")
    places = [0, *[pos[a] for a in v["adcode"]], 0]
    km = sum(pp.km[a, b] for a, b in itertools.pairwise(places))
    missing = sum(pp.weights[pos[a] - 1] for a in plan.unmet["adcode"])
    got = km + 1000.0 * missing
    assert got == pytest.approx(opt, abs=0.05 * len(places))


def test_min_fleet_is_smallest() -> None:
    ds = grid_dataset(3)
    s = ToursSettings(exhibition_days=30, museum_time_limit_s=1.0)
    ans = min_fleet(ds, s, "520000", max_sets=6)
    assert ans.sets is not None and ans.lower_bound >= 1
    pp = _plan(ds, s, "520000")
    assert ans.lower_bound == workload_bound(pp)
    assert schedule_province(pp, n_sets=ans.sets).summary["no_set_capacity"] == 0
    if ans.sets > ans.lower_bound:
        assert schedule_province(pp, n_sets=ans.sets - 1).summary["no_set_capacity"] > 0


def test_min_fleet_cli(mini_data_dir: Path, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    sc = tmp_path / "s.toml"
    sc.write_text(
        f'[scenario]\nname = "t"\ndata_dir = "{mini_data_dir.as_posix()}"\n'
        "[tours]\nmuseum_time_limit_s = 0.5\n",
        encoding="utf-8",
    )
    assert run_cli(["tours", "fleet", "--scenario", sc, "--province", "520000"]) == 0
    assert run_cli(["tours", "fleet", "--scenario", sc, "--province", "110000"]) == 2
