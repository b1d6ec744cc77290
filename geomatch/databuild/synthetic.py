"""The default synthetic scenario: helpers (experts, organisations) and needs.

Everything here is **synthetic**, generated from a fixed seed, and says so in a
``source`` column. The generator rules (also in ``data/README.md``):

Needs (from the policy targets of the 2016 implementation plan, docs/ARCHITECTURE.md §0)
    * ``station``: per distinct poor-county adcode, 3 needs — roles crop, livestock,
      health (the expert-station team); the crop role is the team lead and needs a
      ``senior`` expert. Point: the county seat. Size 20 days.
    * Only **rural** townships (乡, 镇) and villages (村委会) get township, village and
      training needs; 街道 and 居委会/社区 are urban (:mod:`~geomatch.databuild.units`).
    * ``township_industry``: a poor township has an industry base with probability 0.75;
      its industry is drawn from the industry table for its zone. Point: the township.
      Size 10 days.
    * ``village_product``: a village is a one-village-one-product village with probability
      0.38; its product is drawn from the same table. Point: the village. Size 5 days.
    * ``training``: 1 session per poor township, a second one with probability 0.6.
      Category ``training``. Point: the township. Size 2 days.
    * Priority: ``remaining`` in the 52 last-batch counties (exit 2020); elsewhere
      ``newly_poor`` with probability 0.03, ``returned`` 0.02, else ``ordinary``.
    * Language: in 西藏 and 四省涉藏州县 30 % of needs require Tibetan (``bo``), in 南疆四地州
      30 % Uyghur (``ug``), in 凉山 (5134) 15 % Yi (``ii``); ``''`` = Mandarin suffices.
    * Every draw for a need is a hash of (seed, unit code, stream) (SplitMix64), so a
      unit's needs do not depend on which other units are generated: the needs of a
      subset of counties are the national needs of those counties.

Helpers (located at real eastern and central prefecture-level city seats)
    * City weight = (1 + number of urban districts 区) × 3 for a provincial capital
      × 0.6 in a central province × 1.5 in an eastern province that helps in the 2016
      east–west pairing × 2 for a city named as a helper in that table (大连, 苏州, 杭州, …).
      The point is the city's seat: the city government's location (``prefectures``
      ``seat_lon/seat_lat``, :mod:`~geomatch.databuild.seats`). A city whose seat lies
      in a poor county is left out, so no helper lives inside a poor county.
    * ~26,000 experts: specialty shares crop 36 %, livestock 20 %, health 5 %,
      engineering 6 %, e-commerce 7 %, solar 5 %, agritourism 6 %, training 15 % (close
      to the category mix of the needs; any specialty can also teach); level
      senior 30 %, intermediate 45 %, junior 25 %; capacity 1/2/3/4 needs per year with
      probability 0.35/0.35/0.2/0.1; capacity_days = capacity × U{10..20}.
    * ~1,500 organisations: society 25 % (provincial branches of national societies at
      the provincial capital; 30 % of them at the national office in 北京), rural
      technical association 30 %, university 25 %, enterprise 20 %; level senior;
      capacity U{10..25} needs per year; capacity_days = capacity × 10.
    * Languages: everyone ``zh``; independently ``bo`` 2 %, ``ug`` 1.5 %, ``ii`` 0.5 %,
      ``mn`` 0.5 %, ``za`` 0.3 %, ``kk`` 0.3 % (× 3 for organisations).
    * Total capacity is kept below total demand (about 0.9×) so unmet needs are real.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from geomatch.databuild.regions import PLATEAU_AREAS, prefecture_adcode
from geomatch.dataset import COLUMNS
from geomatch.model.categories import CATEGORY_ZH
from geomatch.settings import DEFAULT_SEED

__all__ = [
    "INDUSTRIES",
    "ScenarioRules",
    "generate_helpers",
    "generate_needs",
    "unit_uniform",
]

log = logging.getLogger(__name__)

_ZONES: Final = ("plateau", "northwest", "southwest", "central")

#: Industries of the policy plans: (label, category, weights by zone plateau / northwest
#: / southwest / central-and-east). Plateau = 西藏 and 四省涉藏州县; northwest = 内蒙古 陕西
#: 甘肃 宁夏 新疆 (and 南疆); southwest = 广西 重庆 四川 贵州 云南; the rest central.
INDUSTRIES: Final[tuple[tuple[str, str, tuple[int, int, int, int]], ...]] = (
    ("棚膜瓜菜", "crop", (2, 8, 6, 10)),
    ("食用菌", "crop", (0, 5, 8, 8)),
    ("中药材", "crop", (8, 10, 10, 6)),
    ("猕猴桃", "crop", (0, 3, 6, 3)),
    ("马铃薯", "crop", (3, 10, 6, 3)),
    ("茶叶", "crop", (0, 1, 10, 5)),
    ("特色林果", "crop", (3, 8, 6, 6)),
    ("青稞", "crop", (12, 0, 0, 0)),
    ("牛羊", "livestock", (10, 14, 5, 5)),
    ("牦牛", "livestock", (16, 0, 0, 0)),
    ("禽类", "livestock", (2, 5, 6, 8)),
    ("特色养殖", "livestock", (3, 4, 8, 8)),
    ("光伏", "solar", (6, 8, 2, 6)),
    ("电商", "ecommerce", (4, 6, 8, 8)),
    ("休闲农业", "agritourism", (8, 4, 8, 6)),
    ("农产品加工", "engineering", (3, 6, 6, 6)),
)

_NORTHWEST: Final = frozenset({"15", "61", "62", "64", "65"})
_SOUTHWEST: Final = frozenset({"45", "50", "51", "52", "53"})

EXPERT_SPECIALTIES: Final = (
    ("crop", 0.36),
    ("livestock", 0.20),
    ("health", 0.05),
    ("engineering", 0.06),
    ("ecommerce", 0.07),
    ("solar", 0.05),
    ("agritourism", 0.06),
    ("training", 0.15),
)
HELPER_LANGUAGES: Final = (
    ("bo", 0.02),
    ("ug", 0.015),
    ("ii", 0.005),
    ("mn", 0.005),
    ("za", 0.003),
    ("kk", 0.003),
)
_ORG_KINDS: Final = (
    ("society", 0.25),
    ("association", 0.30),
    ("university", 0.25),
    ("enterprise", 0.20),
)
_ORG_SPECIALTIES: Final = {
    "association": (("crop", 0.5), ("livestock", 0.3), ("agritourism", 0.1), ("ecommerce", 0.1)),
    "enterprise": (
        ("ecommerce", 0.35),
        ("solar", 0.25),
        ("engineering", 0.25),
        ("agritourism", 0.15),
    ),
}
_SOCIETIES: Final = {
    "crop": ("中国农学会", "中国作物学会", "中国园艺学会", "中国植物保护学会", "中国茶叶学会"),
    "livestock": ("中国畜牧兽医学会", "中国水产学会"),
    "health": ("中华医学会", "中华中医药学会", "中华预防医学会"),
    "engineering": ("中国农业工程学会", "中国食品科学技术学会"),
    "ecommerce": ("中国信息经济学会",),
    "solar": ("中国可再生能源学会",),
    "agritourism": ("中国林学会", "中国生态学学会"),
    "training": ("中国科普作家协会", "中国职业技术教育学会"),
}
_INSTITUTIONS: Final = {
    "crop": ("农业科学院", "农业技术推广中心", "农业大学"),
    "livestock": ("畜牧兽医研究所", "动物疫病预防控制中心", "农业大学"),
    "health": ("人民医院", "中医院", "疾病预防控制中心"),
    "engineering": ("工程技术研究院", "理工大学", "食品工业研究所"),
    "ecommerce": ("电子商务协会", "商贸职业学院"),
    "solar": ("新能源研究院", "电力设计院"),
    "agritourism": ("林业科学研究院", "旅游规划设计院"),
    "training": ("职业技术学院", "科学技术协会"),
}
_UNIVERSITIES: Final = {
    "crop": "农业大学",
    "livestock": "农业大学",
    "health": "医科大学",
    "engineering": "理工大学",
    "ecommerce": "财经大学",
    "solar": "理工大学",
    "agritourism": "林业大学",
    "training": "师范大学",
}


@dataclass(frozen=True)
class ScenarioRules:
    """The documented parameters of the synthetic scenario (module docstring)."""

    seed: int = DEFAULT_SEED
    n_experts: int = 26_000
    n_organisations: int = 1_500
    station_size_days: int = 20
    township_industry_share: float = 0.75
    township_industry_size_days: int = 10
    village_product_share: float = 0.38
    village_product_size_days: int = 5
    second_training_share: float = 0.6
    training_size_days: int = 2
    newly_poor_share: float = 0.03
    returned_share: float = 0.02
    language_share: tuple[tuple[str, str, float], ...] = field(
        default=(("西藏", "bo", 0.30), ("四省涉藏州县", "bo", 0.30), ("南疆四地州", "ug", 0.30))
    )
    yi_prefecture: str = "513400"
    yi_share: float = 0.15
    expert_capacity: tuple[tuple[int, float], ...] = ((1, 0.35), (2, 0.35), (3, 0.2), (4, 0.1))
    expert_levels: tuple[tuple[str, float], ...] = (
        ("senior", 0.30),
        ("intermediate", 0.45),
        ("junior", 0.25),
    )
    org_capacity: tuple[int, int] = (10, 25)
    national_society_share: float = 0.30


def unit_uniform(codes: pd.Series | np.ndarray, seed: int, stream: int) -> np.ndarray:
    """Deterministic uniform [0, 1) numbers from numeric codes (SplitMix64 hash).

    The value for a code depends only on ``(seed, code, stream)``.
    """
    x = np.asarray(codes, dtype=str).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = np.uint64((seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03) % 2**64)
        z = x ^ key
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _zone(adcode: str, deep: str) -> int:
    if deep in PLATEAU_AREAS:
        return 0
    head = adcode[:2]
    if head in _NORTHWEST:
        return 1
    if head in _SOUTHWEST:
        return 2
    return 3


def _draw_industry(u: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Industry index for each uniform ``u`` in its zone's weighted table."""
    weights = np.array([w for _, _, w in INDUSTRIES], dtype=float).T  # zone × industry
    cum = np.cumsum(weights, axis=1)
    cum = cum / cum[:, -1:]
    out = np.empty(len(u), dtype=np.int64)
    for z in range(len(_ZONES)):
        m = zones == z
        out[m] = np.minimum(np.searchsorted(cum[z], u[m], side="right"), len(INDUSTRIES) - 1)
    return out


