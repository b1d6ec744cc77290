"""Terrain classes (plateau, mountain, plain) that set travel speeds and closures.

Without an elevation model, a county's class comes from, in order of precedence:

1. ``ToursSettings.county_terrain`` (county adcode → class);
2. the deep-poverty area: counties of 西藏 and of the 四省藏区 (Tibetan areas of
   Qinghai, Sichuan, Gansu, Yunnan) lie on the Qinghai–Tibet plateau → ``plateau``;
3. ``ToursSettings.province_terrain`` (province adcode → class);
4. :data:`DEFAULT_PROVINCE_TERRAIN`, the dominant relief of each province's poor
   counties (Tibet and Qinghai plateau; the south-west karst, the Qinling–Daba,
   Wuling, Luoxiao, Taihang and Liupan ranges mountain; the northern and eastern
   plains and basins plain);
5. ``plain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from geomatch.model.tours_settings import ToursSettings

__all__ = ["DEFAULT_PROVINCE_TERRAIN", "PLATEAU_AREAS", "terrain_of"]

DEFAULT_PROVINCE_TERRAIN: Final[Mapping[str, str]] = MappingProxyType(
    {
        "540000": "plateau",  # 西藏
        "630000": "plateau",  # 青海
        "520000": "mountain",  # 贵州
        "530000": "mountain",  # 云南
        "510000": "mountain",  # 四川
        "500000": "mountain",  # 重庆
        "620000": "mountain",  # 甘肃
        "610000": "mountain",  # 陕西
        "640000": "mountain",  # 宁夏 (西海固)
        "450000": "mountain",  # 广西
        "430000": "mountain",  # 湖南 (武陵山)
        "420000": "mountain",  # 湖北 (秦巴, 武陵山, 大别山)
        "360000": "mountain",  # 江西 (罗霄山)
        "140000": "mountain",  # 山西 (吕梁山, 燕山–太行山)
        "460000": "mountain",  # 海南 (五指山)
        "130000": "plain",  # 河北
        "150000": "plain",  # 内蒙古
        "220000": "plain",  # 吉林
        "230000": "plain",  # 黑龙江
        "340000": "plain",  # 安徽
        "410000": "plain",  # 河南
        "650000": "plain",  # 新疆 (oasis roads; distances dominate)
    }
)

#: Deep-poverty areas on the Qinghai–Tibet plateau.
PLATEAU_AREAS: Final[frozenset[str]] = frozenset({"西藏", "四省涉藏州县", "四省藏区"})


def terrain_of(
    adcode: str,
    province_adcode: str,
    settings: ToursSettings,
    *,
    deep_poverty_area: str = "",
) -> str:
    """Terrain class of a county (see the module docstring for the precedence)."""
    if adcode in settings.county_terrain:
        return settings.county_terrain[adcode]
    if deep_poverty_area in PLATEAU_AREAS:
        return "plateau"
    if province_adcode in settings.province_terrain:
        return settings.province_terrain[province_adcode]
    return DEFAULT_PROVINCE_TERRAIN.get(province_adcode, "plain")
