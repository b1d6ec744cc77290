"""Run-folder benchmark: :func:`geomatch.run_result.write_run` / ``read_run`` at national size.

A run of the mini scenario (``tests/fixtures/mini.toml``) is repeated up to ``pairings``
rows (unmet rows and caravan stops grow with it) and timed, median of ``repeats``,
against the plain pandas path in the same process on the same tables: Excel-safe
``write_csv`` per table, and ``pandas.read_csv(dtype=str)`` (text only, unchecked).

    python solvers/bench/run_folder.py [PAIRINGS] [REPEATS]
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from geomatch.io.output import write_csv
from geomatch.pipeline import solve_scenario
from geomatch.run_result import RunResult, read_run, write_run

__all__ = ["national_size_tables", "run_folder_bench"]

log = logging.getLogger(__name__)

MINI = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "mini.toml"
GROWN = ("pairings", "unmet", "caravan_tours")


def national_size_tables(pairings: int) -> tuple[dict[str, pd.DataFrame], RunResult]:
    """The mini run's tables, the per-unit ones repeated to ``pairings`` pairs."""
    mini = solve_scenario(MINI)
    k = pairings // max(1, len(mini.pairings)) + 1
    tables = {
        n: pd.concat([mini.table(n)] * (k if n in GROWN else 1), ignore_index=True)
        for n in mini.present
    }
    tables["pairings"] = tables["pairings"].iloc[:pairings]
    return tables, mini


def _median(f: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def run_folder_bench(pairings: int = 100_000, repeats: int = 3) -> dict[str, object]:
    """Seconds of each step, geomatch and peer, and whether the round trip is exact."""
    tables, mini = national_size_tables(pairings)
    folder = Path(tempfile.mkdtemp(prefix="geomatch-bench-run-"))
    try:
        result = RunResult.of(tables, summary=mini.summary, manifest=mini.manifest)

        def plain_write() -> None:
            (folder / "plain").mkdir(exist_ok=True)
            for name, df in tables.items():
                write_csv(df, folder / "plain" / f"{name}.csv")

        def plain_read() -> None:
            for name in tables:
                path = folder / "plain" / f"{name}.csv"
                pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)

        out: dict[str, object] = {
            "rows": {n: len(t) for n, t in tables.items()},
            "conform_seconds": _median(
                lambda: RunResult.of(tables, summary=mini.summary, manifest=mini.manifest),
                repeats,
            ),
            "write_run_seconds": _median(lambda: write_run(result, folder / "run"), repeats),
            "read_run_seconds": _median(lambda: read_run(folder / "run"), repeats),
            "peer_write_csv_seconds": _median(plain_write, repeats),
            "peer_read_csv_text_seconds": _median(plain_read, repeats),
            "round_trip_same": read_run(folder / "run").same_as(result),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


if __name__ == "__main__":  # pragma: no cover
    args = [int(a) for a in sys.argv[1:3]]
    sys.stdout.write(json.dumps(run_folder_bench(*args), indent=2) + "\n")
