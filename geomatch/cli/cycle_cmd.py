"""年度考核周期 commands: ``geomatch quotas``, ``commend``, ``spotcheck``, ``evaluate``.

Each command reads files, calls one module of :mod:`geomatch.cycle` and writes its result
folder all-or-nothing. Exit codes as everywhere: 2 bad input, 3 infeasible (the message
names the binding rule or numbers).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["register"]

log = logging.getLogger("geomatch.cli")

#: ``--data``: the dataset folder (default ``data/``).
DataOption = Annotated[Path | None, typer.Option("--data", help="数据集文件夹（默认 data/）。")]


def register(app: typer.Typer) -> None:
    """Add the annual-cycle commands to the ``geomatch`` app."""
    app.command("quotas")(quotas)
    app.command("commend")(commend)
    app.command("commend-candidates")(commend_candidates)
    app.command("spotcheck")(spotcheck)
    app.command("evaluate")(evaluate)
    app.command("evaluate-demo-records")(evaluate_demo_records)


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


def commend(
    candidates: Annotated[Path, typer.Option("--candidates", help="候选对象表（CSV/Parquet）。")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹。")],
    rules: Annotated[
        Path | None, typer.Option("--rules", help="规则文件（默认 solvers/commendation.toml）。")
    ] = None,
    windows: Annotated[
        Path | None,
        typer.Option("--windows", help="各单位公示期（unit, publicity_start, publicity_end）。"),
    ] = None,
    objections: Annotated[
        Path | None,
        typer.Option("--objections", help="公示异议（candidate_id, date）：撤回并重新评选。"),
    ] = None,
    national_export: Annotated[
        bool,
        typer.Option("--national-export", help="全国办导出：推荐表中身份证号不打码。"),
    ] = False,
    quotas_file: Annotated[
        Path | None,
        typer.Option("--quotas", help="推荐指标（unit, quota），如 geomatch quotas 的输出。"),
    ] = None,
    records_db: Annotated[
        bool,
        typer.Option(
            "--records-db",
            help="推荐表空白栏从服务数据库的名册、协议与进展补全（服务地区、服务天数、带动脱贫人数）。",
        ),
    ] = False,
) -> None:
    """表彰推荐：单位推荐、公示、全国评选（CP-SAT 最优）与推荐表（附件1、附件2）。"""
    from geomatch.cycle.candidates import read_candidates
    from geomatch.cycle.commend import (
        read_quotas,
        read_windows,
        run_commendation,
        write_commendation,
    )
    from geomatch.cycle.rules import load_rules
    from geomatch.io.output import atomic_output_dir

    r = load_rules(rules)
    cands = read_candidates(candidates, r.categories)
    if records_db:
        from geomatch.cycle.forms_fill import fill_from_records

        with _session_factory()() as session:
            cands = fill_from_records(cands, session)
    given = read_windows(windows, r) if windows is not None else None
    limits = read_quotas(quotas_file) if quotas_file is not None else None
    result = run_commendation(cands, r, windows=given, objections_file=objections, quotas=limits)
    with atomic_output_dir(out) as stage:
        write_commendation(result, stage, unmasked=national_export)
    typer.echo(
        f"单位推荐 {len(result.stage.recommended)} 个，全国评选 {len(result.final.selected)} 个"
        f"（撤回 {len(result.withdrawn)}，调整 {result.final.changes}），已写入 {out}"
    )


def commend_candidates(
    out: Annotated[Path, typer.Option("--out", help="输出的候选对象表（CSV）。")],
    seed: Annotated[int, typer.Option("--seed", help="随机种子。")] = 20200815,
    data: DataOption = None,
) -> None:
    """为内置情景生成合成的表彰候选对象表（示例数据，非真实人员）。"""
    from geomatch.cycle.rules import load_rules
    from geomatch.cycle.synth import synthetic_candidates
    from geomatch.dataset import load_dataset
    from geomatch.io.output import write_csv

    df = synthetic_candidates(load_dataset(root=data), load_rules().key_provinces, seed=seed)
    write_csv(df, out, excel=False)
    typer.echo(f"{len(df)} 个合成候选对象已写入 {out}")


def spotcheck(
    year: Annotated[int, typer.Option("--year", help="抽查年度。")],
    provinces: Annotated[int, typer.Option("--provinces", help="抽查省份数 K。")],
    seed: Annotated[int, typer.Option("--seed", help="随机种子（结果可复现）。")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹。")],
    per_province: Annotated[
        int, typer.Option("--counties-per-province", help="每个抽中省份抽查的县数 M。")
    ] = 3,
    evaluation: Annotated[
        Path | None,
        typer.Option(
            "--evaluation", help="评估结果文件夹（geomatch evaluate 的输出），用于风险加权。"
        ),
    ] = None,
    settings: Annotated[
        Path | None, typer.Option("--settings", help="参数文件（默认 solvers/evaluation.toml）。")
    ] = None,
    data: DataOption = None,
) -> None:
    """抽查：按风险加权的不等概率抽样（写出入样概率）与从北京出发的检查行程。"""
    from geomatch.cycle.spotcheck import load_spotcheck, run_spotcheck, sample_frame
    from geomatch.dataset import load_dataset
    from geomatch.io.output import atomic_output_dir, write_csv, write_json

    s = load_spotcheck(settings)
    sample, plan = run_spotcheck(
        load_dataset(root=data),
        year=year,
        provinces=provinces,
        per_province=per_province,
        seed=seed,
        settings=s,
        evaluation=evaluation,
    )
    with atomic_output_dir(out) as stage:
        write_csv(sample_frame(sample), stage / "sample.csv")
        write_csv(plan, stage / "itinerary.csv")
        write_json(
            {"year": year, "seed": seed, "provinces": provinces, "counties": len(sample.counties),
             "teams": int(plan["team"].nunique()) if len(plan) else 0,
             "back_in_beijing": str(plan["arrive"].max()) if len(plan) else ""},
            stage / "summary.json",
        )  # fmt: skip
    typer.echo(f"抽中 {len(sample.counties)} 个县，行程已写入 {out}")


def _session_factory() -> sessionmaker[Session]:
    from geomatch.service.app import prepare_database
    from geomatch.service.config import get_settings

    return prepare_database(get_settings())


def evaluate(
    year: Annotated[int, typer.Option("--year", help="考核年度。")],
    out: Annotated[Path, typer.Option("--out", help="输出文件夹。")],
    indicators: Annotated[
        Path | None,
        typer.Option("--indicators", help="指标与权重（默认 solvers/evaluation.toml）。"),
    ] = None,
    run: Annotated[
        Path | None, typer.Option("--run", help="最新一次运行的结果文件夹（覆盖指标用 kpi.csv）。")
    ] = None,
    records: Annotated[
        Path | None,
        typer.Option(
            "--records",
            help="从文件评估：含 agreements.csv、reports.csv、ledger.csv 的文件夹"
            "（默认读服务数据库）。",
        ),
    ] = None,
    data: DataOption = None,
) -> None:
    """评估考核：协议等级（优秀/良好/合格/不合格）与各省、全国学会的综合得分及排名。"""
    from geomatch.cycle.evaluate import evaluate as run_evaluation
    from geomatch.cycle.evaluate import load_indicators, write_evaluation
    from geomatch.cycle.records_source import (
        deep_poverty_counties,
        inputs_from_db,
        inputs_from_files,
        read_kpi,
    )
    from geomatch.io.output import atomic_output_dir

    ind = load_indicators(indicators)
    deep = deep_poverty_counties(data)
    if records is not None:
        inp = inputs_from_files(records, year, kpi=read_kpi(run), deep_counties=deep)
    else:
        with _session_factory()() as session:
            inp = inputs_from_db(session, year, kpi=read_kpi(run), deep_counties=deep)
    ev = run_evaluation(inp, ind)
    with atomic_output_dir(out) as stage:
        write_evaluation(ev, stage, year=year)
    typer.echo(f"{year} 年：{len(ev.agreements)} 份协议、{len(ev.units)} 个单位已评估，写入 {out}")


def evaluate_demo_records(
    year: Annotated[int, typer.Option("--year", help="年度。")],
    run: Annotated[Path, typer.Option("--run", help="运行结果文件夹（含 pairings.csv）。")],
    seed: Annotated[int, typer.Option("--seed", help="随机种子。")] = 2020,
    data: DataOption = None,
) -> None:
    """为内置情景在服务数据库中生成一年的合成协议与季度进展（示例数据，非真实记录）。"""
    from geomatch.cycle.synth_records import synthesise_year
    from geomatch.cycle.validate import read_checked_table
    from geomatch.dataset import load_dataset
    from geomatch.model.run_tables import run_table
    from geomatch.service.db import session_scope

    pairings = read_checked_table(
        run_table("pairings").path(run), ("need_id", "helper_id", "kind", "adcode")
    )
    helpers = load_dataset(root=data).helpers
    with session_scope(_session_factory()) as session:
        made = synthesise_year(session, pairings, helpers, year, seed=seed)
    typer.echo(f"合成 {year} 年协议 {made.agreements} 份、季度进展 {made.reports} 份（示例数据）")
