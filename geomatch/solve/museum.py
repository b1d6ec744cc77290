"""Mobile science-museum tours (流动科技馆巡展): a year of exhibition-set visits per province.

Each province's exhibition sets start at the provincial science museum on 1 January,
show ``E = exhibition_days`` days in a county, move to the next county in whole travel
days and are back at the museum by 31 December. Every poor county should get
``V = visits_per_county`` visits (2 by policy) whose starts are at least
``G = max(min_gap_days, E)`` days apart, outside its seasonal closures.

Formulation (one OR-Tools routing model per province, provinces solved independently)
--------------------------------------------------------------------------------------
Nodes: the museum (depot) and one node ``(c, v)`` per county ``c`` and visit
``v = 1..V_c``; vehicles: the province's sets. With ``τ_ij`` the travel days between
the places of ``i`` and ``j`` (``⌈minutes / working-day minutes⌉``, 0 inside a county)
and ``S_i`` the start day of node ``i`` (the time dimension, in days, waiting allowed)::

    S_j ≥ S_i + E + τ_ij                        for consecutive visits i → j of a set
    S_(c,v) ∈ A_c                               allowed starts: the whole exhibition
                                                [S, S+E−1] avoids every closure, and the
                                                set can come from and return to the museum
    S_(c,v) ≥ S_(c,v−1) + G · active(c,v)       spacing of a county's visits
    active(c,v) ≤ active(c,v−1)                 visit v only after visit v−1
    minimise  Σ km of set travel + Σ_missing  w_c · P

with ``P = missing_visit_penalty_km`` and ``w_c`` the priority weight (``remaining``:
last-batch counties exiting in 2020, ``deep``: 三区三州, else ``other``), so priority
counties are served first when sets are short. ``V_c < V`` when the allowed starts
cannot hold ``V`` visits ``G`` apart: those visits are reported as ``season_closed``
before solving; visits the solver leaves out are ``no_set_capacity``.

:func:`min_fleet` answers "how many sets does this province need for full coverage?":
from the lower bound ``⌈Σ_c V_c (E + 1) / 365⌉`` upwards, the smallest fleet for which
the model schedules every visit that the seasons allow.

Every schedule is re-checked by :func:`check_museum_schedule` (set in one county at a
time, travel days, spacing, closures, the year) before it is returned.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geomatch.errors import GeomatchError, InputError
from geomatch.model.run_tables import unmet_columns
from geomatch.model.tours_settings import ToursSettings
from geomatch.progress import ProgressCallback
from geomatch.solve.tour_data import closures_for, museum_location, poor_by_province
from geomatch.solve.vrptw import search_with_move_budget
from geomatch.travel import TravelModel, build_travel_model, terrain_of

if TYPE_CHECKING:
    from ortools.constraint_solver import pywrapcp

    from geomatch.dataset import Dataset

__all__ = [
    "FleetAnswer",
    "MuseumPlan",
    "ProvinceProblem",
    "check_museum_schedule",
    "min_fleet",
    "province_problem",
    "schedule_museums",
    "schedule_province",
    "workload_bound",
]

log = logging.getLogger(__name__)

VISIT_COLUMNS = ["adcode", "set_id", "visit_no", "start_date", "end_date", "travel_km"]
#: The museum's columns of the run's ``unmet`` table (declared in
#: :mod:`geomatch.model.run_tables`).
_UNMET = unmet_columns("museum")

_KM_SCALE = 10  # integer arc costs in 0.1 km


@dataclass(frozen=True, eq=False)
class ProvinceProblem:
    """Data of one province's museum-tour model.

    Attributes
    ----------
    province_adcode
        The province.
    adcodes
        Poor counties, in model order.
    weights
        Priority weight of each county's missing visit.
    km
        ``(n+1, n+1)`` km between the museum (index 0) and the county seats.
    travel_days
        ``(n+1, n+1)`` whole travel days.
    allowed
        ``(n, H)`` boolean: may a visit to county ``c`` start on day ``d``.
    max_visits
        Visits each county can get within its season (≤ ``visits_per_county``).
    closures
        Closed day intervals per county (for checks and messages).
    """

    province_adcode: str
    adcodes: tuple[str, ...]
    weights: np.ndarray
    km: np.ndarray
    travel_days: np.ndarray
    allowed: np.ndarray
    max_visits: np.ndarray
    closures: tuple[tuple[tuple[int, int], ...], ...]
    settings: ToursSettings


@dataclass(frozen=True)
class MuseumPlan:
    """Museum visits of one or more provinces.

    ``visits``: ``adcode, set_id, visit_no, start_date, end_date, travel_km`` (ISO
    dates; ``travel_km`` driven by the set to reach the county). ``unmet``: one row per
    missing visit (``need_id`` = ``museum:<adcode>:<visit_no>``, ``reason`` in
    ``season_closed`` | ``no_set_capacity``). ``summary``: per-province figures.
    """

    visits: pd.DataFrame
    unmet: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FleetAnswer:
    """Answer of :func:`min_fleet`.

    ``sets`` is the smallest fleet found that schedules every season-feasible visit
    (``None`` if none up to ``max_sets`` did); ``lower_bound`` the workload bound;
    ``tried`` the fleets tried; ``season_closed`` visits no fleet can make.
    """

    province_adcode: str
    sets: int | None
    lower_bound: int
    counties: int
    tried: tuple[int, ...]
    season_closed: int
    reason: str = ""


# --------------------------------------------------------------------------- data


def _max_spaced(allowed_days: np.ndarray, gap: int, limit: int) -> int:
    """Most visits with starts in ``allowed_days`` at least ``gap`` apart (greedy)."""
    count, last = 0, -(10**9)
    for d in allowed_days:
        if d >= last + gap:
            count += 1
            last = int(d)
            if count == limit:
                break
    return count


def province_problem(
    province_adcode: str,
    counties: pd.DataFrame,
    museum_lonlat: tuple[float, float],
    settings: ToursSettings,
    travel: TravelModel,
) -> ProvinceProblem:
    """Build the data of one province's model.

    Parameters
    ----------
    counties
        The province's poor counties: ``adcode, seat_lon, seat_lat`` and optionally
        ``last_batch``, ``exit_year``, ``deep_poverty_area``.
    museum_lonlat
        Where the sets are based.
    """
    c = counties.reset_index(drop=True)
    lon = np.r_[museum_lonlat[0], c["seat_lon"].astype(float).to_numpy()]
    lat = np.r_[museum_lonlat[1], c["seat_lat"].astype(float).to_numpy()]
    m = travel.matrix(lon, lat)
    day_min = settings.working_day_hours * 60.0
    tdays = np.ceil(m.minutes / day_min - 1e-9).astype(np.int64)
    np.fill_diagonal(tdays, 0)
    H = settings.days_in_year
    E = settings.exhibition_days
    gap = max(settings.min_gap_days, E)
    n = len(c)
    allowed = np.zeros((n, H), dtype=bool)
    closures = []
    maxv = np.zeros(n, dtype=np.int64)
    weights = np.ones(n)
    deep = c["deep_poverty_area"].fillna("").astype(str) if "deep_poverty_area" in c else None
    for i, row in enumerate(c.itertuples(index=False)):
        code = str(row.adcode)
        dpa = str(deep.iloc[i]) if deep is not None else ""
        terr = terrain_of(code, province_adcode, settings, deep_poverty_area=dpa)
        cl = closures_for(code, province_adcode, terr, settings)
        closures.append(cl)
        first = int(tdays[0, i + 1])
        last = H - E - int(tdays[i + 1, 0])  # latest start that still returns by day H
        ok = np.zeros(H, dtype=bool)
        if last >= first:
            ok[first : last + 1] = True
        for a, b in cl:  # the exhibition [s, s+E-1] must not touch [a, b]
            ok[max(0, a - E + 1) : b + 1] = False
        allowed[i] = ok
        maxv[i] = _max_spaced(np.flatnonzero(ok), gap, settings.visits_per_county)
        last_batch = bool(getattr(row, "last_batch", False)) or (
            int(getattr(row, "exit_year", 0) or 0) >= 2020
        )
        w = settings.priority_weight
        if last_batch:
            weights[i] = w.get("remaining", 1.0)
        elif dpa:
            weights[i] = w.get("deep", 1.0)
        else:
            weights[i] = w.get("other", 1.0)
    return ProvinceProblem(
        province_adcode=province_adcode,
        adcodes=tuple(str(a) for a in c["adcode"]),
        weights=weights,
        km=m.km,
        travel_days=tdays,
        allowed=allowed,
        max_visits=maxv,
        closures=tuple(closures),
        settings=settings,
    )


# --------------------------------------------------------------------------- model


def _solve_routing(
    pp: ProvinceProblem, n_sets: int, time_limit_s: float, branches: int = 0
) -> list[list[tuple[int, int, int]]]:
    """Solve one province; returns per set the ordered ``(county index, visit_no, start)``."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    s = pp.settings
    E, H = s.exhibition_days, s.days_in_year
    gap = max(s.min_gap_days, E)
    nodes: list[tuple[int, int]] = [(-1, 0)]  # (county index, visit_no); depot first
    for ci, v in enumerate(pp.max_visits):
        nodes += [(ci, k + 1) for k in range(int(v))]
    if len(nodes) == 1 or n_sets == 0:
        return [[] for _ in range(n_sets)]
    place = np.array([ci + 1 for ci, _ in nodes])  # row in km / travel_days
    is_visit = np.array([ci >= 0 for ci, _ in nodes])
    cost = np.rint(pp.km[np.ix_(place, place)] * _KM_SCALE).astype(np.int64)
    transit = pp.travel_days[np.ix_(place, place)] + np.where(is_visit, E, 0)[:, None]
    np.fill_diagonal(transit, 0)
    manager = pywrapcp.RoutingIndexManager(len(nodes), n_sets, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))
    tcb = routing.RegisterTransitMatrix(transit.astype(np.int64).tolist())
    routing.AddDimension(tcb, H, H, False, "Day")
    day = routing.GetDimensionOrDie("Day")
    solver = routing.solver()
    index_of: dict[tuple[int, int], int] = {}
    for k, (ci, v) in enumerate(nodes[1:], start=1):
        idx = manager.NodeToIndex(k)
        index_of[(ci, v)] = idx
        ok = np.flatnonzero(pp.allowed[ci])
        cum = day.CumulVar(idx)
        cum.SetRange(int(ok[0]), int(ok[-1]))
        # remove the closed gaps inside [first, last]
        breaks = np.flatnonzero(np.diff(ok) > 1)
        for b in breaks:
            cum.RemoveInterval(int(ok[b] + 1), int(ok[b + 1] - 1))
        pen = round(pp.weights[ci] * s.missing_visit_penalty_km * _KM_SCALE)
        routing.AddDisjunction([idx], pen)
    for veh in range(n_sets):
        day.CumulVar(routing.Start(veh)).SetRange(0, H)
        day.CumulVar(routing.End(veh)).SetRange(0, H)
    for (ci, v), idx in index_of.items():
        if v > 1:
            prev = index_of[(ci, v - 1)]
            solver.Add(routing.ActiveVar(idx) <= routing.ActiveVar(prev))
            solver.Add(day.CumulVar(idx) >= day.CumulVar(prev) + gap * routing.ActiveVar(idx))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    sol = None
    start = _double_rounds(pp, n_sets)
    node_of = {nd: k for k, nd in enumerate(nodes)}
    init = routing.ReadAssignmentFromRoutes(
        [[node_of[(ci, v)] for ci, v, _st in r] for r in start], True
    )
    if init is not None:
        sol = search_with_move_budget(routing, params, branches, init)
    else:
        log.debug("province %s: the double-round start was rejected", pp.province_adcode)
    if sol is None:
        sol = search_with_move_budget(routing, params, branches)
    if sol is None:
        params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.ALL_UNPERFORMED
        sol = routing.SolveWithParameters(params)
    if sol is None:
        raise GeomatchError(
            f"province {pp.province_adcode}: the museum-tour model found no schedule, "
            "not even an empty one; please report this with the scenario file"
        )
    return _read_routes(routing, manager, day, sol, nodes)


