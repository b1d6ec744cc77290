"""The tours stage end to end on the real mini fixture: contract, files, CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from geomatch.model.run_tables import run_table, unmet_columns
from geomatch.model.scenario import Scenario
from geomatch.model.tours_settings import ToursSettings
from geomatch.solve.tours import ToursResult, run_tours_scenario
from tests.travel.fixtures import independent_museum_check

REASONS = {"no_set_capacity", "season_closed", "unreachable_in_day", "no_trip_days"}


@pytest.fixture(scope="module")
def mini(mini_data_dir: Path):  # type: ignore[no-untyped-def]
    from geomatch.dataset import load_dataset

    ds = load_dataset(root=mini_data_dir)
    sc = Scenario(
        tours=ToursSettings(museum_time_limit_s=0.5, caravan_time_limit_s=0.05, workers=1)
    )
    return ds, sc, run_tours_scenario(ds, sc)


def test_contract_columns_and_dates(mini) -> None:  # type: ignore[no-untyped-def]
    ds, sc, r = mini
    assert isinstance(r, ToursResult)
    assert list(r.museum_visits.columns) == [
        "adcode",
        "set_id",
        "visit_no",
        "start_date",
        "end_date",
        "travel_km",
    ]
    assert list(r.caravan_tours.columns[:5]) == [
        "caravan_id",
        "date",
        "seq",
        "stop_code",
        "travel_km",
    ]
    assert tuple(r.unmet.columns) == unmet_columns("museum", "caravan")
    for col in ("start_date", "end_date"):
        assert all(dt.date.fromisoformat(d).year == 2020 for d in r.museum_visits[col])
    assert all(dt.date.fromisoformat(d) for d in r.caravan_tours["date"])
    assert set(r.unmet["reason"]) <= REASONS
    poor = set(ds.poor_counties["adcode"])
    assert set(r.museum_visits["adcode"]) <= poor
    assert r.summary["museum_visits"] == len(r.museum_visits)
    terrain = {a: "mountain" for a in poor}
    assert independent_museum_check(r.museum_visits, ds, sc.tours, terrain) == []
    # caravan: seq runs 1..k within each day
    for _k, day in r.caravan_tours.groupby(["caravan_id", "date"]):
        assert sorted(day["seq"]) == list(range(1, len(day) + 1))


def test_needs_argument_restricts_stops(mini) -> None:  # type: ignore[no-untyped-def]
    ds, sc, _r = mini
    needs = ds.needs[ds.needs["kind"] == "township_industry"]
    r = run_tours_scenario(ds, sc, needs=needs)
    assert set(r.caravan_tours["stop_code"]) | set(r.unmet["stop_code"]) - {""} <= set(
        needs["unit_code"]
    )
    assert (r.caravan_tours["stop_code"].str.len() == 9).all()


def test_cli_tours_scenario_writes_run_tables(mini_data_dir: Path, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """``geomatch tours`` writes the schedules as run tables, with summary and manifest."""
    sc = tmp_path / "s.toml"
    sc.write_text(
        f'[scenario]\nname = "t"\ndata_dir = "{mini_data_dir.as_posix()}"\n'
        "[tours]\nsets_per_province = 1\nexhibition_days = 120\ntrip_days = 2\n"
        "museum_time_limit_s = 0.3\ncaravan_time_limit_s = 0.05\nworkers = 1\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert run_cli(["tours", "--scenario", sc, "--out", out]) == 0
    assert sorted(f.name for f in out.iterdir()) == [
        "caravan_tours.csv",
        "manifest.json",
        "museum_visits.csv",
        "tours_summary.json",
        "unmet.csv",
    ]
    raw = (out / "museum_visits.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    for name in ("museum_visits", "caravan_tours", "unmet"):
        head = (out / f"{name}.csv").read_text(encoding="utf-8-sig").split("\n")[0]
        assert head.split(",") == list(run_table(name).columns), name
    unmet = pd.read_csv(out / "unmet.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    summary = json.loads((out / "tours_summary.json").read_text(encoding="utf-8"))
    # one exhibition set of 120-day shows, two caravan days: visits and stops left over
    assert summary["unmet"] == len(unmet) > 0
    assert set(unmet["stage"]) == {"museum", "caravan"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "geomatch tours" and manifest["scenario"] == "t"


def test_cli_bad_tours_setting(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    sc = tmp_path / "bad.toml"
    sc.write_text('[tours]\nexhibition_days = "many"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli(["tours", "--scenario", sc, "--out", out]) == 2
    assert not out.exists()


def test_dask_executor_gives_the_in_process_schedules(mini_data_dir: Path) -> None:
    """Provinces and counties as Dask tasks on two worker processes: the same schedules
    as in process (the searches stop on work budgets, not on the clock)."""
    from geomatch.dataset import load_dataset
    from geomatch.scale.executor import DaskExecutor, InProcessExecutor, open_executor

    ds = load_dataset(root=mini_data_dir)
    sc = Scenario(tours=ToursSettings(sets_per_province=2))
    here = run_tours_scenario(ds, sc, executor=InProcessExecutor())
    with open_executor(workers=2) as ex:
        assert isinstance(ex, DaskExecutor)
        there = run_tours_scenario(ds, sc, executor=ex)
    pd.testing.assert_frame_equal(here.museum_visits, there.museum_visits)
    pd.testing.assert_frame_equal(here.caravan_tours, there.caravan_tours)
    pd.testing.assert_frame_equal(here.unmet, there.unmet)
