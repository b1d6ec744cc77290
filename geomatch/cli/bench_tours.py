"""``geomatch bench vrptw``: the routing core against Solomon / G&H best known solutions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

log = logging.getLogger("geomatch.cli")


def bench_vrptw(
    set_: Annotated[
        str, typer.Option("--set", help="solomon (100 customers), gh200 (200) or all.")
    ] = "all",
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Seconds per instance and solver (default 10 / 30)."),
    ] = None,
    instances: Annotated[
        list[str] | None,
        typer.Option("--instances", help="Only these instances (repeat or comma-separate)."),
    ] = None,
    solvers: Annotated[
        str,
        typer.Option(
            "--solvers", help="Comma-separated: ortools, portfolio, pyvrp, pyvrp_fixedcost, vroom."
        ),
    ] = "ortools,pyvrp,vroom",
    jobs: Annotated[int, typer.Option("--jobs", help="Parallel processes.")] = 1,
    results: Annotated[
        Path, typer.Option("--results", help="Rows are appended to this CSV as they finish.")
    ] = Path("runs/bench/vrptw_results.csv"),
    write_md: Annotated[
        bool,
        typer.Option(
            "--write-md/--no-write-md", help="Write the table into solvers/BENCHMARKS.md."
        ),
    ] = True,
    note: Annotated[str, typer.Option("--note", help="A sentence added above the table.")] = "",
    report_from: Annotated[
        list[Path] | None,
        typer.Option(
            "--report-from",
            help="Do not solve: build the table from these result CSVs (earlier runs).",
        ),
    ] = None,
) -> None:
    """Solve Solomon 100 / Gehring & Homberger 200 with OR-Tools, PyVRP and pyvroom side by side."""
    from geomatch.cli.bench_cmd import harness
    from geomatch.progress import cli_progress

    bench = harness("vrptw")

    if report_from:
        import pandas as pd

        df = pd.concat([pd.read_csv(p, dtype={"instance": str}) for p in report_from])
        df = df.drop_duplicates(["set", "instance", "solver"], keep="last")
        typer.echo(bench.summarise(df).to_string(index=False))
        if write_md:
            bench.update_benchmarks_md(bench.markdown_report(df, note=note))
            typer.echo("table written to solvers/BENCHMARKS.md (## Tours)")
        return
    sets = ["solomon", "gh200"] if set_ == "all" else [set_]
    names = [n for item in (instances or []) for n in item.split(",") if n] or None
    with cli_progress("VRPTW benchmark") as progress:
        df = bench.run_bench(
            sets,
            solvers=[s for s in solvers.split(",") if s],
            time_limit_s=time_limit,
            instances=names,
            jobs=jobs,
            results_csv=results,
            progress=progress,
        )
    typer.echo(bench.summarise(df).to_string(index=False))
    if write_md:
        bench.update_benchmarks_md(bench.markdown_report(df, note=note))
        typer.echo("table written to solvers/BENCHMARKS.md (## Tours)")


def bench_sweep(
    out: Annotated[
        Path, typer.Option("--out", help="Folder of the two sweeps (dask/, sequential/).")
    ] = Path("runs/bench/sweep"),
    scenario: Annotated[str, typer.Option("--scenario", help="Base scenario.")] = "national",
    workers: Annotated[int, typer.Option("--workers", min=2, help="LocalCluster workers.")] = 2,
    write_md: Annotated[
        bool,
        typer.Option(
            "--write-md/--no-write-md", help="Write the table into solvers/BENCHMARKS.md."
        ),
    ] = True,
) -> None:
    """Eight scenarios on a Dask LocalCluster against the same eight one after another."""
    from geomatch.cli.bench_cmd import harness

    bench = harness("sweep")
    result = bench.run_bench(out, scenario=scenario, workers=workers)
    report = bench.markdown_report(result)
    typer.echo(report)
    if write_md:
        harness("vrptw").update_benchmarks_md(report, marker="### Scenario sweep on Dask")
        typer.echo("table written to solvers/BENCHMARKS.md (## Tours)")


def register(bench_app: typer.Typer) -> None:
    """Add ``geomatch bench vrptw`` and ``geomatch bench sweep``."""
    bench_app.command("vrptw")(bench_vrptw)
    bench_app.command("sweep")(bench_sweep)
