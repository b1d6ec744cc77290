"""A **synthetic** commendation candidates file for the embedded scenario (seeded).

Nothing here is real: it exists so that the 2020 cycle can be run end to end on the
embedded dataset. Rule (seed ``20200815`` by default):

* units: the 22 key provinces get 3–5 team and 4–7 individual candidates, the other 9
  provinces 1–3 of each, every national society (全国学会) named in the scenario's
  helpers 1–2 of each;
* a candidate serves one poor county: in its province for key provinces, in a western
  province paired with it (``pairing_relations.csv``) for the others, anywhere for
  societies; a township and a village of that county are drawn from the dataset;
  ``deep_poverty`` is the county's ``deep_poverty_area`` flag;
* individuals are scenario experts (``helper_id`` links them to the register), teams
  are scenario organisations; ``category`` follows the helper's specialty (crop → 种植,
  livestock → 养殖, else 其他);
* ``registered`` is true with probability 0.9, ``praised_since_2016`` 0.85; ``merit``
  uniform in [60, 100] with one decimal; ID numbers are 18 digits with a valid ISO 7064
  check digit, phone numbers 11 digits — all invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = ["SOURCE", "synthetic_candidates"]

SOURCE = "synthetic (geomatch.cycle.synth)"
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红文辉玉春海燕林斌云波荣鹏晓宁丹萍"
)
_TITLES = ("研究员", "副研究员", "高级农艺师", "高级畜牧师", "教授", "副教授", "农艺师", "主任医师")
_MODES = ("驻村服务", "科技小院", "远程指导", "技术培训", "示范基地")
_SPECIALTY_CATEGORY = {"crop": "种植", "livestock": "养殖"}
_SERVICE = {"种植": "种植技术服务", "养殖": "养殖技术服务", "其他": "综合科技服务"}


def _id_number(rng: np.random.Generator, area: str) -> str:
    birth = f"{rng.integers(1960, 1992)}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}"
    body = f"{area[:6]}{birth}{rng.integers(0, 1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _person(rng: np.random.Generator) -> str:
    given = "".join(rng.choice(list(_GIVEN), size=int(rng.integers(1, 3))))
    return str(rng.choice(list(_SURNAMES))) + given


@dataclass(frozen=True)
class _Places:
    counties: pd.DataFrame
    towns_of: dict[str, list[tuple[str, str]]]  # county → (township code, name), by code
    villages_of: dict[str, list[str]]  # township code → village names, by code
    partners: dict[str, list[str]]  # eastern province → western provinces it helps


def _load_places(dataset: Dataset) -> _Places:
    rel = dataset.pairing_relations
    partners: dict[str, list[str]] = {}
    for east, west in zip(rel["east_province_adcode"], rel["west_province_adcode"], strict=True):
        partners.setdefault(str(east), []).append(str(west))
    counties = pd.DataFrame(dataset.poor_counties.drop(columns="geometry"))
    towns_of: dict[str, list[tuple[str, str]]] = {}
    t = dataset.townships
    for county, code, name in zip(t["county_adcode"], t["code"], t["name"], strict=True):
        towns_of.setdefault(str(county), []).append((str(code), str(name)))
    villages_of: dict[str, list[str]] = {}
    v = dataset.villages
    for town, name in zip(v["township_code"], v["name"], strict=True):
        villages_of.setdefault(str(town), []).append(str(name))
    return _Places(counties.drop_duplicates("adcode"), towns_of, villages_of, partners)


def _served(
    rng: np.random.Generator, places: _Places, provinces: list[str] | None
) -> dict[str, Any]:
    c = places.counties
    pool = c[c["province_adcode"].isin(provinces)] if provinces else c
    county = pool.iloc[int(rng.integers(len(pool)))]
    towns = places.towns_of.get(str(county["adcode"]), [])
    town = towns[int(rng.integers(len(towns)))] if towns else None
    vills = places.villages_of.get(town[0], []) if town is not None else []
    village = vills[int(rng.integers(len(vills)))] if vills else None
    return {
        "served_adcode": county["adcode"],
        "served_province": county["province"],
        "served_prefecture": county["prefecture"],
        "served_county": county["name"],
        "served_township": "" if town is None else town[1],
        "served_village": "" if village is None else village,
        "deep_poverty": bool(county["deep_poverty_area"]),
    }


def _candidate(
    rng: np.random.Generator, kind: str, unit: str, helper: pd.Series, served: dict[str, Any]
) -> dict[str, Any]:
    category = _SPECIALTY_CATEGORY.get(str(helper["specialty"]), "其他")
    team = kind == "team"
    return {
        "kind": kind,
        "unit": unit,
        "name": f"{helper['name']}帮扶团队" if team else _person(rng),
        "merit": round(float(rng.uniform(60, 100)), 1),
        "registered": bool(rng.random() < 0.9),
        "praised_since_2016": bool(rng.random() < 0.85),
        "category": category,
        **served,
        "helper_id": helper["helper_id"],
        "leader": _person(rng) if team else "",
        "members": int(rng.integers(5, 31)) if team else "",
        "gender": "" if team else str(rng.choice(["男", "女"])),
        "id_number": "" if team else _id_number(rng, str(helper["city_adcode"])),
        "institution": helper["institution"],
        "title": "" if team else str(rng.choice(list(_TITLES))),
        "phone": f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}",
        "service_category": _SERVICE[category],
        "service_mode": str(rng.choice(list(_MODES))),
        "people_lifted": int(rng.integers(50, 3000 if team else 800)),
        "service_days": int(rng.integers(60, 900)),
        "deeds": f"2016年以来在{served['served_county']}开展{_SERVICE[category]}（合成示例）",
        "source": SOURCE,
    }


def _units(dataset: Dataset, helpers: pd.DataFrame, key: frozenset[str]) -> list[tuple[str, str]]:
    provinces = sorted(str(a) for a in dataset.provinces["adcode"])
    societies = sorted(set(helpers.loc[helpers["kind"] == "society", "institution"]))
    kinds = [(p, "key" if p in key else "other") for p in provinces]
    return kinds + [(s, "society") for s in societies]


def synthetic_candidates(
    dataset: Dataset, key_provinces: frozenset[str], *, seed: int = 20200815
) -> pd.DataFrame:
    """The synthetic candidates table (see the module doc) for ``dataset``."""
    rng = np.random.default_rng(seed)
    helpers = pd.DataFrame(dataset.helpers.drop(columns="geometry", errors="ignore"))
    experts = helpers[helpers["kind"] == "expert"]
    orgs = helpers[helpers["kind"] != "expert"]
    places = _load_places(dataset)
    sizes = {"key": ((3, 6), (4, 8)), "other": ((1, 4), (1, 4)), "society": ((1, 3), (1, 3))}
    rows: list[dict[str, Any]] = []
    for unit, group in _units(dataset, helpers, key_provinces):
        provinces = (
            [unit] if group == "key" else places.partners.get(unit) if group == "other" else None
        )
        if group == "society":
            pool_t, pool_i = orgs[orgs["institution"] == unit], experts
        else:
            pool_t, pool_i = orgs, experts
        for kind, pool, (lo, hi) in (
            ("team", pool_t, sizes[group][0]),
            ("individual", pool_i, sizes[group][1]),
        ):
            for _ in range(int(rng.integers(lo, hi))):
                helper = pool.iloc[int(rng.integers(len(pool)))]
                rows.append(_candidate(rng, kind, unit, helper, _served(rng, places, provinces)))
    df = pd.DataFrame(rows)
    df.insert(0, "candidate_id", [f"C{i + 1:04d}" for i in range(len(df))])
    return df
