"""Pairing relations (东西部扶贫协作 2016 and 对口支援) and science museums, codes resolved.

* ``east_west_pairing_2016.csv`` — the 2016 east–west pairing (mechanism ``east_west``);
* ``counterpart_support.csv`` — the 对口支援 of 西藏, 新疆 and the Tibetan areas of 青海,
  四川, 云南 and 甘肃 (mechanism ``counterpart_support``), each row with its framework
  document and evidence grade;
* :func:`resolve_partners` applies the precedence rule **the most specific row wins**: a
  county named by a county-level row takes only those rows' partners; otherwise the rows
  of its prefecture; otherwise those of its province. Rows of one level are all kept (two
  provinces support 拉萨, for example).
* ``provincial_science_museums.csv`` plus ``science_museum_openings.csv`` — each museum
  with its opening date; a province whose museum opened after 2020 has its mobile sets
  based at the depot the programme used (row ``kind = 'depot'``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import pandas as pd

from geomatch.databuild.reference import read_reference_csv
from geomatch.dataset import COLUMNS
from geomatch.errors import GeomatchError

__all__ = [
    "COUNTERPART_FILE",
    "MUSEUMS_FILE",
    "OPENINGS_FILE",
    "PAIRING_FILE",
    "PARTNER_COLUMNS",
    "build_museums",
    "build_pairing_relations",
    "resolve_partners",
]

log = logging.getLogger(__name__)

PAIRING_FILE: Final = "east_west_pairing_2016.csv"
MUSEUMS_FILE: Final = "provincial_science_museums.csv"
COUNTERPART_FILE: Final = "counterpart_support.csv"
OPENINGS_FILE: Final = "science_museum_openings.csv"
#: Columns :func:`resolve_partners` adds to the poor counties.
PARTNER_COLUMNS: Final = (
    "partner_level",
    "partner_provinces",
    "partner_units",
    "partner_mechanisms",
)

#: East units that are not administrative divisions, resolved by hand (documented in
#: data/README.md): 青岛西海岸新区 is coextensive with 黄岛区 (370211); 济南高新区 is a
#: development zone inside several districts and gets no code.
_EAST_UNIT_FIXES: Final = {"青岛西海岸新区": "370211", "济南高新区": ""}


def _resolve_east_units(
    df: pd.DataFrame, name: str, counties: pd.DataFrame, prefectures: pd.DataFrame
) -> list[str]:
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
                raise GeomatchError(f"{name}: cannot resolve city {unit!r}")
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
                raise GeomatchError(f"{name}: cannot resolve district {unit!r}")
            codes.append(str(cand["adcode"].iloc[0]))
    return codes


def _relations_of(
    reference: Path,
    name: str,
    mechanism: str,
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> pd.DataFrame:
    counties, prefectures, provinces = tables
    df = read_reference_csv(reference, name)
    prov_code = dict(zip(provinces["name"], provinces["adcode"], strict=True))
    df["east_province_adcode"] = df["east_province"].map(prov_code)
    df["west_province_adcode"] = df["west_adcode"].str[:2] + "0000"
    if df["east_province_adcode"].isna().any():
        raise GeomatchError(f"{name}: unknown east province")
    unknown = ~df["west_adcode"].isin(
        set(counties["adcode"]) | set(prefectures["adcode"]) | set(provinces["adcode"])
    )
    if unknown.any():
        raise GeomatchError(
            f"{name}: unknown west_adcode {df.loc[unknown, 'west_adcode'].tolist()}"
        )
    df["east_unit_adcode"] = _resolve_east_units(df, name, counties, prefectures)
    df["mechanism"] = mechanism
    return df


def build_pairing_relations(
    reference: Path, counties: pd.DataFrame, prefectures: pd.DataFrame, provinces: pd.DataFrame
) -> pd.DataFrame:
    """The east–west pairing (2016) and 对口支援 tables with codes resolved.

    ``east_unit_adcode`` is the province code for ``east_level='province'``, the
    prefecture code for ``city`` (matched by name inside the province) and the county
    code for ``district`` (e.g. 济南市槐荫区 → 370104).

    Returns
    -------
    DataFrame
        Text columns ``east_province, east_province_adcode, east_unit, east_unit_adcode,
        east_level, west_province, west_province_adcode, west_unit, west_adcode,
        west_level, evidence, mechanism, framework, source, note``: the east–west rows in
        the reference file's order, then the 对口支援 rows in theirs.
    """
    tables = (counties, prefectures, provinces)
    df = pd.concat(
        [
            _relations_of(reference, PAIRING_FILE, "east_west", tables),
            _relations_of(reference, COUNTERPART_FILE, "counterpart_support", tables),
        ],
        ignore_index=True,
    )
    cols = [*COLUMNS["pairing_relations"], "mechanism", "framework", "source", "note"]
    out = df[cols].astype("str")
    log.info("pairing relations: %d rows (%s)", len(out), out["mechanism"].value_counts().to_dict())
    return out


def resolve_partners(poor: pd.DataFrame, relations: pd.DataFrame) -> pd.DataFrame:
    """The partners of each poor county by the most-specific-row rule.

    Parameters
    ----------
    poor
        ``adcode, prefecture_adcode, province_adcode``.
    relations
        :func:`build_pairing_relations`.

    Returns
    -------
    DataFrame
        Aligned with ``poor``: ``partner_level`` (``county`` / ``prefecture`` /
        ``province`` / ``''``), ``partner_provinces`` (``;``-joined sorted helping province
        codes), ``partner_units`` (``;``-joined sorted helping unit names) and
        ``partner_mechanisms`` (``;``-joined ``counterpart_support`` / ``east_west``).
    """
    by_west = {w: g for w, g in relations.groupby("west_adcode", sort=True)}
    rows = []
    for code, pref, prov in poor[["adcode", "prefecture_adcode", "province_adcode"]].itertuples(
        index=False
    ):
        for level, key in (("county", code), ("prefecture", pref), ("province", prov)):
            if key in by_west:
                g = by_west[key]
                rows.append(
                    (
                        level,
                        ";".join(sorted(set(g["east_province_adcode"]))),
                        ";".join(sorted(set(g["east_unit"]))),
                        ";".join(sorted(set(g["mechanism"]))),
                    )
                )
                break
        else:
            rows.append(("", "", "", ""))
    return pd.DataFrame(rows, columns=list(PARTNER_COLUMNS), index=poor.index).astype("str")


def build_museums(reference: Path) -> pd.DataFrame:
    """Science museums and depots with ``lon``/``lat`` (city-centre points, degrees) and the
    dates between which they host and base mobile sets.

    The museums of ``provincial_science_museums.csv`` get the opening dates of
    ``science_museum_openings.csv``; its ``depot`` rows are added (the place a province's
    sets were based before its museum opened). A museum without a recorded date is taken
    as open throughout 2016–2020 (``opened_precision = 'before_2016_assumed'``).

    Returns columns ``province, province_adcode, museum, city, lon, lat,
    coord_precision, city_adcode, note, kind, opened, opened_precision,
    available_from, available_until, opening_evidence`` (dates ISO text, ``''`` =
    unbounded) sorted by province adcode, then ``available_from`` (so the row in use
    during 2016–2020 comes first: 海南's depot before its 2025 museum).
    """
    df = read_reference_csv(reference, MUSEUMS_FILE)
    opening = read_reference_csv(reference, OPENINGS_FILE)
    museums = df.merge(
        opening[opening["kind"] == "museum"].drop(
            columns=["city", "city_adcode", "approx_lon", "approx_lat"]
        ),
        on=["province_adcode", "museum"],
        how="left",
    ).fillna("")
    museums["kind"] = "museum"
    undated = museums["opened"] == ""
    museums.loc[undated, "opened_precision"] = "before_2016_assumed"
    museums.loc[undated, "evidence"] = "not_checked"
    depots = opening[opening["kind"] == "depot"].copy()
    names = dict(zip(df["province_adcode"], df["province"], strict=True))
    depots["province"] = depots["province_adcode"].map(names)
    depots["coord_precision"] = "city centre (not the building)"
    both = pd.concat([museums, depots], ignore_index=True)
    unknown = set(opening.loc[opening["kind"] == "museum", "museum"]) - set(df["museum"])
    if unknown:
        raise GeomatchError(f"{OPENINGS_FILE}: museums not in {MUSEUMS_FILE}: {sorted(unknown)}")
    out = pd.DataFrame(
        {
            "province": both["province"],
            "province_adcode": both["province_adcode"],
            "museum": both["museum"],
            "city": both["city"],
            "lon": both["approx_lon"].astype("float64").round(5),
            "lat": both["approx_lat"].astype("float64").round(5),
            "coord_precision": both["coord_precision"],
            "city_adcode": both["city_adcode"],
            "note": both["note"],
            "kind": both["kind"],
            "opened": both["opened"],
            "opened_precision": both["opened_precision"],
            "available_from": both["available_from"],
            "available_until": both["available_until"],
            "opening_evidence": both["evidence"],
        }
    )
    # per province the row of the programme years first (a depot before a later museum)
    out = out.sort_values(["province_adcode", "available_from"], kind="stable")
    return out.reset_index(drop=True)
