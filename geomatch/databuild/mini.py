"""The small real test fixture ``tests/fixtures/mini_data`` cut from a built dataset.

Same layout as ``data/`` (every file :data:`geomatch.dataset.FILES` names), for a
handful of real counties:

* 5 neighbouring poor counties of 黔东南 (贵州): 剑河 522629, 台江 522630, 榕江 522632,
  从江 522633 (榕江 and 从江 exited in 2020, the last batch), 雷山 522634, with all their
  townships and villages;
* 7 eastern/central urban districts where helpers live: 上海 黄浦 310101, 苏州 姑苏
  320508, 杭州 上城 330102, 宁波 海曙 330203, 青岛 市南 370202, 长沙 芙蓉 430102, 广州
  越秀 440104 (the cities that help 贵州 in the 2016 east–west pairing, plus a central one);
* the provinces and prefectures of those counties (real dissolved polygons), the
  pairing relations whose western side is 贵州, the museums of those provinces, and the
  national maps' context layer (copied whole, 90 kB);
* needs from the same generator and seed as the national scenario (so they equal the
  national needs of these counties), and helpers from the same rules scaled to 160
  experts and 10 organisations at these cities (capacity below demand, as nationally).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Final

import pandas as pd

from geomatch.databuild.build import write_dataset
from geomatch.databuild.context_layers import CONTEXT_FILE
from geomatch.databuild.synthetic import (
    ScenarioRules,
    generate_helpers,
    generate_needs,
    helper_cities,
)
from geomatch.dataset import load_dataset
from geomatch.settings import REPO_ROOT

__all__ = ["MINI_DIR", "MINI_EAST", "MINI_POOR", "MINI_RULES", "build_mini_dataset"]

log = logging.getLogger(__name__)

MINI_DIR: Final = REPO_ROOT / "tests" / "fixtures" / "mini_data"
MINI_POOR: Final = ("522629", "522630", "522632", "522633", "522634")
MINI_EAST: Final = ("310101", "320508", "330102", "330203", "370202", "430102", "440104")
MINI_RULES: Final = ScenarioRules(n_experts=160, n_organisations=10)


def mini_tables(
    full: Path,
    *,
    poor: tuple[str, ...] = MINI_POOR,
    east: tuple[str, ...] = MINI_EAST,
    rules: ScenarioRules = MINI_RULES,
) -> dict[str, pd.DataFrame]:
    """The fixture's tables cut from the built dataset in ``full``."""
    ds = load_dataset(full, cache=False)
    keep = set(poor) | set(east)
    counties = ds.counties[ds.counties["adcode"].isin(keep)].reset_index(drop=True)
    provs = set(counties["province_adcode"])
    prefs = set(counties["prefecture_adcode"])
    provinces = ds.provinces[ds.provinces["adcode"].isin(provs)].reset_index(drop=True)
    prefectures = ds.prefectures[ds.prefectures["adcode"].isin(prefs)].reset_index(drop=True)
    poor_counties = ds.poor_counties[ds.poor_counties["adcode"].isin(poor)].reset_index(drop=True)
    townships = pd.DataFrame(
        ds.townships[ds.townships["county_adcode"].isin(poor)].drop(columns="geometry")
    ).reset_index(drop=True)
    villages = pd.DataFrame(
        ds.villages[ds.villages["county_adcode"].isin(poor)].drop(columns="geometry")
    ).reset_index(drop=True)
    pr = ds.pairing_relations
    pairing = pr[pr["west_province_adcode"].isin(provs)].reset_index(drop=True)
    museums = pd.DataFrame(
        ds.museums[ds.museums["province_adcode"].isin(provs)].drop(columns="geometry")
    ).reset_index(drop=True)
    needs = generate_needs(poor_counties, townships, villages, rules)
    helpers = generate_helpers(helper_cities(counties, prefectures, pairing, museums), rules)
    return {
        "counties": counties,
        "provinces": provinces,
        "prefectures": prefectures,
        "poor_counties": poor_counties,
        "townships": townships,
        "villages": villages,
        "pairing_relations": pairing,
        "museums": museums,
        "helpers": helpers,
        "needs": needs,
    }


def build_mini_dataset(full: Path, out: Path = MINI_DIR) -> dict[str, int]:
    """Write the mini fixture cut from the built dataset ``full`` into ``out``.

    The national maps' context layer (台湾, 南海诸岛; :mod:`~geomatch.databuild.context_layers`)
    is copied whole, so that a run on the fixture draws the same maps.

    Returns the row count per file.
    """
    counts = write_dataset(mini_tables(Path(full)), Path(out))
    context = Path(full) / CONTEXT_FILE
    if context.is_file() and context.resolve() != (Path(out) / CONTEXT_FILE).resolve():
        shutil.copyfile(context, Path(out) / CONTEXT_FILE)
    log.info("mini fixture in %s: %s", out, counts)
    return counts
