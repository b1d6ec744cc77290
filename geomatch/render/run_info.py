"""``geomatch info --run DIR``: a run summarised from its own tables (no dataset needed).

The manifest's facts (scenario, seed, date, command), the solve status, the rows of every
table, then one line per province: poor counties and their station teams, museum targets
met, caravan stops, pairs and unmet needs — read from the run's ``coverage``, ``pairings``
and ``unmet`` through each table's declared province scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geomatch.model.run_tables import RUN_TABLES, province_scope
from geomatch.render.manifest_view import manifest_rows
from geomatch.render.map_index import province_headlines
from geomatch.run_result import read_run

__all__ = ["RunInfo", "print_run_info", "run_info"]


@dataclass(frozen=True)
class RunInfo:
    """What :func:`print_run_info` shows.

    Attributes
    ----------
    run_dir
        The folder.
    facts
        ``(label, value)``: manifest facts and the solve summary.
    rows
        Table → rows (``None`` when the run did not produce it).
    provinces
        One row per province: 省份, 贫困县, 齐全/部分/未配对, 巡展≥2, 大篷车到站, 结对, 未满足.
    """

    run_dir: Path
    facts: list[tuple[str, str]]
    rows: dict[str, int | None]
    provinces: pd.DataFrame


_HEADLINE_ZH = {
    "province": "省份",
    "poor_counties": "贫困县",
    "complete": "齐全",
    "partial": "部分",
    "none": "未配对",
    "museum2": "巡展≥2次",
    "caravan_visits": "大篷车到站",
}


def _provinces(run: Any) -> pd.DataFrame:
    cov = run.coverage
    by = pd.DataFrame(index=pd.Index([], name="province_adcode"))
    if "coverage" in run.present and len(cov):
        by = province_headlines(cov)[list(_HEADLINE_ZH)].rename(columns=_HEADLINE_ZH)
    for name, label in (("pairings", "结对"), ("unmet", "未满足")):
        df = run.table(name)
        counts = province_scope(df, name).value_counts()
        counts = counts[counts.index != ""]
        if len(counts):  # rows without a province code (a bare pair run) are not counted
            by = by.join(counts.rename(label), how="outer")
    return by.fillna(0).sort_index()


def run_info(run_dir: str | Path) -> RunInfo:
    """Summarise a run folder.

    Raises
    ------
    InputError
        Not a run folder (exit 2).
    """
    run = read_run(run_dir)
    facts = list(manifest_rows(run.manifest)[:4])
    for key in ("status", "objective", "solver", "seconds"):
        if key in run.summary:
            facts.append((key, str(run.summary[key])))
    rows = {name: (len(run.table(name)) if name in run.present else None) for name in RUN_TABLES}
    return RunInfo(run_dir=Path(run_dir), facts=facts, rows=rows, provinces=_provinces(run))


def print_run_info(info: RunInfo, console: Any) -> None:
    """Show a :class:`RunInfo` in the terminal (rich; names as text, never markup)."""
    from rich.table import Table
    from rich.text import Text

    head = Table(title=f"geomatch run — {info.run_dir}", show_header=False, title_justify="left")
    for k, v in info.facts:
        head.add_row(Text(k), Text(v))
    for name, n in info.rows.items():
        head.add_row(
            Text(f"{RUN_TABLES[name].label} {name}.csv"), Text("—" if n is None else str(n))
        )
    console.print(head)
    if info.provinces.empty:
        console.print(
            Text(
                "此运行没有各省数字（没有 coverage.csv，结对行没有县级代码）；"
                "`geomatch map`/`geomatch report` 会按数据集计算。"
            )
        )
        return
    table = Table(title="各省 per province", title_justify="left")
    table.add_column("省级代码")
    for c in info.provinces.columns:
        table.add_column(str(c), justify="left" if c == "省份" else "right")
    for pa, r in info.provinces.iterrows():
        cells = [str(pa), *(str(int(v)) if isinstance(v, float) else str(v) for v in r)]
        table.add_row(*(Text(c) for c in cells))
    console.print(table)
