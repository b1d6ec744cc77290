"""``geomatch bench gap|assign|national``: pairing benchmarks (results → solvers/BENCHMARKS.md)."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["register"]


def _stamp() -> str:
    return (
        f"{time.strftime('%Y-%m-%d')}, {platform.node() or 'host'} "
        f"({platform.machine()}, {__import__('os').cpu_count()} cores)"
    )


def _markdown(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


def register(bench_app: typer.Typer) -> None:
    """Add ``gap``, ``assign`` and ``national`` to ``geomatch bench``."""

    @bench_app.command("gap")
    def gap(
        sets: Annotated[
            str, typer.Option("--sets", help="Comma-separated: orlib (gap1–12), abcd, e.")
        ] = "orlib,abcd,e",
        time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds each.")] = 5.0,
        max_size: Annotated[
            int | None, typer.Option("--max-size", help="Skip instances with m·n above this.")
        ] = None,
        out: Annotated[Path | None, typer.Option("--out", help="CSV of every instance.")] = None,
    ) -> None:
        """CP-SAT on OR-Library gap1–12 (both senses), A–D and Yagiura E vs references."""
        from geomatch.cli.bench_cmd import harness
        from geomatch.progress import cli_progress

        bench = harness("gap")
        with cli_progress("bench gap") as progress:
            df = bench.run_gap_bench(
                tuple(s.strip() for s in sets.split(",") if s.strip()),
                time_limit_s=time_limit,
                max_size=max_size,
                progress=progress,
            )
        if df.empty:
            from geomatch.errors import DatasetMissingError

            raise DatasetMissingError(f"no GAP instances found for sets {sets!r}")
        if out is not None:
            bench.write_table(df, out)
        typer.echo(f"GAP, CP-SAT 2 workers, {time_limit:g} s each — {_stamp()}")
        typer.echo(_markdown(bench.summarise_gap(df)))

    @bench_app.command("assign")
    def assign() -> None:
        """Min-cost flow on OR-Library assign100–800 vs optima and scipy."""
        from geomatch.cli.bench_cmd import harness
        from geomatch.progress import cli_progress

        with cli_progress("bench assign") as progress:
            df = harness("assign").run_assign_bench(progress=progress)
        typer.echo(f"Linear assignment — {_stamp()}")
        typer.echo(_markdown(df))

    @bench_app.command("national")
    def national(
        work: Annotated[
            Path, typer.Option("--work", help="Folder for instance and outputs.")
        ] = Path("runs/bench-national"),
        needs: Annotated[int, typer.Option("--needs")] = 128_000,
        helpers: Annotated[int, typer.Option("--helpers")] = 100_000,
        sub_needs: Annotated[int, typer.Option("--sub-needs", help="Peer subsample.")] = 2_500,
        skip_full: Annotated[bool, typer.Option("--skip-full")] = False,
        repeats: Annotated[
            int, typer.Option("--repeats", min=1, help="Runs of each subsample command.")
        ] = 5,
        proof_limit: Annotated[
            float,
            typer.Option(
                "--proof-limit", min=1, help="--time-limit of each full run (s); default 1800."
            ),
        ] = 1800.0,
        seed: Annotated[int | None, typer.Option("--seed", help="Instance seed.")] = None,
    ) -> None:
        """128,000 needs × 100,000 helpers end to end; networkx and HiGHS side by side."""
        from geomatch.cli.bench_cmd import harness
        from geomatch.progress import cli_progress

        with cli_progress("bench national") as progress:
            res = harness("national").run_national_bench(
                work,
                needs=needs,
                helpers=helpers,
                sub_needs=sub_needs,
                skip_full=skip_full,
                repeats=repeats,
                seed=seed,
                proof_limit_s=proof_limit,
                progress=progress,
            )
        res["measured"] = _stamp()
        typer.echo(json.dumps(res, indent=2))
