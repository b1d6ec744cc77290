"""Science-caravan day trips (科普大篷车): every industry township and OVOP village reached.

One caravan per poor county, based at the county seat. A *trip* is one working day:
leave the seat, stop at townships and villages (``service_hours_per_stop`` each), be
back within ``working_day_hours``. The stops of a county are the units with a need of
kind ``township_industry`` (townships with an industry base) or ``village_product``
(one-village-one-product villages); several needs at one unit make one stop.

Formulation (one VRPTW per county, :mod:`geomatch.solve.vrptw`, OR-Tools backend)
---------------------------------------------------------------------------------
Depot = seat with window ``[0, L]`` (``L`` = working-day minutes); customers = stops,
service ``s`` minutes, no capacity; vehicles = the county's trip days ``D`` (weekdays of
the caravan season outside the county's closures, at most ``trip_days``), cut to the
trips of a nearest-next greedy plan (:func:`greedy_trip_count`, an upper bound). Travel inside
a county is ``haversine · detour_factor`` km at the speed of the county's terrain class.
Objective, hierarchical: fewest trip days, then km, and every stop served if at all
possible (skip penalty above the cost of all days). Before solving, a stop with
``2·t(seat, stop) + s > L`` cannot be reached in a day trip (``unreachable_in_day``);
after solving, stops the days cannot hold are ``no_trip_days``; a county with no day in
season has its stops ``season_closed``.

The solver's budget per county is ``caravan_search_solutions`` solutions of the guided
local search (deterministic, so a county's trips are the same on any machine), capped by
``caravan_time_limit_s · min(1, stops / 100)`` (at least 30 ms); the first
solution comes from the savings heuristic, improved by guided local search. Trips are
dated on the county's available days in order (first trip on the first weekday of the
season). Counties are independent: they are solved in chunks through an
:class:`geomatch.scale.executor.Executor` (in process, or as Dask tasks).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geomatch.model.run_tables import unmet_columns
from geomatch.model.tours_settings import ToursSettings, parse_month_day
from geomatch.progress import ProgressCallback
from geomatch.scale.executor import Batch, Executor, InProcessExecutor
from geomatch.solve.tour_data import closures_for
from geomatch.solve.vrptw import VrptwProblem, check_routes, hierarchical_vehicle_cost, solve_vrptw
from geomatch.travel import haversine_matrix_km, terrain_of

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = [
    "CARAVAN_NEED_KINDS",
    "CaravanJob",
    "CaravanPlan",
    "CountyCaravan",
    "caravan_plan",
    "caravan_stops",
    "county_problem",
    "county_problems",
    "greedy_trip_count",
    "schedule_caravans",
    "solve_counties",
    "solve_county",
    "submit_caravans",
    "trip_dates",
]

log = logging.getLogger(__name__)


FIRST_SOLUTION = "SAVINGS"

#: Need kinds whose units the caravan must reach.
CARAVAN_NEED_KINDS = ("township_industry", "village_product")

TOUR_COLUMNS = [
    "caravan_id",
    "date",
    "seq",
    "stop_code",
    "travel_km",
    "adcode",
    "stop_kind",
    "stop_name",
    "return_km",
]
#: The caravan's columns of the run's ``unmet`` table (declared in
#: :mod:`geomatch.model.run_tables`).
_UNMET = unmet_columns("caravan")


@dataclass(frozen=True, eq=False)
class CountyCaravan:
    """One county's caravan problem.

    Attributes
    ----------
    adcode
        The county.
    stops
        ``stop_code, stop_name, stop_kind, lon, lat, need_ids`` (``need_ids`` a
        ``;``-joined list), in model order (node ``i + 1``).
    dates
        Available trip dates (ISO), in order.
    problem
        The VRPTW (minutes; depot = seat) over the reachable stops only.
    reachable
        Index into ``stops`` of each model customer.
    unreachable
        Index into ``stops`` of stops beyond a day trip.
    """

    adcode: str
    stops: pd.DataFrame
    dates: tuple[str, ...]
    problem: VrptwProblem | None
    reachable: tuple[int, ...]
    unreachable: tuple[int, ...]
    km: np.ndarray
    service_min: float
    day_min: float


@dataclass(frozen=True)
class CaravanPlan:
    """Caravan trips: ``tours`` (contract columns first), ``unmet``, ``summary``."""

    tours: pd.DataFrame
    unmet: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def caravan_stops(needs: pd.DataFrame) -> pd.DataFrame:
    """Stops from needs: one row per unit with a township-industry or OVOP-village need.

    Returns ``adcode, stop_code, stop_name, stop_kind, lon, lat, need_ids``.
    """
    n = needs[needs["kind"].astype(str).isin(CARAVAN_NEED_KINDS)]
    if n.empty:
        return pd.DataFrame(
            columns=["adcode", "stop_code", "stop_name", "stop_kind", "lon", "lat", "need_ids"]
        )
    n = pd.DataFrame(n.drop(columns="geometry", errors="ignore"))
    n = n.assign(
        adcode=n["adcode"].astype(str),
        unit_code=n["unit_code"].astype(str),
        lon=pd.to_numeric(n["lon"], errors="coerce"),
        lat=pd.to_numeric(n["lat"], errors="coerce"),
    )
    n = n.sort_values(["adcode", "unit_code"], kind="stable")
    g = n.groupby(["adcode", "unit_code"], sort=True)
    out = g.agg(
        stop_name=("unit_name", "first"),
        stop_kind=("kind", "first"),
        lon=("lon", "first"),
        lat=("lat", "first"),
    ).reset_index()
    ids = n["need_id"].astype(str).tolist()
    ends = np.cumsum(g.size().to_numpy())
    out["need_ids"] = [
        ";".join(ids[a:b]) for a, b in zip(ends - g.size().to_numpy(), ends, strict=True)
    ]
    out["stop_kind"] = np.where(out["unit_code"].str.len() <= 9, "township", "village")
    return out.rename(columns={"unit_code": "stop_code"})[
        ["adcode", "stop_code", "stop_name", "stop_kind", "lon", "lat", "need_ids"]
    ]


def trip_dates(settings: ToursSettings, closures: Sequence[tuple[int, int]]) -> list[str]:
    """Weekdays of the caravan season outside the closures, at most ``trip_days``."""
    y = settings.year
    start = parse_month_day(settings.caravan_season_start, y)
    end = parse_month_day(settings.caravan_season_end, y)
    jan1 = dt.date(y, 1, 1)
    out: list[str] = []
    d = start
    while d <= end and len(out) < settings.trip_days:
        doy = (d - jan1).days
        if d.weekday() < 5 and not any(a <= doy <= b for a, b in closures):
            out.append(d.isoformat())
        d += dt.timedelta(days=1)
    return out


def greedy_trip_count(minutes: np.ndarray, service_min: float, day_min: float) -> int:
    """Day trips of a nearest-next greedy tour plan: an upper bound on the trips needed.

    ``minutes``: travel times with the seat at index 0 and every stop reachable in a day
    trip. Each trip leaves the seat and goes on to the nearest unvisited stop from
    which it can still be back within ``day_min``. The routing model gets this many
    vehicles (at most the trip days): every stop fits in them, and the local search
    does not spend its moves on dozens of empty days.
    """
    back = minutes[:, 0] + service_min  # serve a stop, then drive home
    left = np.ones(len(minutes), dtype=bool)
    left[0] = False
    trips = 0
    while left.any():
        trips += 1
        here, clock = 0, 0.0
        while True:
            fits = left & (clock + minutes[here] + back <= day_min + 1e-9)
            if not fits.any():
                break
            j = int(np.argmin(np.where(fits, minutes[here], np.inf)))  # ties: lowest index
            clock += minutes[here, j] + service_min
            left[j] = False
            here = j
        if here == 0:  # nothing fits even alone: cannot happen for reachable stops
            raise ValueError("a stop is not reachable in a day trip")
    return trips


def county_problem(
    adcode: str,
    seat: tuple[float, float],
    stops: pd.DataFrame,
    settings: ToursSettings,
    *,
    terrain: str = "mountain",
    closures: Sequence[tuple[int, int]] = (),
) -> CountyCaravan:
    """Build one county's caravan VRPTW (see the module docstring)."""
    stops = stops.reset_index(drop=True)
    lon = np.r_[seat[0], stops["lon"].to_numpy(dtype=float)]
    lat = np.r_[seat[1], stops["lat"].to_numpy(dtype=float)]
    km = haversine_matrix_km(lon, lat) * settings.detour_factor
    minutes = km / settings.speed(terrain) * 60.0
    day = settings.working_day_hours * 60.0
    svc = settings.service_hours_per_stop * 60.0
    dates = tuple(trip_dates(settings, closures))
    round_trip = minutes[0, 1:] + svc + minutes[1:, 0]
    reach = tuple(int(i) for i in np.flatnonzero(round_trip <= day + 1e-9))
    unreach = tuple(int(i) for i in np.flatnonzero(round_trip > day + 1e-9))
    problem = None
    if reach and dates:
        idx = np.r_[0, np.array(reach) + 1]
        n = len(idx)
        sub_km = km[np.ix_(idx, idx)]
        base = VrptwProblem(
            name=f"caravan {adcode}",
            distance=sub_km,
            duration=minutes[np.ix_(idx, idx)],
            demand=np.zeros(n),
            ready=np.zeros(n),
            due=np.r_[day, np.full(n - 1, day - svc)],
            service=np.r_[0.0, np.full(n - 1, svc)],
            capacity=1.0,
            n_vehicles=min(len(dates), greedy_trip_count(minutes[np.ix_(idx, idx)], svc, day)),
            node_ids=("seat", *map(str, stops["stop_code"].to_numpy()[list(reach)])),
        )
        F = hierarchical_vehicle_cost(base)
        problem = dataclasses.replace(base, skip_penalty=np.full(n, F * (len(dates) + 2)))
    return CountyCaravan(
        adcode=adcode,
        stops=stops,
        dates=dates,
        problem=problem,
        reachable=reach,
        unreachable=unreach,
        km=km,
        service_min=svc,
        day_min=day,
    )


