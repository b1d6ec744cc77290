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
    "CATEGORY_SYNONYMS",
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
    "canonical_category",
    "category_suggestions",
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

#: Synonyms accepted in the ``category`` column of needs and the ``specialty`` column of
#: helpers (matched after Unicode NFKC normalisation, case-folding and trimming; full-
#: width letters and ``／`` count as their ASCII forms). Every code and its Chinese label
#: of :data:`CATEGORY_ZH` is included; the table is the documented vocabulary
#: (README, "Vocabularies").
CATEGORY_SYNONYMS: Final = MappingProxyType(
    {
        **{code: code for code in CATEGORY_ZH},
        **{zh: code for code, zh in CATEGORY_ZH.items()},
        # crop — 种植
        "crops": "crop",
        "planting": "crop",
        "farming": "crop",
        "agronomy": "crop",
        "种植业": "crop",
        "农作物": "crop",
        "作物": "crop",
        "粮食作物": "crop",
        "经济作物": "crop",
        "果蔬": "crop",
        # livestock — 养殖
        "animal husbandry": "livestock",
        "husbandry": "livestock",
        "breeding": "livestock",
        "aquaculture": "livestock",
        "fishery": "livestock",
        "养殖业": "livestock",
        "畜牧": "livestock",
        "畜牧业": "livestock",
        "畜牧养殖": "livestock",
        "水产": "livestock",
        "水产养殖": "livestock",
        # health — 医疗健康
        "medical": "health",
        "medicine": "health",
        "healthcare": "health",
        "health care": "health",
        "医疗": "health",
        "健康": "health",
        "卫生": "health",
        "医疗卫生": "health",
        # engineering — 工科/加工
        "processing": "engineering",
        "food processing": "engineering",
        "工科": "engineering",
        "加工": "engineering",
        "农产品加工": "engineering",
        "工程": "engineering",
        "工科加工": "engineering",
        # ecommerce — 电商
        "e-commerce": "ecommerce",
        "e commerce": "ecommerce",
        "online retail": "ecommerce",
        "电子商务": "ecommerce",
        "农村电商": "ecommerce",
        # solar — 光伏
        "pv": "solar",
        "photovoltaic": "solar",
        "photovoltaics": "solar",
        "solar pv": "solar",
        "光伏发电": "solar",
        "光伏扶贫": "solar",
        "太阳能": "solar",
        # agritourism — 休闲农业
        "agri-tourism": "agritourism",
        "agrotourism": "agritourism",
        "rural tourism": "agritourism",
        "leisure agriculture": "agritourism",
        "乡村旅游": "agritourism",
        "休闲农业与乡村旅游": "agritourism",
        "农旅": "agritourism",
        # training — 培训/就业指导
        "employment": "training",
        "job training": "training",
        "skills training": "training",
        "培训": "training",
        "就业指导": "training",
        "技能培训": "training",
        "实用技术培训": "training",
        "就业培训": "training",
    }
)


def _fold(value: str) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


_FOLDED: Final = MappingProxyType({_fold(k): v for k, v in CATEGORY_SYNONYMS.items()})


def canonical_category(value: str) -> str | None:
    """The category code of ``value`` (a code, Chinese label or synonym); ``''`` for an
    empty value; ``None`` when the vocabulary does not know it."""
    folded = _fold(value)
    if not folded:
        return ""
    return _FOLDED.get(folded)


def category_suggestions(value: str, n: int = 3) -> list[str]:
    """Known words closest to an unknown ``value`` ("did you mean"), by difflib ratio."""
    import difflib

    folded = _fold(value)
    hits = difflib.get_close_matches(folded, list(_FOLDED), n=n, cutoff=0.5)
    return [f"{h} ({_FOLDED[h]})" if h != _FOLDED[h] else h for h in hits]
