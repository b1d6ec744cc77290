"""East–west pairing relations (2016) and provincial science museums, codes resolved."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import pandas as pd

from geomatch.dataset import COLUMNS
from geomatch.errors import GeomatchError

__all__ = ["MUSEUMS_FILE", "PAIRING_FILE", "build_museums", "build_pairing_relations"]

log = logging.getLogger(__name__)

PAIRING_FILE: Final = "east_west_pairing_2016.csv"
MUSEUMS_FILE: Final = "provincial_science_museums.csv"

#: East units that are not administrative divisions, resolved by hand (documented in
#: data/README.md): 青岛西海岸新区 is coextensive with 黄岛区 (370211); 济南高新区 is a
#: development zone inside several districts and gets no code.
_EAST_UNIT_FIXES: Final = {"青岛西海岸新区": "370211", "济南高新区": ""}


def _read(reference: Path, name: str) -> pd.DataFrame:
    path = reference / name
    if not path.is_file():
        raise GeomatchError(f"reference file {path} not found")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def build_pairing_relations(
    reference: Path, counties: pd.DataFrame, prefectures: pd.DataFrame, provinces: pd.DataFrame
) -> pd.DataFrame:
    """The 2016 east–west pairing table with province and unit adcodes resolved.

    ``east_unit_adcode`` is the province code for ``east_level='province'``, the
    prefecture code for ``city`` (matched by name inside the eastern province) and the
    county code for ``district`` (e.g. 济南市槐荫区 → 370104).

    Returns
    -------
    DataFrame
        Text columns ``east_province, east_province_adcode, east_unit, east_unit_adcode,
        east_level, west_province, west_province_adcode, west_unit, west_adcode,
        west_level, evidence, framework, source, note``, in the reference file's order.
    """
    df = _read(reference, PAIRING_FILE)
    prov_code = dict(zip(provinces["name"], provinces["adcode"], strict=True))
    df["east_province_adcode"] = df["east_province"].map(prov_code)
    df["west_province_adcode"] = df["west_adcode"].str[:2] + "0000"
    if df["east_province_adcode"].isna().any():
        raise GeomatchError(f"{PAIRING_FILE}: unknown east province")
    codes = []
    for _, row in df.iterrows():
        unit, level, prov = row["east_unit"], row["east_level"], row["east_province_adcode"]
        if unit in _EAST_UNIT_FIXES:
            codes.append(_EAST_UNIT_FIXES[unit])
        elif level == "province":
            codes.append(prov)
        elif level == "city":
            cand = prefectures[
                (prefectures["province_adcode"] == prov) & (prefectures["name"] == unit)
            ]
            if len(cand) != 1:
                raise GeomatchError(f"{PAIRING_FILE}: cannot resolve city {unit!r}")
            codes.append(str(cand["adcode"].iloc[0]))
        else:
            cand = counties[
                (counties["province_adcode"] == prov)
                & counties.apply(
                    lambda c, u=unit: u.endswith(c["name"]) and u.startswith(c["prefecture"]),
                    axis=1,
                )
            ]
            if len(cand) != 1:
                raise GeomatchError(f"{PAIRING_FILE}: cannot resolve district {unit!r}")
            codes.append(str(cand["adcode"].iloc[0]))
    df["east_unit_adcode"] = codes
    cols = [*COLUMNS["pairing_relations"], "framework", "source", "note"]
    out = df[cols].astype("str")
    log.info("pairing relations: %d rows", len(out))
    return out


def build_museums(reference: Path) -> pd.DataFrame:
    """Provincial science museums with ``lon``/``lat`` (city-centre points, degrees).

    Returns columns ``province, province_adcode, museum, city, lon, lat,
    coord_precision, city_adcode, note`` sorted by province adcode.
    """
    df = _read(reference, MUSEUMS_FILE)
    out = pd.DataFrame(
        {
            "province": df["province"],
            "province_adcode": df["province_adcode"],
            "museum": df["museum"],
            "city": df["city"],
            "lon": df["approx_lon"].astype("float64").round(5),
            "lat": df["approx_lat"].astype("float64").round(5),
            "coord_precision": df["coord_precision"],
            "city_adcode": df["city_adcode"],
            "note": df["note"],
        }
    )
    return out.sort_values("province_adcode", kind="stable").reset_index(drop=True)
