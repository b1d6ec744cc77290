"""Headline figures and per-county targets per province and nationally."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geomatch.render.coverage import coverage_of_run
from geomatch.render.kpi import KPI_COLUMNS, NOT_MODELLED, build_kpi
from geomatch.run_result import read_run
from tests.render.fixtures import MiniDataset


@pytest.fixture
def tables(mini_ds: MiniDataset, run_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    run = read_run(run_dir)
    cov = coverage_of_run(run, mini_ds)
    kpi = build_kpi(mini_ds, cov, run.pairings, mini_ds.needs, caravan_tours=run.caravan_tours)
    return cov, kpi, run


def test_rows_per_province_then_national(tables):
    cov, kpi, _ = tables
    assert list(kpi.columns) == list(KPI_COLUMNS)
    assert list(kpi["scope"]) == ["province"] * cov["province_adcode"].nunique() + ["national"]
    assert list(kpi["province_adcode"][:-1]) == sorted(cov["province_adcode"].unique())


def test_targets_met_plus_missing_is_the_county_count(tables):
    cov, kpi, _ = tables
    for t in ("station", "caravan", "museum2"):
        assert (kpi[f"{t}_met"] + kpi[f"{t}_missing"] == kpi["poor_counties"]).all()
    nat = kpi.iloc[-1]
    assert nat["station_met"] == (cov["station_team"] == "complete").sum() == 2
    assert nat["museum2_met"] == (cov["museum_visits"] >= 2).sum() == 3
    assert nat["caravan_met"] == 2


def test_national_row_adds_up_and_counts_distinct_helpers(tables, mini_ds: MiniDataset):
    _cov, kpi, run = tables
    prov, nat = kpi.iloc[:-1], kpi.iloc[-1]
    for c in ("poor_counties", "associations_built", "villages_covered", "villages_total"):
        assert nat[c] == prov[c].sum(), c
    kinds = dict(zip(mini_ds.helpers["helper_id"], mini_ds.helpers["kind"], strict=True))
    experts = {h for h in run.pairings["helper_id"] if kinds[h] == "expert"}
    orgs = {h for h in run.pairings["helper_id"] if kinds[h] != "expert"}
    assert nat["experts_mobilised"] == len(experts)
    # The society serves both provinces: counted once nationally.
    assert nat["organisations_mobilised"] == len(orgs) == 1
    assert prov["organisations_mobilised"].sum() == 2


def test_associations_and_villages(tables, mini_ds: MiniDataset):
    _cov, kpi, run = tables
    paired = set(run.pairings["need_id"])
    needs = mini_ds.needs[mini_ds.needs["need_id"].isin(paired)]
    twp = needs.loc[needs["kind"] == "township_industry", "unit_code"].nunique()
    vil = set(needs.loc[needs["kind"] == "village_product", "unit_code"])
    nat = kpi.iloc[-1]
    assert nat["township_federations"] == twp
    assert nat["village_associations"] == len(vil)
    caravan_vil = {s for s in run.caravan_tours["stop_code"] if len(s) == 12}
    assert nat["villages_covered"] == len(vil | caravan_vil)


def test_unmodelled_targets_are_not_faked(tables):
    _cov, kpi, _ = tables
    assert (kpi["school_science_museum"] == NOT_MODELLED).all()
    assert (kpi["e_station"] == NOT_MODELLED).all()
    assert kpi["people_proxy"].str.contains("no household counts").all()


def test_run_without_schedules_leaves_tour_targets_empty(tables, mini_ds: MiniDataset):
    cov, _kpi, run = tables
    kpi = build_kpi(mini_ds, cov, run.pairings, mini_ds.needs, schedules=False)
    assert kpi["caravan_met"].isna().all()
    assert kpi["museum2_missing"].isna().all()
    assert kpi["station_met"].notna().all()
