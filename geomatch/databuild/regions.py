"""Rules that classify units: the NBS east/central/west split and the deep-poverty areas.

* **Region** by province, the standard NBS split used in statistical yearbooks:
  east = 北京 天津 河北 辽宁 上海 江苏 浙江 福建 山东 广东 海南; central = 山西 吉林 黑龙江
  安徽 江西 河南 湖北 湖南; west = 内蒙古 广西 重庆 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆.
* **Deep-poverty areas** (深度贫困地区, 三区三州) derivable by rule (reference PROVENANCE §2):
  西藏 = every 54xxxx county; 南疆三地州 = prefectures 6530 克州, 6531 喀什, 6532 和田;
  四省藏区 = the Tibetan prefectures of 青海 (all 63xx except 西宁 6301 and 海东 6302),
  四川 甘孜 5133 and 阿坝 5132 plus 木里 513422, 云南 迪庆 5334, 甘肃 甘南 6230 plus 天祝 620623.
  The remaining 三州 (临夏 6229, 凉山 5134, 怒江 5333) are not derived here: the brief's
  rule set names only the three areas above (documented in ``data/README.md``).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CENTRAL_PROVINCES",
    "EAST_PROVINCES",
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


def deep_poverty_area(adcode: str) -> str:
    """The deep-poverty area of a county by rule: ``'西藏'``, ``'南疆三地州'``,
    ``'四省藏区'`` or ``''``."""
    if adcode.startswith("54"):
        return "西藏"
    pref = adcode[:4]
    if pref in {"6530", "6531", "6532"}:
        return "南疆三地州"
    if adcode.startswith("63") and pref not in _TIBETAN_QINGHAI_EXCLUDED:
        return "四省藏区"
    if pref in {"5132", "5133", "5334", "6230"} or adcode in {"513422", "620623"}:
        return "四省藏区"
    return ""
