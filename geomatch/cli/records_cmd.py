"""The programme's records on the command line: ``geomatch register …``,
``geomatch agreements …``, ``geomatch ledger …`` and ``geomatch runs import``.

They work on the service's database (``GEOMATCH_DATABASE_URL``, migrated on first use),
so what they store the web pages show. Commands that change agreements act as the
national office (the operator of the command line), recorded as ``cli:<login>``.
"""

from __future__ import annotations

import getpass
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from geomatch.service.auth import Principal

__all__ = ["register"]

log = logging.getLogger("geomatch.cli")

register_app = typer.Typer(help="专家名册：导入模板、导入、导出、重复检查。", no_args_is_help=True)
agreements_app = typer.Typer(
    help="帮扶协议：由结对方案拟定、查看、变更状态。", no_args_is_help=True
)
ledger_app = typer.Typer(
    help="“两数”台账：各省与全国学会的目标与完成情况（--year 年度）。",
    invoke_without_command=True,
)
targets_app = typer.Typer(help="台账目标。", no_args_is_help=True)
runs_app = typer.Typer(help="方案（运行结果）。", no_args_is_help=True)

Province = Annotated[
    str | None, typer.Option("--province", help="省份代码，如 620000（甘肃省）；缺省为全国。")
]


def _factory() -> sessionmaker[Session]:
    from geomatch.service.app import prepare_database
    from geomatch.service.config import get_settings

    return prepare_database(get_settings())


def _operator() -> Principal:
    from geomatch.service.auth import Principal

    return Principal(0, f"cli:{getpass.getuser()}"[:64], "national", None)


@register_app.command("template")
def register_template(
    out: Annotated[Path, typer.Option("--out", help="模板文件（.xlsx）。")],
) -> None:
    """写出名册导入模板：中文表头、示例行、取值说明。"""
    from geomatch.records.register_file import write_register_template

    typer.echo(f"模板已写出 / template written: {write_register_template(out)}")


@register_app.command("import")
def register_import(
    file: Annotated[Path, typer.Argument(help="名册文件（.csv 或 .xlsx，中文或英文表头）。")],
    province: Annotated[str, typer.Option("--province", help="备案省份代码，如 620000。")],
) -> None:
    """导入一个省的名册（整体替换该省名册）；有错误时列出全部错误，不保存任何内容。"""
    from geomatch.io.files import file_sha256
    from geomatch.records.identity import register_key
    from geomatch.records.register import check_province, import_register
    from geomatch.records.register_file import read_register_file
    from geomatch.service.config import get_settings
    from geomatch.service.db import session_scope

    check_province(province)
    table = read_register_file(file)
    key = register_key(get_settings().service_home)
    with session_scope(_factory()) as session:
        result = import_register(
            session, table, province, key, user_name=_operator().name, sha256=file_sha256(file)
        )
    typer.echo(
        f"省份 {province}：已备案 {result.rows} 人（替换原有 {result.replaced} 人）"
        f" / {result.rows} entries filed"
    )
    for d in result.duplicates:
        typer.echo(
            f"疑似重复 duplicate: {d.helper_id} {d.name} ~ {d.other_helper_id} "
            f"(省份 {d.other_province}, {d.rule_zh})"
        )


@register_app.command("export")
def register_export(
    out: Annotated[Path, typer.Option("--out", help="导出文件（.csv 或 .xlsx），已脱敏。")],
    province: Province = None,
) -> None:
    """导出名册（身份证号、手机号仅保留后四位）。"""
    from geomatch.records.register import export_register

    with _factory()() as session:
        path = export_register(session, out, province)
    typer.echo(f"名册已导出 / register written: {path}")


@register_app.command("duplicates")
def register_duplicates(province: Province = None) -> None:
    """列出不同省份备案的疑似同一人（不合并）。"""
    from geomatch.records.register import find_duplicates

    with _factory()() as session:
        dups = find_duplicates(session, province)
    for d in dups:
        typer.echo(
            f"{d.province}\t{d.helper_id}\t{d.name}\t{d.other_province}\t{d.other_helper_id}"
            f"\t{d.rule}"
        )
    typer.echo(f"{len(dups)} 组疑似重复 / duplicate pairs")


@agreements_app.command("propose")
def agreements_propose(
    run: Annotated[str, typer.Argument(help="已完成方案的编号（runs import 输出的最后一行）。")],
    years: Annotated[int, typer.Option(min=1, max=10, help="协议年限。")] = 3,
) -> None:
    """按方案的每个结对拟定一份协议（重复执行不会重复拟定）。"""
    from geomatch.errors import InputError
    from geomatch.records.agreements import propose_for_run
    from geomatch.records.runs import find_run
    from geomatch.service.db import session_scope

    with session_scope(_factory()) as session:
        found = find_run(session, run)
        if found is None:
            raise InputError(f"no run {run}", column="RUN")
        created = propose_for_run(session, found, years=years)
    typer.echo(f"拟定协议 {created} 份 / created: {created}")


