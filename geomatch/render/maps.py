"""Offline coverage maps of a run: ``national.html``, ``national.png``, ``province/<adcode>.html``.

The pages are folium maps that open from the file system with the network off:

* no tile server by default (``tiles=None``; a tile layer is added only when the caller
  passes its URL template), and folium's default CDN scripts and styles (Leaflet,
  jQuery, Bootstrap, awesome-markers, Font Awesome) are replaced by Leaflet from the
  ``xstatic-leaflet`` package plus geomatch's own small script and style sheet, copied to
  ``<maps>/assets/`` with Leaflet's licence and linked relatively;
* the data are embedded as compact JSON and drawn by ``assets/geomatch-map.js`` on a
  canvas renderer; every name is escaped before it reaches the page;
* light: county polygons are simplified as a coverage (shared borders stay shared) and
  rounded to 4 decimals; if a page still exceeds its limit (``national.html`` 5 MB, a
  province page 3 MB) the tolerance is doubled until it fits.

folium is imported here only, and only when a map is drawn.
"""

from __future__ import annotations

import functools
import html
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geomatch.errors import GeomatchError
from geomatch.io.output import atomic_output_dir, mask_personal_numbers
from geomatch.model.categories import CATEGORY_ZH, HELPER_KIND_ZH
from geomatch.progress import ProgressCallback, null_progress
from geomatch.render.coverage import COVERAGE_COLUMNS, coverage_of_run, needs_of_pairings
from geomatch.render.geometry import feature_collection, js_json, simplify_cover
from geomatch.render.manifest_view import manifest_html
from geomatch.render.run import RunTables, as_text, county_of_code, load_run, with_run_inputs

__all__ = ["LEAFLET_LICENCE", "MapSettings", "write_maps"]

log = logging.getLogger(__name__)

#: Leaflet's licence (BSD 2-Clause), copied next to the vendored Leaflet files.
LEAFLET_LICENCE = """Leaflet 1.9.3 — https://leafletjs.com (from the xstatic-leaflet package)

BSD 2-Clause License

Copyright (c) 2010-2023, Volodymyr Agafonkin
Copyright (c) 2010-2011, CloudMade
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

STATION_ZH = {"complete": "齐全", "partial": "部分", "none": "未配对"}
STATION_COLOURS = {"complete": "#1a9850", "partial": "#fdae61", "none": "#d73027"}
MUSEUM_COLOURS = ["#d73027", "#fdae61", "#1a9850"]
SHARE_COLOURS = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]
MUSEUM_SCALE: dict[str, Any] = {"breaks": [0, 1], "colours": MUSEUM_COLOURS}
SHARE_SCALE: dict[str, Any] = {"breaks": [0, 0.25, 0.5, 0.75], "colours": SHARE_COLOURS}
MONTH_COLOURS = {
    m: c
    for m, c in enumerate(
        [
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
        ],
        start=1,
    )
}
ROLE_ZH = {"crop": "种植", "livestock": "养殖", "health": "医疗"}

COUNTY_TIP: dict[str, Any] = {
    "title": "n",
    "subtitle": "a",
    "rows": [
        ["省份", "p"],
        ["地市", "pf"],
        ["专家服务站团队", "stz"],
        ["已配对岗位", "r"],
        ["流动科技馆巡展(次)", "mv"],
        ["科普大篷车到站(次)", "cv"],
        ["大篷车出车(天)", "cd"],
        ["大篷车到达乡镇", "tsp"],
        ["大篷车到达行政村", "vsp"],
        ["结对专家/组织(名)", "ex"],
        ["需求已配对/总数", "npt"],
        ["未满足需求(项)", "un"],
        ["未排期巡展", "uv"],
        ["摘帽年份", "ey"],
        ["深度贫困地区", "dp"],
    ],
    "list": "hl",
}


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
    experts_listed
        Names of paired helpers listed in a county's tooltip on a province page.
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
    experts_listed: int = 25
    villages_shown: int = 3000
    routes_shown: int = 300


# --------------------------------------------------------------------------- folium glue


@functools.cache
def _folium() -> Any:
    """Import folium and build geomatch's element classes (once, lazily)."""
    import folium
    from branca.element import Element, MacroElement
    from jinja2 import Template

    class OfflineMap(folium.Map):
        """A folium map that links no CDN script or style sheet."""

        default_js: list[tuple[str, str]] = []  # noqa: RUF012
        default_css: list[tuple[str, str]] = []  # noqa: RUF012

    class DataLayer(folium.map.Layer):
        """A layer drawn by ``GM.<fn>(data, options)`` from assets/geomatch-map.js."""

        _template = Template(
            "{% macro script(this, kwargs) %}"
            "var {{ this.get_name() }} = GM.{{ this.fn }}({{ this.data_expr }}, {{ this.opts }});"
            "{% endmacro %}"
        )

        def __init__(
            self,
            fn: str,
            data_expr: str,
            opts: Mapping[str, Any],
            name: str,
            *,
            overlay: bool = True,
            show: bool = True,
        ) -> None:
            super().__init__(name=name, overlay=overlay, control=True, show=show)
            self._name = "DataLayer"
            self.fn = fn
            self.data_expr = data_expr
            self.opts = js_json(dict(opts))

    class Data(MacroElement):
        """``var <name> = <json>;`` shared by several layers."""

        _template = Template(
            "{% macro script(this, kwargs) %}var {{ this.var }} = {{ this.json }};{% endmacro %}"
        )

        def __init__(self, var: str, obj: Any) -> None:
            super().__init__()
            self._name = "Data"
            self.var = var
            self.json = js_json(obj)

    class Box(MacroElement):
        """A legend / manifest box (HTML already escaped)."""

        _template = Template(
            "{% macro script(this, kwargs) %}"
            "GM.box({{ this._parent.get_name() }}, {{ this.html }}, {{ this.position }},"
            " {{ this.cls }});"
            "{% endmacro %}"
        )

        def __init__(self, html_text: str, position: str, cls: str = "") -> None:
            super().__init__()
            self._name = "Box"
            self.html = js_json(html_text)
            self.position = js_json(position)
            self.cls = js_json(cls)

    return folium, Element, OfflineMap, DataLayer, Data, Box


