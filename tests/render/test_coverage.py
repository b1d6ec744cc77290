"""Coverage per poor county: station teams, visits, caravan reach, unmet needs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geomatch.model.categories import STATION_ROLES
from geomatch.render.coverage import COVERAGE_COLUMNS, build_coverage
from geomatch.run_result import read_run
from tests.render.fixtures import MUSEUM_PLAN, STATION_PLAN, MiniDataset, synthetic_run


def _cov(ds: object, run_dir: Path) -> pd.DataFrame:
    run = read_run(run_dir)
    return build_coverage(
        ds,
        pairings=run.pairings,
        needs=ds.needs,  # type: ignore[attr-defined]
        museum_visits=run.museum_visits,
        caravan_tours=run.caravan_tours,
        unmet=run.unmet,
    )


def test_one_row_per_poor_county_with_contract_columns(mini_ds: MiniDataset, run_dir: Path):
    cov = _cov(mini_ds, run_dir)
    assert list(cov.columns) == list(COVERAGE_COLUMNS)
    assert list(cov.columns[:8]) == [
        "adcode",
        "name",
        "province",
        "station_team",
        "museum_visits",
        "caravan_visits",
        "experts",
        "unmet_needs",
    ]
    assert sorted(cov["adcode"]) == sorted(mini_ds.poor_counties["adcode"])
    assert cov["adcode"].is_unique


def test_station_team_follows_the_paired_roles(mini_ds: MiniDataset, run_dir: Path):
    cov = _cov(mini_ds, run_dir).set_index("adcode")
    for adcode, roles in STATION_PLAN.items():
        expected = (
            "complete" if len(roles) == len(STATION_ROLES) else "partial" if roles else "none"
        )
        assert cov.at[adcode, "station_team"] == expected, adcode
        assert set(filter(None, cov.at[adcode, "station_roles_paired"].split(";"))) == set(roles)


def test_counts_match_an_independent_tally(mini_ds: MiniDataset, run_dir: Path):
    cov = _cov(mini_ds, run_dir).set_index("adcode")
    run = read_run(run_dir)
    for adcode, k in MUSEUM_PLAN.items():
        assert cov.at[adcode, "museum_visits"] == k
    stops = run.caravan_tours["stop_code"].str[:6].value_counts()
    for adcode in cov.index:
        assert cov.at[adcode, "caravan_visits"] == int(stops.get(adcode, 0))
    need_county = dict(zip(mini_ds.needs["need_id"], mini_ds.needs["adcode"], strict=True))
    experts: dict[str, set[str]] = {}
    for n, h in zip(run.pairings["need_id"], run.pairings["helper_id"], strict=True):
        experts.setdefault(need_county[n], set()).add(h)
    for adcode in cov.index:
        assert cov.at[adcode, "experts"] == len(experts.get(adcode, set()))
    unmet = [need_county[n] for n in run.unmet["need_id"] if n in need_county]
    for adcode in cov.index:
        assert cov.at[adcode, "unmet_needs"] == unmet.count(adcode)
    # The unscheduled museum visit carries its county in an adcode column.
    assert cov.at["621126", "unmet_visits"] == 1
    assert (cov["needs_paired"] + cov["unmet_needs"] == cov["needs_total"]).all()


def test_caravan_reach_counts_townships_of_village_stops(mini_ds: MiniDataset, run_dir: Path):
    cov = _cov(mini_ds, run_dir).set_index("adcode")
    run = read_run(run_dir)
    stops = run.caravan_tours[run.caravan_tours["stop_code"].str.startswith("621121")]
    expected_twp = len(set(stops["stop_code"].str[:9]))
    expected_vil = len({s for s in stops["stop_code"] if len(s) == 12})
    assert cov.at["621121", "townships_reached"] == expected_twp
    assert cov.at["621121", "villages_reached"] == expected_vil
    assert cov["township_share"].between(0, 1).all()
    assert cov["village_share"].between(0, 1).all()


def test_empty_schedules_give_zero_visits(mini_ds: MiniDataset, run_dir: Path):
    run = read_run(run_dir)
    cov = build_coverage(
        mini_ds,
        pairings=run.pairings.iloc[0:0],
        needs=mini_ds.needs,
        museum_visits=run.museum_visits.iloc[0:0],
        caravan_tours=run.caravan_tours.iloc[0:0],
        unmet=run.unmet.iloc[0:0],
    )
    assert (cov["station_team"] == "none").all()
    assert (cov[["museum_visits", "caravan_visits", "experts", "unmet_needs"]] == 0).all().all()


def test_shared_mini_dataset(fixture_ds: object, tmp_path: Path):
    cov = _cov(fixture_ds, synthetic_run(fixture_ds, tmp_path / "run"))
    assert len(cov) == fixture_ds.poor_counties["adcode"].nunique()  # type: ignore[attr-defined]
    assert set(cov["station_team"]) <= {"complete", "partial", "none"}
    assert (cov["townships_reached"] == cov["townships_total"]).all()  # every township visited


@pytest.mark.parametrize("column", ["need_id", "helper_id"])
def test_pairings_to_unknown_needs_are_ignored(mini_ds: MiniDataset, run_dir: Path, column: str):
    run = read_run(run_dir)
    bad = pd.concat([run.pairings, run.pairings.head(1).assign(**{column: "UNKNOWN"})])
    cov = build_coverage(
        mini_ds,
        pairings=bad,
        needs=mini_ds.needs,
        museum_visits=run.museum_visits,
        caravan_tours=run.caravan_tours,
        unmet=run.unmet,
    )
    base = _cov(mini_ds, run_dir)
    if column == "need_id":
        pd.testing.assert_frame_equal(cov, base)
    else:  # an unknown helper is still a helper paired to the county
        assert cov["experts"].sum() == base["experts"].sum() + 1
