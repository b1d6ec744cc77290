"""A run in memory: :class:`RunResult`, and its run folder (:func:`write_run`, :func:`read_run`).

The stages of a run (docs/ARCHITECTURE.md) pass one :class:`RunResult` along: the pairing
and the tours fill their tables, the coverage/KPI stage adds ``coverage`` and ``kpi``
(:func:`geomatch.render.run.add_coverage`), and maps, exports and the web service read
it. The solve layer returns tables and never writes files; :func:`write_run` is the one
writer of a run folder and :func:`read_run` its one reader. Every table is held in the
contract of :mod:`geomatch.model.run_tables` (declared columns first, in their dtypes),
so ``read_run(write_run(result, d))`` gives back the same tables, summaries and manifest.

A run folder holds ``<table>.csv`` for every table the run produced (a pairing-only run
has ``pairings`` and ``unmet``), ``summary.json`` (pairing), ``tours_summary.json`` (when
tours ran) and ``manifest.json``. CSV files are Excel-ready (UTF-8 with BOM); text cells a
spreadsheet would run as formulas are neutralised and personal numbers masked on the way
out (:func:`geomatch.io.output.write_csv`), so such cells do not round-trip verbatim.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geomatch.errors import InputError
from geomatch.io.files import json_ready
from geomatch.model.run_tables import RUN_TABLES, conform, empty_table, run_table

__all__ = ["JSON_FILES", "RunResult", "read_run", "write_run", "write_tables"]

log = logging.getLogger(__name__)

#: JSON documents of a run folder, by :class:`RunResult` attribute.
JSON_FILES: dict[str, str] = {
    "summary": "summary.json",
    "tours_summary": "tours_summary.json",
    "manifest": "manifest.json",
}


@dataclass(frozen=True)
class RunResult:
    """The tables, summaries and manifest of one run.

    Build one with :meth:`RunResult.of` (which puts every table in its contract); the
    attributes are then the tables of :data:`~geomatch.model.run_tables.RUN_TABLES`
    (empty with their columns when the run did not produce them — see :attr:`present`).

    Attributes
    ----------
    pairings, unmet, unmet_summary, museum_visits, caravan_tours, coverage, kpi
        The tables (:mod:`geomatch.model.run_tables`).
    summary
        The pairing's summary (``summary.json``): status, objective, counts, seconds.
    tours_summary
        The tours' summary (``tours_summary.json``); ``{}`` when no tours ran.
    manifest
        ``manifest.json``: command, scenario, inputs with SHA-256, versions, seed, date.
    present
        Names of the tables the run produced (and a run folder holds).
    run_dir
        The folder it was read from or last written to, if any.
    """

    pairings: pd.DataFrame
    unmet: pd.DataFrame
    unmet_summary: pd.DataFrame
    museum_visits: pd.DataFrame
    caravan_tours: pd.DataFrame
    coverage: pd.DataFrame
    kpi: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    tours_summary: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    present: frozenset[str] = frozenset()
    run_dir: Path | None = None

    @classmethod
    def of(
        cls,
        tables: Mapping[str, pd.DataFrame],
        *,
        summary: Mapping[str, Any] | None = None,
        tours_summary: Mapping[str, Any] | None = None,
        manifest: Mapping[str, Any] | None = None,
        run_dir: Path | None = None,
    ) -> RunResult:
        """A result from the tables a run produced (any of :data:`RUN_TABLES`).

        ``pairings`` is required; the others are empty when not given.
        Each table is put in its contract (:func:`~geomatch.model.run_tables.conform`)
        and the JSON documents in the form they are stored in.

        Raises
        ------
        KeyError
            An unknown table name, or a table without a required column (a bug in the
            stage that made it).
        """
        unknown = sorted(set(tables) - set(RUN_TABLES))
        if unknown:
            raise KeyError(f"unknown run table(s) {', '.join(unknown)}")
        if "pairings" not in tables:
            raise KeyError("a run has a pairings table")
        frames = {
            name: conform(tables[name], name) if name in tables else empty_table(name)
            for name in RUN_TABLES
        }
        return cls(
            **frames,
            summary=json_ready(dict(summary or {})),
            tours_summary=json_ready(dict(tours_summary or {})),
            manifest=json_ready(dict(manifest or {})),
            present=frozenset(tables),
            run_dir=run_dir,
        )

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Table name → frame, for every declared table (absent ones empty)."""
        return {name: self.table(name) for name in RUN_TABLES}

    def table(self, name: str) -> pd.DataFrame:
        """The table ``name`` (:func:`~geomatch.model.run_tables.run_table` names)."""
        run_table(name)
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def with_tables(self, **tables: pd.DataFrame) -> RunResult:
        """A copy with these tables added or replaced (put in their contract)."""
        frames = {name: conform(df, name) for name, df in tables.items()}
        return dataclasses.replace(self, **frames, present=self.present | frozenset(frames))

    def with_manifest(self, manifest: Mapping[str, Any]) -> RunResult:
        """A copy with this manifest (stored as ``manifest.json`` holds it)."""
        return dataclasses.replace(self, manifest=json_ready(dict(manifest)))

    def same_as(self, other: RunResult) -> bool:
        """Same tables (values and dtypes), summaries and manifest; ``run_dir`` aside."""
        if self.present != other.present:
            return False
        for attr in JSON_FILES:  # as text, so that NaN equals NaN
            mine, theirs = (json.dumps(getattr(r, attr), sort_keys=True) for r in (self, other))
            if mine != theirs:
                return False
        for name in RUN_TABLES:
            a, b = self.table(name), other.table(name)
            if list(a.columns) != list(b.columns) or list(a.dtypes) != list(b.dtypes):
                return False
            if not a.equals(b):
                return False
        return True


