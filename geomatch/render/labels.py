"""Chinese labels of the exports (``--labels zh``): every column, every coded value.

* Columns of a run table take the Chinese label declared with the table in
  :mod:`geomatch.model.run_tables` (declared once, there); the columns an export adds
  (unit names, helper attributes — :data:`ADDED_COLUMN_ZH`) and the manifest's take theirs
  from here.
* Coded values are translated per column (:data:`VALUE_ZH`: statuses, need kinds,
  categories, regions, reasons, stages, stop kinds …); ``;``-lists of codes item by item;
  every boolean column reads 是/否.
* The explanation (``detail``) and the suggested fix (``fix``) of an unmet need are
  written again in Chinese from their codes (:func:`fix_zh`): the pairing writes them in
  English for scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import pandas as pd

from geomatch.errors import InputError
from geomatch.model.categories import CATEGORY_ZH, HELPER_KIND_ZH, NEED_KIND_ZH, PRIORITY_ZH
from geomatch.model.run_tables import RUN_TABLES
from geomatch.render.kpi import PEOPLE_PROXY

__all__ = [
    "ADDED_COLUMN_ZH",
    "REASON_LABEL_ZH",
    "SHEET_ZH",
    "VALUE_ZH",
    "check_labels",
    "column_zh",
    "fix_text_zh",
    "fix_zh",
    "label_table",
]

#: Columns an export adds to the run's tables (names of the units and helpers).
ADDED_COLUMN_ZH: Final = MappingProxyType(
    {
        "county_name": "县",
        "province": "省份",
        "province_adcode": "省级代码",
        "unit_code": "单位代码",
        "unit_name": "单位名称",
        "township_code": "乡镇代码",
        "township_name": "乡镇",
        "village_name": "行政村",
        "helper_name": "帮扶方",
        "helper_kind": "帮扶方类型",
        "helper_specialty": "帮扶方专长",
        "helper_city": "帮扶方城市",
        "helper_province": "帮扶方省份",
        "helper_institution": "所在单位",
        "fix_helper_name": "建议帮扶方名称",
        "station_role": "服务站岗位",
        "helper_province_adcode": "帮扶方省级代码",
        "field": "项目",
        "value": "值",
    }
)

#: Reason codes of ``unmet.csv`` (pairing and tours) as short Chinese labels (the
#: ``reason`` column translated); the pairing's sentence for each is ``reason_zh``
#: (:data:`geomatch.solve.pairing_explain.REASON_ZH`).
REASON_LABEL_ZH: Final = MappingProxyType(
    {
        "no_location": "无位置",
        "no_candidate": "无候选帮扶方",
        "no_specialty_match": "无对口专业",
        "language": "语言不符",
        "level": "无高级职称专家",
        "relation": "无对口协作省份专家",
        "no_candidate_in_radius": "服务半径内无帮扶方",
        "capacity_taken": "帮扶方能力已满",
        "cost_above_penalty": "结对成本高于未满足代价",
        "side_constraint": "受附加约束限制",
        "stopped_early": "求解提前停止",
        "no_set_capacity": "展品套不足",
        "season_closed": "季节性关闭",
        "unreachable_in_day": "当日无法往返",
        "no_trip_days": "出车天数不足",
    }
)

_REGION_ZH: Final = {"east": "东部", "central": "中部", "west": "西部"}
_STATION_ZH: Final = {"complete": "齐全", "partial": "部分", "none": "未配对"}
_NOT_MODELLED: Final = {"not modelled": "未建模"}

#: Values translated with ``--labels zh`` (per column).
VALUE_ZH: Final = MappingProxyType(
    {
        "station_team": _STATION_ZH,
        "kind": {
            **NEED_KIND_ZH,
            "need": "需求",  # the pairing's kind when a needs file has none
            "museum_visit": "流动科技馆巡展",
            "caravan_stop": "科普大篷车到站",
        },
        "category": dict(CATEGORY_ZH),
        "station_role": dict(CATEGORY_ZH),
        "station_roles_paired": dict(CATEGORY_ZH),
        "specialty": dict(CATEGORY_ZH),
        "helper_kind": dict(HELPER_KIND_ZH),
        "helper_specialty": dict(CATEGORY_ZH),
        "priority": dict(PRIORITY_ZH),
        "region": _REGION_ZH,
        "helper_region": _REGION_ZH,
        "scope": {"province": "省", "national": "全国"},
        "school_science_museum": _NOT_MODELLED,
        "e_station": _NOT_MODELLED,
        "people_proxy": {PEOPLE_PROXY: "贫困县行政村覆盖数（数据中无贫困户数）"},
        "reason": dict(REASON_LABEL_ZH),
        "stage": {
            "pairing": "结对",
            "museum": "流动科技馆",
            "caravan": "科普大篷车",
            "tours": "巡展与大篷车",
        },
        "stop_kind": {"township": "乡镇", "village": "行政村"},
        "status": {"optimal": "最优", "feasible": "可行", "infeasible": "不可行"},
        "field": {"scenario": "情景", "seed": "随机种子", "created": "运行时间", "command": "命令"},
    }
)

#: Prefixes of manifest fields (``input:needs``, ``version:geomatch``) in Chinese.
_FIELD_PREFIX_ZH: Final = {"input:": "输入:", "version:": "版本:"}

#: Table name → Chinese sheet / file label (the run tables' own, and the manifest's).
SHEET_ZH: Final = MappingProxyType(
    {**{name: t.label for name, t in RUN_TABLES.items()}, "manifest": "运行清单"}
)

_DETAIL_ZH: Final = {
    "no_location": "需求没有经纬度",
    "no_candidate": "候选文件中没有该需求的帮扶方",
    "no_specialty_match": "没有帮扶方的专长对口该类别",
    "language": "对口专长的帮扶方都不会该需求的语言",
    "level": "没有对口的高级职称专家",
    "relation": "东西部协作对口省份中没有对口的帮扶方",
    "no_candidate_in_radius": "服务半径内没有对口的帮扶方",
    "capacity_taken": "候选帮扶方的能力已被其他需求占满",
    "cost_above_penalty": "有余力的帮扶方结对成本不低于未满足代价",
    "side_constraint": (
        "帮扶方有余力，但附加约束（每位专家一个服务站、每县上限、学会配额或齐全团队）不允许"
    ),
    "stopped_early": "求解在证明最优前停止（时间或轮数上限），仍有能降低总成本的配对",
    "no_set_capacity": "展品套在巡展季内排不开",
    "season_closed": "巡展/大篷车季节内该地封闭",
    "unreachable_in_day": "从县城出发当日无法往返",
    "no_trip_days": "大篷车出车天数排不下",
}

_FIX_ZH: Final = {
    "no_location": "补充需求的经纬度",
    "no_candidate": "在候选文件中为该需求增加帮扶方",
    "no_specialty_match": "招募专长对口的帮扶方",
    "language": "招募会该语言的帮扶方",
    "level": "接受非高级职称专家（enforce_min_level）",
    "relation": "改为对口优先（relation_mode = preference）",
    "no_candidate_in_radius": "扩大服务半径（radius_km）或就近招募",
    "capacity_taken": "为帮扶方增加能力",
    "cost_above_penalty": "提高该需求的优先级或未满足代价",
    "side_constraint": "放宽附加约束或招募帮扶方",
    "stopped_early": "延长求解时间（--time-limit）或增加轮数后重算",
    "no_set_capacity": "增加展品套或延长巡展季",
    "season_closed": "把巡展/出车日期移出封闭季节",
    "unreachable_in_day": "安排过夜或从更近的地点出发",
    "no_trip_days": "增加大篷车出车天数或车辆",
}


def _number(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return ""
    return "" if x != x else f"{x:.0f}"


def fix_zh(reason: Any, helper: Any = "", distance_km: Any = "") -> str:
    """The cheapest fix of an unmet need in Chinese, from its reason and fix helper.

    Parameters
    ----------
    reason
        The reason code (:data:`REASON_LABEL_ZH`).
    helper, distance_km
        The helper whose capacity (or nearness) fixes it and its distance, when known.
    """
    code = str(reason or "")
    text = _FIX_ZH.get(code, "")
    who = "" if pd.isna(helper) else str(helper).strip()
    if not text or not who:
        return text
    km = _number(distance_km)
    at = f"（{km} 公里）" if km else ""
    if code == "capacity_taken":
        return f"为帮扶方 {who}{at} 增加能力"
    if code == "stopped_early":
        return f"{text}：帮扶方 {who}{at}可以接手"
    return f"{text}：最近的对口帮扶方 {who}{at}"


def fix_text_zh(fix: Any, reason: Any) -> str:
    """A fix as planners read it: kept when Chinese, else the Chinese fix of its reason
    followed by the original text (which may name a helper) in brackets."""
    text = "" if pd.isna(fix) else str(fix)
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text
    zh = fix_zh(reason)
    return f"{zh}（{text}）" if text and zh else zh or text


def check_labels(labels: str) -> str:
    """Validate the ``labels`` option (``en`` or ``zh``)."""
    if labels not in ("en", "zh"):
        raise InputError(f"labels must be 'en' or 'zh', not {labels!r}", column="--labels")
    return labels


def column_zh(table: str | None) -> dict[str, str]:
    """Column → Chinese label for a table: its declared labels, then the added columns'."""
    declared = RUN_TABLES[table].labels if table is not None and table in RUN_TABLES else {}
    return {**ADDED_COLUMN_ZH, **declared}


