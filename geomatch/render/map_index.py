"""``maps/index.html``: every province page by Chinese name, with its headline figures.

A plain, printable HTML page (no script): the national map, the run report and the
national figure linked at the top, then one row per province with poor counties — its
name links ``province/<adcode>.html`` — and the figures a planner compares first.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from geomatch.render.manifest_view import manifest_html

__all__ = ["index_html", "province_headlines"]

_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;
margin:20px auto;max-width:1100px;color:#222}h1{font-size:22px;margin:0 0 6px}
nav a{margin-right:14px}table{border-collapse:collapse;font-size:13px;width:100%;margin-top:10px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}.note{font-size:12px;color:#555}
@media print{nav{display:none}body{margin:0}}
"""

_HEAD = (
    "省份",
    "贫困县",
    "服务站团队齐全",
    "部分",
    "未配对",
    "巡展≥2次的县",
    "大篷车到达乡镇",
    "结对专家/组织",
    "未满足需求",
)


def province_headlines(coverage: pd.DataFrame) -> pd.DataFrame:
    """One row per province of a run's coverage: counties by station team, museum ≥ 2,
    caravan stops and township reach, unmet needs (index: province adcode).

    Parameters
    ----------
    coverage
        The run's coverage (one row per poor county).
    """
    cov = pd.DataFrame(coverage.drop(columns="geometry", errors="ignore"))
    g = cov.groupby("province_adcode", sort=True)
    return pd.DataFrame(
        {
            "province": g["province"].first(),
            "poor_counties": g.size(),
            "complete": g["station_team"].apply(lambda s: int((s == "complete").sum())),
            "partial": g["station_team"].apply(lambda s: int((s == "partial").sum())),
            "none": g["station_team"].apply(lambda s: int((s == "none").sum())),
            "museum2": g["museum_visits"].apply(lambda s: int((s >= 2).sum())),
            "caravan_visits": g["caravan_visits"].sum(),
            "townships_reached": g["townships_reached"].sum(),
            "townships_total": g["townships_total"].sum(),
            "unmet_needs": g["unmet_needs"].sum(),
        }
    )


def _cells(pa: str, r: pd.Series) -> list[str]:
    share = (
        f"{int(r['townships_reached'])}/{int(r['townships_total'])}"
        f"（{100 * r['townships_reached'] / r['townships_total']:.0f}%）"
        if r["townships_total"]
        else "—"
    )
    link = f'<a href="province/{html.escape(pa)}.html">{html.escape(str(r["province"]))}</a>'
    return [
        link,
        str(int(r["poor_counties"])),
        str(int(r["complete"])),
        str(int(r["partial"])),
        str(int(r["none"])),
        str(int(r["museum2"])),
        share,
        str(int(r["experts"])),
        str(int(r["unmet_needs"])),
    ]


def index_html(headlines: pd.DataFrame, manifest: Mapping[str, Any], figures: Sequence[str]) -> str:
    """The index page's HTML (every name escaped).

    Parameters
    ----------
    headlines
        :func:`province_headlines` with ``experts`` (distinct helpers paired per province).
    manifest
        The run manifest (shown at the bottom).
    figures
        File names of the national figure beside the page (``national.png`` …).
    """
    rows = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in _cells(str(pa), r)) + "</tr>"
        for pa, r in headlines.iterrows()
    )
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEAD)
    links = "".join(
        f'<a href="{html.escape(f)}">全国图 {html.escape(f.rsplit(".", 1)[-1].upper())}</a>'
        for f in figures
    )
    total = int(headlines["poor_counties"].sum()) if len(headlines) else 0
    return f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"/>
<title>geomatch 覆盖地图目录</title><style>{_CSS}</style></head><body>
<h1>科技助力精准扶贫 — 覆盖地图目录</h1>
<nav><a href="national.html">全国地图</a><a href="report.html">运行报告</a>{links}</nav>
<p class="note">{len(headlines)} 个省份、{total} 个贫困县。
点击省份名称打开该省地图（可搜索县、乡镇、村）。</p>
<table><tr>{head}</tr>{rows}</table>
<h2 style="font-size:15px">运行清单 run manifest</h2>{manifest_html(manifest)}
</body></html>
"""
