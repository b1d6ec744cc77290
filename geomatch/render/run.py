"""A run seen by maps and exports: its folder read back, its dataset, its coverage stage.

* a run folder is read by :func:`geomatch.run_result.read_run` into a
  :class:`~geomatch.run_result.RunResult` (the tables of :mod:`geomatch.model.run_tables`,
  typed and checked; a bad folder raises :class:`~geomatch.errors.InputError` naming the
  file, row and column);
* :func:`load_run_dataset` and :func:`with_run_inputs` give the
  :class:`~geomatch.dataset.Dataset` the run was made from, with the run's own needs and
  helpers for a bring-your-own run;
* :func:`add_coverage` is the coverage/KPI stage: ``unmet_summary`` (over every unmet
  row, pairing and tours), ``coverage`` and ``kpi`` are computed once, by the pipeline,
  and only a run that lacks them (``geomatch pair`` has no coverage) gets them here when
  its maps or exports are drawn.
"""

from __future__ import annotations

import logging
from pathlib import Path

from geomatch.dataset import Dataset
from geomatch.io.codes import as_text, county_of_code
from geomatch.model.run_tables import RUN_TABLES
from geomatch.render.coverage import coverage_of_run
from geomatch.render.kpi import kpi_of_run
from geomatch.render.shortfall import summarise_unmet
from geomatch.render.units import unit_names
from geomatch.run_result import RunResult

__all__ = [
    "RESULT_TABLES",
    "add_coverage",
    "as_text",
    "county_of_code",
    "load_run_dataset",
    "with_run_inputs",
]

log = logging.getLogger(__name__)

#: The tables of a run in order (:data:`geomatch.model.run_tables.RUN_TABLES`): what an
#: export holds and what the web service stores.
RESULT_TABLES: tuple[str, ...] = tuple(RUN_TABLES)


def load_run_dataset(run: RunResult | None = None, root: str | Path | None = None) -> Dataset:
    """The dataset a run was made from.

    Parameters
    ----------
    run
        The run; its manifest's ``settings.scenario.data_dir`` is used when it names an
        existing folder and ``root`` is not given.
    root
        An explicit dataset folder.

    Raises
    ------
    DatasetMissingError
        When the data folder is absent.
    """
    from geomatch.dataset import load_dataset

    if root is None and run is not None:
        settings = run.manifest.get("settings") or {}
        scen = settings.get("scenario") if isinstance(settings, dict) else None
        cand = scen.get("data_dir") if isinstance(scen, dict) else None
        if cand and Path(str(cand)).is_dir():
            root = Path(str(cand))
    return load_dataset(root=Path(root)) if root is not None else load_dataset()


def _input_path(run: RunResult, role: str) -> Path | None:
    entry = (run.manifest.get("inputs") or {}).get(role)
    if not isinstance(entry, dict) or not entry.get("path"):
        return None
    path = Path(str(entry["path"]))
    if not path.is_absolute() and not path.is_file() and run.run_dir is not None:
        path = run.run_dir / path
    if not path.is_file():
        log.warning(
            "run %s: its %s file %s is gone; using the dataset's %s", run.run_dir, role, path, role
        )
        return None
    want = entry.get("sha256")
    if want:
        from geomatch.io.files import file_sha256

        if file_sha256(path) != want:
            log.warning("run %s: %s changed since the run (SHA-256 differs)", run.run_dir, path)
    return path


def with_run_inputs(run: RunResult, dataset: Dataset) -> Dataset:
    """The dataset with the needs and helpers the run was made from.

    A bring-your-own run (``geomatch pair --helpers H.csv --needs N.csv``) names its files
    in ``manifest.json`` (``inputs.needs.path``, ``inputs.helpers.path``); they are read
    and validated again so that maps and exports show the run's own units and names.
    Scenario runs name no such files and use the dataset's tables. A file that has
    changed since the run is used with a warning (its SHA-256 no longer matches).
    """
    needs_path = _input_path(run, "needs")
    helpers_path = _input_path(run, "helpers")
    if needs_path is None and helpers_path is None:
        return dataset
    from geomatch.io.schema import read_helpers, read_needs

    needs = read_needs(needs_path) if needs_path is not None else None
    helpers = read_helpers(helpers_path) if helpers_path is not None else None
    if needs is not None and "adcode" in needs.columns:
        needs["adcode"] = needs["adcode"].fillna("").astype("str")
    return dataset.with_units(needs=needs, helpers=helpers)


def add_coverage(
    result: RunResult, dataset: Dataset, *, radius_km: float | None = None
) -> RunResult:
    """The coverage/KPI stage: ``result`` with its ``unmet_summary``, ``coverage`` and
    ``kpi`` tables.

    Tables the result already has are kept (they are computed once per run): a
    ``geomatch pair`` run read back has its ``unmet_summary`` and gets ``coverage`` and
    ``kpi`` here when its maps or exports are drawn.

    Parameters
    ----------
    result
        A run with its pairings, unmet and (when tours ran) schedules.
    dataset
        The dataset of the run (:func:`with_run_inputs` for a bring-your-own run); its
        ``needs`` are the run's needs, its units give the names.
    radius_km
        The pairing's search radius (km), for the fix of needs with no helper within it
        (:func:`geomatch.render.shortfall.summarise_unmet`).
    """
    tables = {}
    if "unmet_summary" not in result.present:
        tables["unmet_summary"] = summarise_unmet(
            result.unmet, dataset.needs, names=unit_names(dataset), radius_km=radius_km
        )
    if not {"coverage", "kpi"} <= result.present:
        coverage = coverage_of_run(result, dataset)
        tables["coverage"] = coverage
        tables["kpi"] = kpi_of_run(result, dataset, coverage)
    return result.with_tables(**tables) if tables else result
