"""Classification rules: NBS regions, prefecture codes, deep-poverty areas."""

from __future__ import annotations

import pytest

from geomatch.databuild.regions import (
    CENTRAL_PROVINCES,
    CONTIGUOUS_AREAS,
    DEEP_POVERTY_AREAS,
    EAST_PROVINCES,
    contiguous_area,
    deep_poverty_area,
    prefecture_adcode,
    province_adcode,
    region_of,
)


def test_region_split_has_31_provinces() -> None:
    assert len(EAST_PROVINCES) == 11 and len(CENTRAL_PROVINCES) == 8
    assert not EAST_PROVINCES & CENTRAL_PROVINCES
    assert region_of("330102") == "east"
    assert region_of("420100") == "central"
    assert region_of("150000") == "west"  # 内蒙古 is western
    assert region_of("450100") == "west"  # 广西 too


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("522630", "522600"),
        ("429004", "429004"),  # 仙桃: directly administered, its own prefecture
        ("469030", "469030"),  # 琼中 (海南 省直辖)
        ("659001", "659001"),  # 石河子
        ("419001", "419001"),  # 济源
        ("500240", "500100"),  # 重庆 县 group merged into the municipality
        ("110101", "110100"),
        ("441900", "441900"),  # 东莞: prefecture-level city without counties
    ],
)
def test_prefecture_adcode(code: str, expected: str) -> None:
    assert prefecture_adcode(code) == expected


def test_province_adcode() -> None:
    assert province_adcode("632803") == "630000"


@pytest.mark.parametrize(
    ("code", "area", "contiguous"),
    [
        ("540102", "西藏", "西藏区"),
        ("653121", "南疆四地州", "新疆南疆三地州"),  # 喀什 疏附
        ("653024", "南疆四地州", "新疆南疆三地州"),  # 克州 乌恰
        ("653221", "南疆四地州", "新疆南疆三地州"),  # 和田县
        ("652927", "南疆四地州", ""),  # 阿克苏 乌什: 四地州, not the 三地州 片区
        ("632803", "四省涉藏州县", "四省藏区"),  # 茫崖 (海西)
        ("630121", "", ""),  # 西宁 大通
        ("630222", "", ""),  # 海东 民和
        ("513422", "四省涉藏州县", "四省藏区"),  # 木里: once, as a Tibetan county
        ("513433", "凉山州", ""),  # 冕宁 (凉山, not Tibetan)
        ("513431", "凉山州", ""),  # 昭觉
        ("622926", "临夏州", ""),  # 东乡
        ("533323", "怒江州", ""),  # 福贡
        ("513326", "四省涉藏州县", "四省藏区"),  # 甘孜 道孚
        ("513231", "四省涉藏州县", "四省藏区"),  # 阿坝
        ("533422", "四省涉藏州县", "四省藏区"),  # 迪庆 德钦
        ("623001", "四省涉藏州县", "四省藏区"),  # 甘南 合作
        ("620623", "四省涉藏州县", "四省藏区"),  # 天祝
        ("620622", "", ""),  # 古浪
        ("522630", "", ""),
    ],
)
def test_deep_poverty_area(code: str, area: str, contiguous: str) -> None:
    assert deep_poverty_area(code) == area
    assert contiguous_area(code) == contiguous
    assert area == "" or area in DEEP_POVERTY_AREAS
    assert contiguous == "" or contiguous in CONTIGUOUS_AREAS
