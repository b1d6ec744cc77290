"""Real county and prefecture seats (the government's location), with their source.

Sources (both copied verbatim to ``data/raw``; MIT licensed, see PROVENANCE):

* **primary** — ``cpca_adcodes.csv``, the table ``cpca/resources/adcodes.csv`` of the PyPI
  package ``cpca`` 0.5.5: 12-digit adcode → name, longitude, latitude of the unit's seat
  (degrees as published by the package, probably Amap GCJ-02, i.e. within ~0.7 km of
  WGS84, below the 1 km polygon tolerance), for provinces, prefectures and
  counties. A county is looked up by its NBS code, then by its cnmaps code (the pre-recode
  code of ``county_recodes.csv``), then by its name or former name (the poor-county list's
  name, e.g. 云州区 ← 大同县) within its province;
* **second** — ``china_region_region.csv``, ``china_region/region.csv`` of the PyPI package
  ``china-region`` 0.0.11: province, city, county names with a seat to 0.01°. It is joined
  by province and county name; it cross-checks the primary source
  (:func:`cross_check`) and fills a county the primary source lacks;
* a unit renamed or merged since the primary source's vintage takes the primary point of
  its former unit (a retired code) when that point lies inside its polygon — the only
  one, or the one whose name continues its own (盘州市 ← 盘县 520222);
* a seat within 0.01° (the simplification tolerance) outside its simplified polygon is
  moved to the nearest point inside (:func:`snap_seats`); one further out that lies in a
  county without a seat goes to that county (a unit split off since: 余杭区's pre-2021
  seat is 临平区's); any other one (抚顺县, 安阳县, governed from the neighbouring city)
  stays where it is;
* a county in neither keeps the centre of its polygon's largest inscribed circle,
  ``seat_source = 'inscribed'``.

Prefecture seats are the primary source's point of the prefecture code (the city
government; a municipality: its ``xx0100`` 市辖区 point), falling back to the seat of the
prefecture's lowest-coded county, ``seat_source = 'lowest_county'``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomatch.databuild.points import nearest_inside
from geomatch.databuild.reference import read_reference_csv

__all__ = [
    "SEAT_CHECK_FILE",
    "SEAT_FILE",
    "SEAT_SOURCES",
    "SeatCheck",
    "county_seats",
    "cross_check",
    "haversine_km",
    "prefecture_seats",
    "read_seat_sources",
    "snap_seats",
]

log = logging.getLogger(__name__)

SEAT_FILE: Final = "cpca_adcodes.csv"
SEAT_CHECK_FILE: Final = "china_region_region.csv"
#: Values of ``seat_source``, best first.
SEAT_SOURCES: Final = ("cpca", "china-region", "inscribed")
_GRID_DECIMALS: Final = 5
#: A seat at most this far outside its simplified polygon (degrees, the simplification
#: tolerance) is moved to the nearest point inside: the gap is the simplification's.
SNAP_DEG: Final = 0.01


@dataclass(frozen=True)
class SeatSources:
    """The two seat tables: ``primary`` indexed by 6-digit code (``name, lon, lat``) and
    ``second`` keyed by (province, county name) (``lon, lat``)."""

    primary: pd.DataFrame
    second: pd.DataFrame


@dataclass(frozen=True)
class SeatCheck:
    """Distance between the two sources for the counties both have, km."""

    compared: int
    median_km: float
    p90_km: float
    max_km: float
    over_10_km: int
    worst: tuple[tuple[str, str, float], ...]


def haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km (sphere of radius 6371 km)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(a)), dtype=float)


def read_seat_sources(reference: Path) -> SeatSources:
    """Read both seat tables (rows without coordinates dropped)."""
    p = read_reference_csv(reference, SEAT_FILE)
    p = p[(p["longitude"] != "") & (p["latitude"] != "")]
    primary = pd.DataFrame(
        {
            "name": p["name"].to_numpy(),
            "lon": p["longitude"].astype(float).to_numpy(),
            "lat": p["latitude"].astype(float).to_numpy(),
        },
        index=p["adcode"].str[:6].to_numpy(),
    )
    primary = primary[~primary.index.duplicated(keep="first")]
    s = read_reference_csv(reference, SEAT_CHECK_FILE)
    second = pd.DataFrame(
        {
            "province": s["province"].to_numpy(),
            "county": s["county"].to_numpy(),
            "lon": s["longitude"].astype(float).to_numpy(),
            "lat": s["latitude"].astype(float).to_numpy(),
        }
    )
    # a (province, county) name used twice is ambiguous: drop it
    second = second.drop_duplicates(["province", "county"], keep=False)
    return SeatSources(primary=primary, second=second.set_index(["province", "county"]))


def _second_lookup(
    sources: SeatSources, province: str, names: list[str]
) -> tuple[float, float] | None:
    for name in names:
        key = (province, name)
        if key in sources.second.index:
            row = sources.second.loc[key]
            return float(row["lon"]), float(row["lat"])
    return None


def _primary_by_name(prim: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(province prefix, name) → code for county-level names unique in their province."""
    county = prim[[c[2:] != "0000" and c[4:] != "00" for c in prim.index]]
    keys = pd.Series(
        list(zip(county.index.str[:2], county["name"], strict=True)), index=county.index
    )
    unique = keys[~keys.duplicated(keep=False)]
    return {k: str(code) for code, k in unique.items()}


