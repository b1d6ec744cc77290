"""The main job: a scenario run stage by stage (pairing → tours → coverage/KPI → maps).

:func:`solve_scenario` runs the stages in memory and returns a
:class:`~geomatch.run_result.RunResult`; :func:`run_scenario` also publishes its run
folder (:func:`~geomatch.run_result.write_run`, all-or-nothing) and draws the maps.
``geomatch run``/``demo``, the web service's jobs, the multi-year plan and the Dask
sweeps all call these two functions, so every front end runs the same stages
(docs/ARCHITECTURE.md). Each stage is a plain function of :mod:`geomatch.solve` or
:mod:`geomatch.render`; this module only orders them and reports progress:

====================== ====================================================== ===========
stage                  function                                               tables
====================== ====================================================== ===========
pairing                :func:`geomatch.solve.pairing.run_pairing_scenario`    pairings,
                                                                              unmet
tours                  :func:`geomatch.solve.tours.run_tours_scenario`        museum_visits,
                                                                              caravan_tours,
                                                                              unmet
coverage/KPI           :func:`geomatch.render.run.add_coverage`               unmet_summary,
                                                                              coverage, kpi
run folder             :func:`geomatch.run_result.write_run`                  (all)
maps                   :func:`geomatch.render.maps.write_maps`                (reads them)
====================== ====================================================== ===========

The tables are declared in :mod:`geomatch.model.run_tables`; ``unmet`` holds the
pairing's unmet needs and the tours' unscheduled visits and stops, told apart by
``stage``, and ``unmet_summary`` aggregates all of them.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd

from geomatch.dataset import Dataset, load_dataset
from geomatch.manifest import build_manifest
from geomatch.model.scenario import Scenario, load_scenario
from geomatch.progress import ProgressCallback, null_progress, scaled
from geomatch.run_result import RunResult, write_run
from geomatch.settings import data_dir

__all__ = ["merge_unmet", "run_demo", "run_scenario", "solve_scenario"]

log = logging.getLogger(__name__)


def merge_unmet(pairing_unmet: pd.DataFrame, tours_unmet: pd.DataFrame) -> pd.DataFrame:
    """One ``unmet`` table: pairing rows first (``stage`` = pairing), then tour rows."""
    parts = []
    if len(pairing_unmet):
        parts.append(pairing_unmet.assign(stage="pairing"))
    if len(tours_unmet):
        t = tours_unmet.copy()
        if "stage" not in t.columns:
            t["stage"] = "tours"
        parts.append(t)
    if not parts:
        return pd.DataFrame(columns=["need_id", "reason", "stage"])
    out = pd.concat(parts, ignore_index=True, sort=False)
    lead = [c for c in ("need_id", "reason", "stage") if c in out.columns]
    return out[lead + [c for c in out.columns if c not in lead]]


def _scenario(scenario: str | Path | Scenario) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def solve_scenario(
    scenario: str | Path | Scenario,
    *,
    dataset: Dataset | None = None,
    progress: ProgressCallback | None = None,
    command: str = "geomatch run",
    locks: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    locks_source: str = "",
) -> RunResult:
    """Run every stage of a scenario in memory (nothing is written).

    Parameters
    ----------
    scenario
        A scenario name (``national`` → ``solvers/national.toml``), a TOML path or a
        :class:`~geomatch.model.scenario.Scenario`.
    dataset
        The dataset (default: the scenario's ``data_dir``, else the embedded one).
    progress
        ``(fraction, message)`` callback; this call reports 0 → 0.9.
    command
        What ran, for the manifest.
    locks, previous
        ``need_id, helper_id`` pairs the pairing must keep (agreements in force) and the
        previous plan's pairs (changes cost ``change_penalty``); see
        :func:`geomatch.solve.pairing.run_pairing_scenario`.
    locks_source
        Where the locks come from, for the manifest (``locks: {pairs, source}``).

    Returns
    -------
    RunResult
        Pairings, unmet, schedules, coverage and KPIs, summaries and the manifest.
    """
    from geomatch.render.run import add_coverage
    from geomatch.solve.pairing import run_pairing_scenario
    from geomatch.solve.tours import run_tours_scenario

    cb = progress or null_progress
    t0 = time.perf_counter()
    sc = _scenario(scenario)
    ds = dataset if dataset is not None else load_dataset(root=sc.data_root)
    log.info("scenario %s: dataset %s", sc.name, ds.root)
    cb(0.0, "pairing")
    pairing = run_pairing_scenario(
        ds, sc, progress=scaled(progress, 0.0, 0.45), locks=locks, previous=previous
    )
    log.info(
        "pairing: %d pairs, %d unmet (%s)",
        len(pairing.pairings),
        len(pairing.unmet),
        pairing.summary.get("status"),
    )
    cb(0.45, "tours")
    tours = run_tours_scenario(ds, sc, progress=scaled(progress, 0.45, 0.85))
    cb(0.85, "coverage")
    tables = {
        "pairings": pairing.pairings,
        "unmet": merge_unmet(pairing.unmet, tours.unmet),
        "museum_visits": tours.museum_visits,
        "caravan_tours": tours.caravan_tours,
    }
    result = RunResult.of(tables, summary=pairing.summary, tours_summary=tours.summary)
    result = add_coverage(result, ds, radius_km=sc.pairing.radius_km)
    manifest = build_manifest(
        command=command,
        inputs={"scenario": sc.source, "data": sc.data_root or data_dir()},
        settings=sc.model_dump(exclude={"source"}),
        seed=sc.scenario.seed,
        scenario=sc.name,
        extra={"seconds": round(time.perf_counter() - t0, 2), **_locks_note(locks, locks_source)},
    )
    return result.with_manifest(manifest)


def _locks_note(locks: pd.DataFrame | None, source: str) -> dict[str, object]:
    """The manifest's record of the pairs a run was told to keep."""
    if locks is None:
        return {}
    return {"locks": {"pairs": len(locks), "source": source or "locks given by the caller"}}


def run_scenario(
    scenario: str | Path | Scenario,
    out: str | Path,
    *,
    maps: str | Path | None = None,
    progress: ProgressCallback | None = None,
    locks: pd.DataFrame | None = None,
    locks_source: str = "",
) -> Path:
    """Run a scenario, publish its run folder and draw its maps (if asked).

    Parameters
    ----------
    scenario
        A scenario name (``national`` → ``solvers/national.toml``), a TOML path or a
        :class:`~geomatch.model.scenario.Scenario`.
    out
        Run folder; written all-or-nothing.
    maps
        Folder for the coverage maps (``national.html``, ``national.png``,
        ``province/<adcode>.html``); ``None`` draws no maps.
    progress
        ``(fraction, message)`` callback.
    locks, locks_source
        Pairs the pairing must keep and where they come from (see :func:`solve_scenario`).

    Returns
    -------
    pathlib.Path
        The run folder.
    """
    cb = progress or null_progress
    t0 = time.perf_counter()
    sc = _scenario(scenario)
    ds = load_dataset(root=sc.data_root)
    result = solve_scenario(
        sc, dataset=ds, progress=progress, locks=locks, locks_source=locks_source
    )
    out = Path(out)
    write_run(result, out)
    if maps is not None:
        from geomatch.render.maps import write_maps

        cb(0.9, "maps")
        write_maps(out, Path(maps), ds, progress=scaled(progress, 0.9, 1.0))
    cb(1.0, "done")
    log.info("run %s written in %.1f s", out, time.perf_counter() - t0)
    return out


def run_demo(
    out: str | Path, maps: str | Path, *, progress: ProgressCallback | None = None
) -> Path:
    """``geomatch demo``: the national scenario on the embedded default dataset."""
    return run_scenario("national", out, maps=maps, progress=progress)
