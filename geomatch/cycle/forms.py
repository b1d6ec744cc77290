"""The official recommendation forms, filled per selected candidate (XLSX, openpyxl).

* ``附件1_先进团队推荐表.xlsx`` — one sheet per selected team;
* ``附件2_先进个人推荐表.xlsx`` — one sheet per selected individual.

Each workbook starts with a sheet ``汇总`` listing its candidates. Resident ID and phone
numbers are masked (``6201**********1234``, ``138****5678``) unless ``unmasked`` is set,
which only the national office's export does.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from geomatch.cycle.candidates import FORM_FIELDS
from geomatch.io.files import FORMULA_START, ID_RE, PHONE_RE, atomic_write_bytes

__all__ = ["FORM_FILES", "mask", "write_forms"]

FORM_FILES = {"team": "附件1_先进团队推荐表.xlsx", "individual": "附件2_先进个人推荐表.xlsx"}
_TITLES = {"team": "脱贫攻坚科技助力先进团队推荐表", "individual": "脱贫攻坚科技助力先进个人推荐表"}
_TEAM_FIELDS = (
    "leader", "members", "institution", "phone", "served_province", "served_prefecture",
    "served_county", "served_township", "served_village", "service_category", "service_mode",
    "people_lifted", "service_days", "deeds",
)  # fmt: skip
_PERSON_FIELDS = (
    "gender", "birth", "id_number", "institution", "title", "phone", "served_province",
    "served_prefecture", "served_county", "served_township", "served_village",
    "service_category", "service_mode", "people_lifted", "service_days", "deeds",
)  # fmt: skip


def mask(text: str) -> str:
    """Mask resident ID and mobile numbers in ``text``."""
    text = ID_RE.sub(lambda m: m.group(1) + "*" * 10 + m.group(2), text)
    return PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def _cell(value: Any, unmasked: bool) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if not unmasked:
        text = mask(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def _head(ws: Worksheet, kind: str, row: dict[str, Any]) -> None:
    ws.merge_cells("A1:D1")
    ws["A1"] = _TITLES[kind]
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(["推荐单位", str(row["unit"]), "编号", str(row["candidate_id"])])
    ws.append(
        ["团队名称" if kind == "team" else "姓名", str(row["name"]), "类别", str(row["category"])]
    )


def _fill_sheet(ws: Worksheet, kind: str, row: dict[str, Any], unmasked: bool) -> None:
    _head(ws, kind, row)
    fields = _TEAM_FIELDS if kind == "team" else _PERSON_FIELDS
    for name in fields:
        ws.append([FORM_FIELDS[name], _cell(row.get(name), unmasked)])
        ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=4)
    ws.append(["服务深度贫困地区", "是" if row["deep_poverty"] else "否"])
    ws.append(["推荐单位意见", "（盖章）"])
    ws.column_dimensions["A"].width = 22
    for col in "BCD":
        ws.column_dimensions[col].width = 24
    for line in ws.iter_rows(min_row=2):
        for c in line:
            c.alignment = Alignment(wrap_text=True, vertical="center")


def _summary(ws: Worksheet, rows: Sequence[dict[str, Any]], unmasked: bool) -> None:
    ws.append(["序号", "编号", "名称", "推荐单位", "类别", "服务地区（县）", "带动脱贫贫困人口数"])
    for k, row in enumerate(rows, start=1):
        ws.append(
            [k, row["candidate_id"], _cell(row["name"], unmasked), row["unit"], row["category"],
             _cell(row.get("served_county"), unmasked), _cell(row.get("people_lifted"), unmasked)]
        )  # fmt: skip


def _sheet_title(row: dict[str, Any]) -> str:
    bad = set("[]:*?/\\")
    name = "".join(ch for ch in f"{row['candidate_id']} {row['name']}" if ch not in bad)
    return name[:31]


def write_forms(selected: pd.DataFrame, out: Path, *, unmasked: bool = False) -> list[Path]:
    """Write both forms for the ``selected`` candidates (rows of the candidates table)."""
    written = []
    for kind, file in FORM_FILES.items():
        rows = selected[selected["kind"] == kind].sort_values(["unit", "candidate_id"])
        records = rows.to_dict("records")
        wb = Workbook()
        summary = wb.active
        assert summary is not None
        summary.title = "汇总"
        _summary(summary, records, unmasked)
        for row in records:
            _fill_sheet(wb.create_sheet(_sheet_title(row)), kind, row, unmasked)
        buf = io.BytesIO()
        wb.save(buf)
        atomic_write_bytes(out / file, buf.getvalue())
        written.append(out / file)
    return written
