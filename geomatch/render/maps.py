"""Offline coverage maps of a run: ``index.html``, ``national.html``, ``province/<adcode>.html``.

The pages are folium maps that open from the file system with the network off (no tile
server unless the caller passes one, Leaflet and geomatch's script and style copied to
``<maps>/assets/``, see :mod:`geomatch.render.map_page`). What a planner gets:

* three coverage views of the poor counties (station team, museum visits, caravan
  coverage) with Chinese tooltips — lists capped at five names ("另有 21 名"), every name
  in the popup a click opens;
* a search box finding a county, township or village by Chinese name, pinyin or code
  (:mod:`geomatch.render.search`) that zooms to the unit and opens it; county names as
  labels from :attr:`MapSettings.label_zoom` on;
* on a province page: townships and villages (reached or not), expert bundles (helper city →
  county, width = experts), museum-visit dates at the county seats and caravan routes by
  day coloured by month (with the month key in the legend);
* on the national page: helper flows between provinces, unmet needs, 台湾、香港、澳门 drawn
  outside the programme and a 南海诸岛 inset (:mod:`geomatch.databuild.context_layers`);
* ``index.html`` lists every province page by Chinese name with its headline figures.

Pages stay light: county polygons are coverage-simplified and rounded to 4 decimals; if a
page still exceeds its limit (``national.html`` 5 MB, a province page 3 MB) the tolerance
is doubled until it fits.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geomatch.errors import GeomatchError
from geomatch.io.output import atomic_output_dir, mask_personal_numbers
from geomatch.progress import ProgressCallback, null_progress
from geomatch.render import map_layers as ml
from geomatch.render.coverage import needs_of_pairings
from geomatch.render.geometry import (
    feature_collection,
    js_json,
    load_context_layers,
    simplify_cover,
)
from geomatch.render.map_page import copy_assets, finish_page, folium_kit, new_map
from geomatch.render.run import add_coverage, as_text, with_run_inputs
from geomatch.render.search import pinyin_table
from geomatch.run_result import RunResult, read_run

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = ["MapSettings", "write_maps"]

log = logging.getLogger(__name__)

STATION_COLOURS = {"complete": "#1a9850", "partial": "#fdae61", "none": "#d73027"}
MUSEUM_COLOURS = ["#d73027", "#fdae61", "#1a9850"]
SHARE_COLOURS = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]
MUSEUM_SCALE: dict[str, Any] = {"breaks": [0, 1], "colours": MUSEUM_COLOURS}
SHARE_SCALE: dict[str, Any] = {"breaks": [0, 0.25, 0.5, 0.75], "colours": SHARE_COLOURS}
OUTSIDE_STYLE: dict[str, Any] = {
    "color": "#777",
    "weight": 0.8,
    "fill": True,
    "fillOpacity": 0.5,
    "dash": "4 3",
    "scale": {"map": {}, "other": "#d9d9d9"},
    "key": "k",
}
#: The 南海诸岛 inset's extent, [[south, west], [north, east]].
SOUTH_CHINA_SEA = [[2.5, 105.5], [24.5, 123.5]]
_SEARCH_HINT = "搜索县、乡镇、村：名称、拼音或代码"
_COUNTY_SEARCH = {"kind": "县", "code": "a", "name": "n", "sub": "p", "rank": 0}


@dataclass(frozen=True)
class MapSettings:
    """How the maps are drawn.

    Attributes
    ----------
    national_tolerance, province_tolerance
        Coverage-simplification tolerance of county polygons, degrees (doubled until the
        page fits its size limit).
    outline_tolerance
        Tolerance of province and prefecture outlines on the national map, degrees.
    decimals
        Coordinate decimals (degrees; 4 ≈ 11 m).
    national_limit_bytes, province_limit_bytes
        Size limits of ``national.html`` and of a province page.
    label_zoom_national, label_zoom_province
        County names show as labels from this zoom level on.
    villages_shown, routes_shown
        A province page opens with its village points / caravan routes switched on only
        up to this many (they stay one click away in the layer control).
    """

    national_tolerance: float = 0.01
    province_tolerance: float = 0.002
    outline_tolerance: float = 0.03
    decimals: int = 4
    national_limit_bytes: int = 5_000_000
    province_limit_bytes: int = 3_000_000
    label_zoom_national: float = 7
    label_zoom_province: float = 8
    villages_shown: int = 3000
    routes_shown: int = 300


# --------------------------------------------------------------------------- data of a run


@dataclass
class _Context:
    run: RunResult
    dataset: Dataset
    coverage: gpd.GeoDataFrame  # one row per poor county, with county geometry
    pairs: pd.DataFrame  # pairings + need county + helper attributes
    manifest: dict[str, Any]


def run_coverage(run: RunResult, dataset: Dataset) -> pd.DataFrame:
    """The run's coverage table: as the pipeline wrote it, computed only for a run without it.

    A pairing-only run (``geomatch pair``) has no ``coverage.csv``; the coverage stage
    (:func:`~geomatch.render.run.add_coverage`) then computes it from the run's pairings
    and schedules. Typed by the run-table contract (:mod:`geomatch.model.run_tables`).
    """
    cov = add_coverage(run, dataset).coverage.copy()
    cov["station_team"] = cov["station_team"].replace("", "none")
    return cov


_HELPER_COLUMNS = (
    "helper_id",
    "name",
    "kind",
    "specialty",
    "city",
    "lon",
    "lat",
    "province_adcode",
    "province",
    "institution",
)


def _pairs(run: RunResult, dataset: Dataset, cov: pd.DataFrame) -> pd.DataFrame:
    """Pairings with the need's county and the helper's (masked) attributes, ``h_*``."""
    pj = needs_of_pairings(run.pairings, dataset.needs)
    keep = [c for c in _HELPER_COLUMNS if c in dataset.helpers.columns]
    h = mask_personal_numbers(dataset.helpers[keep].copy())
    h["helper_id"] = as_text(h["helper_id"])
    h = h.drop_duplicates("helper_id").rename(
        columns={c: f"h_{c}" for c in keep if c != "helper_id"}
    )
    pj = pj.merge(h, on="helper_id", how="left")
    pj["n_province_adcode"] = pj["adcode"].map(
        dict(zip(cov["adcode"], cov["province_adcode"], strict=False))
    )
    # Helpers brought by the user may lack some attributes: draw what is there.
    for c in ("h_lon", "h_lat"):
        pj[c] = pd.to_numeric(pj[c], errors="coerce") if c in pj else np.nan
    for c in ("h_name", "h_kind", "h_specialty", "h_city", "h_province_adcode", "h_province"):
        pj[c] = pj[c].fillna("").astype("str") if c in pj else ""
    return pj


def _context(run: RunResult, dataset: Dataset) -> _Context:
    cov = run_coverage(run, dataset)
    geo = dataset.poor_counties.drop_duplicates("adcode")[["adcode", "geometry"]].copy()
    geo["adcode"] = as_text(geo["adcode"])
    gcov = gpd.GeoDataFrame(
        cov.merge(geo, on="adcode", how="left"), geometry="geometry", crs="EPSG:4326"
    )
    return _Context(
        run=run,
        dataset=dataset,
        coverage=gcov,
        pairs=_pairs(run, dataset, cov),
        manifest=run.manifest,
    )


# --------------------------------------------------------------------------- shared layers


def _add_choropleths(m: Any, var: str, search: bool) -> None:
    """Three base layers (radio buttons) over the same county data."""
    kit = folium_kit()
    common: dict[str, Any] = {"fill": True, "weight": 0.5, "color": "#444", "tip": ml.COUNTY_TIP}
    if search:
        common["search"] = _COUNTY_SEARCH
    layers = (
        ("st", {"map": STATION_COLOURS}, "专家服务站团队 station team"),
        ("mv", MUSEUM_SCALE, "流动科技馆巡展 museum visits"),
        ("ts", SHARE_SCALE, "科普大篷车覆盖 caravan coverage"),
    )
    for i, (key, scale, title) in enumerate(layers):
        kit.data_layer(
            "polygons",
            var,
            {**common, "key": key, "scale": scale},
            title,
            overlay=False,
            show=i == 0,
        ).add_to(m)


def _add_museums(m: Any, museums: pd.DataFrame, radius: int, title: str) -> None:
    """Add the science museums (``museum, city, lon, lat``) as a black point layer."""
    pts = {
        "cols": ["lon", "lat", "n", "c"],
        "rows": [
            [float(r["lon"]), float(r["lat"]), str(r["museum"]), str(r["city"])]
            for _, r in museums.iterrows()
        ],
    }
    folium_kit().data_layer(
        "points",
        js_json(pts),
        {"radius": radius, "fillColor": "#000", "tip": {"title": "n", "rows": [["城市", "c"]]}},
        title,
    ).add_to(m)


def _add_labels_and_search(m: Any, labels: dict[str, Any], names: list[str], zoom: float) -> None:
    """County labels from ``zoom`` on, then the search box over every registered unit."""
    kit = folium_kit()
    kit.call("labels", labels, {"minZoom": zoom}).add_to(m)
    kit.call("search", pinyin_table(names).as_json(), {"placeholder": _SEARCH_HINT}).add_to(m)


def _swatch(colour: str, label: str) -> str:
    return f'<span class="gm-swatch" style="background:{colour}"></span>{html.escape(label)}<br>'


def _legend(extra: list[str]) -> str:
    parts = ["<h4>图例 legend</h4><b>专家服务站团队</b><br>"]
    zh = {"complete": "齐全", "partial": "部分", "none": "未配对"}
    parts += [_swatch(STATION_COLOURS[k], f"{zh[k]} {k}") for k in STATION_COLOURS]
    parts.append("<b>流动科技馆巡展 (次/年, 目标 2)</b><br>")
    parts += [_swatch(c, lab) for c, lab in zip(MUSEUM_COLOURS, ["0", "1", "≥2"], strict=True)]
    parts.append("<b>大篷车到达乡镇比例</b><br>")
    labels = ["0", "≤25%", "25–50%", "50–75%", ">75%"]
    parts += [_swatch(c, lab) for c, lab in zip(SHARE_COLOURS, labels, strict=True)]
    parts += extra
    return "".join(parts)


def _fit(build: Callable[[float], str], tolerance: float, limit: int, what: str) -> str:
    tol = tolerance
    for _ in range(6):
        page = build(tol)
        size = len(page.encode("utf-8"))
        if size <= limit:
            log.debug("%s: %.2f MB at tolerance %.4f°", what, size / 1e6, tol)
            return page
        log.info(
            "%s: %.2f MB > %.2f MB at tolerance %.4f°; simplifying further",
            what,
            size / 1e6,
            limit / 1e6,
            tol,
        )
        tol *= 2
    raise GeomatchError(
        f"{what} stays above its size limit of {limit / 1e6:.1f} MB even with polygons "
        f"simplified at {tol / 2:.3f}°; reduce the points drawn"
    )


# --------------------------------------------------------------------------- national page


def _add_outlines(m: Any, ds: Any, cov: pd.DataFrame, s: MapSettings) -> None:
    kit = folium_kit()
    prov = simplify_cover(ds.provinces, s.outline_tolerance)
    kit.data("gm_provinces", feature_collection(prov, {"n": "name"}, decimals=3)).add_to(m)
    kit.data_layer(
        "polygons",
        "gm_provinces",
        {"color": "#222", "weight": 1.2, "fill": False},
        "省界 provinces",
    ).add_to(m)
    pf = ds.prefectures
    pf = simplify_cover(
        pf[as_text(pf["province_adcode"]).isin(set(cov["province_adcode"]))], s.outline_tolerance
    )
    kit.data_layer(
        "polygons",
        js_json(feature_collection(pf, {"n": "name"}, decimals=3)),
        {"color": "#777", "weight": 0.6, "fill": False, "dash": "3 3"},
        "地市界 prefectures",
        show=False,
    ).add_to(m)


def _add_context(m: Any, context: gpd.GeoDataFrame) -> None:
    """台湾、香港、澳门 (outside the programme), the 南海诸岛 and the nine-dash line + the inset."""
    kit = folium_kit()
    ctx = context.assign(k=context["kind"])
    outside = feature_collection(
        ctx[ctx["kind"] != "nine_dash"], {"n": "name", "k": "kind"}, decimals=3
    )
    line = feature_collection(ctx[ctx["kind"] == "nine_dash"], {"n": "name"}, decimals=3)
    kit.data("gm_context", outside).add_to(m)
    kit.data("gm_ninedash", line).add_to(m)
    tip = {
        "title": "n",
        "rows": [["说明", "k", {"outside": "不在本计划范围（无贫困县）", "islands": "南海诸岛"}]],
    }
    kit.data_layer(
        "polygons", "gm_context", {**OUTSIDE_STYLE, "tip": tip}, "台湾、香港、澳门与南海诸岛"
    ).add_to(m)
    kit.data_layer(
        "polygons", "gm_ninedash", {"color": "#555", "weight": 1.5, "fill": False}, "南海断续线"
    ).add_to(m)
    layers = [
        {
            "fn": "polygons",
            "data": "gm_provinces",
            "opts": {
                "color": "#555",
                "weight": 0.6,
                "fill": True,
                "fillOpacity": 0.4,
                "scale": {"map": {}, "other": "#f2f2f2"},
                "key": "n",
            },
        },
        {"fn": "polygons", "data": "gm_context", "opts": OUTSIDE_STYLE},
        {
            "fn": "polygons",
            "data": "gm_ninedash",
            "opts": {"color": "#555", "weight": 1, "fill": False},
        },
    ]
    kit.call(
        "inset",
        {
            "title": "南海诸岛",
            "bounds": SOUTH_CHINA_SEA,
            "layers": layers,
            "position": "bottomleft",
        },
    ).add_to(m)


def _add_flows(m: Any, ctx: _Context) -> None:
    flows = ml.province_flows(
        ctx.pairs, ctx.coverage, getattr(ctx.dataset, "pairing_relations", None)
    )
    tip = {
        "title": "dst",
        "subtitle": "src",
        "rows": [
            ["来源省份", "src"],
            ["帮扶省份", "dst"],
            ["专家/组织(名)", "helpers"],
            ["结对需求(项)", "needs"],
            ["东西部协作对口", "official"],
        ],
    }
    # Official east–west pairs first (shown); other province pairs one click away.
    for official, colour, name, show in (
        ("是", "#c0392b", "东西部协作 专家流向 official-pair flows", True),
        ("否", "#2e86c1", "其他 专家流向 other helper flows", False),
    ):
        rows = [r for r in flows["rows"] if r[-1] == official]
        folium_kit().data_layer(
            "lines",
            js_json({"cols": flows["cols"], "rows": rows}),
            {
                "widthKey": "helpers",
                "widthScale": 0.35,
                "minWidth": 1,
                "maxWidth": 14,
                "color": colour,
                "opacity": 0.75 if show else 0.5,
                "tip": tip,
            },
            name,
            show=show,
        ).add_to(m)


def _add_unmet(m: Any, cov: pd.DataFrame) -> None:
    unmet = ml.unmet_points(cov)
    folium_kit().data_layer(
        "points",
        js_json(unmet),
        {
            "radiusKey": "total",
            "radiusMax": 11,
            "radiusDen": max([1, *(r[-1] for r in unmet["rows"])]),
            "radius": 2,
            "fillColor": "#7b3294",
            "fillOpacity": 0.6,
            "tip": {"title": "n", "rows": [["未满足需求(项)", "un"], ["未排期巡展", "uv"]]},
        },
        "未满足需求 unmet needs",
        show=False,
    ).add_to(m)


_NATIONAL_LEGEND = [
    "<b>专家流向</b><br>",
    '<span class="gm-line"></span>东西部协作对口 official pair<br>',
    '<span class="gm-line" style="border-color:#2e86c1"></span>其他 other (宽度=人数)<br>',
    '<span class="gm-dot" style="background:#7b3294"></span>未满足需求<br>',
    '<span class="gm-swatch" style="background:#d9d9d9;border-style:dashed"></span>'
    "台湾、香港、澳门（不在本计划范围）<br>",
]


def _national_html(ctx: _Context, tolerance: float, s: MapSettings, tiles: str | None) -> str:
    kit = folium_kit()
    cov = ctx.coverage
    drawn = cov[cov.geometry.notna()]
    # The view fits the poor counties (nearly all of China on the national run).
    x0, y0, x1, y1 = (float(v) for v in drawn.total_bounds) if len(drawn) else (73.5, 18, 135, 53.6)
    m = new_map("geomatch 全国贫困县科技帮扶覆盖图", (x0, y0, x1, y1), "assets", tiles)
    props = ml.county_props(simplify_cover(drawn, tolerance), None)
    kit.data("gm_counties", feature_collection(props, ml.COUNTY_PROPS, decimals=s.decimals)).add_to(
        m
    )
    _add_choropleths(m, "gm_counties", search=True)
    _add_outlines(m, ctx.dataset, cov, s)
    _add_context(m, load_context_layers(ctx.dataset))
    _add_flows(m, ctx)
    _add_unmet(m, cov)
    mus = getattr(ctx.dataset, "museums", None)
    if mus is not None and len(mus):
        _add_museums(m, mus, 5, "省级科技馆 science museums")
    labels = ml.label_points(cov["name"], cov["seat_lon"], cov["seat_lat"])
    _add_labels_and_search(m, labels, cov["name"].tolist(), s.label_zoom_national)
    legend = _legend(_NATIONAL_LEGEND)
    return finish_page(m, legend, ctx.manifest, "全国贫困县科技帮扶覆盖 national coverage")


# --------------------------------------------------------------------------- province page


@dataclass(frozen=True)
class _Province:
    """What a province page draws."""

    adcode: str
    name: str
    coverage: gpd.GeoDataFrame  # the province's poor counties (simplified polygons)
    others: gpd.GeoDataFrame  # its other counties (simplified)
    pairs: pd.DataFrame
    seats: pd.DataFrame  # poor county → seat_lon, seat_lat, name
    townships: pd.DataFrame
    villages: pd.DataFrame
    bounds: tuple[float, float, float, float]


def _province(ctx: _Context, pa: str, tolerance: float) -> _Province:
    ds = ctx.dataset
    cov = ctx.coverage[ctx.coverage["province_adcode"] == pa]
    counties = ds.counties[as_text(ds.counties["province_adcode"]) == pa]
    allc = simplify_cover(counties, tolerance)
    poor = set(cov["adcode"])
    is_poor = as_text(allc["adcode"]).isin(poor)
    simple = gpd.GeoDataFrame(
        cov.drop(columns="geometry").merge(
            allc[is_poor][["adcode", "geometry"]], on="adcode", how="inner"
        ),
        geometry="geometry",
        crs="EPSG:4326",
    )
    frame = counties if len(counties) else cov
    return _Province(
        adcode=pa,
        name=str(cov["province"].iloc[0]),
        coverage=simple,
        others=allc[~is_poor],
        pairs=ctx.pairs[ctx.pairs["n_province_adcode"] == pa],
        seats=cov.set_index("adcode")[["seat_lon", "seat_lat", "name"]],
        townships=ds.townships[as_text(ds.townships["county_adcode"]).isin(poor)],
        villages=ds.villages[as_text(ds.villages["county_adcode"]).isin(poor)],
        bounds=tuple(float(x) for x in frame.total_bounds),  # type: ignore[arg-type]
    )


def _add_province_counties(m: Any, pv: _Province, s: MapSettings) -> None:
    kit = folium_kit()
    props = ml.county_props(pv.coverage, ml.helper_lists(pv.pairs))
    kit.data("gm_counties", feature_collection(props, ml.COUNTY_PROPS, decimals=s.decimals)).add_to(
        m
    )
    _add_choropleths(m, "gm_counties", search=True)
    others = pv.others.assign(province=pv.name)
    kit.data_layer(
        "polygons",
        js_json(
            feature_collection(
                others, {"n": "name", "a": "adcode", "p": "province"}, decimals=s.decimals
            )
        ),
        {
            "color": "#999",
            "weight": 0.5,
            "fill": True,
            "fillOpacity": 0.15,
            "scale": {"map": {}, "other": "#ccc"},
            "key": "n",
            "tip": {"title": "n", "subtitle": "a", "rows": [["", "p"]]},
            "search": {**_COUNTY_SEARCH, "rank": 1},
        },
        "非贫困县 other counties",
    ).add_to(m)


_PLACE_TIP = {
    "title": "n",
    "subtitle": "c",
    "rows": [["大篷车", "hit"], ["位置", "q", {"近似": "近似 approximate"}]],
}
_REACH_SCALE = {"map": {"已到达": "#1a9850"}, "other": "#ffffff"}


def _add_places(m: Any, pv: _Province, stops: pd.DataFrame, s: MapSettings) -> None:
    """Townships and villages: green when the caravan reaches them; dashed = approximate."""
    codes = as_text(stops["stop_code"]) if len(stops) else pd.Series(dtype="str")
    reached, reached_twp = set(codes), set(codes.str[:9])
    layers = (
        (
            pv.townships,
            reached_twp,
            {"radius": 3.5, "weight": 1},
            "乡镇",
            2,
            "乡镇 townships",
            True,
        ),
        (
            pv.villages,
            reached,
            {"radius": 2, "weight": 0.5, "color": "#555"},
            "村",
            3,
            "行政村 villages",
            len(pv.villages) <= s.villages_shown,
        ),
    )
    for df, hit, style, kind, rank, title, show in layers:
        folium_kit().data_layer(
            "points",
            js_json(ml.place_points(df, hit, s.decimals)),
            {
                **style,
                "key": "hit",
                "scale": _REACH_SCALE,
                "dashKey": "q",
                "tip": _PLACE_TIP,
                "search": {"kind": kind, "code": "c", "name": "n", "rank": rank},
            },
            title,
            show=show,
        ).add_to(m)


def _add_expert_bundles(m: Any, pv: _Province, s: MapSettings) -> None:
    bundles = ml.expert_bundles(pv.pairs, pv.seats, s.decimals)
    folium_kit().data_layer(
        "lines",
        js_json(bundles),
        {
            "widthKey": "helpers",
            "widthScale": 1.2,
            "minWidth": 1,
            "maxWidth": 10,
            "color": "#c0392b",
            "opacity": 0.55,
            "tip": {
                "title": "dst",
                "subtitle": "src",
                "rows": [
                    ["来源城市", "src"],
                    ["专家/组织(名)", "helpers"],
                    ["结对需求(项)", "needs"],
                ],
                "list": "names",
                "listMax": 5,
                "listUnit": "名",
            },
        },
        "专家结对（城市→县） expert bundles",
        show=False,
    ).add_to(m)


def _add_museum_visits(m: Any, pv: _Province, mv: pd.DataFrame, s: MapSettings) -> None:
    mv = mv[as_text(mv["adcode"]).isin(set(pv.seats.index))] if len(mv) else mv
    folium_kit().data_layer(
        "points",
        js_json(ml.museum_visit_points(mv, pv.seats, s.decimals)),
        {
            "radius": 6,
            "key": "k",
            "scale": MUSEUM_SCALE,
            "weight": 1.5,
            "tip": {
                "title": "n",
                "rows": [["巡展次数", "k"]],
                "list": "v",
                "listTitle": "巡展日期",
            },
        },
        "巡展日期 museum visit dates",
    ).add_to(m)


def _add_caravan_routes(m: Any, pv: _Province, ct: pd.DataFrame, s: MapSettings) -> list[int]:
    """Caravan days coloured by month; returns the months drawn (for the key)."""
    routes = (
        ml.caravan_routes(ct, pv.townships, pv.villages, pv.seats, s.decimals)
        if len(ct)
        else {"cols": [], "rows": []}
    )
    folium_kit().data_layer(
        "lines",
        js_json(routes),
        {
            "weight": 2.5,
            "key": "month",
            "scale": {"map": ml.MONTH_COLOURS},
            "opacity": 0.85,
            "tip": {
                "title": "date",
                "subtitle": "county",
                "rows": [["大篷车", "cid"], ["到站(个)", "k"], ["行程(km)", "km"]],
                "list": "names",
                "listMax": 8,
                "listUnit": "站",
            },
        },
        "大篷车路线(按日) caravan routes by day",
        show=len(routes["rows"]) <= s.routes_shown,
    ).add_to(m)
    return sorted({int(r[4]) for r in routes["rows"]})


def _province_legend(months: list[int]) -> str:
    parts = [
        "<b>乡镇 / 行政村</b><br>",
        '<span class="gm-dot" style="background:#1a9850"></span>大篷车已到达<br>',
        '<span class="gm-dot" style="background:#fff;border-style:dashed"></span>'
        "未到达（虚线 = 位置近似）<br>",
        '<span class="gm-line"></span>专家结对：城市→县（宽度=人数）<br>',
    ]
    if months:
        parts.append("<b>大篷车路线（月份）</b><br>")
        parts += [
            f'<span class="gm-month" style="border-color:{ml.MONTH_COLOURS[k]}"></span>{k}月 '
            + ("<br>" if i % 4 == 3 else "")
            for i, k in enumerate(months)
        ]
        parts.append("<br>")
    return _legend(parts)


def _province_html(
    ctx: _Context, pa: str, tolerance: float, s: MapSettings, tiles: str | None
) -> str:
    pv = _province(ctx, pa, tolerance)
    m = new_map(f"geomatch {pv.name} 科技帮扶覆盖图", pv.bounds, "../assets", tiles)
    _add_province_counties(m, pv, s)
    _add_places(m, pv, ctx.run.caravan_tours, s)
    _add_expert_bundles(m, pv, s)
    _add_museum_visits(m, pv, ctx.run.museum_visits, s)
    months = _add_caravan_routes(m, pv, ctx.run.caravan_tours, s)
    mus = getattr(ctx.dataset, "museums", None)
    if mus is not None and len(mus):
        _add_museums(m, mus[as_text(mus["province_adcode"]) == pa], 6, "省级科技馆 science museum")
    everyone = pd.concat([pv.coverage[["name", "geometry"]], pv.others[["name", "geometry"]]])
    points = everyone.geometry.representative_point()
    labels = ml.label_points(everyone["name"], points.x, points.y)
    names = [*everyone["name"], *pv.townships["name"], *pv.villages["name"]]
    _add_labels_and_search(m, labels, [str(n) for n in names], s.label_zoom_province)
    return finish_page(
        m, _province_legend(months), ctx.manifest, f"{pv.name} 科技帮扶覆盖 province coverage"
    )


# --------------------------------------------------------------------------- entry point


def _report(ctx: _Context, png: Path) -> str:
    from geomatch.render.kpi import kpi_of_run
    from geomatch.render.report import render_report

    run = ctx.run
    if "kpi" in run.present:
        kpi = run.tables["kpi"]
    else:
        kpi = kpi_of_run(run, ctx.dataset, pd.DataFrame(ctx.coverage.drop(columns="geometry")))
    return render_report(run, kpi, png.read_bytes())


def _write_figures(ctx: _Context, stage: Path, formats: tuple[str, ...], dpi: int) -> list[str]:
    from geomatch.render.static import FigureSettings, write_national_figure

    context = load_context_layers(ctx.dataset)
    names = []
    for fmt in ("png", *(f for f in formats if f != "png")):
        path = stage / f"national.{fmt}"
        write_national_figure(
            ctx.coverage,
            ctx.dataset.provinces,
            context,
            path,
            ctx.manifest,
            settings=FigureSettings(dpi=dpi),
        )
        names.append(path.name)
    return names


def _write_pages(
    ctx: _Context, stage: Path, s: MapSettings, tiles: str | None, cb: ProgressCallback
) -> list[str]:
    provinces = sorted(ctx.coverage["province_adcode"].unique())
    page = _fit(
        lambda t: _national_html(ctx, t, s, tiles),
        s.national_tolerance,
        s.national_limit_bytes,
        "national.html",
    )
    (stage / "national.html").write_text(page, encoding="utf-8")
    (stage / "province").mkdir()
    written = ["national.html"]
    for i, pa in enumerate(provinces):
        cb(0.15 + 0.75 * i / max(1, len(provinces)), f"province {pa}")
        page = _fit(
            functools.partial(_province_html, ctx, pa, s=s, tiles=tiles),
            s.province_tolerance,
            s.province_limit_bytes,
            f"province/{pa}.html",
        )
        (stage / "province" / f"{pa}.html").write_text(page, encoding="utf-8")
        written.append(f"province/{pa}.html")
    return written


def _write_index(ctx: _Context, stage: Path, figures: list[str]) -> str:
    from geomatch.render.map_index import index_html, province_headlines

    headlines = province_headlines(ctx.coverage)
    experts = ctx.pairs.groupby("n_province_adcode")["helper_id"].nunique()
    headlines["experts"] = experts.reindex(headlines.index).fillna(0).astype("int64")
    (stage / "index.html").write_text(index_html(headlines, ctx.manifest, figures), "utf-8")
    return "index.html"


def write_maps(
    run_dir: Path,
    maps_dir: Path,
    dataset: Dataset,
    *,
    tiles: str | None = None,
    progress: ProgressCallback | None = None,
    settings: MapSettings | None = None,
    formats: tuple[str, ...] = ("png",),
    dpi: int = 150,
) -> list[Path]:
    """Draw the coverage maps of a run.

    Parameters
    ----------
    run_dir
        The run folder (``pairings.csv``, ``unmet.csv``, ``museum_visits.csv``,
        ``caravan_tours.csv``, optional ``coverage.csv``, ``manifest.json``).
    maps_dir
        Output folder; written all-or-nothing (files not rewritten are left alone).
    dataset
        The dataset the run was made from (``geomatch.dataset.load_dataset()``).
    tiles
        Optional tile URL template (``…/{z}/{x}/{y}.png``) added as an overlay; by
        default the maps use no tile server at all.
    progress
        ``(fraction, message)`` callback.
    settings
        Drawing settings (tolerances, size limits).
    formats
        Formats of the national figure beyond ``png`` (always drawn: the report and the
        index show it): ``svg``, ``pdf``.
    dpi
        Resolution of ``national.png`` (300 for print).

    Returns
    -------
    list of pathlib.Path
        ``national.png`` (+ ``.svg``/``.pdf``), ``report.html``, ``index.html``,
        ``national.html`` and ``province/<adcode>.html`` for every province with poor
        counties (in ``maps_dir``), then the copied assets.

    Raises
    ------
    InputError
        The run folder is missing or malformed (exit 2).
    FontMissingError
        No CJK font is installed for the figure (exit 2; nothing written).
    """
    from geomatch.render.static import require_cjk_font

    cb = progress or null_progress
    s = settings or MapSettings()
    run = read_run(run_dir)
    require_cjk_font()  # before any work: the figure would fail at the end
    cb(0.02, "reading the run")
    ctx = _context(run, with_run_inputs(run, dataset))
    maps_dir = Path(maps_dir)
    with atomic_output_dir(maps_dir) as stage:
        cb(0.05, "national map")  # pages first: a page above its size limit stops early
        pages = _write_pages(ctx, stage, s, tiles, cb)
        cb(0.9, "national figure")
        figures = _write_figures(ctx, stage, formats, dpi)
        (stage / "report.html").write_text(_report(ctx, stage / "national.png"), encoding="utf-8")
        written = [*figures, "report.html", _write_index(ctx, stage, figures), *pages]
        written += [str(p.relative_to(stage)) for p in copy_assets(stage / "assets")]
    n = sum(1 for w in written if w.startswith("province/"))
    cb(1.0, f"{n} province maps")
    log.info("maps: national + %d provinces in %s", n, maps_dir)
    return [maps_dir / w for w in written]
