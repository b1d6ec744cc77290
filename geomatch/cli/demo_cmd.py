"""``geomatch demo`` and ``geomatch run``: the main job end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``demo`` and ``run`` to the ``geomatch`` app."""

    @app.command()
    def demo(
        out: Annotated[Path, typer.Option(help="Run folder for tables and manifest.")] = Path(
            "runs/demo"
        ),
        maps: Annotated[Path, typer.Option(help="Folder for the coverage maps.")] = Path("maps"),
    ) -> None:
        """National pairing + tours + maps on the embedded default dataset."""
        from geomatch.pipeline import run_demo
        from geomatch.progress import cli_progress

        with cli_progress("demo") as progress:
            run = run_demo(out=out, maps=maps, progress=progress)
        typer.echo(f"run written to {run}; maps in {maps}")

    @app.command()
    def run(
        scenario: Annotated[
            str, typer.Option(help="Scenario name (solvers/<name>.toml) or TOML path.")
        ] = "national",
        out: Annotated[Path, typer.Option(help="Run folder.")] = Path("runs/national"),
        maps: Annotated[
            Path | None, typer.Option(help="Folder for the coverage maps (none if omitted).")
        ] = None,
    ) -> None:
        """Run a scenario end to end: pairing, tours, coverage, KPIs (and maps)."""
        from geomatch.pipeline import run_scenario
        from geomatch.progress import cli_progress

        with cli_progress(f"scenario {scenario}") as progress:
            path = run_scenario(scenario, out, maps=maps, progress=progress)
        typer.echo(f"run written to {path}")
