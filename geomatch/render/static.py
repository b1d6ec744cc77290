"""The static national map for reports (``national.png``): geopandas + matplotlib.

Drawn in an Albers equal-area projection for China (standard parallels 25° N and 47° N,
central meridian 105° E) so that the scale bar is true in km. Labels are Chinese when a
CJK font is installed and English otherwise (so that no glyph renders as a blank box).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geomatch.render.manifest_view import manifest_rows

__all__ = ["CHINA_ALBERS", "cjk_font", "write_national_png"]

log = logging.getLogger(__name__)

#: Albers equal-area conic for China (metres).
CHINA_ALBERS = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
)

_COLOURS = {"complete": "#1a9850", "partial": "#fdae61", "none": "#d73027"}
_LABELS = {
    "zh": {
        "complete": "服务站团队齐全",
        "partial": "部分配对",
        "none": "未配对",
        "title": "贫困县专家服务站团队覆盖",
        "scale": "km",
    },
    "en": {
        "complete": "station team complete",
        "partial": "partial",
        "none": "none",
        "title": "Expert station teams in the poor counties",
        "scale": "km",
    },
}

_CJK_NAMES = (
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
_CJK_FILES = (
    "wqy",
    "notosanscjk",
    "notoserifcjk",
    "sourcehan",
    "simhei",
    "msyh",
    "droidsansfallback",
)


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
                # a .ttc registered this way has no "normal" weight entry; matplotlib
                # falls back to its 500 weight and says so on every label
                logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        name = known()
    return name


def _nice_length(width_km: float) -> float:
    target = width_km / 5
    base = 10 ** np.floor(np.log10(max(target, 1e-9)))
    for k in (5, 2, 1):
        if k * base <= target:
            return float(k * base)
    return float(base)


def write_national_png(
    coverage: gpd.GeoDataFrame,
    provinces: gpd.GeoDataFrame,
    path: Path,
    manifest: Mapping[str, Any],
    *,
    dpi: int = 110,
) -> Path:
    """Draw the poor counties coloured by station team over the provinces.

    Parameters
    ----------
    coverage
        Coverage per poor county with geometry (EPSG:4326) and ``station_team``.
    provinces
        Province polygons (EPSG:4326).
    path
        The PNG to write.
    manifest
        Run manifest (scenario, seed, date shown in the footer).
    dpi
        Resolution.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    font = cjk_font()
    lab = _LABELS["zh" if font else "en"]
    rc: dict[str, Any] = {"font.family": [font, "DejaVu Sans"]} if font else {}
    cov = coverage[coverage.geometry.notna()].to_crs(CHINA_ALBERS)
    prov = provinces.to_crs(CHINA_ALBERS)
    with plt.rc_context(rc):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(10, 7.6))
        prov.plot(ax=ax, color="#f2f2f2", edgecolor="#888", linewidth=0.5)
        for key, colour in _COLOURS.items():
            part = cov[cov["station_team"] == key]
            if len(part):
                part.plot(ax=ax, color=colour, edgecolor="#555", linewidth=0.15)
        prov.boundary.plot(ax=ax, color="#333", linewidth=0.6)
        minx, miny, maxx, maxy = cov.total_bounds if len(cov) else prov.total_bounds
        padx, pady = (maxx - minx) * 0.05 + 1e4, (maxy - miny) * 0.05 + 1e4
        ax.set_xlim(minx - padx, maxx + padx)
        ax.set_ylim(miny - pady, maxy + pady)
        ax.set_axis_off()
        ax.set_aspect("equal")
        counts = cov["station_team"].value_counts()
        handles = [
            Patch(facecolor=c, edgecolor="#555", label=f"{lab[k]} ({int(counts.get(k, 0))})")
            for k, c in _COLOURS.items()
        ]
        ax.legend(handles=handles, loc="lower left", frameon=True, fontsize=9)
        ax.set_title(f"{lab['title']} — {len(cov)} counties", fontsize=13)
        # Scale bar (true length in the equal-area projection).
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        length_km = _nice_length((x1 - x0) / 1000)
        bx, by = x1 - (x1 - x0) * 0.05 - length_km * 1000, y0 + (y1 - y0) * 0.05
        ax.plot([bx, bx + length_km * 1000], [by, by], color="black", linewidth=3)
        ax.text(
            bx + length_km * 500,
            by + (y1 - y0) * 0.012,
            f"{length_km:g} {lab['scale']}",
            ha="center",
            va="bottom",
            fontsize=9,
        )
        facts = dict(manifest_rows(manifest)[:3])
        footer = (
            f"geomatch · scenario {facts.get('scenario') or '?'} · seed "
            f"{facts.get('seed') or '?'} · {facts.get('created') or '?'} · "
            "Albers equal-area (25°N/47°N, 105°E)"
        )
        fig.text(0.01, 0.01, footer, fontsize=7, color="#444")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
    log.debug("national PNG: %s", path)
    return path
