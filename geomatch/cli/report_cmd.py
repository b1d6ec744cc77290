"""``geomatch report``: the province report of a run (HTML/PDF + tables in the terminal),
and ``run_info`` behind ``geomatch info --run DIR``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register", "show_run_info"]

log = logging.getLogger("geomatch.cli")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the ``geomatch`` app."""

    @app.command("report")
    def report_cmd(
        run: Annotated[Path, typer.Option("--run", help="运行结果文件夹。Run folder.")],
        province: Annotated[
            str, typer.Option("--province", help="省份：代码或名称（520000、52、贵州、贵州省）。")
        ],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="输出文件（默认 report-<省级代码>.<格式>）。Output file."),
        ] = None,
        fmt: Annotated[
            str, typer.Option("--format", help="html（可打印 A4）或 pdf（需 Chromium）。")
        ] = "html",
        data: Annotated[
            Path | None, typer.Option("--data", help="数据集文件夹（默认：运行所用的）。")
        ] = None,
        quiet_tables: Annotated[
            bool, typer.Option("--no-tables", help="不在终端显示表格。Do not print the tables.")
        ] = False,
    ) -> None:
        """省级报告：各县服务站团队、缺口与建议、巡展日期、大篷车日程（A4 可打印）。"""
        from rich.console import Console

        from geomatch.render.province_report import print_report, write_province_report
        from geomatch.render.run import load_run_dataset
        from geomatch.run_result import read_run

        ds = load_run_dataset(read_run(run), data)
        target = out if out is not None else Path(f"report-{province}.{fmt}")
        path, rep = write_province_report(run, province, target, fmt=fmt, dataset=ds)
        if not quiet_tables:
            print_report(rep, Console())
        log.info("report: %s (%s)", path, rep.province.name)


def show_run_info(run_dir: Path) -> None:
    """``geomatch info --run DIR``: what a run holds, province by province (rich)."""
    from rich.console import Console

    from geomatch.render.run_info import print_run_info, run_info

    print_run_info(run_info(run_dir), Console())
