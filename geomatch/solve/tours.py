"""The tours stage of a scenario: mobile-museum visits and science-caravan day trips.

:func:`run_tours_scenario` builds the run's travel model once (county graph or the
scenario's road graph, with cached shortest-path matrices), schedules the museum sets
of every province (:mod:`geomatch.solve.museum`) and the caravan of every poor county
(:mod:`geomatch.solve.caravan`), and returns a :class:`ToursResult`;
:func:`write_tours_outputs` writes ``museum_visits.csv``, ``caravan_tours.csv``,
``tours_unmet.csv`` and ``tours_summary.json``.

Provinces (museum) and counties (caravans) are independent problems; with
``workers > 1`` the provinces are solved in a process pool while the caravans use
another.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geomatch.io.output import write_csv, write_json
from geomatch.model.scenario import Scenario
from geomatch.model.tours_settings import ToursSettings
from geomatch.progress import ProgressCallback, scaled
from geomatch.solve.caravan import CaravanPlan, schedule_caravans
from geomatch.solve.museum import (
    UNMET_COLUMNS as MUSEUM_UNMET_COLUMNS,
)
from geomatch.solve.museum import (
    VISIT_COLUMNS,
    MuseumPlan,
    ProvinceProblem,
    _museum_of,
    _poor_by_province,
    province_problem,
    schedule_province,
)
from geomatch.travel import TravelModel, build_travel_model

__all__ = ["UNMET_COLUMNS", "ToursResult", "run_tours_scenario", "write_tours_outputs"]

log = logging.getLogger(__name__)


def _mp_context() -> multiprocessing.context.BaseContext:
    """``forkserver`` where available: safe when the caller runs threads (the web
    service's job runner), unlike a plain ``fork``."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


#: Columns of ``tours_unmet.csv`` (``need_id`` is the need, or ``museum:<adcode>:<n>``).
UNMET_COLUMNS = ["need_id", "adcode", "reason", "kind", "stage", "visit_no", "stop_code", "detail"]


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
        ``need_id, adcode, reason, …`` with ``reason`` in ``no_set_capacity``,
        ``season_closed`` (museum visits, caravan stops), ``unreachable_in_day``,
        ``no_trip_days`` (caravan stops).
    summary
        Counts, km, seconds, settings echo (``tours_summary.json``).
    """

    museum_visits: pd.DataFrame
    caravan_tours: pd.DataFrame
    unmet: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def _solve_provinces(pps: list[ProvinceProblem]) -> list[MuseumPlan]:
    return [schedule_province(pp) for pp in pps]


def run_tours_scenario(
    dataset: Any,
    scenario: Scenario,
    *,
    needs: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
    travel: TravelModel | None = None,
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
    """
    s: ToursSettings = scenario.tours
    t0 = time.perf_counter()
    cb = progress
    if cb:
        cb(0.0, "travel model")
    travel = travel or build_travel_model(dataset, s)
    t_travel = time.perf_counter() - t0
    groups = _poor_by_province(dataset)
    pps = [province_problem(p, g, _museum_of(dataset, p, g), s, travel) for p, g in groups.items()]
    if cb:
        cb(0.05, "museum tours")
    t1 = time.perf_counter()
    museum_fut: Future[list[MuseumPlan]] | None = None
    pool = None
    if s.workers > 1 and len(pps) > 1:
        # Museum provinces in a side process while the caravans use the other workers.
        pool = ProcessPoolExecutor(max_workers=1, mp_context=_mp_context())
        museum_fut = pool.submit(_solve_provinces, pps)
        plans: list[MuseumPlan] = []
    else:
        plans = []
        for k, pp in enumerate(pps):
            plans.append(schedule_province(pp))
            if cb:
                cb(0.05 + 0.45 * (k + 1) / len(pps), f"museum tours {pp.province_adcode}")
    try:
        cs = s.model_copy(update={"workers": max(1, s.workers - 1)}) if pool else s
        caravans: CaravanPlan = schedule_caravans(
            dataset, cs, needs=needs, progress=scaled(cb, 0.5, 0.95) if cb else None
        )
        if museum_fut is not None:
            plans = museum_fut.result()
    finally:
        if pool is not None:
            pool.shutdown()
    t_museum = time.perf_counter() - t1
    visits = (
        pd.concat([p.visits for p in plans], ignore_index=True)
        if plans
        else pd.DataFrame(columns=VISIT_COLUMNS)
    )
    m_unmet = (
        pd.concat([p.unmet for p in plans], ignore_index=True)
        if plans
        else pd.DataFrame(columns=MUSEUM_UNMET_COLUMNS)
    )
    unmet = pd.concat(
        [m_unmet.assign(stage="museum"), caravans.unmet.assign(stage="caravan")],
        ignore_index=True,
        sort=False,
    )
    for c in UNMET_COLUMNS:
        if c not in unmet.columns:
            unmet[c] = ""
    unmet = unmet[UNMET_COLUMNS].fillna("")
    unmet["visit_no"] = unmet["visit_no"].astype(str).str.replace(r"\.0$", "", regex=True)
    required = len(pps) and sum(len(pp.adcodes) for pp in pps) * s.visits_per_county
    summary: dict[str, Any] = {
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
        "seconds": {
            "travel_model": round(t_travel, 2),
            "museum_and_caravans": round(t_museum, 2),
            "total": round(time.perf_counter() - t0, 2),
        },
        "settings": s.model_dump(mode="json"),
    }
    log.info(
        "tours: %d/%d museum visits, %d/%d caravan stops, %d unmet (%.1f s)",
        summary["museum_visits"],
        summary["museum_visits_required"],
        summary["caravan_stops_served"],
        summary["caravan_stops"],
        summary["unmet"],
        summary["seconds"]["total"],
    )
    if cb:
        cb(1.0, "tours done")
    return ToursResult(
        museum_visits=visits, caravan_tours=caravans.tours, unmet=unmet, summary=summary
    )


def write_tours_outputs(result: ToursResult, out_dir: Path) -> None:
    """Write ``museum_visits.csv``, ``caravan_tours.csv``, ``tours_unmet.csv`` and
    ``tours_summary.json`` into ``out_dir`` (Excel-ready CSV, UTF-8 with BOM)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(result.museum_visits, out_dir / "museum_visits.csv")
    write_csv(result.caravan_tours, out_dir / "caravan_tours.csv")
    write_csv(result.unmet, out_dir / "tours_unmet.csv")
    write_json(result.summary, out_dir / "tours_summary.json")
