"""``geomatch map`` and ``geomatch export``: draw and export a run's results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``map`` and ``export`` to the ``geomatch`` app."""

    @app.command("map")
    def map_cmd(
        run: Annotated[Path, typer.Option("--run", help="Run folder (from demo/run/pair).")],
        out: Annotated[Path, typer.Option("--out", help="Maps folder.")] = Path("maps"),
        tiles: Annotated[
            str | None,
            typer.Option(
                "--tiles",
                help="Optional tile URL template ({z}/{x}/{y}); off by default (offline maps).",
            ),
        ] = None,
        data: Annotated[
            Path | None, typer.Option("--data", help="Dataset folder (default: the run's).")
        ] = None,
    ) -> None:
        """Offline coverage maps: national.html, national.png, report.html, province/*.html."""
        import logging

        from geomatch.progress import cli_progress
        from geomatch.render.maps import write_maps
        from geomatch.render.run import load_run, load_run_dataset

        tables = load_run(run)  # a bad run folder fails here, before the dataset loads
        ds = load_run_dataset(tables, data)
        with cli_progress("maps") as cb:
            paths = write_maps(run, out, ds, tiles=tiles, progress=cb)
        n_prov = sum(1 for p in paths if p.parent.name == "province")
        logging.getLogger("geomatch.cli").info("maps: %s (national + %d provinces)", out, n_prov)

    @app.command("export")
    def export_cmd(
        run: Annotated[Path, typer.Option("--run", help="Run folder (from demo/run/pair).")],
        fmt: Annotated[str, typer.Option("--format", help="csv | xlsx | gpkg | ics")],
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                help="Output: a folder (csv; ics per province) or a file (.xlsx, .gpkg, .ics).",
            ),
        ],
        province: Annotated[
            str | None, typer.Option("--province", help="Only this province (adcode, e.g. 620000).")
        ] = None,
        county: Annotated[
            str | None, typer.Option("--county", help="Only this county (6-digit adcode).")
        ] = None,
        labels: Annotated[
            str, typer.Option("--labels", help="Column labels: en (codes) or zh (Chinese).")
        ] = "en",
        data: Annotated[
            Path | None, typer.Option("--data", help="Dataset folder (default: the run's).")
        ] = None,
    ) -> None:
        """Export a run's tables (Excel-safe CSV, XLSX, GeoPackage, ICS calendars)."""
        import logging

        from geomatch.render.exports import check_export_options, export_run
        from geomatch.render.run import load_run, load_run_dataset

        check_export_options(fmt, labels)
        tables = load_run(run)
        ds = load_run_dataset(tables, data)
        path = export_run(
            run, fmt, out, dataset=ds, province=province, county=county, labels=labels
        )
        logging.getLogger("geomatch.cli").info("export: %s", path)