def _read_routes(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    day: pywrapcp.RoutingDimension,
    sol: pywrapcp.Assignment,
    nodes: list[tuple[int, int]],
) -> list[list[tuple[int, int, int]]]:
    """Per set, the visited ``(county index, visit_no, start day)`` in route order."""
    out: list[list[tuple[int, int, int]]] = []
    for veh in range(routing.vehicles()):
        idx = sol.Value(routing.NextVar(routing.Start(veh)))
        route = []
        while not routing.IsEnd(idx):
            ci, v = nodes[manager.IndexToNode(idx)]
            route.append((ci, v, int(sol.Value(day.CumulVar(idx)))))
            idx = sol.Value(routing.NextVar(idx))
        out.append(route)
    return out


def _nearest_neighbour_order(pp: ProvinceProblem, counties: list[int]) -> list[int]:
    """Counties in nearest-neighbour order from the museum (km)."""
    left = set(counties)
    order: list[int] = []
    here = 0
    while left:
        nxt = min(left, key=lambda c: (pp.km[here, c + 1], c))
        order.append(nxt)
        left.remove(nxt)
        here = nxt + 1
    return order


def _double_rounds(pp: ProvinceProblem, n_sets: int) -> list[list[tuple[int, int, int]]]:
    """A feasible start: each set tours a compact group of counties once per round.

    Counties in nearest-neighbour order from the museum are cut into ``n_sets``
    consecutive groups; a set visits its group in that order for visit 1, again for
    visit 2, …, which spaces a county's visits by a whole round. Starts are the earliest
    allowed days (travel, closures, spacing); a visit that no longer fits in the year
    is left out (the local search may place it elsewhere).
    """
    s = pp.settings
    E, gap = s.exhibition_days, max(s.min_gap_days, s.exhibition_days)
    active = [ci for ci in range(len(pp.adcodes)) if pp.max_visits[ci] > 0]
    order = _nearest_neighbour_order(pp, active)
    groups = [list(g) for g in np.array_split(np.array(order, dtype=int), max(1, n_sets))]
    routes: list[list[tuple[int, int, int]]] = []
    for grp in groups[:n_sets]:
        route: list[tuple[int, int, int]] = []
        done: dict[tuple[int, int], int] = {}
        cur, place = 0, 0
        for v in range(1, s.visits_per_county + 1):
            for ci in grp:
                ci = int(ci)
                if v > pp.max_visits[ci] or (v > 1 and (ci, v - 1) not in done):
                    continue
                earliest = cur + (E if place else 0) + int(pp.travel_days[place, ci + 1])
                if v > 1:
                    earliest = max(earliest, done[(ci, v - 1)] + gap)
                ok = np.flatnonzero(pp.allowed[ci, earliest:])
                if len(ok) == 0:
                    continue
                st = earliest + int(ok[0])
                route.append((ci, v, st))
                done[(ci, v)] = st
                cur, place = st, ci + 1
        routes.append(route)
    return routes


