"""Benchmark harnesses behind ``geomatch bench …`` (repository only, not installed).

* :mod:`solvers.bench.gap` — OR-Library gap1–12 and A–D, Yagiura type E, with the GAP
  search of :mod:`solvers.bench.gap_search` (Lagrangian heuristic, LNS, CP-SAT);
* :mod:`solvers.bench.assign` — OR-Library assign100–800 (min-cost flow vs their optima
  and scipy's ``linear_sum_assignment``);
* :mod:`solvers.bench.national` — the 128,000 needs × 100,000 helpers national-scale
  pairing end to end, networkx and HiGHS side by side;
* :mod:`solvers.bench.vrptw` — Solomon / Gehring & Homberger against their best known
  solutions, OR-Tools, PyVRP and pyvroom side by side.

The instances live in ``solvers/instances/`` (provenance in its ``PROVENANCE.md``).
``geomatch bench …`` imports this package from the source checkout the installed
``geomatch`` comes from, or from the folder named by ``GEOMATCH_BENCH_DIR``
(:func:`geomatch.cli.bench_cmd.harness`).
"""

from __future__ import annotations

from pathlib import Path

from geomatch.errors import DatasetMissingError

__all__ = ["INSTANCES", "SOLVERS_DIR", "instances"]

#: The repository's ``solvers/`` folder (scenarios, BENCHMARKS.md, instances).
SOLVERS_DIR = Path(__file__).resolve().parents[1]
#: Instances shipped with the repository.
INSTANCES = SOLVERS_DIR / "instances"


def instances(sub: str) -> Path:
    """The folder ``sub`` of ``solvers/instances``.

    Raises
    ------
    DatasetMissingError
        When it is absent, with where it was looked for.
    """
    path = INSTANCES / sub
    if not path.is_dir():
        raise DatasetMissingError(
            f"benchmark instances {sub!r} not found at {path} (see solvers/instances/PROVENANCE.md)"
        )
    return path