def _county_table(poor_counties: pd.DataFrame) -> pd.DataFrame:
    agg = poor_counties.groupby("adcode", sort=True).agg(
        name=("name", "first"),
        last_batch=("last_batch", "max"),
        deep=("deep_poverty_area", "first"),
        seat_lon=("seat_lon", "first"),
        seat_lat=("seat_lat", "first"),
        prefecture_adcode=("prefecture_adcode", "first"),
    )
    agg["zone"] = [_zone(a, d) for a, d in zip(agg.index, agg["deep"], strict=True)]
    return agg


def _rural(units: pd.DataFrame) -> pd.DataFrame:
    """The rural units (``urban_rural == 'rural'``) of a township or village table.

    Needs of one-village-one-product, township industry and training go to rural units
    only; the class is set by :mod:`geomatch.databuild.units`. A table
    without the column (an older fixture) is taken whole.
    """
    if "urban_rural" not in units.columns:
        return units
    return units[units["urban_rural"].astype(str) == "rural"]


def _priority(u: np.ndarray, last_batch: np.ndarray, rules: ScenarioRules) -> np.ndarray:
    pr = np.full(len(u), "ordinary", dtype=object)
    pr[u < rules.newly_poor_share + rules.returned_share] = "returned"
    pr[u < rules.newly_poor_share] = "newly_poor"
    pr[last_batch] = "remaining"
    return pr


