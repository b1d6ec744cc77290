"""The province report (``geomatch report --province 520000``): what a provincial planner asks.

From a run's tables alone (no recomputation: the run's ``coverage`` and ``unmet_summary``
— made by the coverage stage, :func:`geomatch.render.run.add_coverage`, when an older run
lacks them — and its schedules):

1. every poor county with its station-team status and the roles still missing;
2. the shortfall per county and need kind, with one fix each;
3. the mobile-museum visit dates per county (target: two a year);
4. the science-caravan calendar per township (dates and villages visited).

Written as a printable HTML page (A4, print CSS) or as PDF through headless Chromium
(``--print-to-pdf``; :class:`BrowserMissingError` when no Chromium is installed), and shown
in the terminal as tables (:func:`print_report`, rich).
"""

from __future__ import annotations

import html
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from geomatch.errors import GeomatchError, InputError
from geomatch.io.output import atomic_write_bytes, mask_personal_numbers
from geomatch.model.categories import CATEGORY_ZH, STATION_ROLES
from geomatch.render.labels import REASON_LABEL_ZH, VALUE_ZH, fix_text_zh
from geomatch.render.manifest_view import manifest_html, manifest_rows
from geomatch.render.run import add_coverage, as_text, load_run_dataset, with_run_inputs
from geomatch.render.units import ProvinceChoice, UnitNames, resolve_province, unit_names
from geomatch.run_result import RunResult, read_run

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = [
    "REPORT_FORMATS",
    "BrowserMissingError",
    "ProvinceReport",
    "build_province_report",
    "print_report",
    "report_html",
    "write_province_report",
]

log = logging.getLogger(__name__)

#: Output formats of :func:`write_province_report`.
REPORT_FORMATS: Final = ("html", "pdf")

_STATION_ZH: Final = {"complete": "齐全", "partial": "部分", "none": "未配对"}
_BROWSERS: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BrowserMissingError(GeomatchError):
    """A PDF was asked for and no headless Chromium is installed (exit 2; nothing written)."""

    exit_code = 2


@dataclass(frozen=True)
class ProvinceReport:
    """The four tables of a province report (Chinese headers, one row per line shown).

    Attributes
    ----------
    province
        The province.
    manifest
        The run's manifest.
    counties
        县, 县级代码, 地市, 服务站团队, 已配对岗位, 缺少岗位, 结对专家/组织, 需求已配对.
    shortfall
        县, 需求类型, 未满足, 主要原因, 建议 (one fix per county and kind).
    museum
        县, 巡展次数, 巡展日期 (target two a year).
    caravan
        县, 乡镇, 乡镇代码, 日期, 到达行政村.
    """

    province: ProvinceChoice
    manifest: dict[str, Any]
    counties: pd.DataFrame
    shortfall: pd.DataFrame
    museum: pd.DataFrame
    caravan: pd.DataFrame


def _missing_roles(paired: str) -> str:
    have = set(str(paired).split(";"))
    return "、".join(CATEGORY_ZH.get(r, r) for r in STATION_ROLES if r not in have) or "—"


def _counties(cov: pd.DataFrame) -> pd.DataFrame:
    cov = cov.sort_values(["prefecture", "adcode"])
    roles = cov["station_roles_paired"].astype("str")
    return pd.DataFrame(
        {
            "县": cov["name"],
            "县级代码": cov["adcode"],
            "地市": cov["prefecture"],
            "服务站团队": cov["station_team"].map(_STATION_ZH).fillna(cov["station_team"]),
            "已配对岗位": roles.map(
                lambda s: "、".join(CATEGORY_ZH.get(r, r) for r in s.split(";") if r) or "—"
            ),
            "缺少岗位": roles.map(_missing_roles),
            "结对专家/组织": cov["experts"],
            "需求已配对": [
                f"{a}/{b}" for a, b in zip(cov["needs_paired"], cov["needs_total"], strict=True)
            ],
        }
    ).reset_index(drop=True)


def _shortfall(summary: pd.DataFrame, pa: str, names: UnitNames) -> pd.DataFrame:
    s = summary[(as_text(summary["province_adcode"]) == pa) & (as_text(summary["adcode"]) != "")]
    s = s.sort_values(["adcode", "unmet_needs"], ascending=[True, False])
    kinds = VALUE_ZH["kind"]
    county = s["county"].where(s["county"] != "", as_text(s["adcode"]).map(names.county))
    return pd.DataFrame(
        {
            "县": county.fillna(""),
            "需求类型": s["kind"].map(lambda k: kinds.get(k, k)),
            "未满足": s["unmet_needs"],
            "主要原因": s["reason"].map(lambda r: REASON_LABEL_ZH.get(r, r)),
            "建议": [fix_text_zh(f, r) for f, r in zip(s["fix"], s["reason"], strict=True)],
        }
    ).reset_index(drop=True)


