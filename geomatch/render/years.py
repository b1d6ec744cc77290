"""The maps of a multi-year plan: each year's maps and one page with a year selector.

``geomatch plan --maps DIR`` draws every year's run folder with the one map function,
:func:`geomatch.render.maps.write_maps`, into ``DIR/<year>/`` (``index.html``,
``national.html``, ``province/<adcode>.html``, report, figure, assets), then writes
``DIR/index.html`` around them: a plain page (inline style and script, nothing fetched)
with

* a **年度** select (the plan's years) and a **范围** select (全国 or a province with a
  page in some year) that switch the map in the frame below between the years' pages —
  ``<year>/national.html`` or ``<year>/province/<adcode>.html``; the choice is kept in
  the address (``index.html#2019/520000``);
* the year's **结对变化** (transitions): how many needs kept their helper (保持), were paired
  for the first time (新增), changed helper (调整) or lost their pair (结束), nationally
  and, with a province chosen, for that province — counted from ``transitions.csv``;
* the same national counts for every year as a static table (readable without script,
  printable) with links to each year's pages.

A transition row belongs to the province of its need's county: ``kept``/``new``/``moved``
rows by the year's ``pairings.csv``, ``ended`` rows by the previous year's (the need is
no longer paired this year).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pandas as pd

from geomatch.errors import InputError
from geomatch.io.output import atomic_output_dir
from geomatch.model.run_tables import province_scope
from geomatch.progress import ProgressCallback, null_progress, scaled
from geomatch.render.geometry import js_json
from geomatch.render.maps import MapSettings, write_maps
from geomatch.run_result import read_run

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = ["CHANGE_LABELS", "YearPages", "transition_counts", "write_year_maps", "years_html"]

log = logging.getLogger(__name__)

#: The four kinds of transition, in the order shown, with their Chinese labels.
CHANGE_LABELS: Final[dict[str, str]] = {
    "kept": "保持",
    "new": "新增",
    "moved": "调整",
    "ended": "结束",
}
NATIONAL: Final = ""


@dataclass(frozen=True)
class YearPages:
    """What the selector page needs to know of the drawn years.

    Attributes
    ----------
    years
        The plan's years, ascending.
    provinces
        Province adcode → Chinese name, for every province with a page in some year.
    pages
        Year → adcodes of the provinces with a page that year.
    counts
        :func:`transition_counts` of the whole plan.
    """

    years: tuple[int, ...]
    provinces: Mapping[str, str]
    pages: Mapping[int, tuple[str, ...]]
    counts: pd.DataFrame


def transition_counts(transitions: pd.DataFrame, provinces: pd.Series) -> pd.DataFrame:
    """Needs per year, scope and kind of transition.

    Parameters
    ----------
    transitions
        ``year, need_id, helper_id, change`` (``transitions.csv`` of a plan).
    provinces
        Province adcode of each row (aligned with ``transitions``; ``""`` if unknown:
        such a row counts nationally only).

    Returns
    -------
    pandas.DataFrame
        ``year, scope`` (``""`` national, else the province adcode) and one integer
        column per :data:`CHANGE_LABELS` key (numbers of needs); every year has its
        national row, even with no transitions.
    """
    frame = pd.DataFrame(
        {
            "year": transitions["year"].astype("int64").to_numpy(),
            "change": transitions["change"].astype("str").to_numpy(),
            "scope": provinces.astype("str").to_numpy(),
        }
    )
    national = frame.assign(scope=NATIONAL)
    both = pd.concat([national, frame[frame["scope"] != NATIONAL]], ignore_index=True)
    table = both.groupby(["year", "scope", "change"]).size().unstack("change", fill_value=0)
    table = table.reindex(columns=list(CHANGE_LABELS), fill_value=0).astype("int64")
    years = sorted(set(frame["year"]))
    full = pd.MultiIndex.from_tuples([(y, NATIONAL) for y in years], names=["year", "scope"])
    table = table.reindex(table.index.union(full), fill_value=0)
    return table.reset_index().sort_values(["year", "scope"], ignore_index=True)


def _scopes_of(transitions: pd.DataFrame, runs: Mapping[int, Path]) -> pd.Series:
    """Province of each transition row, by the need's county in that year's (or last year's,
    for ``ended``) pairings."""
    where: dict[int, dict[str, str]] = {}
    for year, folder in runs.items():
        pairs = read_run(folder).pairings
        where[year] = dict(
            zip(pairs["need_id"].astype("str"), province_scope(pairs, "pairings"), strict=True)
        )
    out = []
    for year, need, change in zip(
        transitions["year"].astype("int64"),
        transitions["need_id"].astype("str"),
        transitions["change"].astype("str"),
        strict=True,
    ):
        table = where.get(int(year) - 1 if change == "ended" else int(year), {})
        out.append(table.get(need, NATIONAL))
    return pd.Series(out, index=transitions.index, dtype="str")


# --------------------------------------------------------------------------- the page

_CSS = """
html,body{margin:0;height:100%}
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;
color:#222;display:flex;flex-direction:column}
header{padding:6px 12px;border-bottom:1px solid #ccc;background:#fafafa;font-size:13px}
header h1{font-size:17px;margin:0 8px 4px 0;display:inline-block}
header label{margin-right:12px}select{font-size:14px}
.gm-row{display:flex;flex-wrap:wrap;align-items:flex-start;gap:10px 18px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 7px;
text-align:right}th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
.gm-kept{color:#1a9850}.gm-new{color:#2166ac}.gm-moved{color:#b35806}.gm-ended{color:#b2182b}
nav a{margin-right:12px}details{margin-top:4px}.note{color:#555;font-size:12px}
#gm-missing{display:none;padding:20px;color:#b2182b}
iframe{flex:1;border:0;width:100%;min-height:420px}
@media print{iframe,#gm-missing,header .gm-row{display:none}details{display:block}}
"""

_SCRIPT = """
(function () {
  var D = GM_PLAN;
  var year = document.getElementById("gm-year"), scope = document.getElementById("gm-scope");
  var frame = document.getElementById("gm-frame"), missing = document.getElementById("gm-missing");
  var counts = document.getElementById("gm-counts");
  function fill(row, c) {
    var total = c.kept + c.new + c.moved;
    row.querySelector('[data-change="paired"]').textContent = total;
    D.changes.forEach(function (k) {
      row.querySelector('[data-change="' + k + '"]').textContent = c[k];
    });
  }
  function show() {
    var y = year.value, s = scope.value;
    var has = s === "" || (D.pages[y] || []).indexOf(s) >= 0;
    var src = s === "" ? y + "/national.html" : y + "/province/" + s + ".html";
    missing.style.display = has ? "none" : "block";
    frame.style.display = has ? "" : "none";
    if (has && frame.getAttribute("src") !== src) { frame.setAttribute("src", src); }
    var zero = {kept: 0, new: 0, moved: 0, ended: 0};
    var byYear = D.counts[y] || {};
    fill(counts.querySelector('[data-scope="national"]'), byYear[""] || zero);
    var prov = counts.querySelector('[data-scope="province"]');
    prov.style.display = s === "" ? "none" : "";
    prov.querySelector("th").textContent = s === "" ? "" : D.provinces[s];
    if (s !== "") { fill(prov, byYear[s] || zero); }
    document.getElementById("gm-index").setAttribute("href", y + "/index.html");
    document.getElementById("gm-report").setAttribute("href", y + "/report.html");
    document.getElementById("gm-year-title").textContent = y;
    if (history.replaceState) { history.replaceState(null, "", "#" + y + (s ? "/" + s : "")); }
  }
  var hash = decodeURIComponent(location.hash.slice(1)).split("/");
  if (D.pages[hash[0]]) { year.value = hash[0]; }
  if (hash[1] && D.provinces[hash[1]]) { scope.value = hash[1]; }
  year.addEventListener("change", show);
  scope.addEventListener("change", show);
  show();
})();
"""


def _counts_cells(row: pd.Series | None) -> str:
    values = {k: 0 if row is None else int(row[k]) for k in CHANGE_LABELS}
    paired = values["kept"] + values["new"] + values["moved"]
    cells = [f'<td data-change="paired">{paired}</td>']
    cells += [f'<td data-change="{k}" class="gm-{k}">{v}</td>' for k, v in values.items()]
    return "".join(cells)


def _head() -> str:
    labels = "".join(f'<th class="gm-{k}">{v}</th>' for k, v in CHANGE_LABELS.items())
    return f"<th>本年结对</th>{labels}"


def _years_table(info: YearPages) -> str:
    """Every year's national counts (static, with links to the year's pages)."""
    national = info.counts[info.counts["scope"] == NATIONAL].set_index("year")
    rows = []
    for y in info.years:
        row = national.loc[y] if y in national.index else None
        links = (
            f'<a href="{y}/national.html">全国地图</a> <a href="{y}/index.html">分省目录</a> '
            f'<a href="{y}/report.html">运行报告</a>'
        )
        rows.append(f'<tr data-year="{y}"><td>{y}</td>{_counts_cells(row)}<td>{links}</td></tr>')
    return f"<table><tr><th>年度</th>{_head()}<th>地图</th></tr>{''.join(rows)}</table>"


def _page_data(info: YearPages) -> str:
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for r in info.counts.itertuples(index=False):
        entry = {k: int(getattr(r, k)) for k in CHANGE_LABELS}
        counts.setdefault(str(r.year), {})[str(r.scope)] = entry
    return js_json(
        {
            "changes": list(CHANGE_LABELS),
            "counts": counts,
            "pages": {str(y): list(p) for y, p in info.pages.items()},
            "provinces": dict(info.provinces),
        }
    )


def years_html(info: YearPages) -> str:
    """The selector page's HTML (names escaped; the data embedded as escaped JSON).

    Parameters
    ----------
    info
        The plan's years, province pages and transition counts.
    """
    first, last = info.years[0], info.years[-1]
    span = f"{first}–{last}" if last != first else str(first)
    year_opts = "".join(
        f'<option value="{y}"{" selected" if y == first else ""}>{y} 年</option>'
        for y in info.years
    )
    scope_opts = '<option value="">全国</option>' + "".join(
        f'<option value="{html.escape(pa)}">{html.escape(name)}</option>'
        for pa, name in sorted(info.provinces.items())
    )
    legend = "；".join(
        f"{v}：{d}"
        for v, d in (
            ("保持", "与上一年同一帮扶方"),
            ("新增", "上一年未结对"),
            ("调整", "更换了帮扶方"),
            ("结束", "上一年结对、本年不再结对（帮扶方为上一年的）"),
        )
    )
    return f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"/>
<title>geomatch 多年度规划地图 {span}</title><style>{_CSS}</style></head><body>
<header>
<h1>科技助力精准扶贫 — 多年度规划地图 {span}</h1>
<nav><a id="gm-index" href="{first}/index.html">本年度分省目录</a><a id="gm-report"
href="{first}/report.html">本年度运行报告</a></nav>
<div class="gm-row">
<div><label>年度 <select id="gm-year" aria-label="年度">{year_opts}</select></label>
<label>范围 <select id="gm-scope" aria-label="范围">{scope_opts}</select></label></div>
<div><b><span id="gm-year-title">{first}</span> 年结对变化（需求数）</b>
<table id="gm-counts"><tr><th>范围</th>{_head()}</tr>
<tr data-scope="national"><th>全国</th>{_counts_cells(None)}</tr>
<tr data-scope="province" style="display:none"><th></th>{_counts_cells(None)}</tr></table></div>
</div>
<details><summary>各年度结对变化（全国）与各年地图</summary>
<p class="note">{html.escape(legend)}。来源：transitions.csv。</p>
{_years_table(info)}</details>
</header>
<div id="gm-missing">该省本年度没有地图（本年无贫困县覆盖数据）。</div>
<iframe id="gm-frame" title="覆盖地图" src="{first}/national.html"></iframe>
<script>var GM_PLAN = {_page_data(info)};</script>
<script>{_SCRIPT}</script>
</body></html>
"""


# --------------------------------------------------------------------------- entry point


def _province_pages(year_dir: Path) -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in (year_dir / "province").glob("*.html")))


def _province_names(runs: Mapping[int, Path]) -> dict[str, str]:
    names: dict[str, str] = {}
    for folder in runs.values():
        run = read_run(folder)
        if "coverage" in run.present:
            cov = run.tables["coverage"]
            names.update(zip(cov["province_adcode"].astype("str"), cov["province"], strict=True))
    return names


def write_year_maps(
    runs: Mapping[int, Path],
    transitions: pd.DataFrame,
    maps_dir: Path,
    dataset: Dataset,
    *,
    tiles: str | None = None,
    progress: ProgressCallback | None = None,
    settings: MapSettings | None = None,
) -> list[Path]:
    """Draw each year's maps with :func:`~geomatch.render.maps.write_maps` and the selector.

    Parameters
    ----------
    runs
        Year → run folder of that year (``DIR/<year>/`` of a plan).
    transitions
        The plan's ``year, need_id, helper_id, change`` rows.
    maps_dir
        Output folder (all-or-nothing): ``index.html`` (the selector) and ``<year>/``.
    dataset
        The dataset the plan was made from.
    tiles, settings
        As for :func:`~geomatch.render.maps.write_maps` (no tile server by default).
    progress
        ``(fraction, message)`` callback.

    Returns
    -------
    list of pathlib.Path
        ``index.html`` first, then every file each year's maps wrote.

    Raises
    ------
    InputError
        No year, a year of ``transitions`` without a run folder, or a malformed run folder.
    """
    cb = progress or null_progress
    s = settings or MapSettings()
    years = tuple(sorted(runs))
    if not years:
        raise InputError("a multi-year plan needs at least one year's run folder")
    unknown = sorted(set(transitions["year"].astype("int64")) - set(years))
    if unknown:
        raise InputError(
            f"transitions of year {unknown[0]} but no run folder for that year", column="year"
        )
    maps_dir = Path(maps_dir)
    written: list[Path] = []
    with atomic_output_dir(maps_dir) as stage:
        for i, year in enumerate(years):
            part = scaled(cb, 0.95 * i / len(years), 0.95 * (i + 1) / len(years))
            cb(0.95 * i / len(years), f"maps {year}")
            out = stage / str(year)
            paths = write_maps(runs[year], out, dataset, tiles=tiles, progress=part, settings=s)
            written += [maps_dir / p.relative_to(stage) for p in paths]
        pages = {y: _province_pages(stage / str(y)) for y in years}
        names = _province_names(runs)
        info = YearPages(
            years=years,
            provinces={pa: names.get(pa, pa) for y in years for pa in pages[y]},
            pages=pages,
            counts=transition_counts(transitions, _scopes_of(transitions, runs)),
        )
        (stage / "index.html").write_text(years_html(info), encoding="utf-8")
    cb(1.0, f"{len(years)} years")
    log.info("plan maps: %d years, year selector %s", len(years), maps_dir / "index.html")
    return [maps_dir / "index.html", *written]
