"""``geomatch sweep``: a grid of scenario settings, each point a full run, on Dask."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register", "sweep"]

log = logging.getLogger("geomatch.cli")


def sweep(
    out: Annotated[
        Path, typer.Option("--out", help="扫描输出目录（sweep.csv、sweep.html、runs/）。")
    ],
    scenario: Annotated[
        str, typer.Option("--scenario", help="基准情景（solvers/<名称>.toml 或 TOML 路径）。")
    ] = "national",
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="变化的设置 KEY=V1,V2,…（如 pairing.unmet_penalty=3000,6000），可重复。",
        ),
    ] = None,
    grid: Annotated[
        Path | None,
        typer.Option("--grid", help="网格文件（TOML：[pairing] unmet_penalty = [3000, 6000]）。"),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="已有 Dask 集群的调度器地址（tcp://主机:8786；默认读 DASK_SCHEDULER_ADDRESS）。",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, help="无调度器时本机 LocalCluster 的工作进程数（1 = 逐个运行）。"
        ),
    ] = max(1, os.cpu_count() or 1),
) -> None:
    """情景扫描：按设置网格逐一运行完整情景（配对、巡展、覆盖），汇总为 sweep.csv 与权衡图。

    每个方案写入 DIR/runs/<键>/（键 = 设置与数据的哈希），重跑时跳过已完成的方案。
    """
    from geomatch.errors import InputError
    from geomatch.model.scenario import load_scenario
    from geomatch.progress import cli_progress
    from geomatch.scale.executor import DaskExecutor, open_executor
    from geomatch.scale.sweep import data_fingerprint, expand, parse_vary, read_grid, run_sweep
    from geomatch.settings import data_dir

    grid_values = read_grid(grid) if grid is not None else {}
    grid_values.update(parse_vary(vary or []))
    if not grid_values:
        raise InputError("nothing to vary: give --vary KEY=V1,V2 or --grid FILE.toml")
    base = load_scenario(scenario)
    points = expand(base, grid_values, fingerprint=data_fingerprint(base.data_root or data_dir()))
    typer.echo(f"情景扫描：{len(points)} 个方案 → {out}")
    with open_executor(scheduler=scheduler, workers=workers, dashboard=True) as ex:
        if isinstance(ex, DaskExecutor):
            typer.echo(f"Dask 调度器 {ex.name}；监控面板 {ex.dashboard or '（未提供）'}")
        with cli_progress("sweep") as progress:
            result = run_sweep(points, out, ex, progress=progress)
    t = result.table
    ok = int((t["status"] == "ok").sum())
    typer.echo(
        f"完成 {ok}/{len(t)} 个方案（{result.reused} 个沿用已有结果）；"
        f"{result.files['csv']}，{result.files['html']}"
    )


def register(app: typer.Typer) -> None:
    """Add ``geomatch sweep`` to the application."""
    app.command("sweep")(sweep)
