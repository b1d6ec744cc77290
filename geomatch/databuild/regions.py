"""Rules that classify units: the NBS east/central/west split and the deep-poverty areas.

* **Region** by province, the standard NBS split used in statistical yearbooks:
  east = 北京 天津 河北 辽宁 上海 江苏 浙江 福建 山东 广东 海南; central = 山西 吉林 黑龙江
  安徽 江西 河南 湖北 湖南; west = 内蒙古 广西 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆.
* **Deep-poverty areas** (深度贫困地区 三区三州, named in the 2017 《关于支持深度贫困地区脱贫攻坚的
  实施意见》 (厅字〔2017〕41号)): the "three areas" 西藏, 四省涉藏州县 and 南疆四地州 and the
  "three prefectures" 临夏州, 凉山州 and 怒江州. Each poor county in them gets one part:
  西藏 = every 54xxxx county; 四省涉藏州县 = the Tibetan prefectures of 青海 (all 63xx except
  西宁 6301 and 海东 6302), 四川 甘孜 5133 and 阿坝 5132 plus 木里 513422, 云南 迪庆 5334,
  甘肃 甘南 6230 plus 天祝 620623; 南疆四地州 = 克州 6530, 喀什 6531, 和田 6532 and 阿克苏
  6529; 临夏州 = 6229; 凉山州 = 5134 except 木里 (counted once, in 四省涉藏州县); 怒江州 = 5333.
* **Contiguous special areas** (集中连片特困地区, 2011 纲要): three of the 14 片区 are derivable by
  rule — 西藏区 (54), 四省藏区 (the same counties as 四省涉藏州县) and 新疆南疆三地州 (6530 6531
  6532, without 阿克苏). The eleven mountain 片区 cut across prefectures and are not recorded.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CENTRAL_PROVINCES",
    "CONTIGUOUS_AREAS",
    "DEEP_POVERTY_AREAS",
    "EAST_PROVINCES",
    "PLATEAU_AREAS",
    "contiguous_area",
    "deep_poverty_area",
    "prefecture_adcode",
    "province_adcode",
    "region_of",
]

#: Two-digit province codes of the eastern provinces (NBS).
EAST_PROVINCES: Final = frozenset(
    {"11", "12", "13", "21", "31", "32", "33", "35", "37", "44", "46"}
)
#: Two-digit province codes of the central provinces (NBS).
CENTRAL_PROVINCES: Final = frozenset({"14", "22", "23", "34", "36", "41", "42", "43"})

_MUNICIPALITIES: Final = frozenset({"11", "12", "31", "50"})
_TIBETAN_QINGHAI_EXCLUDED: Final = frozenset({"6301", "6302"})
_TIBETAN_PREFECTURES: Final = frozenset({"5132", "5133", "5334", "6230"})
_TIBETAN_COUNTIES: Final = frozenset({"513422", "620623"})
_SOUTH_XINJIANG_THREE: Final = frozenset({"6530", "6531", "6532"})
_DEEP_BY_PREFECTURE: Final = {
    **{p: "南疆四地州" for p in (*_SOUTH_XINJIANG_THREE, "6529")},
    "6229": "临夏州",
    "5134": "凉山州",
    "5333": "怒江州",
}
#: The six parts of 三区三州, in the order of the 2017 实施意见.
DEEP_POVERTY_AREAS: Final = ("西藏", "四省涉藏州县", "南疆四地州", "临夏州", "凉山州", "怒江州")
#: The three contiguous special areas derivable by rule.
CONTIGUOUS_AREAS: Final = ("西藏区", "四省藏区", "新疆南疆三地州")
#: Deep-poverty parts on the Qinghai–Tibet plateau (zone ``plateau`` of the synthetic needs).
PLATEAU_AREAS: Final = frozenset({"西藏", "四省涉藏州县"})


def region_of(adcode: str) -> str:
    """``'east'``, ``'central'`` or ``'west'`` for any adcode (by its first two digits)."""
    head = adcode[:2]
    if head in EAST_PROVINCES:
        return "east"
    if head in CENTRAL_PROVINCES:
        return "central"
    return "west"


def province_adcode(adcode: str) -> str:
    """The province code of a county code: first two digits + ``'0000'``."""
    return adcode[:2] + "0000"


def prefecture_adcode(adcode: str) -> str:
    """The prefecture-level code of a county code.

    First four digits + ``'00'``, except:

    * county-level units directly administered by their province (省直辖, digits 3–4 =
      ``'90'``: 济源 4190, 湖北 4290, 海南 4690, 新疆兵团 6590) are their own
      prefecture-level unit (their own adcode), as in the NBS practice and cnmaps' city
      level;
    * the four municipalities (北京 天津 上海 重庆) are one prefecture ``xx0100`` each
      (重庆's 县 group 5002 is merged into 500100).
    """
    head = adcode[:2]
    if head in _MUNICIPALITIES:
        return head + "0100"
    if adcode[2:4] == "90":
        return adcode
    return adcode[:4] + "00"


def _tibetan_four_provinces(adcode: str) -> bool:
    pref = adcode[:4]
    if adcode.startswith("63"):
        return pref not in _TIBETAN_QINGHAI_EXCLUDED
    return pref in _TIBETAN_PREFECTURES or adcode in _TIBETAN_COUNTIES


def deep_poverty_area(adcode: str) -> str:
    """The 三区三州 part of a county: one of :data:`DEEP_POVERTY_AREAS` or ``''``."""
    if adcode.startswith("54"):
        return "西藏"
    if _tibetan_four_provinces(adcode):
        return "四省涉藏州县"
    return _DEEP_BY_PREFECTURE.get(adcode[:4], "")


def contiguous_area(adcode: str) -> str:
    """The contiguous special area (片区) derivable by rule: one of
    :data:`CONTIGUOUS_AREAS` or ``''`` (not in one, or in a mountain 片区 not recorded)."""
    if adcode.startswith("54"):
        return "西藏区"
    if _tibetan_four_provinces(adcode):
        return "四省藏区"
    if adcode[:4] in _SOUTH_XINJIANG_THREE:
        return "新疆南疆三地州"
    return ""