def _new_map(
    title: str, bounds: tuple[float, float, float, float], assets: str, tiles: str | None
) -> Any:
    folium, element, offline_map, *_ = _folium()
    fig = folium.Figure(title=title)
    m = offline_map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        zoom_start=5,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,
    )
    fig.add_child(m)
    links = (
        f'<link rel="stylesheet" href="{assets}/leaflet.css"/>'
        f'<link rel="stylesheet" href="{assets}/geomatch-map.css"/>'
        f'<script src="{assets}/leaflet.js"></script>'
        f'<script src="{assets}/geomatch-map.js"></script>'
    )
    fig.header.add_child(element(links), name="geomatch_assets")
    if tiles:
        folium.TileLayer(
            tiles=tiles,
            attr="user-supplied tiles",
            name="底图 tiles",
            overlay=True,
            control=True,
            show=True,
        ).add_to(m)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def _finish(m: Any, legend: str, manifest: Mapping[str, Any], title: str) -> str:
    folium, _element, _om, _dl, _data, box = _folium()
    box(f'<div class="gm-title">{html.escape(title)}</div>', "topleft", "gm-head").add_to(m)
    box(legend, "bottomright", "gm-legend").add_to(m)
    box(manifest_html(manifest), "bottomleft", "gm-manifest-box").add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return str(m.get_root().render())


def copy_assets(dest: Path) -> list[Path]:
    """Copy Leaflet (xstatic-leaflet), its licence and geomatch's script/style to ``dest``."""
    import xstatic.pkg.leaflet as xleaflet

    dest.mkdir(parents=True, exist_ok=True)
    src = Path(xleaflet.BASE_DIR)
    out = []
    for name in ("leaflet.js", "leaflet.css"):
        out.append(Path(shutil.copyfile(src / name, dest / name)))
    (dest / "images").mkdir(exist_ok=True)
    for img in sorted((src / "images").glob("*.png")):
        out.append(Path(shutil.copyfile(img, dest / "images" / img.name)))
    static = files("geomatch.render") / "static"
    for name in ("geomatch-map.js", "geomatch-map.css"):
        (dest / name).write_bytes((static / name).read_bytes())
        out.append(dest / name)
    (dest / "LICENSE-leaflet.txt").write_text(LEAFLET_LICENCE, encoding="utf-8")
    out.append(dest / "LICENSE-leaflet.txt")
    return out


