"""年度考核周期 commands: ``geomatch quotas``, ``commend``, ``spotcheck``, ``evaluate``.

Each command reads files, calls one module of :mod:`geomatch.cycle` and writes its result
folder all-or-nothing. Exit codes as everywhere: 2 bad input, 3 infeasible (the message
names the binding rule or numbers).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

log = logging.getLogger("geomatch.cli")


def register(app: typer.Typer) -> None:
    """Add the annual-cycle commands to the ``geomatch`` app."""
    app.command("quotas")(quotas)


def quotas(
    scores: Annotated[
        Path, typer.Option("--scores", help="得分表（unit, score 两列），如 unit_scores.csv。")
    ],
    total: Annotated[int, typer.Option("--total", help="下达指标总数 N。")],
    out: Annotated[Path, typer.Option("--out", help="输出文件 quotas.csv。")],
    floor: Annotated[int, typer.Option("--floor", help="每个单位的最少指标数。")] = 0,
    cap: Annotated[
        int | None, typer.Option("--cap", help="每个单位的最多指标数（默认不设上限）。")
    ] = None,
    method: Annotated[
        str,
        typer.Option("--method", help="分配方法：largest-remainder（最大余额法）或 sainte-lague。"),
    ] = "largest-remainder",
) -> None:
    """按考核得分分配下一年度指标（整数、总和恰为 N、在上下限之内、得分高者不少于得分低者）。"""
    from geomatch.cycle.quotas import apportion, quotas_frame, read_scores
    from geomatch.errors import InputError
    from geomatch.io.output import write_csv

    if method not in ("largest-remainder", "sainte-lague"):
        raise InputError(f"--method must be largest-remainder or sainte-lague, got {method!r}")
    units, values = read_scores(scores)
    result = apportion(units, values, total, floor=floor, cap=cap, method=method)  # type: ignore[arg-type]
    write_csv(quotas_frame(result), out)
    typer.echo(f"{len(units)} 个单位共分配 {total} 个指标（{method}），已写入 {out}")
