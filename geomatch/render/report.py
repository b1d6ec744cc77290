"""A one-page HTML summary of a run: the national PNG, the headline figures and the targets.

Written to ``<maps>/report.html`` beside the maps; the PNG is embedded (base64) so the page
can be mailed on its own. Every value is escaped.
"""

from __future__ import annotations

import base64
import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geomatch.io.output import atomic_write_bytes, mask_personal_numbers
from geomatch.render.coverage import coverage_of_run
from geomatch.render.kpi import NOT_MODELLED, PEOPLE_PROXY, kpi_of_run
from geomatch.render.manifest_view import manifest_html
from geomatch.render.run import load_run_dataset, with_run_inputs
from geomatch.run_result import RunResult, read_run

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = ["render_report", "write_report"]

log = logging.getLogger(__name__)

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px auto;max-width:1100px;
color:#222}h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;
padding:8px 12px;min-width:150px}.card b{display:block;font-size:22px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #ddd}.note{font-size:12px;color:#555}
details summary{cursor:pointer}code{font-size:11px;word-break:break-all}
"""

_TARGETS = (
    ("专家服务站团队齐全 station team", "station"),
    ("科普大篷车到站 caravan", "caravan"),
    ("流动科技馆巡展 2 次 museum ×2", "museum2"),
)


def _e(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return "—"
    return html.escape(str(v))


def render_report(run: RunResult, kpi: pd.DataFrame, png: bytes | None) -> str:
    """The report's HTML.

    Parameters
    ----------
    run
        The run (manifest, summary).
    kpi
        :func:`~geomatch.render.kpi.build_kpi`'s table (or the run's ``kpi.csv``).
    png
        The national PNG, embedded when given.
    """
    kpi = mask_personal_numbers(kpi)
    nat = kpi[kpi["scope"].astype("str") == "national"]
    row = nat.iloc[0] if len(nat) else kpi.iloc[0] if len(kpi) else pd.Series(dtype=object)
    cards = [
        ("贫困县 poor counties", row.get("poor_counties")),
        ("建立农技协 associations built", row.get("associations_built")),
        ("动员专家 experts mobilised", row.get("experts_mobilised")),
        ("动员组织 organisations", row.get("organisations_mobilised")),
        ("覆盖贫困村 villages covered*", row.get("villages_covered")),
        ("已配对需求 needs paired", f"{_e(row.get('needs_paired'))}/{_e(row.get('needs_total'))}"),
    ]
    card_html = "".join(f'<div class="card">{html.escape(k)}<b>{_e(v)}</b></div>' for k, v in cards)
    head = (
        ["省份 province", "贫困县"]
        + [t for t, _ in _TARGETS]
        + ["中学科技馆", "乡村e站", "专家", "农技协", "覆盖村"]
    )
    body = []
    for _, r in kpi.iterrows():
        cells = [_e(r.get("province")), _e(r.get("poor_counties"))]
        for _t, key in _TARGETS:
            cells.append(f"{_e(r.get(f'{key}_met'))} / 缺 {_e(r.get(f'{key}_missing'))}")
        cells += [
            _e(r.get("school_science_museum")),
            _e(r.get("e_station")),
            _e(r.get("experts_mobilised")),
            _e(r.get("associations_built")),
            f"{_e(r.get('villages_covered'))}/{_e(r.get('villages_total'))}",
        ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    table = (
        "<table><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + "</tr>"
        + "".join(body)
        + "</table>"
    )
    img = (
        f'<img alt="national map" src="data:image/png;base64,'
        f'{base64.b64encode(png).decode("ascii")}"/>'
        if png
        else ""
    )
    status = run.summary.get("status", "")
    merged_note = (
        "贫困县 831 个县级代码：832 县名单中的冷湖行委已并入茫崖市 (632803)。<br>"
        if str(row.get("poor_counties")) == "831"
        else ""
    )
    scen = run.manifest.get("scenario") or ""
    return f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"/>
<title>geomatch 运行报告 {html.escape(str(scen))}</title><style>{_CSS}</style></head><body>
<h1>科技助力精准扶贫 — 运行报告 run report</h1>
<p class="note">scenario <b>{html.escape(str(scen))}</b> · status {html.escape(str(status))}</p>
<h2>两数 headline figures</h2><div class="cards">{card_html}</div>
<p class="note">{merged_note}* {html.escape(PEOPLE_PROXY)}. 目标 “{html.escape(NOT_MODELLED)}”：
geomatch 的数据不含农村中学科技馆和科普中国乡村e站，未作虚构。</p>
<h2>全国覆盖 national coverage</h2>{img}
<h2>各省目标 targets per province (达标 / 缺)</h2>{table}
<h2>运行清单 run manifest</h2>{manifest_html(run.manifest)}
</body></html>
"""


def write_report(
    run_dir: Path,
    maps_dir: Path,
    *,
    dataset: Dataset | None = None,
    out: Path | None = None,
) -> Path:
    """Write the one-page summary of a run.

    Parameters
    ----------
    run_dir
        The run folder.
    maps_dir
        The maps folder (its ``national.png`` is embedded when present).
    dataset
        Needed only when the run has no ``kpi.csv`` (KPIs are then computed).
    out
        Output file; default ``maps_dir / "report.html"``.
    """
    run = read_run(run_dir)
    if "kpi" in run.present:
        kpi = run.tables["kpi"]
    else:
        ds = with_run_inputs(run, dataset if dataset is not None else load_run_dataset(run))
        kpi = kpi_of_run(run, ds, coverage_of_run(run, ds))
    png_path = Path(maps_dir) / "national.png"
    png = png_path.read_bytes() if png_path.is_file() else None
    target = Path(out) if out is not None else Path(maps_dir) / "report.html"
    atomic_write_bytes(target, render_report(run, kpi, png).encode("utf-8"))
    log.info("report: %s", target)
    return target
