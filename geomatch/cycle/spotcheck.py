"""Spot checks (抽查): a risk-weighted sample of provinces and counties, and an inspection
itinerary from Beijing that is back before the end of August.

**Design.** Two stages, each *πps without replacement* by systematic sampling:

1. provinces (the 22 with poor counties): risk ``r_p = base + a·(1 − liangshu_p) +
   b·(1 − score_p/100)`` from the evaluation (``unit_indicators.csv``,
   ``unit_scores.csv``; without an evaluation every province has risk ``base + a + b``);
2. counties within each sampled province: ``r_c = base + g·(share of the county's
   agreements graded 合格 or 不合格) + l·last_batch + d·deep_poverty``.

Inclusion probabilities ``π_i = min(1, λ r_i)`` with ``Σ π_i = n`` (the sample size),
computed exactly (the water-filling of :func:`geomatch.cycle.quotas.bounded_shares`).
Since ``base > 0`` every unit has ``π_i > 0``. The units are put in a seeded random
order; with ``u ~ U[0, 1)`` the units whose cumulative interval ``[Π_{i−1}, Π_i)``
contains one of ``u, u+1, …, u+n−1`` are taken. Each unit is then taken with
probability exactly ``π_i`` (its interval has length ``π_i ≤ 1``), and exactly ``n`` units
are taken. A county's overall inclusion probability is ``π_p · π_{c|p}``.

**Itinerary.** One or more inspection teams leave Beijing on ``start``; each sampled
county takes ``inspection_days``; a leg takes one day if flown (``> flight_km``
great-circle km) or ``⌈road km / (speed × driving_hours_per_day)⌉`` days by road (road
km = great circle × the tours' detour factor, speed by the destination's terrain, both
from :mod:`geomatch.travel`). OR-Tools routing (a VRP with a time dimension in days and
the deadline as every team's latest return) minimises total travel days, then road
km (a leg over ``flight_km`` is one travel day, flown or driven overnight). No feasible plan →
:class:`~geomatch.errors.InfeasibleError` naming the deadline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geomatch.cycle.quotas import bounded_shares
from geomatch.errors import InfeasibleError, InputError

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = [
    "BEIJING",
    "Sample",
    "SpotcheckSettings",
    "draw_sample",
    "inclusion_probabilities",
    "itinerary",
    "load_spotcheck",
    "run_spotcheck",
    "sample_frame",
    "systematic_sample",
    "travel_days",
]

log = logging.getLogger(__name__)

#: Beijing (the national office), lon/lat.
BEIJING = (116.4074, 39.9042)
#: Arc cost of one travel day, in road km (travel days first, then km).
DAY_COST = 100_000
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "solvers" / "evaluation.toml"


@dataclass(frozen=True)
class SpotcheckSettings:
    """The ``[spotcheck]`` table of ``solvers/evaluation.toml``."""

    base: float
    shortfall_weight: float
    score_weight: float
    grade_weight: float
    last_batch_weight: float
    deep_weight: float
    start: dt.date
    deadline: dt.date
    inspection_days: int
    driving_hours_per_day: float
    flight_km: float
    teams: int
    time_limit_s: float


def load_spotcheck(path: str | Path | None = None) -> SpotcheckSettings:
    file = Path(path) if path is not None else DEFAULT_FILE
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))["spotcheck"]
        values = {k: doc[k] for k in SpotcheckSettings.__dataclass_fields__}
        for key in ("start", "deadline"):
            if isinstance(values[key], str):
                values[key] = dt.date.fromisoformat(values[key])
        settings = SpotcheckSettings(**values)
    except (OSError, KeyError, ValueError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"not a valid [spotcheck] table ({exc})", file=file) from None
    if settings.base <= 0:
        raise InputError("base must be > 0 so every unit can be drawn", file=file, column="base")
    return settings


def inclusion_probabilities(risk: list[float], n: int) -> list[Fraction]:
    """``π_i = min(1, λ r_i)`` with ``Σ π_i = n`` (exact; needs every ``r_i > 0``)."""
    if not 0 <= n <= len(risk):
        raise InfeasibleError(
            f"sample size {n} is more than the {len(risk)} units to draw from",
            constraint="sample size",
        )
    weights = [Fraction(r).limit_denominator(10**9) for r in risk]
    return bounded_shares(weights, n, 0, 1)


def systematic_sample(pi: list[Fraction], rng: np.random.Generator) -> list[int]:
    """Indices drawn by systematic πps in a random order (see the module doc)."""
    order = rng.permutation(len(pi))
    u = Fraction(int(rng.integers(0, 2**53)), 2**53)
    n = round(sum(pi))
    points = [u + k for k in range(n)]
    picked: list[int] = []
    low = Fraction(0)
    j = 0
    for i in order:
        high = low + pi[int(i)]
        while j < len(points) and points[j] < high:
            if points[j] >= low:
                picked.append(int(i))
            j += 1
        low = high
    return sorted(picked)


@dataclass(frozen=True)
class Sample:
    """The drawn counties with their probabilities (``sample.csv``) and the frame."""

    provinces: pd.DataFrame  # province_adcode, province, risk, pi, sampled
    counties: pd.DataFrame  # adcode, name, province_adcode, risk, pi_county, pi_province, pi


def _province_risk(
    prov: pd.DataFrame, scores: pd.DataFrame | None, s: SpotcheckSettings
) -> list[float]:
    if scores is None:
        return [s.base + s.shortfall_weight + s.score_weight] * len(prov)
    by_unit = scores.set_index("unit")
    risk = []
    for code in prov["province_adcode"]:
        liangshu = float(by_unit["liangshu"].get(code, 0.0))
        score = float(by_unit["score"].get(code, 0.0))
        risk.append(
            s.base + s.shortfall_weight * (1 - liangshu) + s.score_weight * (1 - score / 100)
        )
    return risk


def _county_risk(
    counties: pd.DataFrame, grades: pd.DataFrame | None, s: SpotcheckSettings
) -> list[float]:
    weak: dict[str, float] = {}
    if grades is not None and len(grades):
        flag = grades["grade"].isin(["合格", "不合格"])
        weak = flag.groupby(grades["need_adcode"].astype(str)).mean().to_dict()
    return [
        s.base
        + s.grade_weight * weak.get(str(c.adcode), 0.0)
        + s.last_batch_weight * float(bool(c.last_batch))
        + s.deep_weight * float(bool(c.deep_poverty_area))
        for c in counties.itertuples()
    ]


def draw_sample(
    poor: pd.DataFrame,
    *,
    provinces: int,
    per_province: int,
    seed: int,
    settings: SpotcheckSettings,
    scores: pd.DataFrame | None = None,
    grades: pd.DataFrame | None = None,
) -> Sample:
    """Both stages; ``poor`` is the poor-county table (one row per adcode)."""
    rng = np.random.default_rng(seed)
    prov = poor[["province_adcode", "province"]].drop_duplicates().sort_values("province_adcode")
    prov = prov.reset_index(drop=True)
    prov["risk"] = _province_risk(prov, scores, settings)
    pi_p = inclusion_probabilities(list(prov["risk"]), provinces)
    prov["pi"] = [float(p) for p in pi_p]
    picked = systematic_sample(pi_p, rng)
    prov["sampled"] = [i in picked for i in range(len(prov))]
    rows = []
    for i in picked:
        code = prov.at[i, "province_adcode"]
        cs = poor[poor["province_adcode"] == code].sort_values("adcode").reset_index(drop=True)
        risk = _county_risk(cs, grades, settings)
        pi_c = inclusion_probabilities(risk, min(per_province, len(cs)))
        for j in systematic_sample(pi_c, rng):
            rows.append(
                {
                    "adcode": cs.at[j, "adcode"],
                    "name": cs.at[j, "name"],
                    "province_adcode": code,
                    "province": prov.at[i, "province"],
                    "risk": round(risk[j], 6),
                    "pi_province": float(pi_p[i]),
                    "pi_county": float(pi_c[j]),
                    "pi": float(pi_p[i] * pi_c[j]),
                    "lon": cs.at[j, "seat_lon"],
                    "lat": cs.at[j, "seat_lat"],
                    "deep_poverty_area": cs.at[j, "deep_poverty_area"],
                }
            )
    return Sample(prov, pd.DataFrame(rows))


def _leg_days(
    km: np.ndarray, speeds: np.ndarray, s: SpotcheckSettings, detour: float
) -> np.ndarray:
    road = km * detour
    drive = np.ceil(road / (speeds[None, :] * s.driving_hours_per_day))
    days = np.where(km > s.flight_km, 1, drive).astype(int)
    np.fill_diagonal(days, 0)
    return days


def travel_days(counties: pd.DataFrame, s: SpotcheckSettings) -> tuple[np.ndarray, np.ndarray]:
    """Day and km matrices over Beijing (index 0) and the counties."""
    from geomatch.model.tours_settings import ToursSettings
    from geomatch.travel import haversine_matrix_km, terrain_of

    tours = ToursSettings()
    lon = np.array([BEIJING[0], *counties["lon"].astype(float)])
    lat = np.array([BEIJING[1], *counties["lat"].astype(float)])
    km = haversine_matrix_km(lon, lat)
    speeds = [tours.speed("plain")] + [
        tours.speed(
            terrain_of(
                str(c.adcode),
                str(c.province_adcode),
                tours,
                deep_poverty_area=str(c.deep_poverty_area),
            )
        )
        for c in counties.itertuples()
    ]
    return _leg_days(km, np.array(speeds), s, tours.detour_factor), km * tours.detour_factor


def _solve_routes(days: np.ndarray, km: np.ndarray, s: SpotcheckSettings) -> list[list[int]]:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(days)
    horizon = (s.deadline - s.start).days
    manager = pywrapcp.RoutingIndexManager(n, s.teams, 0)
    routing = pywrapcp.RoutingModel(manager)

    def transit(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(days[a][b]) + (s.inspection_days if a != 0 else 0)

    def cost(i: int, j: int) -> int:
        # travel days first (10^5 per day), road km among equal days
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(days[a][b]) * DAY_COST + round(float(km[a][b]))

    cb = routing.RegisterTransitCallback(transit)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost))
    routing.AddDimension(cb, 0, horizon, True, "days")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    # guided local search runs to its limit: 0.2 s per county, at most time_limit_s
    params.time_limit.FromMilliseconds(int(min(s.time_limit_s, 0.2 * n) * 1000))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        raise InfeasibleError(
            f"no itinerary for {n - 1} counties with {s.teams} teams back in Beijing by "
            f"{s.deadline} (start {s.start}, {s.inspection_days} days per county)",
            constraint="deadline",
        )
    routes = []
    for v in range(s.teams):
        idx = routing.Start(v)
        route = []
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node:
                route.append(node)
            idx = sol.Value(routing.NextVar(idx))
        if route:
            routes.append(route)
    return routes


def itinerary(counties: pd.DataFrame, s: SpotcheckSettings) -> pd.DataFrame:
    """``itinerary.csv``: team, seq, place, arrive, depart, travel_days, road_km."""
    if counties.empty:
        return pd.DataFrame(
            columns=[
                "team",
                "seq",
                "adcode",
                "place",
                "province",
                "arrive",
                "depart",
                "travel_days",
                "road_km",
            ]
        )
    days, km = travel_days(counties, s)
    rows = []
    for t, route in enumerate(_solve_routes(days, km, s), start=1):
        day, prev = 0, 0
        for k, node in enumerate([*route, 0], start=1):
            day += int(days[prev][node])
            c = counties.iloc[node - 1] if node else None
            stay = s.inspection_days if node else 0
            rows.append(
                {
                    "team": t,
                    "seq": k,
                    "adcode": "" if c is None else c["adcode"],
                    "place": "北京（返回）" if c is None else c["name"],
                    "province": "" if c is None else c["province"],
                    "arrive": (s.start + dt.timedelta(days=day)).isoformat(),
                    "depart": (s.start + dt.timedelta(days=day + stay)).isoformat() if node else "",
                    "travel_days": int(days[prev][node]),
                    "road_km": round(float(km[prev][node]), 1),
                }
            )
            day += stay
            prev = node
    return pd.DataFrame(rows)


def sample_frame(sample: Sample) -> pd.DataFrame:
    """``sample.csv``: the counties drawn, then every province with its π (``level``)."""
    counties = sample.counties.assign(level="county")
    provinces = sample.provinces.rename(columns={"province_adcode": "adcode"}).assign(
        level="province", name=sample.provinces["province"], pi_province=sample.provinces["pi"]
    )
    cols = [
        "level",
        "adcode",
        "name",
        "province",
        "risk",
        "pi_province",
        "pi_county",
        "pi",
        "sampled",
    ]
    counties["sampled"] = True
    return pd.concat([counties, provinces], ignore_index=True).reindex(columns=cols)


def _read_evaluation(folder: Path | None) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """``unit_scores.csv`` joined with ``unit_indicators.csv`` (``liangshu``) and
    ``agreement_grades.csv`` of an evaluation folder."""
    if folder is None:
        return None, None
    from geomatch.cycle.validate import read_checked_table

    scores = read_checked_table(folder / "unit_scores.csv", ("unit", "score"))
    raw = read_checked_table(folder / "unit_indicators.csv", ("unit", "liangshu"))
    scores = scores[["unit", "score"]].merge(raw[["unit", "liangshu"]], on="unit", how="left")
    scores["score"] = pd.to_numeric(scores["score"], errors="coerce").fillna(0.0)
    scores["liangshu"] = pd.to_numeric(scores["liangshu"], errors="coerce").fillna(0.0)
    grades = read_checked_table(folder / "agreement_grades.csv", ("need_adcode", "grade"))
    return scores, grades


def run_spotcheck(
    dataset: Dataset,
    *,
    year: int,
    provinces: int,
    per_province: int,
    seed: int,
    settings: SpotcheckSettings,
    evaluation: Path | None = None,
) -> tuple[Sample, pd.DataFrame]:
    """Sample and itinerary for ``year`` (the settings' dates moved to that year)."""
    s = dataclasses.replace(
        settings,
        start=settings.start.replace(year=year),
        deadline=settings.deadline.replace(year=year),
    )
    poor = pd.DataFrame(dataset.poor_counties.drop(columns="geometry"))
    scores, grades = _read_evaluation(evaluation)
    sample = draw_sample(
        poor.drop_duplicates("adcode"),
        provinces=provinces,
        per_province=per_province,
        seed=seed,
        settings=s,
        scores=scores,
        grades=grades,
    )
    return sample, itinerary(sample.counties, s)
