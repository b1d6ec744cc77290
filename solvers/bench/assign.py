"""Linear assignment benchmark: OR-Library assign100–800 by min-cost flow.

Each dense ``n × n`` instance becomes a pairing model (``n`` helpers of capacity 1, ``n``
needs, ``n²`` arcs, every need required) solved by :func:`geomatch.solve.pairing_flow.solve_flow`;
the optimum is compared with OR-Library's value and with
:func:`scipy.optimize.linear_sum_assignment` measured in the same run.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geomatch.errors import InputError
from geomatch.progress import ProgressCallback, null_progress
from geomatch.solve.pairing_flow import solve_flow
from geomatch.solve.pairing_model import ArcModel

from . import instances

__all__ = ["read_assign_file", "run_assign_bench", "solve_assignment"]

log = logging.getLogger(__name__)


def read_assign_file(path: str | Path) -> np.ndarray:
    """Read an OR-Library ``assignN.txt``: ``n`` then the ``n × n`` costs."""
    tok = np.array(Path(path).read_text().split(), dtype=np.int64)
    n = int(tok[0])
    if len(tok) != 1 + n * n:
        raise InputError(f"expected {n * n} costs after n = {n}, found {len(tok) - 1}", file=path)
    return tok[1:].reshape(n, n)


def solve_assignment(cost: np.ndarray) -> tuple[int, np.ndarray, float]:
    """Min-cost perfect assignment of a dense square matrix by min-cost flow.

    Returns
    -------
    (objective, column of each row, raw solver seconds)
    """
    n = cost.shape[0]
    rows = np.repeat(np.arange(n, dtype=np.int64), n)
    cols = np.tile(np.arange(n, dtype=np.int64), n)
    model = ArcModel(
        helper_cap=np.ones(n, dtype=np.int64),
        arc_helper=rows,
        arc_need=cols,
        arc_cost=cost.ravel().astype(np.int64),
        arc_load=np.ones(n * n, dtype=np.int64),
        arc_dist=np.zeros(n * n),
        n_needs=n,
        unmet_cost=None,
    )
    sol = solve_flow(model)
    col = np.full(n, -1, dtype=np.int64)
    col[rows[sol.x]] = cols[sol.x]
    return sol.objective, col, sol.seconds


def run_assign_bench(progress: ProgressCallback | None = None) -> pd.DataFrame:
    """All eight instances: ours vs the published optimum and scipy, with times."""
    from scipy.optimize import linear_sum_assignment

    progress = progress or null_progress
    folder = instances("assign")
    with open(folder / "assign_optimal.csv", encoding="utf-8") as fh:
        optimum = {r["file"]: int(r["optimal_value"]) for r in csv.DictReader(fh)}
    rows: list[dict[str, Any]] = []
    files = sorted(optimum, key=lambda f: int("".join(filter(str.isdigit, f))))
    for k, f in enumerate(files):
        cost = read_assign_file(folder / f)
        t0 = time.perf_counter()
        obj, col, raw = solve_assignment(cost)
        wall = time.perf_counter() - t0
        t1 = time.perf_counter()
        r, c = linear_sum_assignment(cost)
        sp = time.perf_counter() - t1
        sp_obj = int(cost[r, c].sum())
        perm_ok = bool(np.array_equal(np.sort(col), np.arange(len(col))))
        rows.append(
            {
                "instance": f.removesuffix(".txt"),
                "n": cost.shape[0],
                "optimum": optimum[f],
                "geomatch": obj,
                "scipy": sp_obj,
                "equal": obj == optimum[f] == sp_obj and perm_ok,
                "geomatch_seconds": round(wall, 3),
                "solver_seconds": round(raw, 3),
                "scipy_seconds": round(sp, 3),
            }
        )
        progress((k + 1) / len(files), f)
    return pd.DataFrame(rows)
