"""The CRS contract and geometry repair on read."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from geomatch.errors import CRSError, InputError
from geomatch.io.layers import read_layer

# 平塘县 (522727) surroundings, lon/lat degrees
SQUARE = Polygon([(106.8, 25.7), (107.2, 25.7), (107.2, 26.0), (106.8, 26.0)])
BOWTIE = Polygon([(106.8, 25.7), (107.2, 26.0), (107.2, 25.7), (106.8, 26.0)])


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_gpkg_without_crs_is_rejected(tmp_path):
    p = tmp_path / "counties.gpkg"
    gpd.GeoDataFrame({"adcode": ["522727"]}, geometry=[SQUARE]).to_file(p)
    with pytest.raises(CRSError, match="no coordinate reference system") as err:
        read_layer(p)
    assert err.value.exit_code == 2
    assert str(p) in str(err.value)


def test_projected_layer_is_transformed_to_wgs84(tmp_path):
    p = tmp_path / "counties.gpkg"
    gdf = gpd.GeoDataFrame({"adcode": ["522727"]}, geometry=[SQUARE], crs="EPSG:4326")
    gdf.to_crs("EPSG:32648").to_file(p)  # UTM 48N
    back = read_layer(p)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.iloc[0].centroid.distance(SQUARE.centroid) < 1e-6


def test_cgcs2000_is_accepted(tmp_path):
    p = tmp_path / "counties.gpkg"
    gpd.GeoDataFrame({"adcode": ["522727"]}, geometry=[SQUARE], crs="EPSG:4490").to_file(p)
    assert read_layer(p).crs.to_epsg() == 4326


def test_geojson_defaults_to_wgs84(tmp_path):
    p = tmp_path / "points.geojson"
    p.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a"},'
        '"geometry":{"type":"Point","coordinates":[106.9,25.8]}}]}'
    )
    assert read_layer(p).crs.to_epsg() == 4326


def test_invalid_geometry_is_repaired_with_a_warning(tmp_path):
    p = tmp_path / "counties.gpkg"
    gpd.GeoDataFrame({"adcode": ["522727"]}, geometry=[BOWTIE], crs="EPSG:4326").to_file(p)
    with pytest.warns(UserWarning, match="repaired 1 invalid geometry"):
        back = read_layer(p)
    assert back.geometry.is_valid.all()


def test_points_outside_china_are_flagged(tmp_path):
    p = tmp_path / "points.gpkg"
    gpd.GeoDataFrame(
        {"id": ["in", "swapped"]},
        geometry=[Point(106.9, 25.8), Point(25.8, 106.9)],
        crs="EPSG:4326",
    ).to_file(p)
    back = read_layer(p)
    assert back["outside_china"].tolist() == [False, True]


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_layer(tmp_path / "x.gpkg")
    bad = tmp_path / "x.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(InputError, match="not a readable geographic layer"):
        read_layer(bad)
    other = tmp_path / "x.kml"
    other.write_text("<kml/>")
    with pytest.raises(InputError, match="unsupported layer format"):
        read_layer(other)