# --------------------------------------------------------------------------- data for pages


def _share_text(reached: Any, total: Any) -> str:
    t = int(total or 0)
    return f"{int(reached or 0)}/{t} ({100 * int(reached or 0) / t:.0f}%)" if t else ""


@dataclass
class _Context:
    run: RunTables
    dataset: Any
    coverage: pd.DataFrame  # one row per poor county, with county geometry
    pairs: pd.DataFrame  # pairings + need county + helper attributes
    manifest: Mapping[str, Any]


def _coverage_for(run: RunTables, dataset: Any) -> pd.DataFrame:
    computed = coverage_of_run(run, dataset)
    if "coverage" not in run.present:
        return computed
    given = run.tables["coverage"].copy()
    given["adcode"] = as_text(given["adcode"])
    extra = [c for c in COVERAGE_COLUMNS if c not in given.columns or c == "adcode"]
    merged = computed[extra].merge(given, on="adcode", how="left", suffixes=("", "_run"))
    for c in COVERAGE_COLUMNS:
        if c not in given.columns or c == "adcode":
            continue
        if pd.api.types.is_integer_dtype(computed[c].dtype):
            merged[c] = pd.to_numeric(merged[c], errors="coerce").fillna(0).astype("int64")
        elif pd.api.types.is_float_dtype(computed[c].dtype):
            merged[c] = pd.to_numeric(merged[c], errors="coerce").astype("float64")
        elif c == "exit_year":
            merged[c] = pd.to_numeric(merged[c], errors="coerce").astype("Int64")
        else:
            merged[c] = merged[c].fillna("").astype("str")
    merged["station_team"] = merged["station_team"].replace({"": "none", "nan": "none"})
    return merged[list(COVERAGE_COLUMNS)]


