"""``geomatch bench sweep``: a scenario sweep on a Dask LocalCluster against the same
scenarios run one after another, in one run.

Eight national scenarios (``GRID``: unmet penalty × relation rule × museum fleet) run
twice from scratch: as Dask tasks on ``LocalCluster(n_workers=2, threads_per_worker=1)``
and in process one after another (:class:`geomatch.scale.executor.InProcessExecutor`).
Reported: wall seconds of each, the speed-up, and whether the two ``sweep.csv`` are
identical apart from the ``seconds`` column (the tours run on deterministic work
budgets; the pairing columns agree when the pairing proves its optimum).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geomatch.model.scenario import load_scenario
from geomatch.scale.executor import InProcessExecutor, open_executor
from geomatch.scale.sweep import data_fingerprint, expand, run_sweep
from geomatch.settings import data_dir

__all__ = ["GRID", "SweepBench", "markdown_report", "run_bench"]

log = logging.getLogger(__name__)

#: The eight scenarios: 2 unmet penalties × 2 relation rules × 2 museum fleets.
GRID: dict[str, list[object]] = {
    "pairing.unmet_penalty": [3000, 6000],
    "pairing.relation_mode": ["preference", "hard"],
    "tours.sets_per_province": [0, 8],
}


@dataclass(frozen=True)
class SweepBench:
    """Figures of one bench run."""

    scenario: str
    scenarios: int
    workers: int
    dask_s: float
    sequential_s: float
    identical: bool
    differences: str
    table: pd.DataFrame

    @property
    def speedup(self) -> float:
        return self.sequential_s / self.dask_s if self.dask_s > 0 else float("nan")


def _comparable(t: pd.DataFrame) -> pd.DataFrame:
    return t.drop(columns=["seconds"]).reset_index(drop=True)


def run_bench(out: Path, *, scenario: str = "national", workers: int = 2) -> SweepBench:
    """Run the grid on a LocalCluster and in process, fresh folders, in one run."""
    base = load_scenario(scenario)
    points = expand(base, GRID, fingerprint=data_fingerprint(base.data_root or data_dir()))
    for sub in ("dask", "sequential"):
        shutil.rmtree(out / sub, ignore_errors=True)
    t0 = time.perf_counter()
    with open_executor(workers=workers) as ex:
        dask = run_sweep(points, out / "dask", ex)
    t_dask = time.perf_counter() - t0
    log.info("sweep bench: %d scenarios on %d Dask workers in %.1f s", len(points), workers, t_dask)
    t0 = time.perf_counter()
    seq = run_sweep(points, out / "sequential", InProcessExecutor())
    t_seq = time.perf_counter() - t0
    log.info("sweep bench: the same %d one after another in %.1f s", len(points), t_seq)
    a, b = _comparable(dask.table), _comparable(seq.table)
    same = a.equals(b)
    diff = "" if same else a.compare(b).to_string()[:2000]
    return SweepBench(scenario, len(points), workers, t_dask, t_seq, same, diff, seq.table)


def _md_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "---|" * len(df.columns)
    body = ["| " + " | ".join(str(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def markdown_report(b: SweepBench) -> str:
    """The ``### Scenario sweep on Dask`` block of solvers/BENCHMARKS.md."""
    day = dt.date.today().isoformat()
    cpus = os.cpu_count()
    varied = ", ".join(f"`{k}` ∈ {v}" for k, v in GRID.items())
    cols = ["key", *GRID, "status", "needs_paired", "unmet_needs", "total_travel_km"]
    cols += ["longest_trip_km", "seconds"]
    rows = b.table[[c for c in cols if c in b.table.columns]]
    lines = [
        f"### Scenario sweep on Dask ({day}, `{platform.node()}`: {cpus} cores)",
        "",
        f"`geomatch bench sweep`: {b.scenarios} `{b.scenario}` scenarios ({varied}), each a",
        "full run (pairing, tours, coverage, run folder), from scratch twice in one run:",
        "",
        "| executor | wall s | speed-up |",
        "|---|---:|---:|",
        f"| in process, one after another | {b.sequential_s:.1f} | 1.00 × |",
        f"| Dask `LocalCluster(n_workers={b.workers})` | {b.dask_s:.1f} | {b.speedup:.2f} × |",
        "",
        f"`sweep.csv` identical apart from `seconds`: **{'yes' if b.identical else 'no'}**.",
        "",
        _md_table(rows),
    ]
    if not b.identical:
        lines += ["", "Differences:", "", "```", b.differences, "```"]
    return "\n".join(lines) + "\n"
