"""The tours stage of a scenario: mobile-museum visits and science-caravan day trips.

:func:`run_tours_scenario` builds the run's travel model once (county graph or the
scenario's road graph, with cached shortest-path matrices), schedules the museum sets
of every province (:mod:`geomatch.solve.museum`) and the caravan of every poor county
(:mod:`geomatch.solve.caravan`), and returns a :class:`ToursResult` — the run tables
``museum_visits``, ``caravan_tours`` and the tours' rows of ``unmet``
(:mod:`geomatch.model.run_tables`). It writes no file: ``geomatch tours`` and the
pipeline write them with :mod:`geomatch.run_result`.

Provinces (museum) and counties (caravans) are independent problems. They run through
one :class:`geomatch.scale.executor.Executor`: the caller's (a Dask client), or one
opened for the run from ``tours.workers`` (``> 1``: a local Dask cluster of that many
worker processes; ``1``, or inside a Dask worker: in process). Both batches are in
flight together, the long museum provinces first.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from geomatch.model.run_tables import unmet_columns
from geomatch.model.scenario import Scenario
from geomatch.model.tours_settings import ToursSettings
from geomatch.progress import ProgressCallback, scaled
from geomatch.scale.executor import Executor, open_executor
from geomatch.solve.caravan import CaravanPlan, county_problems, submit_caravans
from geomatch.solve.museum import (
    VISIT_COLUMNS,
    MuseumPlan,
    ProvinceProblem,
    province_problem,
    schedule_province,
)
from geomatch.solve.tour_data import museum_location, poor_by_province
from geomatch.travel import TravelModel, build_travel_model

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = ["ToursResult", "run_tours_scenario"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToursResult:
    """Schedules of a scenario run.

    Attributes
    ----------
    museum_visits
        ``adcode, set_id, visit_no, start_date, end_date, travel_km``.
    caravan_tours
        ``caravan_id, date, seq, stop_code, travel_km`` then ``adcode, stop_kind,
        stop_name, return_km`` (km back to the seat after the day's last stop).
    unmet
        The tours' rows of the run's ``unmet`` (``need_id, reason, stage, adcode,
        detail, kind, visit_no, stop_code``; ``stage`` museum or caravan) with
        ``reason`` in ``no_set_capacity``, ``season_closed`` (museum visits, caravan
        stops), ``unreachable_in_day``, ``no_trip_days`` (caravan stops).
    summary
        Counts, km, seconds, settings echo (``tours_summary.json``).
    """

    museum_visits: pd.DataFrame
    caravan_tours: pd.DataFrame
    unmet: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def museum_problems(
    dataset: Dataset, settings: ToursSettings, travel: TravelModel
) -> list[ProvinceProblem]:
    """The museum-tour problem of every province with poor counties."""
    groups = poor_by_province(dataset)
    return [
        province_problem(p, g, museum_location(dataset, p, g), settings, travel)
        for p, g in groups.items()
    ]


@dataclass(frozen=True)
class _Solved:
    plans: list[MuseumPlan]
    caravans: CaravanPlan
    seconds: float


def _solve(
    pps: list[ProvinceProblem],
    dataset: Dataset,
    s: ToursSettings,
    needs: pd.DataFrame | None,
    executor: Executor,
    cb: ProgressCallback | None,
) -> _Solved:
    """Museum provinces and caravan counties on ``executor``, both batches in flight."""
    t1 = time.perf_counter()
    museum = executor.submit(schedule_province, pps, label="museum")
    caravan = submit_caravans(county_problems(dataset, s, needs=needs), s, executor)
    plans = museum.result(scaled(cb, 0.05, 0.5) if cb else None, "museum tours")
    caravans = caravan.plan(scaled(cb, 0.5, 0.95) if cb else None)
    return _Solved(plans, caravans, time.perf_counter() - t1)


def _unmet(plans: list[MuseumPlan], caravans: CaravanPlan) -> pd.DataFrame:
    """The tours' rows of ``unmet``: museum visits, then caravan needs (text cells)."""
    columns = list(unmet_columns("museum", "caravan"))
    parts = [p.unmet for p in plans if len(p.unmet)]
    if len(caravans.unmet):
        parts.append(caravans.unmet)
    if not parts:
        return pd.DataFrame(columns=columns)
    unmet = pd.concat(parts, ignore_index=True, sort=False).reindex(columns=columns)
    unmet = unmet.astype(object).fillna("")
    unmet["visit_no"] = unmet["visit_no"].astype(str).str.replace(r"\.0$", "", regex=True)
    return unmet


def _summary(
    s: ToursSettings,
    travel: TravelModel,
    pps: list[ProvinceProblem],
    solved: _Solved,
    visits: pd.DataFrame,
    unmet: pd.DataFrame,
    seconds: dict[str, float],
) -> dict[str, Any]:
    plans, caravans = solved.plans, solved.caravans
    required = len(pps) and sum(len(pp.adcodes) for pp in pps) * s.visits_per_county
    return {
        "year": s.year,
        "travel_model": travel.name,
        "travel_cache": {"matrices": travel.misses, "reused": travel.hits},
        "museum_visits": len(visits),
        "museum_visits_required": int(required),
        "museum_counties_full": int(
            (visits.groupby("adcode").size() >= s.visits_per_county).sum() if len(visits) else 0
        ),
        "museum_sets": int(sum(p.summary["sets"] for p in plans)),
        "museum_travel_km": round(float(visits["travel_km"].sum()) if len(visits) else 0.0, 1),
        "museum_provinces": [p.summary for p in plans],
        "caravan_counties": caravans.summary["counties"],
        "caravan_stops": caravans.summary["stops"],
        "caravan_stops_served": caravans.summary["stops_served"],
        "caravan_trip_days": caravans.summary["trip_days"],
        "caravan_travel_km": caravans.summary["travel_km"],
        "unmet": len(unmet),
        "unmet_by_reason": {str(k): int(v) for k, v in unmet["reason"].value_counts().items()},
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "settings": s.model_dump(mode="json"),
    }


def run_tours_scenario(
    dataset: Dataset,
    scenario: Scenario,
    *,
    needs: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
    travel: TravelModel | None = None,
    executor: Executor | None = None,
) -> ToursResult:
    """Schedule the museum visits and caravan trips of a scenario.

    Parameters
    ----------
    dataset
        The dataset (:func:`geomatch.dataset.load_dataset`): ``counties``,
        ``poor_counties``, ``museums`` and, unless ``needs`` is given, ``needs``.
    scenario
        Its ``tours`` table (:class:`geomatch.model.tours_settings.ToursSettings`).
    needs
        Needs to serve by caravan (kinds ``township_industry`` and ``village_product``).
    progress
        ``(fraction, message)`` callback.
    travel
        A travel model to reuse (default: built from the dataset and settings).
    executor
        Where provinces and counties are solved (default: opened from ``tours.workers``).
    """
    s: ToursSettings = scenario.tours
    t0 = time.perf_counter()
    if progress:
        progress(0.0, "travel model")
    travel = travel or build_travel_model(dataset, s)
    t_travel = time.perf_counter() - t0
    pps = museum_problems(dataset, s, travel)
    if progress:
        progress(0.05, "museum tours")
    if executor is None:
        with open_executor(workers=s.workers) as ex:
            solved = _solve(pps, dataset, s, needs, ex, progress)
    else:
        solved = _solve(pps, dataset, s, needs, executor, progress)
    plans = solved.plans
    visits = (
        pd.concat([p.visits for p in plans], ignore_index=True)
        if plans
        else pd.DataFrame(columns=VISIT_COLUMNS)
    )
    unmet = _unmet(plans, solved.caravans)
    seconds = {
        "travel_model": t_travel,
        "museum_and_caravans": solved.seconds,
        "total": time.perf_counter() - t0,
    }
    summary = _summary(s, travel, pps, solved, visits, unmet, seconds)
    log.info(
        "tours: %d/%d museum visits, %d/%d caravan stops, %d unmet (%.1f s)",
        summary["museum_visits"],
        summary["museum_visits_required"],
        summary["caravan_stops_served"],
        summary["caravan_stops"],
        summary["unmet"],
        summary["seconds"]["total"],
    )
    if progress:
        progress(1.0, "tours done")
    return ToursResult(
        museum_visits=visits, caravan_tours=solved.caravans.tours, unmet=unmet, summary=summary
    )
