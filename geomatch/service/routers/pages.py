"""Server-rendered pages (Jinja2): login, national dashboard, province page, run page.

Light and offline: one local stylesheet and one small script (run progress), no CDN.
Labels are in Chinese. Logging in with the API token opens a *browser session*
(:mod:`geomatch.service.sessions`): the cookie holds a session id, never the token; it is
HttpOnly, SameSite=Strict, Secure over HTTPS, expires, and logout revokes it. Every form
carries a CSRF token (the login form a double-submit one, the others the session's).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from geomatch.errors import AuthorizationError
from geomatch.service.auth import lookup_token
from geomatch.service.deps import CsrfForm, DbSession, PageUser, check_province_known, identify
from geomatch.service.models import (
    Coverage,
    Province,
    ResultRow,
    Run,
    StoredDataset,
    StoredRunTable,
)
from geomatch.service.results import coverage_rows, latest_done_run
from geomatch.service.routers.runs import RunUidParam
from geomatch.service.run_service import (
    RunRequestData,
    audit,
    available_scenarios,
    cancel_run,
    create_run,
    get_run,
    run_out,
    runs_out,
)
from geomatch.service.sessions import csrf_matches, open_session, revoke_session

__all__ = ["STATUS_ZH", "render", "router", "templates"]

HERE = Path(__file__).resolve().parents[1]
templates = Jinja2Templates(directory=str(HERE / "templates"))

#: Run states in the UI.
STATUS_ZH = {
    "queued": "排队中",
    "running": "运行中",
    "done": "已完成",
    "failed": "失败",
    "interrupted": "已中断",
    "cancelled": "已取消",
}
ROLE_ZH = {"national": "全国科协", "planner": "省级规划员", "analyst": "分析员"}
TABLE_ZH = {
    "pairings": "结对方案",
    "unmet": "未满足需求",
    "unmet_summary": "未满足需求汇总",
    "museum_visits": "流动科技馆巡展",
    "caravan_tours": "科普大篷车行程",
    "coverage": "覆盖情况",
    "kpi": "关键指标",
}
templates.env.globals.update(STATUS_ZH=STATUS_ZH, ROLE_ZH=ROLE_ZH, TABLE_ZH=TABLE_ZH)
#: The scenario the dashboard's menu starts on.
DEFAULT_SCENARIO = "national"
_LOGIN_CSRF = "geomatch_login_csrf"

router = APIRouter(include_in_schema=False)


async def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page with the session's CSRF token for its forms."""
    identity = await identify(request)
    csrf = identity.csrf_token if identity is not None else ""
    return templates.TemplateResponse(
        request, name, {"csrf_token": csrf, **context}, status_code=status_code
    )


def _secure(request: Request) -> bool:
    mode = request.app.state.settings.cookie_secure
    if mode != "auto":
        return bool(mode == "always")
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return request.url.scheme == "https" or forwarded == "https"


def login_page(request: Request, error: str = "", code: int = 200) -> HTMLResponse:
    """The login form (with its double-submit CSRF cookie)."""
    nonce = secrets.token_urlsafe(24)
    resp = templates.TemplateResponse(
        request, "login.html", {"error": error, "csrf_token": nonce}, status_code=code
    )
    resp.set_cookie(
        _LOGIN_CSRF, nonce, httponly=True, samesite="strict", secure=_secure(request), max_age=3600
    )
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return login_page(request)


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    token: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if not csrf_matches(request.cookies.get(_LOGIN_CSRF, ""), csrf_token):
        return login_page(request, "登录表单已过期，请重试。", status.HTTP_403_FORBIDDEN)
    principal = lookup_token(session, token.strip())
    if principal is None:
        return login_page(request, "令牌无效，请重试。", status.HTTP_401_UNAUTHORIZED)
    settings = request.app.state.settings
    secret, _ = open_session(session, principal.id, settings.session_hours)
    audit(session, principal, "login", "browser session")
    session.commit()
    target = "/" if principal.province is None else f"/province/{principal.province}"
    resp = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    resp.set_cookie(
        settings.cookie_name,
        secret,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=int(settings.session_hours * 3600),
    )
    resp.delete_cookie(_LOGIN_CSRF)
    return resp


@router.post("/logout", dependencies=[CsrfForm])
def logout(request: Request, session: DbSession) -> Response:
    name = request.app.state.settings.cookie_name
    secret = request.cookies.get(name)
    if secret:
        revoke_session(session, secret)
        session.commit()
    resp = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    resp.delete_cookie(name)
    return resp


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
    meta = session.get(StoredRunTable, (run_id, "kpi"))
    if meta is None:
        return [], []
    q = sa.select(ResultRow.data).where(ResultRow.run_id == run_id, ResultRow.table_name == "kpi")
    if province is not None:
        q = q.where(ResultRow.province_adcode == province)
    rows = session.execute(q.order_by(ResultRow.row_no).limit(60)).scalars().all()
    return list(meta.columns), [[r.get(c, "") for c in meta.columns] for r in rows]