def _language(
    u: np.ndarray, deep: np.ndarray, pref: np.ndarray, rules: ScenarioRules
) -> np.ndarray:
    lang = np.full(len(u), "", dtype=object)
    for area, code, share in rules.language_share:
        lang[(deep == area) & (u < share)] = code
    lang[(pref == rules.yi_prefecture) & (u < rules.yi_share)] = "ii"
    return lang


def _station_needs(county: pd.DataFrame, rules: ScenarioRules) -> pd.DataFrame:
    """``station``: 3 roles per poor county at its seat."""
    seed = rules.seed
    roles = ("crop", "livestock", "health")
    codes = np.repeat(county.index.to_numpy(dtype=str), len(roles))
    role = np.tile(np.array(roles, dtype=object), len(county))
    return pd.DataFrame(
        {
            "need_id": [f"ST-{c}-{r}" for c, r in zip(codes, role, strict=True)],
            "kind": "station",
            "adcode": codes,
            "unit_code": codes,
            "unit_name": np.repeat(county["name"].to_numpy(dtype=object), len(roles)),
            "lon": np.repeat(county["seat_lon"].to_numpy(), len(roles)),
            "lat": np.repeat(county["seat_lat"].to_numpy(), len(roles)),
            "category": role,
            "industry": [f"农技专家服务站·{CATEGORY_ZH[r]}" for r in role],
            "size": rules.station_size_days,
            "min_level": np.where(role == "crop", "senior", ""),
            "station_role": role,
            "source": f"synthetic (seed {seed}, rule station: 3 roles per poor county)",
            "_hash": codes,
        }
    )


