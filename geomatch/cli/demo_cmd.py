"""``geomatch demo``: the main job on the embedded default data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``geomatch`` app."""

    @app.command()
    def demo(
        out: Annotated[Path, typer.Option(help="Run folder for tables and manifest.")] = Path(
            "runs/demo"
        ),
        maps: Annotated[Path, typer.Option(help="Folder for the coverage maps.")] = Path("maps"),
    ) -> None:
        """National pairing + tours + maps on the embedded default dataset."""
        from geomatch.pipeline import run_demo

        run_demo(out=out, maps=maps)
