"""Reading a run folder back: the tables a scenario run wrote, typed and checked.

A run folder (DESIGN.md, "Outputs of demo / a scenario run") holds ``pairings.csv``,
``unmet.csv``, ``museum_visits.csv``, ``caravan_tours.csv``, ``coverage.csv``,
``kpi.csv`` and ``manifest.json`` (+ ``summary.json``). A pairing-only run (``geomatch
pair``) has only the first two and the manifest; the schedule tables are then empty.
:func:`load_run` reads what is there, converts the numeric columns and raises
:class:`~geomatch.errors.InputError` (exit 2) naming the file, row and column when a
table is not what a run writes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geomatch.errors import DatasetMissingError, InputError
from geomatch.io.tables import read_table

__all__ = [
    "RESULT_TABLES",
    "RUN_TABLES",
    "RunTables",
    "as_text",
    "county_of_code",
    "load_run",
    "load_run_dataset",
    "with_run_inputs",
]

log = logging.getLogger(__name__)

#: Table name → (required columns, numeric columns) of the tables a run folder may hold.
RUN_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pairings": (("need_id", "helper_id", "cost", "load"), ("cost", "load", "distance_km")),
    "unmet": (("need_id", "reason"), ()),
    "museum_visits": (
        ("adcode", "set_id", "visit_no", "start_date", "end_date"),
        ("visit_no", "travel_km"),
    ),
    "caravan_tours": (("caravan_id", "date", "seq", "stop_code"), ("seq", "travel_km")),
    "coverage": (
        ("adcode", "station_team", "museum_visits", "caravan_visits", "experts", "unmet_needs"),
        ("museum_visits", "caravan_visits", "experts", "unmet_needs"),
    ),
    "kpi": (("scope",), ()),
}

#: The result tables of a scenario run, in the order of DESIGN.md (the keys of
#: :data:`RUN_TABLES`): what an export holds and what the web service stores.
RESULT_TABLES: tuple[str, ...] = tuple(RUN_TABLES)

_DATE_COLUMNS = {
    "museum_visits": ("start_date", "end_date"),
    "caravan_tours": ("date",),
}


@dataclass(frozen=True)
class RunTables:
    """The tables of one run folder.

    Attributes
    ----------
    run_dir
        The folder.
    manifest
        ``manifest.json`` as a dict (scenario, inputs with SHA-256, versions, seed, date).
    tables
        Table name → frame, for every table of :data:`RUN_TABLES` found; absent schedule
        tables are empty frames with the required columns.
    present
        Names of the tables that were read from files.
    """

    run_dir: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    present: frozenset[str] = frozenset()

    @property
    def pairings(self) -> pd.DataFrame:
        """``pairings.csv``."""
        return self.tables["pairings"]

    @property
    def unmet(self) -> pd.DataFrame:
        """``unmet.csv``."""
        return self.tables["unmet"]

    @property
    def museum_visits(self) -> pd.DataFrame:
        """``museum_visits.csv`` (empty when the run scheduled no tours)."""
        return self.tables["museum_visits"]

    @property
    def caravan_tours(self) -> pd.DataFrame:
        """``caravan_tours.csv`` (empty when the run scheduled no tours)."""
        return self.tables["caravan_tours"]

    @property
    def summary(self) -> dict[str, Any]:
        """``summary.json`` or ``{}``."""
        path = self.run_dir / "summary.json"
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def _empty(name: str) -> pd.DataFrame:
    required, numeric = RUN_TABLES[name]
    cols = dict.fromkeys(required, "str")
    for c in numeric:
        if c in cols:
            cols[c] = "float64"
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})


def _convert(df: pd.DataFrame, name: str, path: Path) -> pd.DataFrame:
    required, numeric = RUN_TABLES[name]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"not a {name} table of a geomatch run: missing column(s) {', '.join(missing)}",
            file=path,
            row=1,
            column=missing[0],
        )
    df = df.copy()
    for col in numeric:
        if col not in df.columns:
            continue
        text = df[col].astype("string").str.strip()
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = values.isna() & text.fillna("").ne("")
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"expected a number, found {text.iloc[pos]!r}", file=path, row=pos + 2, column=col
            )
        nonnull = values.dropna()
        integral = bool(len(nonnull)) and bool((nonnull % 1 == 0).all())
        df[col] = values.astype("Int64") if integral else values.astype("float64")
    for col in _DATE_COLUMNS.get(name, ()):
        text = df[col].astype("string").str.strip()
        dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        bad = dates.isna()
        if bad.any():
            pos = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"expected an ISO 8601 date (YYYY-MM-DD), found {text.iloc[pos]!r}",
                file=path,
                row=pos + 2,
                column=col,
            )
        df[col] = text.astype("str")
    for col in df.columns:
        if col not in numeric:
            df[col] = df[col].astype("str")
    return df


def load_run(run_dir: str | Path) -> RunTables:
    """Read a run folder.

    Parameters
    ----------
    run_dir
        A folder written by ``geomatch demo``, ``geomatch pair`` or a scenario run.

    Returns
    -------
    RunTables

    Raises
    ------
    InputError
        The folder does not exist, has no ``manifest.json`` or ``pairings.csv``, or a
        table lacks a column or holds a value of the wrong type (file, row, column named).
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise InputError(
            "run folder not found; pass the --out folder of `geomatch demo`, "
            "`geomatch pair` or a scenario run",
            file=run,
        )
    manifest_path = run / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(
            "not a geomatch run folder: manifest.json is missing (every run writes one)",
            file=manifest_path,
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"manifest.json is not readable JSON ({exc})", file=manifest_path
        ) from None
    if not isinstance(manifest, dict):
        raise InputError("manifest.json must hold a JSON object", file=manifest_path)
    tables: dict[str, pd.DataFrame] = {}
    present: set[str] = set()
    for name in RUN_TABLES:
        path = run / f"{name}.csv"
        if path.is_file():
            tables[name] = _convert(read_table(path), name, path)
            present.add(name)
        elif name == "pairings":
            raise InputError("not a geomatch run folder: pairings.csv is missing", file=path)
        else:
            tables[name] = _empty(name)
    log.debug("run %s: read %s", run, ", ".join(sorted(present)))
    return RunTables(run_dir=run, manifest=manifest, tables=tables, present=frozenset(present))


