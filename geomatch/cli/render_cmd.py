"""``geomatch map``, ``geomatch export`` and ``geomatch report``: draw, export and report a run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

log = logging.getLogger("geomatch.cli")

_RUN_HELP = "运行结果文件夹（demo/run/pair 的 --out）。Run folder."
_DATA_HELP = "数据集文件夹（默认：运行所用的数据集）。Dataset folder (default: the run's)."


def _map_command(app: typer.Typer) -> None:
    @app.command("map")
    def map_cmd(
        run: Annotated[Path, typer.Option("--run", help=_RUN_HELP)],
        out: Annotated[Path, typer.Option("--out", help="地图文件夹。Maps folder.")] = Path("maps"),
        tiles: Annotated[
            str | None,
            typer.Option(
                "--tiles",
                help="可选底图瓦片地址模板 {z}/{x}/{y}；默认不用（离线地图）。Optional tile URL.",
            ),
        ] = None,
        fmt: Annotated[
            list[str] | None,
            typer.Option(
                "--format",
                help="全国图格式 png | svg | pdf（可重复；png 总会生成）。National figure format.",
            ),
        ] = None,
        dpi: Annotated[
            int,
            typer.Option("--png-dpi", min=50, max=1200, help="全国图 PNG 分辨率（打印用 300）。"),
        ] = 150,
        data: Annotated[Path | None, typer.Option("--data", help=_DATA_HELP)] = None,
    ) -> None:
        """离线覆盖地图：index.html、national.html/png、report.html、province/*.html。"""
        from geomatch.errors import InputError
        from geomatch.progress import cli_progress
        from geomatch.render.maps import write_maps
        from geomatch.render.run import load_run_dataset
        from geomatch.render.static import FIGURE_FORMATS
        from geomatch.run_result import read_run

        formats = tuple(fmt or ["png"])
        bad = [f for f in formats if f not in FIGURE_FORMATS]
        if bad:
            raise InputError(
                f"unknown figure format {bad[0]!r}; expected {' | '.join(FIGURE_FORMATS)}",
                column="--format",
            )
        tables = read_run(run)  # a bad run folder fails here, before the dataset loads
        ds = load_run_dataset(tables, data)
        with cli_progress("maps") as cb:
            paths = write_maps(run, out, ds, tiles=tiles, progress=cb, formats=formats, dpi=dpi)
        n_prov = sum(1 for p in paths if p.parent.name == "province")
        log.info("maps: %s (index, national + %d provinces)", out / "index.html", n_prov)


def _export_command(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        run: Annotated[Path, typer.Option("--run", help=_RUN_HELP)],
        fmt: Annotated[str, typer.Option("--format", help="csv | xlsx | gpkg | ics")],
        out: Annotated[
            Path,
            typer.Option(
                "--out",
                help="输出：文件夹（csv；ics 按省）或文件（.xlsx、.gpkg、.ics）。Output.",
            ),
        ],
        province: Annotated[
            str | None,
            typer.Option(
                "--province",
                help="只导出一个省：代码或名称（520000、52、贵州、贵州省）；"
                "东部省份 = 其专家的结对。",
            ),
        ] = None,
        county: Annotated[
            str | None, typer.Option("--county", help="只导出一个贫困县（代码或名称）。")
        ] = None,
        labels: Annotated[
            str, typer.Option("--labels", help="列名与取值：en（代码）或 zh（中文）。")
        ] = "en",
        data: Annotated[Path | None, typer.Option("--data", help=_DATA_HELP)] = None,
    ) -> None:
        """导出运行结果（Excel 用 CSV、XLSX、GeoPackage、ICS 日历）。Export a run's tables."""
        from geomatch.render.exports import check_export_options, export_run
        from geomatch.render.run import load_run_dataset
        from geomatch.run_result import read_run

        check_export_options(fmt, labels)
        tables = read_run(run)
        ds = load_run_dataset(tables, data)
        path = export_run(
            run, fmt, out, dataset=ds, province=province, county=county, labels=labels
        )
        log.info("export: %s", path)


def register(app: typer.Typer) -> None:
    """Add ``map``, ``export`` and ``report`` to the ``geomatch`` app."""
    from geomatch.cli import report_cmd

    _map_command(app)
    _export_command(app)
    report_cmd.register(app)
