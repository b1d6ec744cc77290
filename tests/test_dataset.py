"""The dataset loader contract (geomatch.dataset), on the mini fixture and the real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geomatch.dataset import COLUMNS, FILES, Dataset, load_dataset
from geomatch.errors import DatasetMissingError
from geomatch.settings import REPO_ROOT

REAL_DATA = REPO_ROOT / "data"

TEXT = {
    "adcode",
    "name",
    "province_adcode",
    "province",
    "prefecture_adcode",
    "prefecture",
    "region",
    "name_source",
    "deep_poverty_area",
    "code",
    "county_adcode",
    "township_code",
    "location_quality",
    "helper_id",
    "kind",
    "specialty",
    "level",
    "languages",
    "city",
    "city_adcode",
    "institution",
    "source",
    "need_id",
    "unit_code",
    "unit_name",
    "category",
    "industry",
    "priority",
    "language",
    "min_level",
    "station_role",
    "museum",
    "coord_precision",
    "mechanism",
    "contiguous_area",
    "seat_source",
    "urban_rural",
}
FLOAT = {"lon", "lat", "seat_lon", "seat_lat"}
INT = {"exit_year", "capacity", "capacity_days", "size"}
BOOL = {"poor", "last_batch"}


def _check_contract(ds: Dataset) -> None:
    for name, columns in COLUMNS.items():
        df = getattr(ds, name)
        assert list(df.columns[: len(columns)]) == list(columns) or set(columns) <= set(
            df.columns
        ), name
        if "geometry" in df.columns:
            assert isinstance(df, gpd.GeoDataFrame)
            assert df.crs is not None and df.crs.to_epsg() == 4326, name
            assert not df.geometry.is_empty.any(), name
        for col in columns:
            if col == "geometry":
                continue
            dtype = df[col].dtype
            if col in TEXT or name == "pairing_relations":
                assert pd.api.types.is_string_dtype(dtype), (name, col, dtype)
            elif col in FLOAT:
                assert dtype == np.float64, (name, col, dtype)
            elif col in INT:
                assert dtype == np.int64, (name, col, dtype)
            elif col in BOOL:
                assert pd.api.types.is_bool_dtype(dtype), (name, col, dtype)
            else:  # pragma: no cover - a column the test does not know
                raise AssertionError(f"untyped column {name}.{col}")


def test_mini_fixture_contract(mini_data_dir: Path) -> None:
    ds = load_dataset(mini_data_dir, cache=False)
    assert ds.missing() == []
    _check_contract(ds)
    assert len(ds.poor_counties) == 5
    assert set(ds.poor_counties["province"]) == {"贵州省"}
    assert len(ds.townships) == 71
    assert len(ds.villages) == 906
    assert ds.townships["code"].str.len().eq(9).all()
    assert ds.villages["code"].str.len().eq(12).all()
    assert set(ds.helpers["region"]) <= {"east", "central"}
    assert ds.helpers["helper_id"].is_unique
    assert ds.needs["need_id"].is_unique
    assert set(ds.needs["adcode"]) == set(ds.poor_counties["adcode"])
    # The fixture's counties include eastern ones (where helpers live).
    assert (ds.counties["region"] == "east").sum() >= 5


def test_cached_per_folder(mini_data_dir: Path) -> None:
    a = load_dataset(mini_data_dir)
    assert load_dataset(mini_data_dir) is a
    assert a.counties is a.counties  # loaded once
    assert load_dataset(mini_data_dir, cache=False) is not a


def test_missing_file_names_it_and_make_data(mini_data_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(mini_data_dir, root)
    (root / FILES["villages"]).unlink()
    ds = load_dataset(root, cache=False)
    assert ds.missing() == [FILES["villages"]]
    assert len(ds.townships) == 71  # other attributes still load
    with pytest.raises(DatasetMissingError, match="make data") as err:
        _ = ds.villages
    assert "villages.parquet" in str(err.value)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissingError, match="make data"):
        load_dataset(tmp_path / "nowhere")


def test_env_override(mini_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMATCH_DATA_DIR", str(mini_data_dir))
    assert load_dataset(cache=False).root == mini_data_dir.resolve()


def _points_inside(ds: Dataset, layer: str, code_col: str) -> np.ndarray:
    counties = ds.counties.set_index("adcode")
    pts = getattr(ds, layer)
    polys = counties.loc[pts[code_col].to_numpy(), "geometry"].to_numpy()
    return shapely.contains_xy(polys, pts["lon"].to_numpy(), pts["lat"].to_numpy())


def test_mini_points_inside_their_county(mini_data_dir: Path) -> None:
    ds = load_dataset(mini_data_dir, cache=False)
    assert _points_inside(ds, "townships", "county_adcode").all()
    assert _points_inside(ds, "villages", "county_adcode").all()
    assert _points_inside(ds, "needs", "adcode").all()
    seats = ds.poor_counties
    assert shapely.contains_xy(
        seats.geometry.to_numpy(), seats["seat_lon"], seats["seat_lat"]
    ).all()


# -- the real embedded dataset (fast enough: a few seconds) -------------------------------

real = pytest.mark.skipif(
    not (REAL_DATA / "counties.parquet").is_file(), reason="data/ not built (make data)"
)


@pytest.fixture(scope="module")
def real_ds() -> Dataset:
    return load_dataset(REAL_DATA, cache=False)


@real
def test_real_contract_and_counts(real_ds: Dataset) -> None:
    _check_contract(real_ds)
    poor = real_ds.poor_counties
    assert len(poor) == 832
    assert poor["adcode"].nunique() == 831
    assert poor.loc[poor["adcode"] == "632803", "name_source"].tolist() == ["冷湖行委", "茫崖行委"]
    assert not poor.geometry.is_empty.any() and poor.geometry.notna().all()
    assert int(poor["last_batch"].sum()) == 52
    assert poor["exit_year"].between(2016, 2020).all()
    assert (poor["deep_poverty_area"] == "西藏").sum() == 74
    assert 2800 <= len(real_ds.counties) <= 2900
    assert int(real_ds.counties["poor"].sum()) == 831
    assert not real_ds.counties["province"].str.contains("台湾|香港|澳门").any()
    assert len(real_ds.provinces) == 31
    assert len(real_ds.townships) == 12546
    assert len(real_ds.villages) == 168367
    assert 20_000 <= len(real_ds.helpers) <= 60_000
    assert 80_000 <= len(real_ds.needs) <= 120_000
    # capacity below demand: unmet needs are real
    assert real_ds.helpers["capacity"].sum() < len(real_ds.needs)


@real
def test_real_points_inside_their_county(real_ds: Dataset) -> None:
    assert _points_inside(real_ds, "townships", "county_adcode").all()
    assert _points_inside(real_ds, "villages", "county_adcode").all()


@real
def test_real_shared_borders_survive_simplification(real_ds: Dataset) -> None:
    counties = real_ds.counties.set_index("adcode")
    assert shapely.coverage_is_valid(counties.geometry.to_numpy())
    # real neighbours still touch along a line: 台江–雷山 (贵州), 西城–东城 (北京),
    # 茫崖–若羌 (青海/新疆 provincial border)
    for a, b in (("522630", "522634"), ("110101", "110102"), ("632803", "652824")):
        shared = counties.at[a, "geometry"].intersection(counties.at[b, "geometry"])
        assert shapely.get_dimensions(shared) == 1, (a, b)
        assert shared.length > 0.01
        assert counties.at[a, "geometry"].intersection(counties.at[b, "geometry"]).area == 0


@real
def test_real_scenario_points_and_regions(real_ds: Dataset) -> None:
    assert _points_inside(real_ds, "needs", "adcode").all()
    poor = real_ds.poor_counties
    # real seats (snapped in where the simplified border cuts them off)
    assert shapely.contains_xy(poor.geometry.to_numpy(), poor["seat_lon"], poor["seat_lat"]).all()
    helpers = real_ds.helpers
    assert set(helpers["region"]) == {"east", "central"}
    # the eastern provinces that help in the 2016 pairing supply helpers
    rel = real_ds.pairing_relations
    east_helpers = set(rel.loc[rel["mechanism"] == "east_west", "east_province_adcode"])
    assert east_helpers <= set(helpers["province_adcode"])
    needs = real_ds.needs
    assert needs["need_id"].is_unique
    station = needs[needs["kind"] == "station"]
    assert len(station) == 3 * poor["adcode"].nunique()
    last = set(poor.loc[poor["last_batch"], "adcode"])
    assert (needs.loc[needs["adcode"].isin(last), "priority"] == "remaining").all()
    tib = needs["deep_poverty_area"].isin(["西藏", "四省涉藏州县"])
    assert 0.2 < (needs.loc[tib, "language"] == "bo").mean() < 0.4