def _museum(cov: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    v = visits.sort_values(["adcode", "start_date"])
    text = (
        "第"
        + v["visit_no"].astype("str")
        + "次 "
        + v["start_date"].astype("str")
        + "—"
        + v["end_date"].astype("str")
    )
    by = text.groupby(as_text(v["adcode"])).agg("；".join)
    cov = cov.sort_values(["prefecture", "adcode"])
    dates = cov["adcode"].map(by).fillna("未排期")
    return pd.DataFrame(
        {"县": cov["name"], "巡展次数": cov["museum_visits"], "巡展日期（目标每年 2 次）": dates}
    ).reset_index(drop=True)


def _caravan(ct: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    cols = ["县", "乡镇", "乡镇代码", "日期", "到达行政村"]
    if ct.empty:
        return pd.DataFrame(columns=cols)
    names = unit_names(dataset)
    code = as_text(ct["stop_code"])
    df = pd.DataFrame(
        {
            "county": code.str[:6].map(names.county).fillna(""),
            "twp": code.str[:9],
            "date": ct["date"].astype("str"),
            "village": code.where(code.str.len() == 12, "").map(names.village).fillna(""),
        }
    )
    out = []
    for (county, twp), g in df.groupby(["county", "twp"], sort=True):
        villages = sorted({v for v in g["village"] if v})
        out.append(
            [
                county,
                names.township.get(twp, twp),
                twp,
                "、".join(sorted(set(g["date"]))),
                "、".join(villages) or "—",
            ]
        )
    return pd.DataFrame(out, columns=cols)


def build_province_report(run: RunResult, dataset: Dataset, province: str) -> ProvinceReport:
    """The report's tables for ``province`` (code or Chinese name).

    Raises
    ------
    InputError
        Unknown province, or one without poor counties (column ``--province``).
    """
    choice = resolve_province(dataset, province)
    if not choice.poor:
        raise InputError(
            f"{choice.name} ({choice.adcode}) has no poor counties, so there is no county "
            "report; its helpers' work is in `geomatch export --province "
            f"{choice.adcode}`",
            column="--province",
        )
    full = add_coverage(run, dataset)
    cov = full.coverage[as_text(full.coverage["province_adcode"]) == choice.adcode]
    ct = full.caravan_tours
    ct = ct[as_text(ct["stop_code"]).str[:2] == choice.adcode[:2]]
    mv = full.museum_visits
    return ProvinceReport(
        province=choice,
        manifest=dict(run.manifest),
        counties=_counties(cov),
        shortfall=_shortfall(full.unmet_summary, choice.adcode, unit_names(dataset)),
        museum=_museum(cov, mv[as_text(mv["adcode"]).str[:2] == choice.adcode[:2]]),
        caravan=mask_personal_numbers(_caravan(ct, dataset)),
    )


# --------------------------------------------------------------------------- HTML / PDF

_CSS = """
@page{size:A4;margin:14mm 12mm}
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;
font-size:11pt;color:#222;margin:0 auto;max-width:190mm}
h1{font-size:17pt;margin:0 0 2mm}h2{font-size:13pt;margin:6mm 0 2mm;break-after:avoid}
.note{font-size:9pt;color:#555}.cards{display:flex;gap:3mm;flex-wrap:wrap}
.card{border:1px solid #bbb;border-radius:2mm;padding:1.5mm 3mm}.card b{font-size:14pt}
table{border-collapse:collapse;width:100%;font-size:9pt}thead{display:table-header-group}
th,td{border:1px solid #bbb;padding:1mm 1.5mm;text-align:left;vertical-align:top}
th{background:#eee}tr{break-inside:avoid}td:first-child{white-space:nowrap}.num{text-align:right}
.st-齐全{background:#e3f4e8}.st-部分{background:#fdf0dc}.st-未配对{background:#fbe2e0}
details summary{cursor:pointer}code{font-size:8pt;word-break:break-all}
@media print{details{display:none}}
"""


def _table(df: pd.DataFrame, status_col: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for r in df.itertuples(index=False):
        cls = (
            f' class="st-{html.escape(str(r[df.columns.get_loc(status_col)]))}"'
            if status_col
            else ""
        )
        cells = "".join(
            f'<td class="num">{html.escape(str(v))}</td>'
            if isinstance(v, int | float)
            else f"<td>{html.escape(str(v))}</td>"
            for v in r
        )
        rows.append(f"<tr{cls}>{cells}</tr>")
    body = "".join(rows) or f'<tr><td colspan="{len(df.columns)}">无</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cards(rep: ProvinceReport) -> str:
    st = rep.counties["服务站团队"].value_counts()
    visits = rep.museum["巡展次数"]
    facts = [
        ("贫困县", len(rep.counties)),
        ("服务站团队齐全", int(st.get("齐全", 0))),
        ("部分 / 未配对", f"{int(st.get('部分', 0))} / {int(st.get('未配对', 0))}"),
        ("巡展达 2 次的县", int((visits >= 2).sum())),
        ("大篷车到达乡镇", len(rep.caravan)),
        ("未满足需求", int(rep.shortfall["未满足"].sum()) if len(rep.shortfall) else 0),
    ]
    return "".join(
        f'<div class="card">{html.escape(k)}<br><b>{html.escape(str(v))}</b></div>'
        for k, v in facts
    )


def report_html(rep: ProvinceReport) -> str:
    """The report as one printable HTML page (A4; every value escaped)."""
    facts = dict(manifest_rows(rep.manifest)[:3])
    p = rep.province
    title = f"{p.name}科技助力精准扶贫 — 省级报告"
    note = " · ".join(
        html.escape(f"{k} {v}")
        for k, v in (
            ("省级代码", p.adcode),
            ("情景", facts.get("scenario", "")),
            ("随机种子", facts.get("seed", "")),
            ("运行时间", facts.get("created", "")),
        )
    )
    return f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"/>
<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="note">{note}</p>
<div class="cards">{_cards(rep)}</div>
<h2>一、各县专家服务站团队</h2>{_table(rep.counties, "服务站团队")}
<h2>二、各县缺口与建议（每县每类一条）</h2>{_table(rep.shortfall)}
<h2>三、流动科技馆巡展日期</h2>{_table(rep.museum)}
<h2>四、科普大篷车日程（按乡镇）</h2>{_table(rep.caravan)}
<h2>运行清单</h2>{manifest_html(rep.manifest)}
</body></html>
"""


def chromium() -> str | None:
    """The path of an installed Chromium/Chrome, or ``None``."""
    for name in _BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(page: str, out: Path, *, timeout: float = 120.0) -> Path:
    """Print ``page`` to ``out`` (A4) with headless Chromium.

    Raises
    ------
    BrowserMissingError
        No Chromium is installed.
    GeomatchError
        Chromium failed (its message is included).
    """
    exe = chromium()
    if exe is None:
        raise BrowserMissingError(
            "PDF 需要无头 Chromium，本机未安装。printing a PDF needs headless Chromium, which is "
            "not installed: run `sudo scripts/setup-system.sh` (installs chromium), or write "
            "--format html and print it from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="geomatch-report-") as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(page, encoding="utf-8")
        pdf = Path(tmp) / "report.pdf"
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp}/profile",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            src.as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            raise GeomatchError(
                f"Chromium could not print the report: {done.stderr.strip()[-500:]}"
            )
        atomic_write_bytes(out, pdf.read_bytes())
    return out


def write_province_report(
    run_dir: Path, province: str, out: Path, *, fmt: str = "html", dataset: Dataset | None = None
) -> tuple[Path, ProvinceReport]:
    """Write the province report of a run as HTML or PDF.

    Parameters
    ----------
    run_dir
        The run folder.
    province
        Code (``520000``, ``52``) or Chinese name (``贵州``, ``贵州省``).
    out
        The file to write.
    fmt
        ``html`` or ``pdf``.
    dataset
        The dataset; default the one the run names.

    Raises
    ------
    InputError
        Unknown format, bad run folder, unknown province or one without poor counties.
    BrowserMissingError
        ``pdf`` without Chromium.
    """
    if fmt not in REPORT_FORMATS:
        raise InputError(
            f"unknown report format {fmt!r}; expected one of {', '.join(REPORT_FORMATS)}",
            column="--format",
        )
    run = read_run(run_dir)
    ds = with_run_inputs(run, dataset if dataset is not None else load_run_dataset(run))
    rep = build_province_report(run, ds, province)
    page = report_html(rep)
    out = Path(out)
    if fmt == "pdf":
        html_to_pdf(page, out)
    else:
        atomic_write_bytes(out, page.encode("utf-8"))
    log.info("province report %s: %s", rep.province.adcode, out)
    return out, rep


def print_report(rep: ProvinceReport, console: Any) -> None:
    """The report's tables in the terminal (rich)."""
    from rich.table import Table
    from rich.text import Text

    def show(df: pd.DataFrame, title: str) -> None:
        table = Table(title=title, title_justify="left")
        for c in df.columns:
            table.add_column(str(c), overflow="fold")
        for r in df.itertuples(index=False):
            table.add_row(*(Text(str(v)) for v in r))  # names are text, never markup
        console.print(table)

    show(rep.counties, f"{rep.province.name} 各县专家服务站团队")
    show(rep.shortfall, "各县缺口与建议")
    show(rep.museum, "流动科技馆巡展日期")
    show(rep.caravan, "科普大篷车日程（按乡镇）")
