"""Column and value labels of the exports: English codes or Chinese labels (``--labels zh``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import pandas as pd

from geomatch.errors import InputError
from geomatch.model.categories import CATEGORY_ZH, HELPER_KIND_ZH, NEED_KIND_ZH, PRIORITY_ZH
from geomatch.render.kpi import PEOPLE_PROXY

__all__ = ["COLUMN_ZH", "SHEET_ZH", "VALUE_ZH", "check_labels", "label_table"]

#: Column name → Chinese label (columns not listed keep their English name).
COLUMN_ZH: Final = MappingProxyType(
    {
        "need_id": "需求编号",
        "helper_id": "帮扶方编号",
        "cost": "成本",
        "load": "占用能力",
        "distance_km": "距离(公里)",
        "reason": "原因",
        "stage": "环节",
        "adcode": "县级代码",
        "name": "名称",
        "county": "县",
        "county_name": "县",
        "province": "省份",
        "province_adcode": "省级代码",
        "prefecture": "地市",
        "region": "东中西部",
        "exit_year": "摘帽年份",
        "deep_poverty_area": "深度贫困地区",
        "station_team": "专家服务站团队",
        "station_roles_paired": "已配对岗位",
        "museum_visits": "流动科技馆巡展次数",
        "caravan_visits": "大篷车到站次数",
        "caravan_days": "大篷车出车天数",
        "experts": "结对专家/组织数",
        "unmet_needs": "未满足需求数",
        "unmet_visits": "未排期巡展数",
        "needs_total": "需求总数",
        "needs_paired": "已配对需求数",
        "townships_total": "乡镇数",
        "townships_reached": "大篷车到达乡镇数",
        "township_share": "乡镇到达比例",
        "villages_total": "行政村数",
        "villages_reached": "大篷车到达村数",
        "village_share": "村覆盖比例",
        "seat_lon": "县城经度",
        "seat_lat": "县城纬度",
        "set_id": "展品套编号",
        "visit_no": "巡展序次",
        "start_date": "开始日期",
        "end_date": "结束日期",
        "travel_km": "行驶里程(公里)",
        "caravan_id": "大篷车编号",
        "date": "日期",
        "seq": "站序",
        "stop_code": "站点代码",
        "stop_name": "站点名称",
        "kind": "需求类型",
        "category": "产业类别",
        "station_role": "服务站岗位",
        "unit_code": "单位代码",
        "unit_name": "单位名称",
        "priority": "优先级",
        "helper_name": "帮扶方",
        "helper_kind": "帮扶方类型",
        "helper_specialty": "专长",
        "helper_city": "帮扶方城市",
        "helper_province": "帮扶方省份",
        "helper_institution": "所在单位",
        "scope": "范围",
        "poor_counties": "贫困县数",
        "associations_built": "建立农技协数",
        "township_federations": "乡镇农技协联合会",
        "village_associations": "村级农技协",
        "experts_mobilised": "动员专家数",
        "organisations_mobilised": "动员组织数",
        "villages_covered": "覆盖贫困村数",
        "people_proxy": "贫困人口覆盖(代理指标)",
        "station_met": "服务站达标县",
        "station_missing": "服务站未达标县",
        "caravan_met": "大篷车达标县",
        "caravan_missing": "大篷车未达标县",
        "museum2_met": "巡展两次达标县",
        "museum2_missing": "巡展未达标县",
        "school_science_museum": "农村中学科技馆",
        "e_station": "科普中国乡村e站",
        "field": "项目",
        "value": "值",
    }
)

#: Values translated with ``--labels zh`` (per column).
VALUE_ZH: Final = MappingProxyType(
    {
        "station_team": {"complete": "齐全", "partial": "部分", "none": "未配对"},
        "kind": dict(NEED_KIND_ZH),
        "category": dict(CATEGORY_ZH),
        "station_role": dict(CATEGORY_ZH),
        "helper_kind": dict(HELPER_KIND_ZH),
        "helper_specialty": dict(CATEGORY_ZH),
        "priority": dict(PRIORITY_ZH),
        "scope": {"province": "省", "national": "全国"},
        "school_science_museum": {"not modelled": "未建模"},
        "people_proxy": {PEOPLE_PROXY: "贫困县行政村覆盖数（数据中无贫困户数）"},
        "reason": {
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
            "no_set_capacity": "展品套不足",
            "season_closed": "季节性关闭",
            "unreachable_in_day": "当日无法往返",
            "no_trip_days": "出车天数不足",
        },
        "stage": {
            "pairing": "结对",
            "museum": "流动科技馆",
            "caravan": "科普大篷车",
            "tours": "巡展与大篷车",
        },
        "e_station": {"not modelled": "未建模"},
    }
)

#: Table name → Chinese sheet / file label.
SHEET_ZH: Final = MappingProxyType(
    {
        "pairings": "结对",
        "unmet": "未满足",
        "museum_visits": "流动科技馆巡展",
        "caravan_tours": "科普大篷车",
        "coverage": "县覆盖",
        "kpi": "指标",
        "manifest": "运行清单",
    }
)


def check_labels(labels: str) -> str:
    """Validate the ``labels`` option (``en`` or ``zh``)."""
    if labels not in ("en", "zh"):
        raise InputError(f"labels must be 'en' or 'zh', not {labels!r}", column="--labels")
    return labels


def label_table(df: pd.DataFrame, labels: str) -> pd.DataFrame:
    """Rename columns and translate coded values for ``labels='zh'``; a copy for ``en``."""
    if check_labels(labels) == "en":
        return df.copy()
    out = df.copy()
    for col, mapping in VALUE_ZH.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, m=mapping: _translate(v, m))
    return out.rename(columns=lambda c: COLUMN_ZH.get(str(c), str(c)))


def _translate(v: object, mapping: Mapping[str, str]) -> object:
    return mapping.get(v, v) if isinstance(v, str) else v
