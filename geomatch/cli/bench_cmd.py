"""``geomatch bench …``: benchmark entry points (results go to solvers/BENCHMARKS.md).

The harnesses are not part of the installed package: they live in the repository's
``solvers/bench/`` beside the instances they read (``solvers/instances/``), as PyVRP keeps
its benchmarks out of the library. :func:`harness` imports them from the source checkout
this ``geomatch`` is installed from (an editable install), or from the folder named by
``GEOMATCH_BENCH_DIR``, and says clearly when neither is there.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import typer

from geomatch.errors import DatasetMissingError
from geomatch.settings import REPO_ROOT

__all__ = ["bench_app", "harness", "harness_dir", "register"]

bench_app = typer.Typer(
    help="Benchmarks against published optima and peer solvers measured in the same run.",
    no_args_is_help=True,
)


def harness_dir() -> Path:
    """The ``solvers/bench`` folder: ``GEOMATCH_BENCH_DIR`` or the source checkout's.

    Raises
    ------
    DatasetMissingError
        When the folder holds no harness package (an installed ``geomatch`` without its
        repository).
    """
    env = os.environ.get("GEOMATCH_BENCH_DIR")
    folder = Path(env).resolve() if env else REPO_ROOT / "solvers" / "bench"
    if not (folder / "__init__.py").is_file() or folder.parent.name != "solvers":
        raise DatasetMissingError(
            f"the benchmark harnesses are not installed with geomatch and were not found at "
            f"{folder}: run `geomatch bench` from a source checkout (git clone; pip install -e .) "
            "or set GEOMATCH_BENCH_DIR to its solvers/bench folder"
        )
    return folder


def harness(name: str) -> ModuleType:
    """Import the harness module ``solvers.bench.<name>`` from :func:`harness_dir`."""
    root = str(harness_dir().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module(f"solvers.bench.{name}")


def register(app: typer.Typer) -> None:
    """Add the ``bench`` group to the ``geomatch`` app."""
    from geomatch.cli import bench_pairing, bench_tours

    bench_pairing.register(bench_app)
    bench_tours.register(bench_app)
    app.add_typer(bench_app, name="bench")