def _translate(v: object, mapping: Mapping[str, str]) -> object:
    if not isinstance(v, str):
        return v
    if ";" in v:
        return ";".join(mapping.get(x, x) for x in v.split(";"))
    return mapping.get(v, v)


def _explain_zh(out: pd.DataFrame) -> None:
    """Chinese ``detail`` and ``fix`` from the row's codes (in place)."""
    if "reason" not in out.columns:
        return
    reason = out["reason"].astype("str")
    if "detail" in out.columns:
        out["detail"] = reason.map(_DETAIL_ZH).fillna(out["detail"])
    if "fix" in out.columns and "fix_helper_id" in out.columns:
        km = out.get("fix_distance_km", pd.Series("", index=out.index))
        fixes = [fix_zh(r, h, k) for r, h, k in zip(reason, out["fix_helper_id"], km, strict=True)]
        out["fix"] = pd.Series(fixes, index=out.index).where(lambda s: s != "", out["fix"])
    elif "fix" in out.columns:  # a summary: its fix names no helper column
        out["fix"] = [fix_text_zh(f, r) for f, r in zip(out["fix"], reason, strict=True)]


def label_table(df: pd.DataFrame, labels: str, table: str | None = None) -> pd.DataFrame:
    """Columns and coded values in Chinese for ``labels='zh'``; a copy for ``en``.

    Parameters
    ----------
    df
        A run table (as exported: with the added name columns) or the manifest frame.
    labels
        ``en`` or ``zh``.
    table
        The run table's name (:data:`~geomatch.model.run_tables.RUN_TABLES`), whose
        declared column labels are used.
    """
    if check_labels(labels) == "en":
        return df.copy()
    out = df.copy()
    _explain_zh(out)
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map(lambda v: "" if pd.isna(v) else ("是" if v else "否")).astype("str")
        elif col in VALUE_ZH:
            out[col] = s.map(lambda v, m=VALUE_ZH[col]: _translate(v, m))
    if "field" in out.columns:  # the manifest
        for en, zh in _FIELD_PREFIX_ZH.items():
            out["field"] = out["field"].astype("str").str.replace(f"^{en}", zh, regex=True)
    names = column_zh(table)
    return out.rename(columns=lambda c: names.get(str(c), str(c)))
