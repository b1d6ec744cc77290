"""The FastAPI application of the geomatch web service.

:func:`create_app` wires settings, database, jobs, the routers (one module per resource
in :mod:`geomatch.service.routers`), the limits and security headers, and the error
answers. On start it migrates the database to the newest schema, loads the embedded
dataset into an empty database, marks runs left behind by a dead worker ``interrupted``,
and starts the watchdog of the workers; on stop it ends this server's workers.

Errors: ``/api`` answers JSON (``{"detail": …}``, 422 as declared in the OpenAPI document,
never echoing the offending input); pages get a Chinese HTML error page. Every 403
(:class:`~geomatch.errors.AuthorizationError`) is written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from geomatch import __version__
from geomatch.errors import AuthorizationError, DatasetMissingError
from geomatch.service.auth import Principal
from geomatch.service.cache import ServiceCaches
from geomatch.service.config import ServiceSettings, get_settings
from geomatch.service.db import make_engine, migrate, session_scope
from geomatch.service.deps import LoginRequiredError, identify
from geomatch.service.headers import SecurityHeadersMiddleware
from geomatch.service.jobs import JobManager, recover_runs
from geomatch.service.limits import BodyLimitMiddleware

__all__ = ["create_app", "prepare_database"]

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent

_TITLE_ZH = {
    400: "请求有误",
    401: "需要登录",
    403: "无权访问",
    404: "未找到",
    405: "不支持的操作",
    409: "操作冲突",
    413: "内容过大",
    422: "输入有误",
    503: "服务暂不可用",
}


def prepare_database(settings: ServiceSettings) -> sessionmaker[Session]:
    """Migrate the database and load the dataset into it if it is empty.

    Returns
    -------
    sessionmaker
        The session factory of the database.
    """
    from geomatch.service.dataload import load_dataset_into

    engine = make_engine(settings.database_url)
    migrate(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    if settings.load_dataset:
        try:
            with session_scope(factory) as session:
                counts = load_dataset_into(session, settings.data_dir)
            if counts:
                log.info("dataset loaded: %s", counts)
        except DatasetMissingError as exc:
            log.warning("no dataset loaded (%s); coverage pages will be empty", exc)
    return factory


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path == "/healthz":
        return False
    return not path.startswith("/maps/") or "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, code: int, message: str) -> HTMLResponse:
    from geomatch.service.routers.pages import templates

    title = _TITLE_ZH.get(code, "出错了")
    return templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "title": title, "message": message, "csrf_token": ""},
        status_code=code,
    )


def _audit_denied(
    factory: sessionmaker[Session], user: Principal, target: str, reason: str
) -> None:
    from geomatch.service.run_service import audit

    with session_scope(factory) as session:
        audit(session, user, "denied", target, {"reason": reason[:200]})


async def _denied(request: Request, exc: Exception) -> Response:
    identity = await identify(request)
    if identity is not None:
        target = f"{request.method} {request.url.path}"
        await run_in_threadpool(
            _audit_denied, request.app.state.session_factory, identity.principal, target, str(exc)
        )
    if _wants_html(request):
        return _error_page(request, status.HTTP_403_FORBIDDEN, str(exc))
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_403_FORBIDDEN)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _wants_html(request):
        detail = exc.detail if isinstance(exc.detail, str) else _TITLE_ZH.get(exc.status_code, "")
        return _error_page(request, exc.status_code, detail)
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    issues: list[dict[str, Any]] = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]
    if _wants_html(request):
        text = "；".join(f"{'.'.join(map(str, i['loc']))}: {i['msg']}" for i in issues)
        return _error_page(request, status.HTTP_422_UNPROCESSABLE_CONTENT, text)
    return JSONResponse({"detail": issues}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _login(request: Request, exc: Exception) -> Response:
    from geomatch.service.routers.pages import login_page

    return login_page(request, "", status.HTTP_401_UNAUTHORIZED)


def _lifespan(settings: ServiceSettings) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        factory = prepare_database(settings)
        app.state.session_factory = factory
        recover_runs(factory)
        jobs = JobManager(settings, factory)
        jobs.start_watchdog()
        jobs.dispatch()  # runs left in the queue by a previous server
        app.state.jobs = jobs
        try:
            yield
        finally:
            jobs.shutdown()
            factory.kw["bind"].dispose()

    return lifespan


def _include_routers(app: FastAPI) -> None:
    from geomatch.service.routers import (
        audit,
        coverage,
        datasets,
        exports,
        health,
        maps,
        me,
        pages,
        provinces,
        runs,
        units,
    )

    for module in (health, me, runs, exports, coverage, provinces, units, datasets, audit):
        app.include_router(module.router)
    from geomatch.service.routers import agreements, ledger, register, runs_import  # issue 12

    for module in (register, agreements, ledger):
        app.include_router(module.router)
        app.include_router(module.pages)
    app.include_router(runs_import.router)
    from geomatch.service.routers import cycle  # annual cycle (issue 13)

    app.include_router(cycle.router)
    from geomatch.service.routers import sweeps  # scenario sweeps on Dask (issue 14)

    app.include_router(sweeps.router)
    app.include_router(maps.router)
    app.include_router(pages.router)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    settings
        Defaults to :func:`~geomatch.service.config.get_settings` (the environment).
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="geomatch",
        version=__version__,
        description=(
            "科技助力精准扶贫: pair eastern helpers with western needs, schedule science "
            "caravans and mobile museum tours, read coverage and export the results. "
            "Every /api call needs `Authorization: Bearer <token>` "
            "(`geomatch users add NAME --role …`)."
        ),
        lifespan=_lifespan(settings),
        # The interactive docs pages load their scripts from a CDN; the service stays
        # offline and serves the schema only (/openapi.json).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.caches = ServiceCaches(auth_ttl_s=settings.auth_cache_s)
    app.add_exception_handler(AuthorizationError, _denied)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(LoginRequiredError, _login)
    _include_routers(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # Outermost last: headers on every answer, limits before any route reads a body.
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