def _context(run: RunTables, dataset: Any) -> _Context:
    cov = _coverage_for(run, dataset)
    geo = dataset.poor_counties.drop_duplicates("adcode")[["adcode", "geometry"]].copy()
    geo["adcode"] = as_text(geo["adcode"])
    cov = gpd.GeoDataFrame(
        cov.merge(geo, on="adcode", how="left"), geometry="geometry", crs="EPSG:4326"
    )
    pj = needs_of_pairings(run.pairings, dataset.needs)
    h = dataset.helpers.copy()
    keep = [
        c
        for c in (
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
        if c in h.columns
    ]
    h = mask_personal_numbers(h[keep].copy())
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
    return _Context(run=run, dataset=dataset, coverage=cov, pairs=pj, manifest=run.manifest)


def _county_props(cov: pd.DataFrame, helper_lists: Mapping[str, list[str]] | None) -> pd.DataFrame:
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
    df["hl"] = [list(helper_lists.get(a, [])) if helper_lists else [] for a in df["adcode"]]
    return df


_COUNTY_PROPS = {
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


def _add_choropleths(m: Any, var: str) -> None:
    """Three base layers (radio buttons) over the same county data."""
    _f, _e, _om, data_layer, _d, _b = _folium()
    common = {"fill": True, "weight": 0.5, "color": "#444", "tip": COUNTY_TIP}
    layers = (
        ("st", {"map": STATION_COLOURS}, "专家服务站团队 station team"),
        ("mv", MUSEUM_SCALE, "流动科技馆巡展 museum visits"),
        ("ts", SHARE_SCALE, "科普大篷车覆盖 caravan coverage"),
    )
    for i, (key, scale, title) in enumerate(layers):
        data_layer(
            "polygons",
            var,
            {**common, "key": key, "scale": scale},
            title,
            overlay=False,
            show=i == 0,
        ).add_to(m)


def _add_museums(m: Any, museums: pd.DataFrame, radius: int, title: str) -> None:
    """Add the science museums (``museum, city, lon, lat``) as a black point layer."""
    _f, _e, _om, data_layer, _d, _b = _folium()
    pts = {
        "cols": ["lon", "lat", "n", "c"],
        "rows": [
            [float(r["lon"]), float(r["lat"]), str(r["museum"]), str(r["city"])]
            for _, r in museums.iterrows()
        ],
    }
    data_layer(
        "points",
        js_json(pts),
        {"radius": radius, "fillColor": "#000", "tip": {"title": "n", "rows": [["城市", "c"]]}},
        title,
    ).add_to(m)


def _legend(extra: list[str]) -> str:
    def sw(colour: str, label: str) -> str:
        return (
            f'<span class="gm-swatch" style="background:{colour}"></span>{html.escape(label)}<br>'
        )

    parts = ["<h4>图例 legend</h4><b>专家服务站团队</b><br>"]
    parts += [sw(STATION_COLOURS[k], f"{STATION_ZH[k]} {k}") for k in STATION_COLOURS]
    parts.append("<b>流动科技馆巡展 (次/年, 目标 2)</b><br>")
    parts += [sw(c, lab) for c, lab in zip(MUSEUM_COLOURS, ["0", "1", "≥2"], strict=True)]
    parts.append("<b>大篷车到达乡镇比例</b><br>")
    labels = ["0", "≤25%", "25–50%", "50–75%", ">75%"]
    parts += [sw(c, lab) for c, lab in zip(SHARE_COLOURS, labels, strict=True)]
    parts += extra
    return "".join(parts)


# --------------------------------------------------------------------------- national page


def _flows(pj: pd.DataFrame, cov: pd.DataFrame, relations: pd.DataFrame | None) -> dict[str, Any]:
    seats = cov.set_index("adcode")[["seat_lon", "seat_lat"]]
    df = pj[pj["adcode"].isin(seats.index) & pj["h_lon"].notna()].copy()
    if df.empty:
        return {"cols": ["path", "src", "dst", "helpers", "needs", "official"], "rows": []}
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
    rows = []
    names = cov.drop_duplicates("province_adcode").set_index("province_adcode")["province"]
    for (src, dst), g in df.groupby(["h_province_adcode", "n_province_adcode"], sort=True):
        rows.append(
            [
                [
                    [round(g["h_lat"].mean(), 3), round(g["h_lon"].mean(), 3)],
                    [round(g["s_lat"].mean(), 3), round(g["s_lon"].mean(), 3)],
                ],
                str(g["h_province"].iloc[0]),
                str(names.get(dst, dst)),
                int(g["helper_id"].nunique()),
                int(g["need_id"].nunique()),
                "是" if (str(src), str(dst)) in official else "否",
            ]
        )
    return {"cols": ["path", "src", "dst", "helpers", "needs", "official"], "rows": rows}


def _national_html(ctx: _Context, tolerance: float, s: MapSettings, tiles: str | None) -> str:
    _f, _e, _om, data_layer, data, _b = _folium()
    ds = ctx.dataset
    cov = ctx.coverage
    drawn = cov[cov.geometry.notna()]
    # The view fits the poor counties (nearly all of China on the national run).
    x0, y0, x1, y1 = (float(v) for v in drawn.total_bounds) if len(drawn) else (73.5, 18, 135, 53.6)
    m = _new_map("geomatch 全国贫困县科技帮扶覆盖图", (x0, y0, x1, y1), "assets", tiles)
    simple = simplify_cover(drawn, tolerance)
    props = _county_props(simple, None)
    data("gm_counties", feature_collection(props, _COUNTY_PROPS, decimals=s.decimals)).add_to(m)
    _add_choropleths(m, "gm_counties")

    prov = simplify_cover(ds.provinces, s.outline_tolerance)
    data_layer(
        "polygons",
        js_json(feature_collection(prov, {"n": "name"}, decimals=3)),
        {"color": "#222", "weight": 1.2, "fill": False},
        "省界 provinces",
    ).add_to(m)
    pf = ds.prefectures
    pf = pf[as_text(pf["province_adcode"]).isin(set(cov["province_adcode"]))]
    pf = simplify_cover(pf, s.outline_tolerance)
    data_layer(
        "polygons",
        js_json(feature_collection(pf, {"n": "name"}, decimals=3)),
        {"color": "#777", "weight": 0.6, "fill": False, "dash": "3 3"},
        "地市界 prefectures",
        show=False,
    ).add_to(m)

    relations = getattr(ds, "pairing_relations", None)
    flows = _flows(ctx.pairs, cov, relations)
    flow_tip = {
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
    # Official east–west pairs first (shown); other province pairs (often neighbours or the
    # province itself) one click away.
    for official, colour, name, show in (
        ("是", "#c0392b", "东西部协作 专家流向 official-pair flows", True),
        ("否", "#2e86c1", "其他 专家流向 other helper flows", False),
    ):
        rows = [r for r in flows["rows"] if r[-1] == official]
        data_layer(
            "lines",
            js_json({"cols": flows["cols"], "rows": rows}),
            {
                "widthKey": "helpers",
                "widthScale": 0.35,
                "minWidth": 1,
                "maxWidth": 14,
                "color": colour,
                "opacity": 0.75 if show else 0.5,
                "tip": flow_tip,
            },
            name,
            show=show,
        ).add_to(m)

    un = cov[(cov["unmet_needs"] + cov["unmet_visits"]) > 0]
    unmet = {
        "cols": ["lon", "lat", "n", "un", "uv", "total"],
        "rows": [
            [
                round(r.seat_lon, 4),
                round(r.seat_lat, 4),
                r.name,
                int(r.unmet_needs),
                int(r.unmet_visits),
                int(r.unmet_needs + r.unmet_visits),
            ]
            for r in un.itertuples()
        ],
    }
    data_layer(
        "points",
        js_json(unmet),
        {
            "radiusKey": "total",
            "radiusMax": 11,
            "radiusDen": max([1, *(un["unmet_needs"] + un["unmet_visits"]).tolist()]),
            "radius": 2,
            "fillColor": "#7b3294",
            "fillOpacity": 0.6,
            "tip": {"title": "n", "rows": [["未满足需求(项)", "un"], ["未排期巡展", "uv"]]},
        },
        "未满足需求 unmet needs",
        show=False,
    ).add_to(m)

    mus = getattr(ds, "museums", None)
    if mus is not None and len(mus):
        _add_museums(m, mus, 5, "省级科技馆 science museums")
    legend = _legend(
        [
            "<b>专家流向</b><br>",
            '<span class="gm-line"></span>东西部协作对口 official pair<br>',
            '<span class="gm-line" style="border-color:#2e86c1"></span>其他 other (宽度=人数)<br>',
            '<span class="gm-dot" style="background:#7b3294"></span>未满足需求<br>',
        ]
    )
    return _finish(m, legend, ctx.manifest, "全国贫困县科技帮扶覆盖 national coverage")


# --------------------------------------------------------------------------- province page


def _helper_lists(pj: pd.DataFrame, limit: int) -> dict[str, list[str]]:
    """County → up to ``limit`` paired helpers as "name（kind·specialty·city）"."""
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
    out: dict[str, list[str]] = {}
    for adcode, items in label.groupby(u["adcode"].to_numpy(), sort=False):
        lst = items.tolist()
        out[str(adcode)] = lst[:limit] + (
            [f"… 另有 {len(lst) - limit} 名"] if len(lst) > limit else []
        )
    return out


def _province_html(
    ctx: _Context, pa: str, tolerance: float, s: MapSettings, tiles: str | None
) -> str:
    _f, _e, _om, data_layer, data, _b = _folium()
    ds = ctx.dataset
    cov = ctx.coverage[ctx.coverage["province_adcode"] == pa]
    pname = str(cov["province"].iloc[0])
    counties = ds.counties[as_text(ds.counties["province_adcode"]) == pa]
    allc = simplify_cover(counties, tolerance)
    poor_codes = set(cov["adcode"])
    bounds = (
        tuple(float(x) for x in counties.total_bounds)
        if len(counties)
        else tuple(float(x) for x in cov.total_bounds)
    )
    m = _new_map(f"geomatch {pname} 科技帮扶覆盖图", bounds, "../assets", tiles)  # type: ignore[arg-type]

    pj = ctx.pairs[ctx.pairs["n_province_adcode"] == pa]
    simple_geo = allc[as_text(allc["adcode"]).isin(poor_codes)][["adcode", "geometry"]]
    simple = gpd.GeoDataFrame(
        cov.drop(columns="geometry").merge(simple_geo, on="adcode", how="inner"),
        geometry="geometry",
        crs="EPSG:4326",
    )
    props = _county_props(simple, _helper_lists(pj, s.experts_listed))
    data("gm_counties", feature_collection(props, _COUNTY_PROPS, decimals=s.decimals)).add_to(m)
    _add_choropleths(m, "gm_counties")
    others = allc[~as_text(allc["adcode"]).isin(poor_codes)]
    data_layer(
        "polygons",
        js_json(feature_collection(others, {"n": "name"}, decimals=s.decimals)),
        {
            "color": "#999",
            "weight": 0.5,
            "fill": True,
            "fillOpacity": 0.15,
            "scale": {"map": {}, "other": "#ccc"},
            "key": "n",
            "tip": {"title": "n", "rows": []},
        },
        "非贫困县 other counties",
    ).add_to(m)

    # Townships and villages (approximate points drawn with a dashed outline).
    stops = as_text(ctx.run.caravan_tours["stop_code"]) if len(ctx.run.caravan_tours) else None
    reached = set(stops) if stops is not None else set()
    reached_twp = set(stops.str[:9]) if stops is not None else set()
    twp = ds.townships[as_text(ds.townships["county_adcode"]).isin(poor_codes)]
    vil = ds.villages[as_text(ds.villages["county_adcode"]).isin(poor_codes)]
    d = s.decimals

    def pts(df: pd.DataFrame, hit: set[str]) -> dict[str, Any]:
        codes = as_text(df["code"])
        approx = as_text(df.get("location_quality", pd.Series("", index=df.index))) == "approximate"
        rows = [
            [
                round(float(lon), d),
                round(float(lat), d),
                str(n),
                c,
                "已到达" if c in hit else "",
                "近似" if a else "",
            ]
            for lon, lat, n, c, a in zip(
                df["lon"], df["lat"], df["name"], codes, approx, strict=False
            )
        ]
        return {"cols": ["lon", "lat", "n", "c", "hit", "q"], "rows": rows}

    place_tip = {
        "title": "n",
        "subtitle": "c",
        "rows": [["大篷车", "hit"], ["位置", "q", {"近似": "近似 approximate"}]],
    }
    reach_scale = {"map": {"已到达": "#1a9850"}, "other": "#ffffff"}
    data_layer(
        "points",
        js_json(pts(twp, reached_twp)),
        {
            "radius": 3.5,
            "key": "hit",
            "scale": reach_scale,
            "dashKey": "q",
            "weight": 1,
            "tip": place_tip,
        },
        "乡镇 townships",
    ).add_to(m)
    data_layer(
        "points",
        js_json(pts(vil, reached)),
        {
            "radius": 2,
            "key": "hit",
            "scale": reach_scale,
            "dashKey": "q",
            "weight": 0.5,
            "color": "#555",
            "tip": place_tip,
        },
        "行政村 villages",
        show=len(vil) <= s.villages_shown,
    ).add_to(m)

    # Expert pairs: helper city → county seat, width by helpers.
    seats = cov.set_index("adcode")[["seat_lon", "seat_lat", "name"]]
    lines = []
    pjs = pj[pj["h_lon"].notna() & pj["adcode"].isin(seats.index)]
    if len(pjs):
        keys = ["h_city", "adcode"]
        uniq = pjs.drop_duplicates([*keys, "helper_id"])
        agg = uniq.groupby(keys, sort=True).agg(
            lat=("h_lat", "mean"), lon=("h_lon", "mean"), helpers=("helper_id", "size")
        )
        agg["needs"] = pjs.groupby(keys, sort=True)["need_id"].nunique()
        names: dict[tuple[str, str], list[str]] = {}
        for key in zip(
            uniq["h_city"].astype("str"), uniq["adcode"], uniq["h_name"].astype("str"), strict=True
        ):
            lst = names.setdefault((key[0], key[1]), [])
            if len(lst) < 8:
                lst.append(key[2])
        seat_of = {
            a: (round(float(la), d), round(float(lo), d), str(n))
            for a, la, lo, n in zip(
                seats.index, seats["seat_lat"], seats["seat_lon"], seats["name"], strict=True
            )
        }
        for (city, adcode), lat, lon, helpers, n_needs in zip(
            agg.index, agg["lat"], agg["lon"], agg["helpers"], agg["needs"], strict=True
        ):
            slat, slon, sname = seat_of[adcode]
            lines.append(
                [
                    [[round(float(lat), 3), round(float(lon), 3)], [slat, slon]],
                    str(city),
                    sname,
                    int(helpers),
                    int(n_needs),
                    names.get((str(city), adcode), []),
                ]
            )
    data_layer(
        "lines",
        js_json({"cols": ["path", "src", "dst", "helpers", "needs", "names"], "rows": lines}),
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
            },
        },
        "专家结对 expert pairs",
        show=False,
    ).add_to(m)

    # Mobile-museum visits at county seats.
    mv = ctx.run.museum_visits
    mv = mv[as_text(mv["adcode"]).isin(poor_codes)] if len(mv) else mv
    visits: dict[str, list[str]] = {}
    for v in mv.sort_values(["start_date"]).itertuples() if len(mv) else ():
        visits.setdefault(str(v.adcode).strip(), []).append(
            f"第{int(v.visit_no)}次 {v.start_date}—{v.end_date}（展品套 {v.set_id}）"
        )
    visit_rows = [
        [
            round(float(row["seat_lon"]), d),
            round(float(row["seat_lat"]), d),
            str(row["name"]),
            len(visits.get(str(adcode), [])),
            visits.get(str(adcode), []),
        ]
        for adcode, row in seats.iterrows()
    ]
    data_layer(
        "points",
        js_json({"cols": ["lon", "lat", "n", "k", "v"], "rows": visit_rows}),
        {
            "radius": 6,
            "key": "k",
            "scale": MUSEUM_SCALE,
            "weight": 1.5,
            "tip": {"title": "n", "rows": [["巡展次数", "k"]], "list": "v"},
        },
        "巡展日期 museum visit dates",
    ).add_to(m)

    # Caravan routes by day: seat → stops in order → seat.
    ct = ctx.run.caravan_tours
    route_rows = []
    if len(ct):
        ct = ct.assign(_county=county_of_code(ct["stop_code"]))
        ct = ct[ct["_county"].isin(poor_codes)]
        pos = (
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "code": as_text(twp["code"]),
                            "lon": twp["lon"],
                            "lat": twp["lat"],
                            "n": twp["name"],
                        }
                    ),
                    pd.DataFrame(
                        {
                            "code": as_text(vil["code"]),
                            "lon": vil["lon"],
                            "lat": vil["lat"],
                            "n": vil["name"],
                        }
                    ),
                ]
            )
            .drop_duplicates("code")
            .set_index("code")
        )
        ct = ct.assign(_code=as_text(ct["stop_code"])).sort_values(["caravan_id", "date", "seq"])
        ct = ct.join(pos.rename(columns={"lon": "_plon", "lat": "_plat", "n": "_pn"}), on="_code")
        ct["_lat"] = pd.to_numeric(ct["_plat"], errors="coerce").round(d)
        ct["_lon"] = pd.to_numeric(ct["_plon"], errors="coerce").round(d)
        # The day's distance: legs to each stop (+ the drive home when the run records it).
        ct["_km"] = (
            pd.to_numeric(ct["travel_km"], errors="coerce") if "travel_km" in ct else float("nan")
        )
        if "return_km" in ct:
            ct["_km"] = ct["_km"] + pd.to_numeric(ct["return_km"], errors="coerce").fillna(0)
        for (cid, date), g in ct.groupby(["caravan_id", "date"], sort=True):
            county = str(g["_county"].iloc[0])
            seat = seats.loc[county]
            home = [round(float(seat["seat_lat"]), d), round(float(seat["seat_lon"]), d)]
            ok = g["_lat"].notna().to_numpy()
            path = [home, *g.loc[ok, ["_lat", "_lon"]].to_numpy().tolist(), home]
            stop_names = [
                f"{n}（{c}）" for n, c in zip(g.loc[ok, "_pn"], g.loc[ok, "_code"], strict=True)
            ]
            km = float(g["_km"].sum(min_count=1))
            route_rows.append(
                [
                    path,
                    str(date),
                    str(cid),
                    str(seat["name"]),
                    int(str(date)[5:7]),
                    len(stop_names),
                    round(km, 1) if km == km else "",
                    stop_names,
                ]
            )
    data_layer(
        "lines",
        js_json(
            {
                "cols": ["path", "date", "cid", "county", "month", "k", "km", "names"],
                "rows": route_rows,
            }
        ),
        {
            "weight": 2.5,
            "key": "month",
            "scale": {"map": MONTH_COLOURS},
            "opacity": 0.85,
            "tip": {
                "title": "date",
                "subtitle": "county",
                "rows": [["大篷车", "cid"], ["到站(个)", "k"], ["行程(km)", "km"]],
                "list": "names",
            },
        },
        "大篷车路线(按日) caravan routes by day",
        show=len(route_rows) <= s.routes_shown,
    ).add_to(m)

    mus = getattr(ds, "museums", None)
    if mus is not None and len(mus):
        _add_museums(m, mus[as_text(mus["province_adcode"]) == pa], 6, "省级科技馆 science museum")
    legend = _legend(
        [
            "<b>乡镇 / 行政村</b><br>",
            '<span class="gm-dot" style="background:#1a9850"></span>大篷车已到达<br>',
            '<span class="gm-dot" style="background:#fff;border-style:dashed"></span>'
            "未到达（虚线 = 位置近似）<br>",
            '<span class="gm-line"></span>专家结对（宽度=人数）<br>',
            '<span class="gm-line" style="border-color:#2ca02c"></span>大篷车路线（颜色=月份）<br>',
        ]
    )
    return _finish(m, legend, ctx.manifest, f"{pname} 科技帮扶覆盖 province coverage")