def solve_county(
    cc: CountyCaravan, time_limit_s: float, solutions: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Solve one county; returns its tour rows and unmet rows.

    ``solutions`` is the search budget in solutions of the guided local search
    (deterministic; 0 = ``time_limit_s`` alone), ``time_limit_s`` the time cap at 100
    stops (a proportional share below, at least 30 ms).
    """
    rows: list[dict[str, Any]] = []
    unmet: list[dict[str, Any]] = []

    def miss(i: int, reason: str, detail: str) -> None:
        st = cc.stops.iloc[i]
        for nid in str(st["need_ids"]).split(";"):
            unmet.append(
                {
                    "need_id": nid,
                    "adcode": cc.adcode,
                    "reason": reason,
                    "kind": "caravan_stop",
                    "stage": "caravan",
                    "stop_code": st["stop_code"],
                    "detail": detail,
                }
            )

    for i in cc.unreachable:
        rt = cc.km[0, i + 1] + cc.km[i + 1, 0]
        miss(
            i,
            "unreachable_in_day",
            f"round trip {rt:.0f} km plus {cc.service_min:.0f} min service exceeds the "
            f"{cc.day_min / 60:g} h working day",
        )
    if not cc.dates:
        for i in cc.reachable:
            miss(i, "season_closed", "no weekday of the caravan season is open in this county")
        return _frames(rows, unmet)
    if cc.problem is None:
        return _frames(rows, unmet)
    F = hierarchical_vehicle_cost(cc.problem)
    # The budget grows with the stops: the full budget from 100 stops.
    share = min(1.0, cc.problem.n_customers / 100)
    tl = max(0.03, time_limit_s * share)
    sol = solve_vrptw(
        cc.problem,
        time_limit_s=tl,
        backend="ortools",
        vehicle_cost=F,
        eliminate_routes=False,
        first_solution=FIRST_SOLUTION,
        solution_limit=solutions,
    )
    viol = check_routes(cc.problem, sol.routes, require_all=False)
    if viol:  # never expected: the routing model enforces the same rules
        raise RuntimeError(f"caravan {cc.adcode}: routes failed the check: {viol[:3]}")
    # Longest trips first so the far stops are visited early in the season.
    dist = cc.problem.distance
    routes = sorted(
        sol.routes,
        key=lambda r: -sum(dist[a, b] for a, b in zip([0, *r], [*r, 0], strict=True)),
    )
    for day, route in zip(cc.dates, routes, strict=False):
        prev = 0
        for seq, node in enumerate(route, start=1):
            i = cc.reachable[node - 1]
            st = cc.stops.iloc[i]
            rows.append(
                {
                    "caravan_id": f"CV-{cc.adcode}",
                    "date": day,
                    "seq": seq,
                    "stop_code": st["stop_code"],
                    "travel_km": round(float(dist[prev, node]), 2),
                    "adcode": cc.adcode,
                    "stop_kind": st["stop_kind"],
                    "stop_name": st["stop_name"],
                    "return_km": round(float(dist[node, 0]), 2) if seq == len(route) else 0.0,
                }
            )
            prev = node
    for node in sol.unserved:
        miss(
            cc.reachable[node - 1],
            "no_trip_days",
            f"{len(cc.dates)} trip day(s) of {cc.day_min / 60:g} h cannot hold every stop",
        )
    return _frames(rows, unmet)


def _frames(
    rows: list[dict[str, Any]], unmet: list[dict[str, Any]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(rows, columns=TOUR_COLUMNS), pd.DataFrame(unmet, columns=_UNMET)


def solve_counties(
    ccs: Sequence[CountyCaravan], time_limit_s: float, solutions: int = 0
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """:func:`solve_county` over a chunk of counties (one executor task)."""
    return [solve_county(cc, time_limit_s, solutions) for cc in ccs]


def county_problems(
    dataset: Dataset,
    settings: ToursSettings,
    *,
    needs: pd.DataFrame | None = None,
    counties: Sequence[str] | None = None,
) -> list[CountyCaravan]:
    """The caravan problem of every poor county with stops (or of the listed ones)."""
    pc = pd.DataFrame(dataset.poor_counties.drop(columns="geometry", errors="ignore"))
    pc = pc.drop_duplicates("adcode").assign(adcode=lambda d: d["adcode"].astype(str))
    if counties is not None:
        pc = pc[pc["adcode"].isin([str(c) for c in counties])]
    stops = caravan_stops(dataset.needs if needs is None else needs)
    by_county = {a: g for a, g in stops.groupby("adcode", sort=False)}
    ccs: list[CountyCaravan] = []
    for row in pc.itertuples(index=False):
        st = by_county.get(row.adcode)
        if st is None or st.empty:
            continue
        prov = str(row.province_adcode)
        terr = terrain_of(
            row.adcode,
            prov,
            settings,
            deep_poverty_area=str(getattr(row, "deep_poverty_area", "") or ""),
        )
        cl = closures_for(row.adcode, prov, terr, settings)
        seat = (float(row.seat_lon), float(row.seat_lat))
        ccs.append(county_problem(row.adcode, seat, st, settings, terrain=terr, closures=cl))
    return ccs


def caravan_plan(
    ccs: Sequence[CountyCaravan],
    results: Sequence[tuple[pd.DataFrame, pd.DataFrame]],
    seconds: float,
) -> CaravanPlan:
    """Assemble the solved counties (in ``ccs`` order) into one :class:`CaravanPlan`."""
    tours_parts = [r[0] for r in results if len(r[0])]
    unmet_parts = [r[1] for r in results if len(r[1])]
    tours = (
        pd.concat(tours_parts, ignore_index=True)
        if tours_parts
        else pd.DataFrame(columns=TOUR_COLUMNS)
    )
    unmet = (
        pd.concat(unmet_parts, ignore_index=True) if unmet_parts else pd.DataFrame(columns=_UNMET)
    )
    n_stops = int(sum(len(cc.stops) for cc in ccs))
    summary = {
        "counties": len(ccs),
        "stops": n_stops,
        "stops_served": len(tours),
        "trip_days": int(tours.groupby(["caravan_id", "date"]).ngroups) if len(tours) else 0,
        "travel_km": round(float(tours["travel_km"].sum() + tours["return_km"].sum()), 1)
        if len(tours)
        else 0.0,
        "unmet_needs": len(unmet),
        "seconds": round(seconds, 2),
    }
    log.info(
        "caravans: %d/%d stops in %d counties, %d trip days (%.1f s)",
        summary["stops_served"],
        n_stops,
        len(ccs),
        summary["trip_days"],
        summary["seconds"],
    )
    return CaravanPlan(tours=tours, unmet=unmet, summary=summary)


@dataclass
class CaravanJob:
    """County chunks in flight on an executor (:func:`submit_caravans`)."""

    ccs: list[CountyCaravan]
    chunks: list[list[int]]
    batch: Batch[list[tuple[pd.DataFrame, pd.DataFrame]]]
    started: float

    def plan(self, progress: ProgressCallback | None = None) -> CaravanPlan:
        """Wait for the chunks; the plan lists the counties in their original order."""
        results: list[tuple[pd.DataFrame, pd.DataFrame] | None] = [None] * len(self.ccs)
        for idx, part in zip(
            self.chunks, self.batch.result(progress, "caravan trips"), strict=True
        ):
            for i, r in zip(idx, part, strict=True):
                results[i] = r
        done = [r for r in results if r is not None]
        return caravan_plan(self.ccs, done, time.perf_counter() - self.started)


def submit_caravans(
    ccs: Sequence[CountyCaravan], settings: ToursSettings, executor: Executor
) -> CaravanJob:
    """Start the counties on ``executor``: one chunk in process, else about eight chunks
    per parallel slot with the largest problems spread over the chunks."""
    t0 = time.perf_counter()
    n_chunks = 1 if executor.parallelism <= 1 else min(len(ccs), 8 * executor.parallelism)
    by_size = sorted(range(len(ccs)), key=lambda i: (-len(ccs[i].stops), i))
    chunks = [by_size[k::n_chunks] for k in range(n_chunks)] if ccs else []
    solve = functools.partial(
        solve_counties,
        time_limit_s=settings.caravan_time_limit_s,
        solutions=settings.caravan_search_solutions,
    )
    batch = executor.submit(solve, [[ccs[i] for i in ch] for ch in chunks], label="caravan")
    return CaravanJob(list(ccs), chunks, batch, t0)


def schedule_caravans(
    dataset: Dataset,
    settings: ToursSettings,
    *,
    needs: pd.DataFrame | None = None,
    counties: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    executor: Executor | None = None,
) -> CaravanPlan:
    """Caravan day trips for every poor county (or the listed ones).

    Parameters
    ----------
    dataset
        Uses ``poor_counties`` (seats, province, deep-poverty area) and, when ``needs``
        is not given, ``needs``.
    settings
        Working day, service hours, trip days, season, speeds, closures, time limit.
    needs
        Needs table (kinds ``township_industry`` / ``village_product`` are used).
    counties
        Restrict to these county adcodes.
    executor
        Where the counties are solved (default: in process).
    """
    t0 = time.perf_counter()
    ccs = county_problems(dataset, settings, needs=needs, counties=counties)
    job = submit_caravans(ccs, settings, executor or InProcessExecutor())
    return dataclasses.replace(job, started=t0).plan(progress)