def load_run_dataset(run: RunTables | None = None, root: str | Path | None = None) -> Any:
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
        When geomatch's dataset module or the data folder is absent.
    """
    try:
        from geomatch.dataset import load_dataset
    except ImportError as exc:  # pragma: no cover - the dataset module ships with geomatch
        raise DatasetMissingError(f"the dataset module is not available ({exc})") from None
    if root is None and run is not None:
        settings = run.manifest.get("settings") or {}
        scen = settings.get("scenario") if isinstance(settings, dict) else None
        cand = scen.get("data_dir") if isinstance(scen, dict) else None
        if cand and Path(str(cand)).is_dir():
            root = Path(str(cand))
    return load_dataset(root=Path(root)) if root is not None else load_dataset()


def as_text(s: pd.Series) -> pd.Series:
    """``s`` as stripped strings: how codes and names of run tables and the dataset compare."""
    return s.astype("str").str.strip()


def county_of_code(codes: pd.Series) -> pd.Series:
    """The 6-digit county adcode of township (9) or village (12) codes, or of adcodes."""
    return as_text(codes).str[:6]


class _RunView:
    """The dataset seen through a run: its own needs and helpers, the rest shared."""

    def __init__(self, dataset: Any, needs: pd.DataFrame, helpers: pd.DataFrame) -> None:
        self._dataset = dataset
        self.needs = needs
        self.helpers = helpers

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dataset, name)


def _input_path(run: RunTables, role: str) -> Path | None:
    entry = (run.manifest.get("inputs") or {}).get(role)
    if not isinstance(entry, dict) or not entry.get("path"):
        return None
    path = Path(str(entry["path"]))
    if not path.is_absolute() and not path.is_file():
        path = run.run_dir / path
    if not path.is_file():
        log.warning(
            "run %s: its %s file %s is gone; using the dataset's %s", run.run_dir, role, path, role
        )
        return None
    want = entry.get("sha256")
    if want:
        from geomatch.io.output import file_sha256

        if file_sha256(path) != want:
            log.warning("run %s: %s changed since the run (SHA-256 differs)", run.run_dir, path)
    return path


def with_run_inputs(run: RunTables, dataset: Any) -> Any:
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

    needs = read_needs(needs_path) if needs_path is not None else dataset.needs
    helpers = read_helpers(helpers_path) if helpers_path is not None else dataset.helpers
    for df, col in ((needs, "need_id"), (helpers, "helper_id")):
        df[col] = df[col].astype("str")
    if "adcode" in needs.columns:
        needs["adcode"] = needs["adcode"].fillna("").astype("str")
    return _RunView(dataset, needs, helpers)
