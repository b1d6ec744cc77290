"""Server-rendered pages (Jinja2): login, national dashboard, province page, run page.

Light and offline: one local stylesheet and one small script (run progress), no CDN.
Labels are in Chinese. Pages take the token from the login form (stored in an HttpOnly,
SameSite=Strict cookie) or from an ``Authorization: Bearer`` header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from geomatch.service.api import available_scenarios, create_run, run_out
from geomatch.service.auth import Principal, lookup_token
from geomatch.service.deps import DbSession, page_user
from geomatch.service.models import Coverage, Dataset, Province, ResultRow, Run, RunTable
from geomatch.service.results import coverage_rows, latest_done_run

__all__ = ["STATUS_ZH", "router", "templates"]

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

#: Run states in the UI.
STATUS_ZH = {
    "queued": "排队中",
    "running": "运行中",
    "done": "已完成",
    "failed": "失败",
    "interrupted": "已中断",
}
ROLE_ZH = {"national": "全国科协", "planner": "省级规划员", "analyst": "分析员"}
TABLE_ZH = {
    "pairings": "结对方案",
    "unmet": "未满足需求",
    "museum_visits": "流动科技馆巡展",
    "caravan_tours": "科普大篷车行程",
    "coverage": "覆盖情况",
    "kpi": "关键指标",
}
templates.env.globals.update(STATUS_ZH=STATUS_ZH, ROLE_ZH=ROLE_ZH, TABLE_ZH=TABLE_ZH)

router = APIRouter(include_in_schema=False)
PageUser = Annotated[Principal, Depends(page_user)]


def _summary(session: Session, run_id: int, province: str | None) -> dict[str, Any]:
    q = sa.select(
        sa.func.count(),
        sa.func.sum(sa.case((Coverage.station_team.in_(("", "none", "partial")), 0), else_=1)),
        sa.func.sum(sa.case((Coverage.museum_visits >= 2, 1), else_=0)),
        sa.func.sum(sa.case((Coverage.caravan_visits >= 1, 1), else_=0)),
        sa.func.sum(Coverage.experts),
        sa.func.sum(Coverage.unmet_needs),
    ).where(Coverage.run_id == run_id)
    if province is not None:
        q = q.where(Coverage.province_adcode == province)
    n, station, museum, caravan, experts, unmet = session.execute(q).one()
    return {
        "counties": n or 0,
        "station": station or 0,
        "museum": museum or 0,
        "caravan": caravan or 0,
        "experts": experts or 0,
        "unmet": unmet or 0,
    }


def _kpi_rows(session: Session, run_id: int, province: str | None) -> tuple[list[str], list[Any]]:
    meta = session.get(RunTable, (run_id, "kpi"))
    if meta is None:
        return [], []
    q = sa.select(ResultRow.data).where(ResultRow.run_id == run_id, ResultRow.table_name == "kpi")
    if province is not None:
        q = q.where(ResultRow.province_adcode == province)
    rows = session.execute(q.order_by(ResultRow.row_no).limit(60)).scalars().all()
    return list(meta.columns), [[r.get(c, "") for c in meta.columns] for r in rows]


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html", {"error": ""})


@router.post("/login")
def login(
    request: Request, session: DbSession, token: Annotated[str, Form(max_length=256)] = ""
) -> Response:
    principal = lookup_token(session, token.strip())
    if principal is None:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"error": "令牌无效，请重试。"},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    target = "/" if principal.province is None else f"/province/{principal.province}"
    resp = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    resp.set_cookie(
        request.app.state.settings.cookie_name,
        token.strip(),
        httponly=True,
        samesite="strict",
        max_age=12 * 3600,
    )
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    resp = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    resp.delete_cookie(request.app.state.settings.cookie_name)
    return resp


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: DbSession, user: PageUser) -> Response:
    if user.province is not None:
        return RedirectResponse(f"/province/{user.province}", status_code=303)
    runs = [
        run_out(session, r)
        for r in session.execute(sa.select(Run).order_by(Run.id.desc()).limit(20)).scalars()
    ]
    latest = latest_done_run(session)
    provinces: list[dict[str, Any]] = []
    summary: dict[str, Any] | None = None
    kpi_cols: list[str] = []
    kpi_rows: list[Any] = []
    if latest is not None:
        summary = _summary(session, latest.id, None)
        kpi_cols, kpi_rows = _kpi_rows(session, latest.id, None)
        per = session.execute(
            sa.select(Coverage.province_adcode, sa.func.count(), sa.func.sum(Coverage.unmet_needs))
            .where(Coverage.run_id == latest.id)
            .group_by(Coverage.province_adcode)
            .order_by(Coverage.province_adcode)
        ).all()
        names = dict(session.execute(sa.select(Province.adcode, Province.name)).all())
        provinces = [
            {"adcode": a, "name": names.get(a, a), "counties": n, "unmet": u or 0}
            for a, n, u in per
        ]
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "user": user,
            "runs": runs,
            "latest": latest,
            "summary": summary,
            "provinces": provinces,
            "kpi_cols": kpi_cols,
            "kpi_rows": kpi_rows,
            "scenarios": available_scenarios(request.app.state.settings),
            "uploads": session.execute(sa.select(Dataset).order_by(Dataset.id.desc()).limit(30))
            .scalars()
            .all(),
        },
    )


@router.get("/province/{adcode}", response_class=HTMLResponse)
def province_page(adcode: str, request: Request, session: DbSession, user: PageUser) -> Response:
    if len(adcode) != 6 or not adcode.isdigit() or not adcode.endswith("0000"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such province")
    try:
        scope = user.scope(adcode)
    except PermissionError as exc:
        return templates.TemplateResponse(
            request,
            "error.html",
            {"user": user, "message": str(exc)},
            status_code=status.HTTP_403_FORBIDDEN,
        )
    prov = session.get(Province, adcode)
    latest = latest_done_run(session)
    counties: list[dict[str, Any]] = []
    summary: dict[str, Any] | None = None
    kpi_cols: list[str] = []
    kpi_rows: list[Any] = []
    has_map = False
    if latest is not None:
        counties = coverage_rows(session, user, latest.id, scope)
        summary = _summary(session, latest.id, scope)
        kpi_cols, kpi_rows = _kpi_rows(session, latest.id, scope)
        has_map = (
            request.app.state.settings.runs_dir
            / str(latest.id)
            / "maps"
            / "province"
            / f"{adcode}.html"
        ).is_file()
    return templates.TemplateResponse(
        request,
        "province.html",
        {
            "user": user,
            "adcode": adcode,
            "province": prov.name if prov else adcode,
            "latest": latest,
            "counties": counties,
            "summary": summary,
            "has_map": has_map,
            "kpi_cols": kpi_cols,
            "kpi_rows": kpi_rows,
            "tables": list(TABLE_ZH),
        },
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: int, request: Request, session: DbSession, user: PageUser) -> Response:
    run = session.get(Run, run_id) if 0 < run_id < 2**31 else None
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no run {run_id}")
    return templates.TemplateResponse(
        request,
        "run.html",
        {
            "user": user,
            "run": run_out(session, run),
            "tables": list(TABLE_ZH),
        },
    )


def _form_id(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="bad dataset id")
    return int(value)


@router.post("/runs")
def start_run_form(
    request: Request,
    session: DbSession,
    user: PageUser,
    scenario: Annotated[str, Form(max_length=64)],
    helpers: Annotated[str, Form(max_length=12)] = "",
    needs: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    run = create_run(
        request, session, user, scenario, helpers=_form_id(helpers), needs=_form_id(needs)
    )
    return RedirectResponse(f"/runs/{run.id}", status_code=status.HTTP_303_SEE_OTHER)
