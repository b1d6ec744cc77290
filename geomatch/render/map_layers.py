"""The data of the map layers: compact tables built from a run and its dataset.

Each function returns what one ``GM.*`` layer of ``assets/geomatch-map.js`` draws:
``{"cols": [...], "rows": [[...], ...]}`` (points and lines; a point row starts with
``lon, lat``, a line row with its ``[[lat, lon], ...]`` path) or a property frame for
:func:`~geomatch.render.geometry.feature_collection`. Names reach the page as JSON data and
are escaped by the browser script; personal numbers were masked before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

from geomatch.model.categories import CATEGORY_ZH, HELPER_KIND_ZH
from geomatch.model.run_tables import run_table
from geomatch.render.run import as_text, county_of_code

__all__ = [
    "COUNTY_PROPS",
    "COUNTY_TIP",
    "MONTH_COLOURS",
    "caravan_routes",
    "county_props",
    "expert_bundles",
    "helper_lists",
    "label_points",
    "museum_visit_points",
    "place_points",
    "province_flows",
    "unmet_points",
]

STATION_ZH: Final = {"complete": "齐全", "partial": "部分", "none": "未配对"}
ROLE_ZH: Final = {"crop": "种植", "livestock": "养殖", "health": "医疗"}
MONTH_COLOURS: Final = dict(
    enumerate(
        (
            "#1f77b4",
            "#aec7e8",
            "#2ca02c",
            "#98df8a",
            "#bcbd22",
            "#ff7f0e",
            "#d62728",
            "#ff9896",
            "#9467bd",
            "#8c564b",
            "#e377c2",
            "#17becf",
        ),
        start=1,
    )
)

_COV: Final = run_table("coverage").labels  # the coverage columns' declared labels

#: The county tooltip: helpers listed up to ``listMax`` (the popup lists them all).
COUNTY_TIP: Final[dict[str, Any]] = {
    "title": "n",
    "subtitle": "a",
    "rows": [
        [_COV["province"], "p"],
        [_COV["prefecture"], "pf"],
        [_COV["station_team"], "stz"],
        [_COV["station_roles_paired"], "r"],
        [_COV["museum_visits"], "mv"],
        [_COV["caravan_visits"], "cv"],
        [_COV["caravan_days"], "cd"],
        ["大篷车到达乡镇", "tsp"],
        ["大篷车到达行政村", "vsp"],
        [_COV["experts"], "ex"],
        ["需求已配对/总数", "npt"],
        [_COV["unmet_needs"], "un"],
        [_COV["unmet_visits"], "uv"],
        [_COV["exit_year"], "ey"],
        [_COV["deep_poverty_area"], "dp"],
    ],
    "list": "hl",
    "listMax": 5,
    "listUnit": "名",
    "listTitle": "结对专家/组织",
}

#: Short property name on the page → column of :func:`county_props`.
COUNTY_PROPS: Final = {
    "a": "adcode",
    "n": "name",
    "p": "province",
    "pf": "prefecture",
    "st": "station_team",
    "stz": "stz",
    "r": "r",
    "mv": "museum_visits",
    "cv": "caravan_visits",
    "cd": "caravan_days",
    "tsp": "tsp",
    "vsp": "vsp",
    "ts": "ts",
    "ex": "experts",
    "npt": "npt",
    "un": "unmet_needs",
    "uv": "unmet_visits",
    "ey": "ey",
    "dp": "deep_poverty_area",
    "hl": "hl",
}


def _share_text(reached: Any, total: Any) -> str:
    t = int(total or 0)
    return f"{int(reached or 0)}/{t} ({100 * int(reached or 0) / t:.0f}%)" if t else ""


def county_props(cov: pd.DataFrame, helpers: Mapping[str, list[str]] | None) -> pd.DataFrame:
    """Coverage rows with the display columns of :data:`COUNTY_PROPS`."""
    df = cov.copy()
    df["stz"] = df["station_team"].map(STATION_ZH).fillna(df["station_team"])
    df["r"] = (
        df["station_roles_paired"]
        .fillna("")
        .astype("str")
        .map(lambda s: "、".join(ROLE_ZH.get(x, x) for x in s.split(";") if x))
    )
    df["tsp"] = [
        _share_text(a, b)
        for a, b in zip(df["townships_reached"], df["townships_total"], strict=False)
    ]
    df["vsp"] = [
        _share_text(a, b)
        for a, b in zip(df["villages_reached"], df["villages_total"], strict=False)
    ]
    df["npt"] = [
        f"{int(a)}/{int(b)}" for a, b in zip(df["needs_paired"], df["needs_total"], strict=False)
    ]
    df["ts"] = pd.to_numeric(df["township_share"], errors="coerce").fillna(0.0)
    df["ey"] = df["exit_year"].astype("string").fillna("")
    df["hl"] = [list(helpers.get(a, [])) if helpers else [] for a in df["adcode"]]
    return df


def helper_lists(pj: pd.DataFrame) -> dict[str, list[str]]:
    """County → every paired helper as "name（kind·specialty·city）" (the page caps it)."""
    u = pj.drop_duplicates(["adcode", "helper_id"])
    if u.empty:
        return {}
    col = {
        c: u[c].astype("str") if c in u else pd.Series("", index=u.index)
        for c in ("h_name", "h_kind", "h_specialty", "h_city")
    }
    label = (
        col["h_name"].where(col["h_name"].ne("nan"), u["helper_id"].astype("str"))
        + "（"
        + col["h_kind"].map(lambda k: HELPER_KIND_ZH.get(k, ""))
        + "·"
        + col["h_specialty"].map(lambda k: CATEGORY_ZH.get(k, ""))
        + "·"
        + col["h_city"].where(col["h_city"].ne("nan"), "")
        + "）"
    )
    return {
        str(adcode): items.tolist()
        for adcode, items in label.groupby(u["adcode"].to_numpy(), sort=False)
    }


def place_points(df: pd.DataFrame, hit: set[str], decimals: int) -> dict[str, Any]:
    """Townships or villages: ``lon, lat, n`` (name), ``c`` (code), ``hit``, ``q``."""
    codes = as_text(df["code"])
    quality = df.get("location_quality", pd.Series("", index=df.index))
    approx = as_text(quality) == "approximate"
    rows = [
        [
            round(float(lon), decimals),
            round(float(lat), decimals),
            str(n),
            c,
            "已到达" if c in hit else "",
            "近似" if a else "",
        ]
        for lon, lat, n, c, a in zip(df["lon"], df["lat"], df["name"], codes, approx, strict=False)
    ]
    return {"cols": ["lon", "lat", "n", "c", "hit", "q"], "rows": rows}


def label_points(names: pd.Series, lon: pd.Series, lat: pd.Series) -> dict[str, Any]:
    """County labels: ``lon, lat, n``."""
    rows = [
        [round(float(x), 3), round(float(y), 3), str(n)]
        for n, x, y in zip(names, lon, lat, strict=True)
        if x == x and y == y
    ]
    return {"cols": ["lon", "lat", "n"], "rows": rows}


def expert_bundles(pj: pd.DataFrame, seats: pd.DataFrame, decimals: int) -> dict[str, Any]:
    """One line per helper city → county seat; ``helpers`` sets the width, ``names`` all."""
    cols = ["path", "src", "dst", "helpers", "needs", "names"]
    pjs = pj[pj["h_lon"].notna() & pj["adcode"].isin(seats.index)]
    if pjs.empty:
        return {"cols": cols, "rows": []}
    keys = ["h_city", "adcode"]
    uniq = pjs.drop_duplicates([*keys, "helper_id"])
    agg = uniq.groupby(keys, sort=True).agg(
        lat=("h_lat", "mean"),
        lon=("h_lon", "mean"),
        helpers=("helper_id", "size"),
        names=("h_name", list),
    )
    agg["needs"] = pjs.groupby(keys, sort=True)["need_id"].nunique()
    rows = []
    for (city, adcode), r in agg.iterrows():
        seat = seats.loc[adcode]
        path = [
            [round(float(r["lat"]), 3), round(float(r["lon"]), 3)],
            [round(float(seat["seat_lat"]), decimals), round(float(seat["seat_lon"]), decimals)],
        ]
        names = [str(n) for n in r["names"]]
        rows.append([path, str(city), str(seat["name"]), int(r["helpers"]), int(r["needs"]), names])
    return {"cols": cols, "rows": rows}


def museum_visit_points(mv: pd.DataFrame, seats: pd.DataFrame, decimals: int) -> dict[str, Any]:
    """Every county seat with its visits (``k``) and their dates (``v``)."""
    visits: dict[str, list[str]] = {}
    for v in mv.sort_values(["start_date"]).itertuples() if len(mv) else ():
        visits.setdefault(str(v.adcode).strip(), []).append(
            f"第{int(v.visit_no)}次 {v.start_date}—{v.end_date}（展品套 {v.set_id}）"
        )
    rows = [
        [
            round(float(r["seat_lon"]), decimals),
            round(float(r["seat_lat"]), decimals),
            str(r["name"]),
            len(visits.get(str(adcode), [])),
            visits.get(str(adcode), []),
        ]
        for adcode, r in seats.iterrows()
    ]
    return {"cols": ["lon", "lat", "n", "k", "v"], "rows": rows}


def _stop_positions(townships: pd.DataFrame, villages: pd.DataFrame) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {"code": as_text(df["code"]), "lon": df["lon"], "lat": df["lat"], "n": df["name"]}
        )
        for df in (townships, villages)
    ]
    return pd.concat(parts).drop_duplicates("code").set_index("code")


def caravan_routes(
    ct: pd.DataFrame,
    townships: pd.DataFrame,
    villages: pd.DataFrame,
    seats: pd.DataFrame,
    decimals: int,
) -> dict[str, Any]:
    """One line per caravan day: seat → stops in order → seat, coloured by ``month``."""
    cols = ["path", "date", "cid", "county", "month", "k", "km", "names"]
    ct = ct.assign(_county=county_of_code(ct["stop_code"]))
    ct = ct[ct["_county"].isin(seats.index)]
    if ct.empty:
        return {"cols": cols, "rows": []}
    pos = _stop_positions(townships, villages)
    ct = ct.assign(_code=as_text(ct["stop_code"])).sort_values(["caravan_id", "date", "seq"])
    ct = ct.join(pos.rename(columns={"lon": "_plon", "lat": "_plat", "n": "_pn"}), on="_code")
    ct["_lat"] = pd.to_numeric(ct["_plat"], errors="coerce").round(decimals)
    ct["_lon"] = pd.to_numeric(ct["_plon"], errors="coerce").round(decimals)
    # The day's distance: legs to each stop (+ the drive home when the run records it).
    km = pd.to_numeric(ct["travel_km"], errors="coerce") if "travel_km" in ct else float("nan")
    if "return_km" in ct:
        km = km + pd.to_numeric(ct["return_km"], errors="coerce").fillna(0)
    ct["_km"] = km
    rows = []
    for (cid, date), g in ct.groupby(["caravan_id", "date"], sort=True):
        seat = seats.loc[str(g["_county"].iloc[0])]
        home = [round(float(seat["seat_lat"]), decimals), round(float(seat["seat_lon"]), decimals)]
        ok = g["_lat"].notna().to_numpy()
        path = [home, *g.loc[ok, ["_lat", "_lon"]].to_numpy().tolist(), home]
        names = [f"{n}（{c}）" for n, c in zip(g.loc[ok, "_pn"], g.loc[ok, "_code"], strict=True)]
        day_km = float(g["_km"].sum(min_count=1))
        rows.append(
            [
                path,
                str(date),
                str(cid),
                str(seat["name"]),
                int(str(date)[5:7]),
                len(names),
                round(day_km, 1) if day_km == day_km else "",
                names,
            ]
        )
    return {"cols": cols, "rows": rows}


def province_flows(
    pj: pd.DataFrame, cov: pd.DataFrame, relations: pd.DataFrame | None
) -> dict[str, Any]:
    """Helper province → poor-county province bundles, flagged when an official pair."""
    cols = ["path", "src", "dst", "helpers", "needs", "official"]
    seats = cov.set_index("adcode")[["seat_lon", "seat_lat"]]
    df = pj[pj["adcode"].isin(seats.index) & pj["h_lon"].notna()].copy()
    if df.empty:
        return {"cols": cols, "rows": []}
    df["s_lon"] = df["adcode"].map(seats["seat_lon"])
    df["s_lat"] = df["adcode"].map(seats["seat_lat"])
    official: set[tuple[str, str]] = set()
    if relations is not None and len(relations):
        official = set(
            zip(
                as_text(relations["east_province_adcode"]),
                as_text(relations["west_province_adcode"]),
                strict=False,
            )
        )
    names = cov.drop_duplicates("province_adcode").set_index("province_adcode")["province"]
    rows = []
    for (src, dst), g in df.groupby(["h_province_adcode", "n_province_adcode"], sort=True):
        path = [
            [round(g["h_lat"].mean(), 3), round(g["h_lon"].mean(), 3)],
            [round(g["s_lat"].mean(), 3), round(g["s_lon"].mean(), 3)],
        ]
        rows.append(
            [
                path,
                str(g["h_province"].iloc[0]),
                str(names.get(dst, dst)),
                int(g["helper_id"].nunique()),
                int(g["need_id"].nunique()),
                "是" if (str(src), str(dst)) in official else "否",
            ]
        )
    return {"cols": cols, "rows": rows}


def unmet_points(cov: pd.DataFrame) -> dict[str, Any]:
    """County seats with unmet needs or unscheduled visits (``total`` sets the radius)."""
    un = cov[(cov["unmet_needs"] + cov["unmet_visits"]) > 0]
    rows = [
        [
            round(float(r.seat_lon), 4),
            round(float(r.seat_lat), 4),
            str(r.name),
            int(r.unmet_needs),
            int(r.unmet_visits),
            int(r.unmet_needs + r.unmet_visits),
        ]
        for r in un.itertuples()
    ]
    return {"cols": ["lon", "lat", "n", "un", "uv", "total"], "rows": rows}
