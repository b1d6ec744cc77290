"""The main job: a scenario run end to end (pairing → tours → coverage → maps).

``geomatch demo`` and the web service's jobs both call :func:`run_scenario`. Each stage
is a plain function of :mod:`geomatch.solve` or :mod:`geomatch.render`; this module only
orders them, reports progress and publishes the run folder all-or-nothing.

A run folder (``runs/<name>/``) holds, as DESIGN.md fixes them:

* ``pairings.csv`` — need → helper with cost components;
* ``unmet.csv`` — every need or visit left unserved, with ``stage`` (pairing | museum |
  caravan) and a reason code;
* ``museum_visits.csv``, ``caravan_tours.csv`` — the year's schedules;
* ``coverage.csv`` — one row per poor county; ``kpi.csv`` — headline figures per province;
* ``summary.json`` (pairing), ``tours_summary.json``, ``manifest.json``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd

from geomatch.io.output import atomic_output_dir, write_csv, write_json
from geomatch.manifest import build_manifest
from geomatch.progress import ProgressCallback, null_progress, scaled
from geomatch.settings import data_dir

__all__ = ["merge_unmet", "run_demo", "run_scenario"]

log = logging.getLogger(__name__)


def merge_unmet(pairing_unmet: pd.DataFrame, tours_unmet: pd.DataFrame) -> pd.DataFrame:
    """One ``unmet.csv``: pairing rows first, then tour rows; ``need_id, reason`` lead."""
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


def run_scenario(
    scenario: str | Path,
    out: str | Path,
    *,
    maps: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    """Run a scenario and publish its run folder (and maps, if asked).

    Parameters
    ----------
    scenario
        A scenario name (``national`` → ``solvers/national.toml``) or a TOML path.
    out
        Run folder; written all-or-nothing.
    maps
        Folder for the coverage maps (``national.html``, ``national.png``,
        ``province/<adcode>.html``); ``None`` draws no maps.
    progress
        ``(fraction, message)`` callback.

    Returns
    -------
    pathlib.Path
        The run folder.
    """
    from geomatch.dataset import load_dataset
    from geomatch.model.scenario import load_scenario
    from geomatch.render.coverage import build_coverage
    from geomatch.render.kpi import build_kpi
    from geomatch.solve.pairing import run_pairing_scenario, write_pairing_outputs
    from geomatch.solve.tours import run_tours_scenario, write_tours_outputs

    cb = progress or null_progress
    t0 = time.perf_counter()
    sc = load_scenario(scenario)
    root = sc.data_root
    ds = load_dataset(root=root)
    out = Path(out)
    log.info("scenario %s: dataset %s", sc.name, root or "embedded default")
    with atomic_output_dir(out) as stage:
        cb(0.0, "pairing")
        pairing = run_pairing_scenario(ds, sc, progress=scaled(progress, 0.0, 0.45))
        write_pairing_outputs(pairing, stage)
        log.info(
            "pairing: %d pairs, %d unmet (%s)",
            len(pairing.pairings),
            len(pairing.unmet),
            pairing.summary.get("status"),
        )
        cb(0.45, "tours")
        tours = run_tours_scenario(ds, sc, progress=scaled(progress, 0.45, 0.85))
        write_tours_outputs(tours, stage)
        unmet = merge_unmet(pairing.unmet, tours.unmet)
        write_csv(unmet, stage / "unmet.csv")
        cb(0.85, "coverage")
        coverage = build_coverage(
            ds,
            pairings=pairing.pairings,
            needs=ds.needs,
            museum_visits=tours.museum_visits,
            caravan_tours=tours.caravan_tours,
            unmet=unmet,
        )
        write_csv(coverage, stage / "coverage.csv")
        kpi = build_kpi(
            ds,
            coverage=coverage,
            pairings=pairing.pairings,
            needs=ds.needs,
            caravan_tours=tours.caravan_tours,
        )
        write_csv(kpi, stage / "kpi.csv")
        inputs: dict[str, str | Path] = {"scenario": sc.source}
        inputs["data"] = root if root is not None else data_dir()
        manifest = build_manifest(
            command="geomatch run",
            inputs=inputs,
            settings=sc.model_dump(exclude={"source"}),
            seed=sc.scenario.seed,
            scenario=sc.name,
            extra={"seconds": round(time.perf_counter() - t0, 2)},
        )
        write_json(manifest, stage / "manifest.json")
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
