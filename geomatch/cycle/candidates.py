"""The commendation candidates table (推荐对象): columns, reading and checks.

Required columns (header row 1, English codes): ``candidate_id``, ``kind`` (``team`` |
``individual``), ``unit`` (recommending unit: province adcode or national society name),
``name``, ``merit`` (number ≥ 0), ``registered`` and ``praised_since_2016`` (true/false,
是/否), ``category`` (种植 | 养殖 | 其他), ``deep_poverty`` (serves a deep-poverty area).

Optional columns feed the forms 附件1/附件2 (:data:`FORM_FIELDS`); ``helper_id`` links a
candidate to the register and agreements, whose figures fill empty form cells.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pandas as pd

from geomatch.cycle.validate import ErrorList, read_checked_table

__all__ = ["FORM_FIELDS", "KINDS", "REQUIRED", "read_candidates"]

REQUIRED: Final[tuple[str, ...]] = (
    "candidate_id",
    "kind",
    "unit",
    "name",
    "merit",
    "registered",
    "praised_since_2016",
    "category",
    "deep_poverty",
)
KINDS: Final[tuple[str, ...]] = ("team", "individual")

#: Optional form fields: column → Chinese label on the forms.
FORM_FIELDS: Final[dict[str, str]] = {
    "helper_id": "名册编号",
    "leader": "团队负责人",
    "members": "团队人数",
    "gender": "性别",
    "birth": "出生年月",
    "id_number": "身份证号码",
    "institution": "工作单位",
    "title": "职务/职称",
    "phone": "联系电话",
    "served_province": "服务地区（省）",
    "served_prefecture": "服务地区（市）",
    "served_county": "服务地区（县）",
    "served_township": "服务地区（乡）",
    "served_village": "服务地区（村）",
    "service_category": "服务类别",
    "service_mode": "服务方式",
    "people_lifted": "带动脱贫贫困人口数",
    "service_days": "服务累计天数",
    "deeds": "主要事迹",
}


def read_candidates(path: str | Path, categories: tuple[str, ...]) -> pd.DataFrame:
    """Read and check the candidates; every bad cell is reported (exit 2), nothing kept.

    Returns a frame with typed ``merit`` (float) and booleans, text elsewhere, and every
    :data:`FORM_FIELDS` column present (empty when the file lacks it).
    """
    df = read_checked_table(path, REQUIRED)
    errors = ErrorList(path)
    seen: set[str] = set()
    merit: list[float] = []
    flags: dict[str, list[bool]] = {
        c: [] for c in ("registered", "praised_since_2016", "deep_poverty")
    }
    for k, row in enumerate(df.to_dict("records"), start=2):
        cid = str(row["candidate_id"]).strip()
        if not cid or cid in seen:
            what = "empty candidate_id" if not cid else f"candidate_id {cid!r} appears twice"
            errors.add(what, row=k, column="candidate_id")
        seen.add(cid)
        errors.choice(row["kind"], KINDS, row=k, column="kind")
        errors.choice(row["category"], categories, row=k, column="category")
        if not str(row["unit"]).strip():
            errors.add("empty unit", row=k, column="unit")
        merit.append(errors.number(row["merit"], row=k, column="merit"))
        for col, values in flags.items():
            values.append(errors.boolean(row[col], row=k, column=col))
    errors.raise_if_any()
    out = df.copy()
    for col in ("candidate_id", "kind", "unit", "name", "category"):
        out[col] = out[col].astype(str).str.strip()
    out["merit"] = merit
    for col, values in flags.items():
        out[col] = values
    for col in FORM_FIELDS:
        if col not in out.columns:
            out[col] = ""
    return out.reset_index(drop=True)
