"""``geomatch bench …``: benchmark harness entry points (results go to solvers/BENCHMARKS.md)."""

from __future__ import annotations

import typer

bench_app = typer.Typer(
    help="Benchmarks against published optima and peer solvers measured in the same run.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``bench`` group to the ``geomatch`` app."""
    from geomatch.cli import bench_pairing, bench_tours

    bench_pairing.register(bench_app)
    bench_tours.register(bench_app)
    app.add_typer(bench_app, name="bench")