def _unit_needs(
    units: pd.DataFrame,
    kind: str,
    prefix: str,
    *,
    category: str | list[str],
    industry: str | list[str],
    size: int,
    source: str,
    session: int | None = None,
) -> pd.DataFrame:
    """Needs of one ``kind``, one per township or village of ``units``, at its point.

    ``units`` has ``code, name, county_adcode, lon, lat``; the need id is
    ``<prefix>-<code>`` (``-<session>`` added for a numbered session, which also keys
    the need's hash). ``category`` and ``industry`` are one value or one per unit.
    """
    suffix = "" if session is None else str(session)
    return pd.DataFrame(
        {
            "need_id": f"{prefix}-" + units["code"] + (f"-{suffix}" if suffix else ""),
            "kind": kind,
            "adcode": units["county_adcode"].to_numpy(),
            "unit_code": units["code"].to_numpy(),
            "unit_name": units["name"].to_numpy(),
            "lon": units["lon"].to_numpy(),
            "lat": units["lat"].to_numpy(),
            "category": category,
            "industry": industry,
            "size": size,
            "min_level": "",
            "station_role": "",
            "source": source,
            "_hash": (units["code"] + suffix).to_numpy(),
        }
    )


def _township_needs(
    county: pd.DataFrame, townships: pd.DataFrame, rules: ScenarioRules
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``township_industry`` on rural townships; also returns those townships."""
    seed = rules.seed
    t = _rural(townships)
    t_county = county.loc[t["county_adcode"].to_numpy()]
    has_base = unit_uniform(t["code"], seed, 11) < rules.township_industry_share
    ind = _draw_industry(unit_uniform(t["code"], seed, 12), t_county["zone"].to_numpy())
    return t, _unit_needs(
        t[has_base],
        "township_industry",
        "TI",
        category=[INDUSTRIES[i][1] for i in ind[has_base]],
        industry=[INDUSTRIES[i][0] for i in ind[has_base]],
        size=rules.township_industry_size_days,
        source=(
            f"synthetic (seed {seed}, rule township_industry: "
            f"{rules.township_industry_share:.0%} of poor townships, industry by zone)"
        ),
    )


def _village_needs(
    county: pd.DataFrame, villages: pd.DataFrame, rules: ScenarioRules
) -> pd.DataFrame:
    """``village_product`` on rural villages."""
    seed = rules.seed
    v = _rural(villages)
    v_county = county.loc[v["county_adcode"].to_numpy()]
    chosen = unit_uniform(v["code"], seed, 21) < rules.village_product_share
    vind = _draw_industry(unit_uniform(v["code"], seed, 22), v_county["zone"].to_numpy())
    return _unit_needs(
        v[chosen],
        "village_product",
        "VP",
        category=[INDUSTRIES[i][1] for i in vind[chosen]],
        industry=[INDUSTRIES[i][0] for i in vind[chosen]],
        size=rules.village_product_size_days,
        source=(
            f"synthetic (seed {seed}, rule village_product: "
            f"{rules.village_product_share:.0%} of villages, product by zone)"
        ),
    )


def _training_needs(t: pd.DataFrame, rules: ScenarioRules) -> list[pd.DataFrame]:
    """``training``: one or two sessions per rural township."""
    seed = rules.seed
    frames: list[pd.DataFrame] = []
    second = unit_uniform(t["code"], seed, 31) < rules.second_training_share
    for k, mask in ((1, np.ones(len(t), dtype=bool)), (2, second)):
        frames.append(
            _unit_needs(
                t[mask],
                "training",
                "TR",
                session=k,
                category="training",
                industry=CATEGORY_ZH["training"],
                size=rules.training_size_days,
                source=(
                    f"synthetic (seed {seed}, rule training: 1 session per poor township, "
                    f"a 2nd with p={rules.second_training_share})"
                ),
            )
        )

    return frames


def _finish_needs(
    frames: list[pd.DataFrame], county: pd.DataFrame, rules: ScenarioRules
) -> pd.DataFrame:
    """Priority, language and the schema's column order and types."""
    seed = rules.seed
    needs = pd.concat(frames, ignore_index=True)
    c = county.loc[needs["adcode"].to_numpy()]
    # Hash keys: station rows hash county code + role index to differ per role.
    hkey = needs["_hash"].astype(str).to_numpy()
    station = needs["kind"].to_numpy() == "station"
    role_idx = needs["station_role"].map({"crop": "1", "livestock": "2", "health": "3"})
    hkey[station] = (needs.loc[station, "_hash"] + role_idx[station]).to_numpy()
    u_pr = unit_uniform(hkey, seed, 41)
    u_lang = unit_uniform(hkey, seed, 42)
    needs["priority"] = _priority(u_pr, c["last_batch"].to_numpy(dtype=bool), rules)
    needs["deep_poverty_area"] = c["deep"].to_numpy()
    needs["language"] = _language(
        u_lang, c["deep"].to_numpy(), c["prefecture_adcode"].to_numpy(), rules
    )
    needs["location_quality"] = "approximate"
    needs["lon"] = needs["lon"].astype("float64").round(5)
    needs["lat"] = needs["lat"].astype("float64").round(5)
    needs["size"] = needs["size"].astype("int64")
    cols = list(COLUMNS["needs"])
    needs = needs[cols]
    for col in cols:
        if col not in ("lon", "lat", "size"):
            needs[col] = needs[col].astype("str")
    needs = needs.sort_values(["adcode", "need_id"], kind="stable").reset_index(drop=True)
    log.info("needs: %d (%s)", len(needs), needs["kind"].value_counts().to_dict())
    return needs


def generate_needs(
    poor_counties: pd.DataFrame,
    townships: pd.DataFrame,
    villages: pd.DataFrame,
    rules: ScenarioRules | None = None,
) -> pd.DataFrame:
    """Synthetic needs from the policy targets (rules in the module docstring).

    Parameters
    ----------
    poor_counties
        ``adcode, name, last_batch, deep_poverty_area, seat_lon, seat_lat,
        prefecture_adcode`` (832 rows; duplicates of an adcode are merged).
    townships
        ``code, name, county_adcode, lon, lat`` of the poor counties.
    villages
        ``code, name, township_code, county_adcode, lon, lat``.
    rules
        Generator parameters; default :class:`ScenarioRules`.

    Returns
    -------
    DataFrame
        The needs schema of ``data/README.md``, sorted by ``adcode`` then ``need_id``.
    """
    rules = rules or ScenarioRules()
    county = _county_table(poor_counties)
    t, industry = _township_needs(county, townships, rules)
    frames = [
        _station_needs(county, rules),
        industry,
        _village_needs(county, villages, rules),
        *_training_needs(t, rules),
    ]
    return _finish_needs(frames, county, rules)


def _choice(
    rng: np.random.Generator, table: tuple[tuple[object, float], ...], n: int
) -> np.ndarray:
    values = np.array([v for v, _ in table], dtype=object)
    p = np.array([w for _, w in table], dtype=float)
    return values[rng.choice(len(values), size=n, p=p / p.sum())]


def _languages(rng: np.random.Generator, n: int, factor: float) -> list[str]:
    extra = [np.where(rng.random(n) < share * factor, code, "") for code, share in HELPER_LANGUAGES]
    return [";".join(["zh", *[e for e in row if e]]) for row in zip(*extra, strict=True)]


def _short(city: str) -> str:
    return city[:-1] if city.endswith("市") and len(city) > 2 else city


def helper_cities(
    counties: pd.DataFrame,
    prefectures: pd.DataFrame,
    pairing: pd.DataFrame,
    museums: pd.DataFrame,
) -> pd.DataFrame:
    """Eastern and central prefecture-level cities with their seat and helper weight.

    A city whose seat lies in a poor county (恩施, 湘西 …) is left out: helpers come from
    outside the poor counties.

    Returns ``city_adcode, city, province_adcode, province, region, lon, lat, capital,
    weight`` sorted by city adcode (weight rule in the module docstring).
    """
    poor = set(counties.loc[counties["poor"].astype(bool), "adcode"].astype(str))
    pref = prefectures[prefectures["region"].isin(["east", "central"])]
    if "seat_adcode" in pref.columns:  # helpers never live inside a poor county
        pref = pref[~pref["seat_adcode"].astype(str).isin(poor)]
    pref = pref.copy()
    districts = counties[counties["name"].str.endswith("区")].groupby("prefecture_adcode").size()
    capitals = {prefecture_adcode(c) for c in museums["city_adcode"]}
    if "mechanism" in pairing.columns:
        pairing = pairing[pairing["mechanism"] == "east_west"]
    helping_provinces = set(pairing["east_province_adcode"])
    helping_cities = set(pairing.loc[pairing["east_level"] == "city", "east_unit_adcode"])
    prov_names = dict(zip(counties["province_adcode"], counties["province"], strict=False))
    w = 1.0 + pref["adcode"].map(districts).fillna(0).to_numpy(dtype=float)
    w *= np.where(pref["adcode"].isin(capitals), 3.0, 1.0)
    w *= np.where(pref["region"] == "central", 0.6, 1.0)
    w *= np.where(pref["province_adcode"].isin(helping_provinces), 1.5, 1.0)
    w *= np.where(pref["adcode"].isin(helping_cities), 2.0, 1.0)
    out = pd.DataFrame(
        {
            "city_adcode": pref["adcode"].to_numpy(dtype=str),
            "city": pref["name"].to_numpy(dtype=str),
            "province_adcode": pref["province_adcode"].to_numpy(dtype=str),
            "province": pref["province_adcode"].map(prov_names).to_numpy(dtype=str),
            "region": pref["region"].to_numpy(dtype=str),
            "lon": pref["seat_lon"].to_numpy(dtype=float),
            "lat": pref["seat_lat"].to_numpy(dtype=float),
            "capital": pref["adcode"].isin(capitals).to_numpy(),
            "weight": w,
        }
    )
    return out.sort_values("city_adcode", kind="stable").reset_index(drop=True)


def _experts(
    cities: pd.DataFrame, p: np.ndarray, rng: np.random.Generator, rules: ScenarioRules
) -> pd.DataFrame:
    """The experts (``E00001…``), drawn in a fixed order from ``rng``."""
    n = rules.n_experts
    ci = rng.choice(len(cities), size=n, p=p)
    spec = _choice(rng, EXPERT_SPECIALTIES, n)
    level = _choice(rng, rules.expert_levels, n)
    cap = _choice(rng, rules.expert_capacity, n).astype(np.int64)
    days = cap * rng.integers(10, 21, size=n)
    langs = _languages(rng, n, 1.0)
    inst_pick = rng.integers(0, 3, size=n)
    city_names = cities["city"].to_numpy(dtype=str)
    experts = pd.DataFrame(
        {
            "helper_id": [f"E{i + 1:05d}" for i in range(n)],
            "name": [
                f"{_short(city_names[c])}{CATEGORY_ZH[s]}专家{i + 1:05d}"
                for i, (c, s) in enumerate(zip(ci, spec, strict=True))
            ],
            "kind": "expert",
            "specialty": spec,
            "level": level,
            "capacity": cap,
            "capacity_days": days.astype(np.int64),
            "languages": langs,
            "_city": ci,
            "institution": [
                _short(city_names[c]) + _INSTITUTIONS[s][k % len(_INSTITUTIONS[s])]
                for c, s, k in zip(ci, spec, inst_pick, strict=True)
            ],
            "source": (
                f"synthetic (seed {rules.seed}, rule expert: city by weight, specialty/level/"
                "capacity shares of data/README.md)"
            ),
        }
    )
    return experts


def _organisations(
    cities: pd.DataFrame, p: np.ndarray, rng: np.random.Generator, rules: ScenarioRules
) -> pd.DataFrame:
    """The organisations (``O0001…``), drawn after the experts from the same ``rng``."""
    city_names = cities["city"].to_numpy(dtype=str)
    m = rules.n_organisations
    kinds = _choice(rng, _ORG_KINDS, m)
    oc = rng.choice(len(cities), size=m, p=p)
    capitals = np.flatnonzero(cities["capital"].to_numpy())
    prov_of = cities["province_adcode"].to_numpy(dtype=str)
    capital_of = {prov_of[i]: i for i in capitals}
    beijing = capital_of.get("110000")
    national = rng.random(m) < rules.national_society_share
    ospec = _choice(rng, EXPERT_SPECIALTIES, m)
    pick = rng.integers(0, 5, size=m)
    names: list[str] = []
    insts: list[str] = []
    for j in range(m):
        kind = kinds[j]
        if kind in _ORG_SPECIALTIES:
            ospec[j] = _choice(rng, _ORG_SPECIALTIES[kind], 1)[0]
        if kind == "society":
            if national[j] and beijing is not None:
                oc[j] = beijing
            else:
                oc[j] = capital_of.get(prov_of[oc[j]], oc[j])
        city = _short(city_names[oc[j]])
        s = str(ospec[j])
        if kind == "society":
            soc = _SOCIETIES[s][pick[j] % len(_SOCIETIES[s])]
            names.append(f"{soc}{city}工作组{j + 1:04d}")
            insts.append(soc)
        elif kind == "association":
            names.append(f"{city}{CATEGORY_ZH[s]}农技协{j + 1:04d}")
            insts.append(f"{city}农村专业技术协会")
        elif kind == "university":
            names.append(f"{city}{_UNIVERSITIES[s]}科技服务团{j + 1:04d}")
            insts.append(f"{city}{_UNIVERSITIES[s]}")
        else:
            names.append(f"{city}{CATEGORY_ZH[s]}科技企业{j + 1:04d}")
            insts.append(f"{city}{CATEGORY_ZH[s]}科技企业")
    lo, hi = rules.org_capacity
    ocap = rng.integers(lo, hi + 1, size=m).astype(np.int64)
    orgs = pd.DataFrame(
        {
            "helper_id": [f"O{j + 1:04d}" for j in range(m)],
            "name": names,
            "kind": kinds,
            "specialty": ospec,
            "level": "senior",
            "capacity": ocap,
            "capacity_days": ocap * 10,
            "languages": _languages(rng, m, 3.0),
            "_city": oc,
            "institution": insts,
            "source": (
                f"synthetic (seed {rules.seed}, rule organisation: kind shares, societies at "
                "provincial capitals / 北京)"
            ),
        }
    )
    return orgs


def generate_helpers(
    cities: pd.DataFrame,
    rules: ScenarioRules | None = None,
) -> pd.DataFrame:
    """Synthetic experts and organisations at eastern and central cities.

    Parameters
    ----------
    cities
        :func:`helper_cities`.
    rules
        Generator parameters; default :class:`ScenarioRules`.

    Returns
    -------
    DataFrame
        The helpers schema of ``data/README.md`` sorted by ``helper_id`` (experts
        ``E00001…``, organisations ``O0001…``).
    """
    rules = rules or ScenarioRules()
    rng = np.random.default_rng([rules.seed, 7])
    p = cities["weight"].to_numpy() / cities["weight"].sum()

    experts = _experts(cities, p, rng, rules)
    orgs = _organisations(cities, p, rng, rules)
    helpers = pd.concat([experts, orgs], ignore_index=True)
    c = cities.iloc[helpers["_city"].to_numpy()]
    for col in ("lon", "lat", "city", "city_adcode", "province_adcode", "province", "region"):
        helpers[col] = c[col].to_numpy()
    helpers["lon"] = helpers["lon"].astype("float64").round(5)
    helpers["lat"] = helpers["lat"].astype("float64").round(5)
    cols = list(COLUMNS["helpers"])
    helpers = helpers[cols]
    for col in cols:
        if col not in ("lon", "lat", "capacity", "capacity_days"):
            helpers[col] = helpers[col].astype("str")
    helpers = helpers.sort_values("helper_id", kind="stable").reset_index(drop=True)
    log.info(
        "helpers: %d (%s), capacity %d needs/year",
        len(helpers),
        helpers["kind"].value_counts().to_dict(),
        int(helpers["capacity"].sum()),
    )
    return helpers
