"""The synthetic scenario generator: rules as documented, deterministic to the byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geomatch.databuild.mini import MINI_RULES, build_mini_dataset
from geomatch.databuild.synthetic import (
    ScenarioRules,
    generate_helpers,
    generate_needs,
    helper_cities,
    unit_uniform,
)
from geomatch.databuild.writer import write_parquet
from geomatch.dataset import FILES, load_dataset
from geomatch.model.categories import CATEGORIES, HELPER_KINDS, LANGUAGES, LEVELS, PRIORITY_ZH


@pytest.fixture(scope="module")
def mini(mini_data_dir: Path):  # type: ignore[no-untyped-def]
    return load_dataset(mini_data_dir, cache=False)


def _needs(ds, rules: ScenarioRules = MINI_RULES) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return generate_needs(
        ds.poor_counties,
        pd.DataFrame(ds.townships.drop(columns="geometry")),
        pd.DataFrame(ds.villages.drop(columns="geometry")),
        rules,
    )


def _helpers(ds, rules: ScenarioRules = MINI_RULES) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    cities = helper_cities(ds.counties, ds.prefectures, ds.pairing_relations, ds.museums)
    return generate_helpers(cities, rules)


def test_generator_same_bytes_twice(mini, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for name, make in (("needs", _needs), ("helpers", _helpers)):
        a = write_parquet(make(mini), tmp_path / f"{name}_a.parquet").read_bytes()
        b = write_parquet(make(mini), tmp_path / f"{name}_b.parquet").read_bytes()
        assert a == b, name


def test_fixture_rebuilds_to_the_same_bytes(mini_data_dir: Path, tmp_path: Path) -> None:
    build_mini_dataset(mini_data_dir, tmp_path)
    for rel in FILES.values():
        assert (tmp_path / rel).read_bytes() == (mini_data_dir / rel).read_bytes(), rel


def test_needs_follow_the_policy_rules(mini) -> None:  # type: ignore[no-untyped-def]
    needs = _needs(mini)
    poor = mini.poor_counties.drop_duplicates("adcode").set_index("adcode")
    t = mini.townships[mini.townships["urban_rural"] == "rural"]
    rural_villages = mini.villages[mini.villages["urban_rural"] == "rural"]
    st = needs[needs["kind"] == "station"]
    assert len(st) == 3 * len(poor)
    for adcode, grp in st.groupby("adcode"):
        assert sorted(grp["station_role"]) == ["crop", "health", "livestock"]
        assert grp.loc[grp["station_role"] == "crop", "min_level"].tolist() == ["senior"]
        assert (grp["lon"] == poor.at[adcode, "seat_lon"]).all()
    ti = needs[needs["kind"] == "township_industry"]
    assert ti["unit_code"].is_unique and set(ti["unit_code"]) <= set(t["code"])
    assert 0.5 < len(ti) / len(t) < 0.95
    tr = needs[needs["kind"] == "training"]
    per_town = tr.groupby("unit_code").size()
    assert set(per_town.index) == set(t["code"]) and per_town.between(1, 2).all()
    vp = needs[needs["kind"] == "village_product"]
    assert 0.25 < len(vp) / len(rural_villages) < 0.5
    assert set(vp["unit_code"]) <= set(rural_villages["code"])
    # no village, township or training need on an urban unit (街道, 居委会/社区)
    urban = set(mini.townships.loc[mini.townships["urban_rural"] == "urban", "code"])
    urban |= set(mini.villages.loc[mini.villages["urban_rural"] == "urban", "code"])
    assert urban and not needs["unit_code"].isin(urban).any()
    assert set(needs["category"]) <= set(CATEGORIES)
    assert set(needs["priority"]) <= set(PRIORITY_ZH)
    last = set(poor.index[poor["last_batch"]])
    assert (needs.loc[needs["adcode"].isin(last), "priority"] == "remaining").all()
    assert (needs.loc[~needs["adcode"].isin(last), "priority"] != "remaining").all()
    # 黔东南 is no deep-poverty area: no language requirement
    assert (needs["language"] == "").all() and (needs["deep_poverty_area"] == "").all()
    assert needs["need_id"].is_unique
    counties = mini.counties.set_index("adcode")
    polys = counties.loc[needs["adcode"], "geometry"].to_numpy()
    assert shapely.contains_xy(polys, needs["lon"], needs["lat"]).all()


def test_needs_of_a_unit_do_not_depend_on_the_others(mini) -> None:  # type: ignore[no-untyped-def]
    full = _needs(mini)
    one = "522633"
    ds_t = pd.DataFrame(mini.townships.drop(columns="geometry"))
    ds_v = pd.DataFrame(mini.villages.drop(columns="geometry"))
    part = generate_needs(
        mini.poor_counties[mini.poor_counties["adcode"] == one],
        ds_t[ds_t["county_adcode"] == one],
        ds_v[ds_v["county_adcode"] == one],
        MINI_RULES,
    )
    expected = full[full["adcode"] == one].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)


def test_language_requirement_in_tibetan_areas() -> None:
    poor = pd.DataFrame(
        {
            "adcode": ["540102", "522630"],
            "name": ["城关区", "台江县"],
            "last_batch": [False, False],
            "deep_poverty_area": ["西藏", ""],
            "seat_lon": [91.1, 108.3],
            "seat_lat": [29.6, 26.7],
            "prefecture_adcode": ["540100", "522600"],
        }
    )
    towns = pd.DataFrame(
        {
            "code": [f"540102{i:03d}" for i in range(400)] + [f"522630{i:03d}" for i in range(400)],
            "name": "乡",
            "county_adcode": ["540102"] * 400 + ["522630"] * 400,
            "lon": 100.0,
            "lat": 30.0,
        }
    )
    villages = pd.DataFrame(
        columns=["code", "name", "township_code", "county_adcode", "lon", "lat"]
    ).astype({"lon": float, "lat": float})
    needs = generate_needs(poor, towns, villages, ScenarioRules())
    tib = needs[needs["adcode"] == "540102"]
    share = (tib["language"] == "bo").mean()
    assert 0.2 < share < 0.4
    assert (needs.loc[needs["adcode"] == "522630", "language"] == "").all()


def test_helpers_follow_the_rules(mini) -> None:  # type: ignore[no-untyped-def]
    helpers = _helpers(mini, ScenarioRules(n_experts=2000, n_organisations=200))
    assert helpers["helper_id"].is_unique
    assert set(helpers["kind"]) <= set(HELPER_KINDS)
    assert set(helpers["level"]) <= set(LEVELS)
    assert set(helpers["region"]) <= {"east", "central"}
    ex = helpers[helpers["kind"] == "expert"]
    org = helpers[helpers["kind"] != "expert"]
    assert len(ex) == 2000 and len(org) == 200
    assert ex["capacity"].between(1, 4).all() and org["capacity"].between(10, 25).all()
    assert (helpers["capacity_days"] >= 10 * helpers["capacity"]).all()
    langs = {code for row in helpers["languages"] for code in row.split(";")}
    assert langs <= set(LANGUAGES)
    assert helpers["languages"].str.startswith("zh").all()
    share = (ex["specialty"] == "crop").mean()
    assert 0.3 < share < 0.42
    cities = mini.prefectures.set_index("adcode")
    # every helper sits at its city's seat, which lies inside the city's polygon
    assert (
        helpers["lon"].to_numpy() == cities.loc[helpers["city_adcode"], "seat_lon"].to_numpy()
    ).all()
    polys = cities.loc[helpers["city_adcode"], "geometry"].to_numpy()
    assert shapely.contains_xy(polys, helpers["lon"], helpers["lat"]).all()


def test_unit_uniform_is_uniform_and_keyed() -> None:
    codes = np.array([f"{520000000000 + i}" for i in range(20000)])
    u = unit_uniform(codes, 1, 1)
    assert ((u >= 0) & (u < 1)).all()
    assert abs(u.mean() - 0.5) < 0.01
    hist, _ = np.histogram(u, bins=10, range=(0, 1))
    assert hist.min() > 1800
    assert np.array_equal(unit_uniform(codes[::-1], 1, 1), u[::-1])
    assert not np.array_equal(unit_uniform(codes, 1, 2), u)
    assert not np.array_equal(unit_uniform(codes, 2, 1), u)
