"""Scenario sweeps: a cartesian grid of settings, each point a full run, on Dask.

A sweep starts from a scenario (``national``) and varies dotted settings keys
(``pairing.unmet_penalty``, ``tours.sets_per_province``, ``pairing.relation_mode``, …):

1. :func:`expand` validates every key against the settings models (unknown key →
   :class:`~geomatch.errors.InputError` listing the known keys) and every value by
   building the scenario of each grid point (all bad values listed at once);
2. each point gets a key — a hash of its settings and of the dataset's files — and its
   own run folder ``DIR/runs/<key>/``;
3. :func:`run_sweep` runs the points as tasks of an
   :class:`~geomatch.scale.executor.Executor` (one Dask task per scenario). A task
   calls the one pipeline, :func:`geomatch.pipeline.solve_scenario`, publishes the run
   folder all-or-nothing (:func:`geomatch.run_result.write_run`) and then writes the
   scenario's row ``DIR/runs/<key>.json`` atomically; a point whose row exists is not
   run again, so a re-run skips finished scenarios and an interrupted sweep resumes.
   A task whose worker dies is rescheduled by Dask on another worker; the tour searches
   stop on work budgets, so the retried task gives the same row whenever the pairing
   proves its optimum;
4. the rows are collected into ``DIR/sweep.csv`` and the trade-off report
   (:mod:`geomatch.scale.sweep_report`).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from geomatch.errors import GeomatchError, InputError
from geomatch.io.files import atomic_write_bytes, file_sha256
from geomatch.model.scenario import Scenario
from geomatch.progress import ProgressCallback
from geomatch.scale.executor import Executor

__all__ = [
    "SWEEP_TABLES",
    "ScenarioPoint",
    "SweepResult",
    "data_fingerprint",
    "expand",
    "known_keys",
    "parse_vary",
    "read_grid",
    "run_point",
    "run_sweep",
]

log = logging.getLogger(__name__)

#: Settings tables a sweep may vary (the ``[scenario]`` table names the data, not a setting).
SWEEP_TABLES = ("pairing", "tours")

#: Metric columns of ``sweep.csv`` after the varied settings and before the
#: ``unmet_priority_*`` / ``unmet_kind_*`` counts.
METRICS = (
    "needs_paired",
    "unmet_needs",
    "complete_station_teams",
    "museum_visits",
    "caravan_stops",
    "pairing_km",
    "museum_km",
    "caravan_km",
    "total_travel_km",
    "longest_trip_km",
    "objective",
)


def known_keys() -> list[str]:
    """Every dotted key a sweep may vary (``table.field``), sorted."""
    out: list[str] = []
    for table in SWEEP_TABLES:
        model = Scenario.model_fields[table].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        out += [f"{table}.{name}" for name in model.model_fields]
    return sorted(out)


def parse_vary(items: Sequence[str]) -> dict[str, list[str]]:
    """``["pairing.unmet_penalty=3000,6000", …]`` → ``{key: [values as text]}``.

    Values stay text here; :func:`expand` converts them with the settings models (so
    ``3000`` becomes an int and ``true`` a bool where the model says so).
    """
    out: dict[str, list[str]] = {}
    errors: list[str] = []
    for item in items:
        key, sep, values = item.partition("=")
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key.strip() or not vals:
            errors.append(f"--vary {item!r}: expected KEY=V1,V2,…")
            continue
        out.setdefault(key.strip(), []).extend(vals)
    if errors:
        raise InputError("; ".join(errors), column="--vary")
    return out


def read_grid(path: str | Path) -> dict[str, list[Any]]:
    """A grid file: TOML tables of lists, ``[pairing] unmet_penalty = [3000, 6000]``."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the grid ({exc})", file=path) from None
    out: dict[str, list[Any]] = {}
    errors: list[str] = []
    for table, entries in raw.items():
        if not isinstance(entries, dict):
            errors.append(f"{table}: expected a table of lists")
            continue
        for name, values in entries.items():
            vals = values if isinstance(values, list) else [values]
            if not vals:
                errors.append(f"{table}.{name}: no values")
            out[f"{table}.{name}"] = list(vals)
    if errors:
        raise InputError("; ".join(errors), file=path)
    return out


