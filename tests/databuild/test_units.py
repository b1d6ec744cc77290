"""Urban or rural class of township and village units (NBS code serials and names)."""

from __future__ import annotations

import pandas as pd

from geomatch.databuild.units import township_class, village_class


def test_township_class_by_code_and_name() -> None:
    codes = pd.Series(["522630001", "522630100", "522630200", "130125400", "130125401"])
    names = pd.Series(["城关街道", "台拱镇", "排羊乡", "河北行唐经济开发区", "康保牧场"])
    assert township_class(codes, names).tolist() == ["urban", "rural", "rural", "urban", "rural"]


def test_village_class_by_code_and_name() -> None:
    codes = pd.Series(
        ["130125100001", "130125100201", "130125100202", "130125100203", "130125100204"]
    )
    names = pd.Series(
        ["东街居委会", "东村村委会", "启明学校社区", "河兴社区村委会", "西村民委员会"]
    )
    assert village_class(codes, names).tolist() == ["urban", "rural", "urban", "rural", "rural"]
