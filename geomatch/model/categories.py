"""The policy vocabulary: need kinds, industry categories, helper kinds and specialties.

Industry categories follow the 2016 implementation plan and its 2020 follow-ups
(docs/ARCHITECTURE.md §0): 种植 crops, 养殖 livestock, 医疗健康 health, 工科/加工
engineering and processing, 电商 e-commerce, 光伏 solar, 休闲农业 agritourism,
培训/就业指导 training.
A helper's ``specialty`` is one of the same codes.

:data:`SPECIALTY_FIT` is the documented compatibility table used to build candidate
pairs: ``SPECIALTY_FIT[need_category][helper_specialty]`` is the fit penalty in cost
units (0 = exact match); a specialty absent from a category's row cannot serve it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "CATEGORIES",
    "CATEGORY_ZH",
    "HELPER_KINDS",
    "HELPER_KIND_ZH",
    "LANGUAGES",
    "LEVELS",
    "NEED_KINDS",
    "NEED_KIND_ZH",
    "PRIORITIES",
    "PRIORITY_ZH",
    "SPECIALTY_FIT",
    "STATION_ROLES",
]

#: Industry / need categories (code → Chinese label).
CATEGORY_ZH: Final = MappingProxyType(
    {
        "crop": "种植",
        "livestock": "养殖",
        "health": "医疗健康",
        "engineering": "工科/加工",
        "ecommerce": "电商",
        "solar": "光伏",
        "agritourism": "休闲农业",
        "training": "培训/就业指导",
    }
)
CATEGORIES: Final[tuple[str, ...]] = tuple(CATEGORY_ZH)

#: Need kinds (code → Chinese label), one per policy target.
NEED_KIND_ZH: Final = MappingProxyType(
    {
        "station": "农技专家服务站",  # county expert service station: one need per role
        "township_industry": "乡镇农技协联合会对接学会",  # township federation ↔ national society
        "village_product": "一村一品农技协",  # one-village-one-product village
        "training": "实用技术培训",  # training session for poor households
    }
)
NEED_KINDS: Final[tuple[str, ...]] = tuple(NEED_KIND_ZH)

#: Roles a county station team must include (one station need per role).
STATION_ROLES: Final[tuple[str, ...]] = ("crop", "livestock", "health")

HELPER_KIND_ZH: Final = MappingProxyType(
    {
        "expert": "专家",
        "society": "全国学会",
        "association": "农技协",
        "university": "高校",
        "enterprise": "企业",
    }
)
HELPER_KINDS: Final[tuple[str, ...]] = tuple(HELPER_KIND_ZH)

#: Title levels of an expert, most senior first.
LEVELS: Final[tuple[str, ...]] = ("senior", "intermediate", "junior")

#: Priority classes (code → Chinese label), most urgent first.
PRIORITY_ZH: Final = MappingProxyType(
    {
        "remaining": "未摘帽县",
        "newly_poor": "新增贫困",
        "returned": "返贫",
        "ordinary": "一般",
    }
)
#: Priority classes of a need, most urgent first (docs/ARCHITECTURE.md §0, 2020 priorities).
PRIORITIES: Final[tuple[str, ...]] = tuple(PRIORITY_ZH)

#: Languages a need may require (ISO 639-1): Mandarin, Tibetan, Uyghur, Yi, Mongolian,
#: Zhuang, Kazakh.
LANGUAGES: Final[tuple[str, ...]] = ("zh", "bo", "ug", "ii", "mn", "za", "kk")

#: Fit penalty (cost units, see the pairing cost model) of a helper specialty for a need
#: category. Exact match 0; a close discipline 40; training accepts every specialty at 60
#: (any expert can teach practical skills in their field). Absent = incompatible.
SPECIALTY_FIT: Final = MappingProxyType(
    {
        "crop": MappingProxyType({"crop": 0, "agritourism": 40}),
        "livestock": MappingProxyType({"livestock": 0}),
        "health": MappingProxyType({"health": 0}),
        "engineering": MappingProxyType({"engineering": 0, "solar": 40}),
        "ecommerce": MappingProxyType({"ecommerce": 0, "agritourism": 40}),
        "solar": MappingProxyType({"solar": 0, "engineering": 40}),
        "agritourism": MappingProxyType({"agritourism": 0, "crop": 40, "ecommerce": 40}),
        "training": MappingProxyType(
            {"training": 0, **{c: 60 for c in CATEGORY_ZH if c != "training"}}
        ),
    }
)