@dataclass(frozen=True)
class _Seat:
    lon: float
    lat: float
    source: str
    key: str


def _former_units(prim: pd.DataFrame, live: set[str]) -> pd.DataFrame:
    """Primary-source county points whose code no longer exists (merged or renamed)."""
    county = [c[4:] != "00" and c not in live for c in prim.index]
    return prim[county]


def _former_unit_seat(poly: shapely.Geometry, name: str, former: pd.DataFrame) -> str | None:
    """The retired unit whose seat lies in ``poly``: the only one, or the one whose name
    starts with ``name``'s stem (蓬莱区 ← 蓬莱市, not 长岛县); ``None`` when ambiguous."""
    inside = former[shapely.contains_xy(poly, former["lon"], former["lat"])]
    if len(inside) == 1:
        return str(inside.index[0])
    stem = name[:-1]
    same = inside[inside["name"].str.startswith(stem)] if len(stem) >= 2 else inside.iloc[:0]
    return str(same.index[0]) if len(same) == 1 else None


def county_seats(
    counties: gpd.GeoDataFrame,
    sources: SeatSources,
    inscribed: np.ndarray,
    aliases: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Seat of every county: ``seat_lon, seat_lat, seat_source, seat_key`` aligned with
    ``counties``.

    In order: the primary source by NBS or cnmaps code, then by name or former name in
    the province; the second source by name; the primary source's point of a retired
    unit (a code no longer in use) that lies inside the county polygon — the only one, or
    the one whose name continues the county's (滦州市 ← 滦县 130223, 盘州市 ← 盘县 520222);
    else the inscribed point. ``seat_key`` names the row used (``cpca:520222 盘县``).

    Parameters
    ----------
    counties
        ``adcode, adcode_cnmaps, name, province, geometry``.
    sources
        :func:`read_seat_sources`.
    inscribed
        ``(n, 2)`` inscribed-circle centres, the last resort.
    aliases
        Former names by NBS code (the poor-county list's names, e.g. 云州区 → 大同县),
        tried in the primary source, within the province, when no code matches.
    """
    prim = sources.primary
    by_name = _primary_by_name(prim)
    former = _former_units(prim, set(counties["adcode"]) | set(counties["adcode_cnmaps"]))
    aliases = aliases or {}
    seats: list[_Seat] = []
    rows = counties[["adcode", "adcode_cnmaps", "name", "province"]].itertuples(index=False)
    for i, (code, old, name, prov) in enumerate(rows):
        hit = next((c for c in (code, old) if c in prim.index), None)
        if hit is None:  # a renamed unit: its former name in the same province
            keys = [(code[:2], n) for n in (name, *aliases.get(code, ()))]
            hit = next((by_name[k] for k in keys if k in by_name), None)
        alt = None if hit is not None else _second_lookup(sources, prov, [name])
        if hit is None and alt is None:
            hit = _former_unit_seat(counties.geometry.iloc[i], name, former)
        if hit is not None:
            key = f"cpca:{hit} {prim.at[hit, 'name']}"
            seats.append(_Seat(prim.at[hit, "lon"], prim.at[hit, "lat"], "cpca", key))
        elif alt is not None:
            seats.append(_Seat(alt[0], alt[1], "china-region", f"china-region:{prov} {name}"))
        else:
            seats.append(_Seat(inscribed[i, 0], inscribed[i, 1], "inscribed", ""))
    out = pd.DataFrame(
        {
            "seat_lon": np.round([s.lon for s in seats], _GRID_DECIMALS),
            "seat_lat": np.round([s.lat for s in seats], _GRID_DECIMALS),
            "seat_source": [s.source for s in seats],
            "seat_key": [s.key for s in seats],
        },
        index=counties.index,
    ).astype({"seat_source": "str", "seat_key": "str"})
    log.info("county seats by source: %s", out["seat_source"].value_counts().to_dict())
    return out


def cross_check(counties: pd.DataFrame, sources: SeatSources) -> SeatCheck:
    """Compare the ``cpca`` seats of ``counties`` with the second source, by name.

    ``counties``: ``adcode, name, province, seat_lon, seat_lat, seat_source``.
    """
    c = counties[counties["seat_source"] == "cpca"]
    keys = list(zip(c["province"], c["name"], strict=True))
    found = [k in sources.second.index for k in keys]
    c = c[found]
    ref = sources.second.loc[[k for k, f in zip(keys, found, strict=True) if f]]
    km = haversine_km(
        c["seat_lon"].to_numpy(float),
        c["seat_lat"].to_numpy(float),
        ref["lon"].to_numpy(float),
        ref["lat"].to_numpy(float),
    )
    order = np.argsort(-km)[:5]
    names = c["name"].to_numpy(dtype=str)
    codes = c["adcode"].to_numpy(dtype=str)
    check = SeatCheck(
        compared=len(km),
        median_km=round(float(np.median(km)), 2),
        p90_km=round(float(np.quantile(km, 0.9)), 2),
        max_km=round(float(km.max()), 2),
        over_10_km=int((km > 10).sum()),
        worst=tuple((str(codes[j]), str(names[j]), round(float(km[j]), 1)) for j in order),
    )
    log.info("seat cross-check: %s", check)
    return check


def prefecture_seats(
    prefectures: pd.DataFrame, counties: pd.DataFrame, sources: SeatSources
) -> pd.DataFrame:
    """Seat of every prefecture-level unit: ``seat_lon, seat_lat, seat_source``.

    ``prefectures``: ``adcode`` (and the lowest-county fallback ``seat_lon, seat_lat``);
    ``counties``: ``adcode, seat_lon, seat_lat, seat_source`` (for 省直辖 units, which are
    their own prefecture).
    """
    own = counties.set_index("adcode")
    prim = sources.primary
    rows = []
    for code, lon0, lat0 in prefectures[["adcode", "seat_lon", "seat_lat"]].itertuples(index=False):
        if code in own.index and code[2:4] == "90":
            r = own.loc[code]
            rows.append((r["seat_lon"], r["seat_lat"], r["seat_source"]))
        elif code in prim.index:
            rows.append((prim.at[code, "lon"], prim.at[code, "lat"], "cpca"))
        else:
            rows.append((lon0, lat0, "lowest_county"))
    out = pd.DataFrame(
        rows, columns=["seat_lon", "seat_lat", "seat_source"], index=prefectures.index
    )
    out["seat_lon"] = out["seat_lon"].astype(float).round(_GRID_DECIMALS)
    out["seat_lat"] = out["seat_lat"].astype(float).round(_GRID_DECIMALS)
    out["seat_source"] = out["seat_source"].astype(str)
    return out


def snap_seats(counties: pd.DataFrame) -> pd.DataFrame:
    """``seat_lon, seat_lat, seat_source, seat_key`` with seats outside their polygon fixed.

    * A seat within :data:`SNAP_DEG` of its county's polygon is outside only because the
      border was simplified (赤水, on the border river): it moves to the nearest point
      inside.
    * A seat further out that lies in a county without a seat of its own (``inscribed``)
      is the seat of a unit split off since the source's vintage: it goes to that county,
      and the first county keeps its inscribed point (余杭区's pre-2021 seat is 临平区's).
    * Any other seat further out is the real seat of a county governed from a
      neighbouring city (抚顺县, 安阳县) and stays.

    ``counties``: ``seat_lon, seat_lat, seat_source, seat_key, geometry`` and the
    ``inscribed`` ``(n, 2)`` centres in ``inscribed_lon, inscribed_lat``.
    """
    cols = ["seat_lon", "seat_lat", "seat_source", "seat_key"]
    out = counties[cols].copy()
    geoms = np.asarray(counties.geometry.values)
    xy = out[["seat_lon", "seat_lat"]].to_numpy(dtype=float)
    outside = ~shapely.contains_xy(geoms, xy[:, 0], xy[:, 1])
    tree = shapely.STRtree(geoms)
    for i in np.flatnonzero(outside):
        if shapely.distance(geoms[i], shapely.Point(xy[i])) <= SNAP_DEG:
            out.iloc[i, :2] = nearest_inside(geoms[i], xy[i])
            continue
        holder = tree.query(shapely.Point(xy[i]), predicate="within")
        seatless = [j for j in holder if out.iat[j, 2] == "inscribed"]
        if len(seatless) == 1:
            j = seatless[0]
            out.iloc[j] = [xy[i, 0], xy[i, 1], out.iat[i, 2], out.iat[i, 3]]
            out.iloc[i] = [
                counties["inscribed_lon"].iat[i],
                counties["inscribed_lat"].iat[i],
                "inscribed",
                "",
            ]
    return out