@dataclass(frozen=True)
class ScenarioPoint:
    """One point of a sweep: the varied values, the full scenario and its key."""

    key: str
    varied: dict[str, Any]
    scenario: Scenario


def data_fingerprint(root: Path) -> str:
    """SHA-256 over the dataset's files (relative path and content hash of each)."""
    h = hashlib.sha256()
    for p in sorted(q for q in Path(root).rglob("*") if q.is_file()):
        h.update(f"{p.relative_to(root).as_posix()}\0{file_sha256(p)}\n".encode())
    return h.hexdigest()


def _point_key(scenario: Scenario, fingerprint: str) -> str:
    settings = scenario.model_dump(mode="json", exclude={"source"})
    text = json.dumps({"settings": settings, "data": fingerprint}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def expand(
    base: Scenario, vary: Mapping[str, Sequence[Any]], *, fingerprint: str
) -> list[ScenarioPoint]:
    """The grid's points in cartesian order (the first key varies slowest).

    Raises
    ------
    InputError
        Unknown keys (listing the known ones) or values the settings reject (all of
        them, each named ``table.key=value``).
    """
    known = known_keys()
    unknown = [k for k in vary if k not in known]
    if unknown:
        raise InputError(
            f"unknown setting(s) {', '.join(unknown)}; known keys: {', '.join(known)}",
            column="--vary",
        )
    keys = list(vary)
    points: list[ScenarioPoint] = []
    errors: list[str] = []
    raw = base.model_dump(mode="python")
    for combo in itertools.product(*(list(vary[k]) for k in keys)):
        doc = {t: dict(v) if isinstance(v, dict) else v for t, v in raw.items()}
        for k, v in zip(keys, combo, strict=True):
            table, name = k.split(".", 1)
            doc[table][name] = v
        try:
            sc = Scenario.model_validate(doc)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                errors.append(f"{where}={err.get('input')!r}: {err['msg']}")
            continue
        varied = {k: getattr(getattr(sc, k.split(".")[0]), k.split(".")[1]) for k in keys}
        points.append(ScenarioPoint(_point_key(sc, fingerprint), varied, sc))
    if errors:
        raise InputError("; ".join(dict.fromkeys(errors)), column="--vary")
    return points


# --------------------------------------------------------------------------- one point


def run_point(point: ScenarioPoint, runs_dir: Path) -> dict[str, Any]:
    """Run one scenario (a task): reuse its row if finished, else run and publish it.

    Returns the scenario's row (:data:`METRICS`, counts, ``status``, ``seconds``).
    """
    row_file = runs_dir / f"{point.key}.json"
    if row_file.is_file():
        log.info("sweep point %s: finished earlier, reused", point.key)
        done: dict[str, Any] = json.loads(row_file.read_text(encoding="utf-8"))
        return done
    from geomatch.dataset import load_dataset
    from geomatch.pipeline import solve_scenario
    from geomatch.run_result import write_run

    t0 = time.perf_counter()
    try:
        ds = load_dataset(root=point.scenario.data_root)
        result = solve_scenario(point.scenario, dataset=ds, command="geomatch sweep")
    except GeomatchError as exc:  # infeasible or bad input: a row that says so
        row: dict[str, Any] = {"status": type(exc).__name__, "detail": str(exc)}
    else:
        write_run(result, runs_dir / point.key)
        row = {"status": "ok", "detail": "", **scenario_metrics(result, ds.needs)}
    row["seconds"] = round(time.perf_counter() - t0, 2)
    atomic_write_bytes(row_file, json.dumps(row, ensure_ascii=False, sort_keys=True).encode())
    return row


def scenario_metrics(result: Any, needs: pd.DataFrame) -> dict[str, Any]:
    """The sweep row of a finished run (a :class:`~geomatch.run_result.RunResult`)."""
    pairings, unmet = result.pairings, result.unmet
    p_unmet = unmet[unmet["stage"].astype(str) == "pairing"]
    n = needs.drop_duplicates("need_id")
    kind_of = pd.Series(n["kind"].astype(str).to_numpy(), index=n["need_id"].astype(str))
    kinds = p_unmet["need_id"].astype(str).map(kind_of).fillna("?")
    dist = pd.to_numeric(pairings["distance_km"], errors="coerce").fillna(0.0)
    mv, ct = result.museum_visits, result.caravan_tours
    museum_km = float(pd.to_numeric(mv["travel_km"], errors="coerce").sum())
    caravan_km = float(
        pd.to_numeric(ct["travel_km"], errors="coerce").sum()
        + pd.to_numeric(ct["return_km"], errors="coerce").sum()
    )
    row: dict[str, Any] = {
        "needs_paired": int(pairings["need_id"].nunique()),
        "unmet_needs": len(p_unmet),
        "complete_station_teams": int((result.coverage["station_team"] == "complete").sum()),
        "museum_visits": len(mv),
        "caravan_stops": len(ct),
        "pairing_km": round(float(dist.sum()), 1),
        "museum_km": round(museum_km, 1),
        "caravan_km": round(caravan_km, 1),
        "total_travel_km": round(float(dist.sum()) + museum_km + caravan_km, 1),
        "longest_trip_km": round(float(dist.max()) if len(dist) else 0.0, 1),
        "objective": result.summary.get("objective"),
    }
    for p, n in p_unmet["priority"].astype(str).value_counts().sort_index().items():
        row[f"unmet_priority_{p}"] = int(n)
    for k, n in kinds.value_counts().sort_index().items():
        row[f"unmet_kind_{k}"] = int(n)
    return row


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepResult:
    """``table``: one row per point (sweep.csv); ``files``: what was written."""

    table: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    reused: int = 0


def sweep_table(points: Sequence[ScenarioPoint], rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``sweep.csv``: key, varied settings, status, metrics, unmet counts, seconds."""
    records = []
    for pt, row in zip(points, rows, strict=True):
        varied = {
            k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in pt.varied.items()
        }
        records.append({"key": pt.key, **varied, **row})
    df = pd.DataFrame.from_records(records)
    counts = sorted(c for c in df.columns if c.startswith("unmet_priority_")) + sorted(
        c for c in df.columns if c.startswith("unmet_kind_")
    )
    for c in counts:
        df[c] = df[c].fillna(0).astype(int)
    lead = ["key", *(points[0].varied if points else []), "status"]
    tail = [c for c in ("detail", "seconds") if c in df.columns]
    metrics = [c for c in METRICS if c in df.columns]
    return df[lead + metrics + counts + tail]


def run_sweep(
    points: Sequence[ScenarioPoint],
    out: str | Path,
    executor: Executor,
    *,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """Run every point on ``executor`` and write ``sweep.csv`` and the report into ``out``."""
    from geomatch.io.output import write_csv
    from geomatch.scale.sweep_report import write_report

    out = Path(out)
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    reused = sum((runs / f"{p.key}.json").is_file() for p in points)
    log.info(
        "sweep: %d scenario(s), %d finished earlier, on %s", len(points), reused, executor.name
    )
    task = functools.partial(run_point, runs_dir=runs.resolve())
    rows = executor.map(task, list(points), label="scenario", progress=progress)
    table = sweep_table(points, rows)
    files = {"csv": write_csv(table, out / "sweep.csv")}
    files.update(write_report(table, list(points[0].varied) if points else [], out))
    return SweepResult(table=table, files=files, reused=reused)