def _repair_order(routes: list[list[tuple[int, int, int]]]) -> list[list[tuple[int, int, int]]]:
    """Renumber each county's visits by start date (visit 1 is the earlier one)."""
    starts: dict[int, list[tuple[int, int, int]]] = {}
    for r, route in enumerate(routes):
        for k, (ci, _v, st) in enumerate(route):
            starts.setdefault(ci, []).append((st, r, k))
    new = [list(route) for route in routes]
    for ci, lst in starts.items():
        for no, (st, r, k) in enumerate(sorted(lst), start=1):
            new[r][k] = (ci, no, st)
    return new


def workload_bound(pp: ProvinceProblem) -> int:
    """Fewest sets the workload allows: ``⌈Σ_c V_c · (E + 1) / days_in_year⌉``.

    Each season-feasible visit needs its ``E`` exhibition days and at least one travel
    day (the move into the county), and a set works at most the whole year.
    """
    s = pp.settings
    need = int(pp.max_visits.sum())
    if need == 0:
        return 0
    return max(1, math.ceil(need * (s.exhibition_days + 1) / s.days_in_year))


def schedule_province(
    pp: ProvinceProblem,
    *,
    n_sets: int | None = None,
    time_limit_s: float | None = None,
) -> MuseumPlan:
    """Schedule one province's sets; returns its visits, missing visits and summary."""
    s = pp.settings
    if n_sets is None:
        n_sets = s.sets_for(pp.province_adcode)
        if n_sets == 0:
            n_sets = math.ceil((1.0 + s.fleet_margin) * workload_bound(pp))
    n_sets = int(n_sets)
    # Budgets grow with the visits: the full budget from 100 visits.
    share = min(1.0, int(pp.max_visits.sum()) / 100)
    if time_limit_s is None:
        tl = max(0.5, s.museum_time_limit_s * share)
        branches = max(50, round(s.museum_search_branches * share))
    else:
        tl, branches = float(time_limit_s), 0
    if s.museum_search_branches == 0:
        branches = 0
    t0 = time.perf_counter()
    routes = _repair_order(_solve_routing(pp, n_sets, tl, branches))
    jan1 = dt.date(s.year, 1, 1)
    rows = []
    for r, route in enumerate(routes):
        prev = 0
        for ci, v, st in route:
            rows.append(
                {
                    "adcode": pp.adcodes[ci],
                    "set_id": f"{pp.province_adcode}-S{r + 1:02d}",
                    "visit_no": v,
                    "start_date": (jan1 + dt.timedelta(days=st)).isoformat(),
                    "end_date": (jan1 + dt.timedelta(days=st + s.exhibition_days - 1)).isoformat(),
                    "travel_km": round(float(pp.km[prev, ci + 1]), 1),
                }
            )
            prev = ci + 1
    visits = pd.DataFrame(rows, columns=VISIT_COLUMNS)
    got = visits.groupby("adcode").size().to_dict() if len(visits) else {}
    unmet = []
    for ci, code in enumerate(pp.adcodes):
        have = int(got.get(code, 0))
        for v in range(have + 1, s.visits_per_county + 1):
            if v > pp.max_visits[ci]:
                reason = "season_closed"
                detail = (
                    f"closures {_fmt_closures(pp.closures[ci], s.year)} leave room for "
                    f"{int(pp.max_visits[ci])} visit(s) {max(s.min_gap_days, s.exhibition_days)}"
                    f" days apart"
                )
            else:
                reason = "no_set_capacity"
                detail = f"{n_sets} set(s) in province {pp.province_adcode} cannot fit this visit"
            unmet.append(
                {
                    "need_id": f"museum:{code}:{v}",
                    "adcode": code,
                    "reason": reason,
                    "kind": "museum_visit",
                    "stage": "museum",
                    "visit_no": v,
                    "detail": detail,
                }
            )
    unmet_df = pd.DataFrame(unmet, columns=_UNMET)
    violations = check_museum_schedule(visits, pp)
    if violations:
        raise GeomatchError(
            f"province {pp.province_adcode}: museum schedule failed its check: {violations[:3]}"
        )
    summary = {
        "province_adcode": pp.province_adcode,
        "sets": n_sets,
        "counties": len(pp.adcodes),
        "visits": len(visits),
        "visits_required": len(pp.adcodes) * s.visits_per_county,
        "season_closed": int((unmet_df["reason"] == "season_closed").sum()),
        "no_set_capacity": int((unmet_df["reason"] == "no_set_capacity").sum()),
        "travel_km": round(float(visits["travel_km"].sum()) if len(visits) else 0.0, 1),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    return MuseumPlan(visits=visits, unmet=unmet_df, summary=summary)


def _fmt_closures(cl: Sequence[tuple[int, int]], year: int) -> str:
    if not cl:
        return "(none)"
    jan1 = dt.date(year, 1, 1)
    return ", ".join(
        f"{(jan1 + dt.timedelta(days=a)).strftime('%m-%d')}…"
        f"{(jan1 + dt.timedelta(days=b)).strftime('%m-%d')}"
        for a, b in cl
    )


# --------------------------------------------------------------------------- checking


def check_museum_schedule(visits: pd.DataFrame, pp: ProvinceProblem) -> list[str]:
    """Independent check of a province's visits against the rules.

    Checks: each set is in one county at a time and has the travel days between
    consecutive visits (from and back to the museum within the year); each county's
    visits start at least ``max(min_gap_days, exhibition_days)`` apart and number at
    most ``visits_per_county``; no exhibition day falls in a closure of its county.

    Returns
    -------
    list of str
        Violations, quoting dates and days; empty when the schedule holds.
    """
    s = pp.settings
    E = s.exhibition_days
    jan1 = dt.date(s.year, 1, 1)
    H = s.days_in_year
    gap = max(s.min_gap_days, E)
    pos = {c: i + 1 for i, c in enumerate(pp.adcodes)}
    errs: list[str] = []
    if visits.empty:
        return errs
    v = visits.copy()
    v["s"] = [(dt.date.fromisoformat(x) - jan1).days for x in v["start_date"]]
    v["e"] = [(dt.date.fromisoformat(x) - jan1).days for x in v["end_date"]]
    for row in v.itertuples(index=False):
        if row.e - row.s + 1 != E:
            errs.append(f"{row.set_id} in {row.adcode}: shows {row.e - row.s + 1} days, not {E}")
        for a, b in pp.closures[pos[str(row.adcode)] - 1]:
            if row.s <= b and row.e >= a:
                errs.append(f"{row.set_id} in {row.adcode} {row.start_date}: during a closure")
    for set_id, g in v.sort_values("s").groupby("set_id"):
        prev_place, prev_end = 0, -1
        for row in g.itertuples(index=False):
            p = pos[str(row.adcode)]
            need = int(pp.travel_days[prev_place, p])
            if row.s < prev_end + 1 + need:
                errs.append(
                    f"{set_id}: starts in {row.adcode} on day {row.s}, but the previous stop "
                    f"ends on day {prev_end} and the move takes {need} day(s)"
                )
            prev_place, prev_end = p, row.e
        back = prev_end + 1 + int(pp.travel_days[prev_place, 0])
        if back > H:
            errs.append(f"{set_id}: back at the museum on day {back}, after the year ({H})")
    for code, g in v.groupby("adcode"):
        starts = sorted(g["s"])
        if len(starts) > s.visits_per_county:
            errs.append(f"{code}: {len(starts)} visits, more than {s.visits_per_county}")
        for a, b in itertools.pairwise(starts):
            if b - a < gap:
                errs.append(f"{code}: visits start {b - a} days apart, less than {gap}")
        if sorted(g["visit_no"]) != list(range(1, len(g) + 1)):
            errs.append(f"{code}: visit numbers {sorted(g['visit_no'])}")
    return errs


# --------------------------------------------------------------------------- national


def schedule_museums(
    dataset: Dataset,
    settings: ToursSettings,
    *,
    travel: TravelModel | None = None,
    provinces: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> MuseumPlan:
    """Museum tours for every province with poor counties (solved independently)."""
    travel = travel or build_travel_model(dataset, settings)
    groups = poor_by_province(dataset)
    if provinces is not None:
        unknown = sorted(set(provinces) - set(groups))
        if unknown:
            raise InputError(f"no poor counties in province(s) {', '.join(unknown)}")
        groups = {p: groups[p] for p in provinces}
    visits, unmet, summ = [], [], []
    for k, (prov, g) in enumerate(groups.items()):
        pp = province_problem(prov, g, museum_location(dataset, prov, g), settings, travel)
        plan = schedule_province(pp)
        visits.append(plan.visits)
        unmet.append(plan.unmet)
        summ.append(plan.summary)
        log.info(
            "museum tours %s: %d/%d visits with %d sets (%.1f s)",
            prov,
            plan.summary["visits"],
            plan.summary["visits_required"],
            plan.summary["sets"],
            plan.summary["seconds"],
        )
        if progress:
            progress((k + 1) / len(groups), f"museum tours {prov}")
    return MuseumPlan(
        visits=pd.concat(visits, ignore_index=True)
        if visits
        else pd.DataFrame(columns=VISIT_COLUMNS),
        unmet=pd.concat(unmet, ignore_index=True) if unmet else pd.DataFrame(columns=_UNMET),
        summary={"provinces": summ},
    )


def min_fleet(
    dataset: Dataset,
    settings: ToursSettings,
    province_adcode: str,
    *,
    max_sets: int = 40,
    travel: TravelModel | None = None,
    time_limit_s: float | None = None,
) -> FleetAnswer:
    """Smallest number of exhibition sets giving every poor county of a province its visits.

    Visits that the seasons make impossible (``season_closed``) do not count against a
    fleet. The search starts from the workload bound
    ``⌈Σ_c V_c · (exhibition_days + 1) / days_in_year⌉`` (each visit needs its
    exhibition days and at least one travel day) and tries fleets upwards until one
    schedules every season-feasible visit.

    Parameters
    ----------
    dataset
        The dataset (``poor_counties``, ``museums``, ``counties``).
    settings
        Tours settings (the fleet setting itself is ignored).
    province_adcode
        Six-digit province code, e.g. ``"520000"``.
    max_sets
        Largest fleet tried.
    time_limit_s
        Solver time per fleet tried (default ``museum_time_limit_s``).
    """
    groups = poor_by_province(dataset)
    if province_adcode not in groups:
        raise InputError(
            f"province {province_adcode} has no poor counties in the dataset",
            column="province",
        )
    g = groups[province_adcode]
    travel = travel or build_travel_model(dataset, settings)
    pp = province_problem(
        province_adcode, g, museum_location(dataset, province_adcode, g), settings, travel
    )
    need = int(pp.max_visits.sum())
    closed = len(pp.adcodes) * settings.visits_per_county - need
    lb = max(1, workload_bound(pp))
    tried: list[int] = []
    for k in range(lb, max_sets + 1):
        tried.append(k)
        plan = schedule_province(pp, n_sets=k, time_limit_s=time_limit_s)
        if plan.summary["no_set_capacity"] == 0:
            return FleetAnswer(province_adcode, k, lb, len(pp.adcodes), tuple(tried), closed)
    return FleetAnswer(
        province_adcode,
        None,
        lb,
        len(pp.adcodes),
        tuple(tried),
        closed,
        reason=f"even {max_sets} sets leave visits unscheduled",
    )
