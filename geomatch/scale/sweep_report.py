"""The trade-off report of a sweep: ``sweep.html`` and ``sweep.png``.

Two trade-off plots, each with its Pareto front marked (points no other point beats on
both axes, both minimised):

* unmet needs against total travel km (equity of service against its cost);
* longest expert trip against the pairing objective.

The page is self-contained (the plots inline as SVG, no script, no CDN), so it opens
offline and can be mailed; labels are in Chinese for planners.
"""

from __future__ import annotations

import html
import io
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from geomatch.io.files import atomic_write_bytes

__all__ = ["PLOTS", "pareto_front", "write_report"]

log = logging.getLogger(__name__)

#: (x column, y column, x label, y label) of each trade-off plot.
PLOTS = (
    ("total_travel_km", "unmet_needs", "总行程（公里）", "未满足需求（项）"),
    ("objective", "longest_trip_km", "配对目标值（成本）", "最长单程（公里）"),
)

_LABELS = {
    "key": "方案键",
    "status": "状态",
    "needs_paired": "已配对需求",
    "unmet_needs": "未满足需求",
    "complete_station_teams": "服务站团队齐全的县",
    "museum_visits": "流动科技馆巡展（次）",
    "caravan_stops": "科普大篷车到站",
    "total_travel_km": "总行程（公里）",
    "longest_trip_km": "最长单程（公里）",
    "objective": "目标值",
    "seconds": "用时（秒）",
}


def pareto_front(x: Sequence[float], y: Sequence[float]) -> np.ndarray:
    """Boolean mask of the points on the Pareto front (both coordinates minimised).

    A point is on the front when no other point is at least as good on both axes and
    strictly better on one. Equal points are all on the front.
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(xa)
    on = np.ones(n, dtype=bool)
    for i in range(n):
        dominated = (xa <= xa[i]) & (ya <= ya[i]) & ((xa < xa[i]) | (ya < ya[i]))
        on[i] = not dominated.any()
    return on


def _figure(table: pd.DataFrame) -> object:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geomatch.render.static import cjk_font

    family = cjk_font()
    if family:
        plt.rcParams["font.family"] = family
    else:
        log.warning("no CJK font installed: the sweep plot's Chinese labels will not render")
    ok = table[table["status"] == "ok"]
    fig, axes = plt.subplots(1, len(PLOTS), figsize=(6.0 * len(PLOTS), 4.6))
    for ax, (xc, yc, xl, yl) in zip(np.atleast_1d(axes), PLOTS, strict=True):
        x = pd.to_numeric(ok[xc], errors="coerce").to_numpy()
        y = pd.to_numeric(ok[yc], errors="coerce").to_numpy()
        good = ~(np.isnan(x) | np.isnan(y))
        x, y = x[good], y[good]
        front = pareto_front(x, y)
        ax.scatter(x[~front], y[~front], c="#9aa5b1", label="其他方案")
        order = np.argsort(x[front])
        ax.plot(x[front][order], y[front][order], "o-", c="#c0392b", label="帕累托前沿")
        for xi, yi, k in zip(x, y, ok["key"].to_numpy()[good], strict=True):
            ax.annotate(str(k)[:6], (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("情景扫描：权衡与帕累托前沿")
    fig.tight_layout()
    return fig


def _table_html(table: pd.DataFrame, varied: list[str]) -> str:
    cols = ["key", *varied, *(c for c in table.columns if c not in varied and c != "key")]
    head = "".join(f"<th>{html.escape(_LABELS.get(c, c))}</th>" for c in cols)
    body = []
    for _, r in table[cols].iterrows():
        cells = "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in r)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def write_report(table: pd.DataFrame, varied: list[str], out: Path) -> dict[str, Path]:
    """Write ``sweep.png`` and ``sweep.html`` (inline SVG, offline) into ``out``."""
    import matplotlib.pyplot as plt

    fig = _figure(table)
    png, svg = io.BytesIO(), io.StringIO()
    fig.savefig(png, format="png", dpi=120)  # type: ignore[attr-defined]
    fig.savefig(svg, format="svg")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    atomic_write_bytes(out / "sweep.png", png.getvalue())
    svg_text = svg.getvalue()
    svg_text = svg_text[svg_text.find("<svg") :]
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>情景扫描结果</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}th{{background:#f3f4f6}}</style>
</head><body>
<h1>情景扫描结果（{len(table)} 个方案）</h1>
<p>变化的设置：{html.escape("、".join(varied) or "（无）")}。红线为帕累托前沿：
前沿上的方案在两个指标上都不被其他方案同时超越。</p>
{svg_text}
<h2>方案对比</h2>
{_table_html(table, varied)}
</body></html>
"""
    atomic_write_bytes(out / "sweep.html", page.encode("utf-8"))
    return {"html": out / "sweep.html", "png": out / "sweep.png"}