def write_tables(
    out: str | Path,
    tables: Mapping[str, pd.DataFrame],
    documents: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write run tables and JSON documents into the folder ``out``, all-or-nothing.

    Each table goes to its declared file (``<table>.csv``) in its contract
    (:func:`~geomatch.model.run_tables.conform`: declared columns first, in order); CSV
    files are Excel-ready and formula-safe (:func:`geomatch.io.output.write_csv`).
    :func:`write_run` writes a whole run with it; ``geomatch tours`` writes its schedules
    (``museum_visits``, ``caravan_tours``, the tours' ``unmet``) with it.

    Parameters
    ----------
    out
        The folder; its files of the same names are replaced only once every file is
        written (:func:`geomatch.io.output.atomic_output_dir`), other files are kept.
    tables
        Table name (:data:`~geomatch.model.run_tables.RUN_TABLES`) → frame.
    documents
        File name (``summary.json``…) → JSON object.
    """
    from geomatch.io.output import atomic_output_dir, write_csv, write_json

    out = Path(out)
    with atomic_output_dir(out) as stage:
        for name, frame in tables.items():
            write_csv(conform(frame, name), stage / run_table(name).file)
        for file, doc in (documents or {}).items():
            write_json(doc, stage / file)
    return out


def write_run(result: RunResult, out: str | Path) -> RunResult:
    """Write the run folder ``out`` all-or-nothing; return the result with its ``run_dir``.

    Writes ``<table>.csv`` for every table in ``result.present``, ``summary.json``,
    ``manifest.json`` and, when tours ran, ``tours_summary.json``. Table files of an
    earlier run in ``out`` that this run did not produce are removed, so the folder reads
    back as this run; other files there (maps, notes) are left as they were.
    """
    out = write_tables(
        out,
        {name: result.table(name) for name in RUN_TABLES if name in result.present},
        {
            file: getattr(result, attr)
            for attr, file in JSON_FILES.items()
            if getattr(result, attr) or attr != "tours_summary"
        },
    )
    stale = [run_table(n).file for n in RUN_TABLES if n not in result.present]
    if not result.tours_summary:
        stale.append(JSON_FILES["tours_summary"])
    for file in stale:
        (out / file).unlink(missing_ok=True)
    log.debug("run written to %s: %s", out, ", ".join(sorted(result.present)))
    return dataclasses.replace(result, run_dir=out)


def _read_json(path: Path, *, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise InputError(
                f"not a geomatch run folder: {path.name} is missing (every run writes one)",
                file=path,
            )
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path.name} is not readable JSON ({exc})", file=path) from None
    if not isinstance(doc, dict):
        raise InputError(f"{path.name} must hold a JSON object", file=path)
    return doc


def read_run(run_dir: str | Path) -> RunResult:
    """Read a run folder back into the :class:`RunResult` that was written.

    Parameters
    ----------
    run_dir
        A folder written by :func:`write_run` (``geomatch run``, ``geomatch demo``,
        ``geomatch pair``, the web service's jobs).

    Raises
    ------
    InputError
        The folder does not exist, has no ``manifest.json`` or ``pairings.csv``, or a
        table lacks a required column or holds a value of the wrong type (file, row and
        column named).
    """
    from geomatch.io.schema import validate_table
    from geomatch.io.tables import read_table

    run = Path(run_dir)
    if not run.is_dir():
        raise InputError(
            "run folder not found; pass the --out folder of `geomatch demo`, "
            "`geomatch pair` or a scenario run",
            file=run,
        )
    manifest = _read_json(run / JSON_FILES["manifest"], required=True)
    tables: dict[str, pd.DataFrame] = {}
    for name, spec in RUN_TABLES.items():
        path = spec.path(run)
        if path.is_file():
            tables[name] = validate_table(read_table(path), spec.schema, file=path)
        elif name == "pairings":
            raise InputError("not a geomatch run folder: pairings.csv is missing", file=path)
    return RunResult.of(
        tables,
        summary=_read_json(run / JSON_FILES["summary"], required=False),
        tours_summary=_read_json(run / JSON_FILES["tours_summary"], required=False),
        manifest=manifest,
        run_dir=run,
    )