# --------------------------------------------------------------------------- entry point


def _province_page(ctx: _Context, pa: str, s: MapSettings, tiles: str | None, tol: float) -> str:
    return _province_html(ctx, pa, tol, s, tiles)


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


def _report(ctx: _Context, png: Path) -> str:
    from geomatch.render.kpi import kpi_of_run
    from geomatch.render.report import render_report

    run = ctx.run
    if "kpi" in run.present:
        kpi = run.tables["kpi"]
    else:
        kpi = kpi_of_run(run, ctx.dataset, pd.DataFrame(ctx.coverage.drop(columns="geometry")))
    return render_report(run, kpi, png.read_bytes())


def write_maps(
    run_dir: Path,
    maps_dir: Path,
    dataset: Any,
    *,
    tiles: str | None = None,
    progress: ProgressCallback | None = None,
    settings: MapSettings | None = None,
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

    Returns
    -------
    list of pathlib.Path
        ``national.html``, ``national.png``, ``report.html`` (one-page summary with the
        KPIs) and ``province/<adcode>.html`` for every province with poor counties (in
        ``maps_dir``), then the copied assets.

    Raises
    ------
    InputError
        The run folder is missing or malformed (exit 2).
    """
    from geomatch.render.static import write_national_png

    cb = progress or null_progress
    s = settings or MapSettings()
    run = load_run(run_dir)
    cb(0.02, "reading the run")
    ctx = _context(run, with_run_inputs(run, dataset))
    provinces = sorted(ctx.coverage["province_adcode"].unique())
    maps_dir = Path(maps_dir)
    written: list[str] = []
    with atomic_output_dir(maps_dir) as stage:
        cb(0.05, "national map")
        page = _fit(
            lambda t: _national_html(ctx, t, s, tiles),
            s.national_tolerance,
            s.national_limit_bytes,
            "national.html",
        )
        (stage / "national.html").write_text(page, encoding="utf-8")
        written.append("national.html")
        cb(0.2, "national PNG")
        write_national_png(ctx.coverage, dataset.provinces, stage / "national.png", ctx.manifest)
        written.append("national.png")
        (stage / "report.html").write_text(_report(ctx, stage / "national.png"), encoding="utf-8")
        written.append("report.html")
        (stage / "province").mkdir()
        for i, pa in enumerate(provinces):
            cb(0.3 + 0.65 * i / max(1, len(provinces)), f"province {pa}")
            page = _fit(
                functools.partial(_province_page, ctx, pa, s, tiles),
                s.province_tolerance,
                s.province_limit_bytes,
                f"province/{pa}.html",
            )
            (stage / "province" / f"{pa}.html").write_text(page, encoding="utf-8")
            written.append(f"province/{pa}.html")
        assets = copy_assets(stage / "assets")
        written += [str(p.relative_to(stage)) for p in assets]
    cb(1.0, f"{len(provinces)} province maps")
    log.info("maps: national + %d provinces in %s", len(provinces), maps_dir)
    return [maps_dir / w for w in written]