@agreements_app.command("list")
def agreements_list(
    province: Province = None,
    status: Annotated[str | None, typer.Option(help="状态，如 active。")] = None,
) -> None:
    """列出协议（编号、需求、帮扶方、双方省份、起止日期、状态）。"""
    from geomatch.records.agreements import list_agreements

    with _factory()() as session:
        rows = list_agreements(session, _operator(), province=province, status=status, limit=10**9)
    for a in rows:
        typer.echo(
            f"{a.id}\t{a.need_id}\t{a.helper_id}\t{a.need_province}\t{a.helper_province}\t"
            f"{a.start_date}\t{a.end_date}\t{a.status}"
        )


@agreements_app.command("set")
def agreements_set(
    agreement: Annotated[int, typer.Argument(help="协议编号。")],
    status: Annotated[str, typer.Argument(help="新状态：signed|filed|active|completed|terminated")],
) -> None:
    """变更协议状态（全国科协操作，记入审计）。"""
    from geomatch.errors import InputError
    from geomatch.records.agreements import transition
    from geomatch.records.orm import Agreement
    from geomatch.service.db import session_scope

    with session_scope(_factory()) as session:
        found = session.get(Agreement, agreement)
        if found is None:
            raise InputError(f"no agreement {agreement}", column="AGREEMENT")
        transition(session, found, status, _operator())
    typer.echo(f"协议 {agreement} → {status}")


@ledger_app.callback()
def ledger_show(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option(help="年度，如 2020。")] = None,
    province: Province = None,
    out: Annotated[Path | None, typer.Option("--out", help="写出 CSV。")] = None,
    self_check_only: Annotated[
        bool, typer.Option("--self-check", help="只列未达标单位（自查）。")
    ] = False,
) -> None:
    """显示某年度的“两数”台账。"""
    if ctx.invoked_subcommand is not None:
        return
    if year is None:
        raise typer.BadParameter("需要 --year（如 --year 2020）", param_hint="--year")
    from geomatch.io.output import write_csv
    from geomatch.records.ledger import ledger, self_check

    with _factory()() as session:
        rows = ledger(session, year, province)
    if self_check_only:
        rows = self_check(rows)
    if out is not None:
        write_csv(rows, out)
    typer.echo(rows.to_string(index=False) if len(rows) else "（无记录 / no rows）")


@targets_app.command("import")
def ledger_targets_import(
    file: Annotated[Path, typer.Argument(help="目标文件（.csv/.xlsx）。")],
) -> None:
    """导入台账目标（unit_type, unit_code, year, associations_target, experts_target,
    people_target）。"""
    from geomatch.records.ledger import import_targets
    from geomatch.service.db import session_scope

    with session_scope(_factory()) as session:
        n = import_targets(session, file)
    typer.echo(f"已导入目标 {n} 行 / targets stored: {n}")


@runs_app.command("import")
def runs_import(
    folder: Annotated[Path, typer.Argument(help="已完成的方案目录，如 runs/demo。")],
    maps: Annotated[Path | None, typer.Option("--maps", help="该方案的地图目录。")] = None,
    scenario: Annotated[str, typer.Option(help="记录的情景名。")] = "imported",
) -> None:
    """把已完成的方案目录存入数据库；最后一行输出方案编号。"""
    from geomatch.records.runs import import_run_folder
    from geomatch.service.config import get_settings

    run_id = import_run_folder(get_settings(), folder, maps, scenario=scenario)
    typer.echo(str(run_id))


def plan(
    out: Annotated[
        Path,
        typer.Option("--out", help="输出目录：<年度>/ 方案目录及 transitions.csv、ledger.csv。"),
    ],
    scenario: Annotated[str, typer.Option(help="情景名或 TOML 文件。")] = "national",
    years: Annotated[str, typer.Option(help="年度范围，如 2016-2020。")] = "2016-2020",
    agreement_years: Annotated[
        int, typer.Option("--agreement-years", min=1, max=10, help="新协议年限。")
    ] = 3,
    maps: Annotated[
        Path | None,
        typer.Option(
            "--maps",
            help="地图目录（省略则不画）：<年度>/ 各年地图，index.html 按年度切换并显示结对变化。",
        ),
    ] = None,
) -> None:
    """多年度规划：逐年结对，协议期内保持帮扶（摘帽不摘帮扶），记录结对变化与“两数”目标。"""
    from geomatch.records.plan import parse_years, run_plan, write_plan_maps

    result = run_plan(scenario, parse_years(years), out, agreement_years=agreement_years)
    for y in result.years:
        typer.echo(
            f"{y.year}: 需求 {y.n_needs}（巩固 {y.n_consolidation}），协议锁定 {y.n_locks}，"
            f"结对 {len(y.pairings)}"
        )
    typer.echo(f"多年度规划已写出 / plan written: {out}")
    if maps is not None:
        from geomatch.progress import cli_progress

        with cli_progress("plan maps") as progress:
            write_plan_maps(out, maps, progress=progress)
        typer.echo(f"多年度地图（按年度切换）/ plan maps: {maps / 'index.html'}")


def register(app: typer.Typer) -> None:
    """Add ``register``, ``agreements``, ``ledger``, ``runs`` and ``plan`` to the app."""
    app.command("plan")(plan)
    ledger_app.add_typer(targets_app, name="targets")
    app.add_typer(register_app, name="register")
    app.add_typer(agreements_app, name="agreements")
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(runs_app, name="runs")
