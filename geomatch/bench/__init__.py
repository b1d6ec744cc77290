"""Benchmark harnesses (``geomatch bench …``): published optima and peer solvers.

* :mod:`geomatch.bench.gap` — OR-Library gap1–12 and A–D, Yagiura type E (CP-SAT);
* :mod:`geomatch.bench.assign` — OR-Library assign100–800 (min-cost flow vs their optima
  and scipy's ``linear_sum_assignment``);
* :mod:`geomatch.bench.national` — the 128,000 needs × 100,000 helpers national-scale
  pairing end to end, networkx and HiGHS side by side.

Instances not shipped in ``solvers/instances/`` are read from ``../shared/benchmarks``
(or the folder named by ``GEOMATCH_BENCHMARKS``).
"""

from __future__ import annotations

import os
from pathlib import Path

from geomatch.errors import DatasetMissingError
from geomatch.settings import REPO_ROOT

__all__ = ["INSTANCES", "shared_benchmarks"]

#: Instances shipped with the repository.
INSTANCES = REPO_ROOT / "solvers" / "instances"


def shared_benchmarks(sub: str) -> Path:
    """The folder ``sub`` of the shared benchmark collection.

    Raises
    ------
    DatasetMissingError
        When it is absent, with where it was looked for.
    """
    env = os.environ.get("GEOMATCH_BENCHMARKS")
    root = Path(env) if env else REPO_ROOT.parent / "shared" / "benchmarks"
    path = root / sub
    if not path.is_dir():
        raise DatasetMissingError(
            f"benchmark instances {sub!r} not found at {path}: put the shared benchmark "
            "collection beside the repository (../shared/benchmarks) or set "
            "GEOMATCH_BENCHMARKS to its folder"
        )
    return path