def _province_table(session: Session, run_id: int) -> list[dict[str, Any]]:
    per = session.execute(
        sa.select(Coverage.province_adcode, sa.func.count(), sa.func.sum(Coverage.unmet_needs))
        .where(Coverage.run_id == run_id)
        .group_by(Coverage.province_adcode)
        .order_by(Coverage.province_adcode)
    ).all()
    names = dict(session.execute(sa.select(Province.adcode, Province.name)).all())
    return [
        {"adcode": a, "name": names.get(a, a), "counties": n, "unmet": u or 0} for a, n, u in per
    ]


def _latest_figures(session: Session, latest: Run | None, scope: str | None) -> dict[str, Any]:
    """The summary and KPI rows of the latest finished run in ``scope`` (empty without one)."""
    if latest is None:
        return {"summary": None, "kpi_cols": [], "kpi_rows": []}
    cols, rows = _kpi_rows(session, latest.id, scope)
    return {"summary": _summary(session, latest.id, scope), "kpi_cols": cols, "kpi_rows": rows}


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, session: DbSession, user: PageUser) -> Response:
    if user.province is not None:
        return RedirectResponse(f"/province/{user.province}", status_code=303)
    recent = session.execute(sa.select(Run).order_by(Run.id.desc()).limit(20)).scalars().all()
    latest = latest_done_run(session)
    context: dict[str, Any] = {
        "user": user,
        "runs": runs_out(session, recent, user),
        "latest": latest,
        **_latest_figures(session, latest, None),
        "provinces": _province_table(session, latest.id) if latest is not None else [],
        "scenarios": available_scenarios(request.app.state.settings),
        "default_scenario": DEFAULT_SCENARIO,
        "uploads": session.execute(
            sa.select(StoredDataset).order_by(StoredDataset.id.desc()).limit(30)
        )
        .scalars()
        .all(),
    }
    return await render(request, "dashboard.html", context)


@router.get("/province/{adcode}", response_class=HTMLResponse)
async def province_page(
    adcode: Annotated[str, PathParam(max_length=6)],
    request: Request,
    session: DbSession,
    user: PageUser,
) -> Response:
    if len(adcode) != 6 or not adcode.isdigit() or not adcode.endswith("0000"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"没有省份 {adcode}")
    check_province_known(session, adcode)
    scope = user.scope(adcode)
    prov = session.get(Province, adcode)
    latest = latest_done_run(session)
    context: dict[str, Any] = {
        "user": user,
        "adcode": adcode,
        "province": prov.name if prov else adcode,
        "latest": latest,
        "counties": [],
        "has_map": False,
        **_latest_figures(session, latest, scope),
        "tables": list(TABLE_ZH),
    }
    if latest is not None:
        context["counties"] = coverage_rows(session, user, latest.id, scope)
        maps = request.app.state.settings.runs_dir / latest.uid / "maps"
        context["has_map"] = (maps / "province" / f"{adcode}.html").is_file()
    return await render(request, "province.html", context)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(
    run_id: RunUidParam,
    request: Request,
    session: DbSession,
    user: PageUser,
) -> Response:
    run = get_run(session, run_id)
    context = {"user": user, "run": run_out(session, run, user), "tables": list(TABLE_ZH)}
    return await render(request, "run.html", context)


def _form_id(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="数据编号无效")
    return int(value)


@router.post("/runs", dependencies=[CsrfForm])
def start_run_form(
    request: Request,
    session: DbSession,
    user: PageUser,
    scenario: Annotated[str, Form(max_length=64)],
    helpers: Annotated[str, Form(max_length=12)] = "",
    needs: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    req = RunRequestData(scenario, _form_id(helpers), _form_id(needs))
    run, _ = create_run(session, request.app.state.settings, user, req)
    request.app.state.jobs.submit(run.id)
    return RedirectResponse(f"/runs/{run.uid}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/runs/{run_id}/cancel", dependencies=[CsrfForm])
def cancel_run_form(
    run_id: RunUidParam,
    request: Request,
    session: DbSession,
    user: PageUser,
) -> Response:
    if not user.can_run:
        raise AuthorizationError(f"角色 {user.role} 不能取消运行")
    run = get_run(session, run_id)
    if cancel_run(session, user, run):
        request.app.state.jobs.cancel(run.id)
    return RedirectResponse(f"/runs/{run.uid}", status_code=status.HTTP_303_SEE_OTHER)
