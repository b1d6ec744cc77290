"""``/healthz``: the database is reachable and writable, the results folder writable, the
schema at the newest revision. 200 when all hold, 503 naming what failed."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from geomatch import __version__
from geomatch.service.config import ServiceSettings
from geomatch.service.db import schema_revision
from geomatch.service.models import AuditLog
from geomatch.service.schemas import HealthOut

__all__ = ["health_checks", "router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


def _database(factory: sessionmaker[Session]) -> str:
    engine = factory.kw["bind"]
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not Path(database).is_file():
            return "数据库文件已不存在 (the database file is gone)"
    with factory() as session:
        # A real write, rolled back: reachable is not enough, the file must take writes.
        session.add(AuditLog(user_name="healthz", action="health", target="", filter={}))
        session.flush()
        session.rollback()
    return "ok"


def _schema(factory: sessionmaker[Session]) -> str:
    current, head = schema_revision(factory.kw["bind"])
    return "ok" if current == head else f"schema at {current}, newest is {head}"


def _results(settings: ServiceSettings) -> str:
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=settings.runs_dir, prefix=".healthz-") as fh:
        fh.write(b"ok")
        fh.flush()
    return "ok"


def health_checks(factory: sessionmaker[Session], settings: ServiceSettings) -> dict[str, str]:
    """Each check's result: ``ok`` or what is wrong."""
    out: dict[str, str] = {}
    checks: tuple[tuple[str, Callable[[], str]], ...] = (
        ("database", lambda: _database(factory)),
        ("schema", lambda: _schema(factory)),
        ("results_folder", lambda: _results(settings)),
    )
    for name, check in checks:
        try:
            out[name] = check()
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.warning("health check %s failed: %s", name, exc)
            out[name] = f"failing ({type(exc).__name__})"
    return out


@router.get(
    "/healthz",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "a check failed"}},
    summary="Liveness and readiness (no token needed)",
)
async def healthz(request: Request) -> JSONResponse:
    checks = await run_in_threadpool(
        health_checks, request.app.state.session_factory, request.app.state.settings
    )
    ok = all(v == "ok" for v in checks.values())
    body = HealthOut(status="ok" if ok else "failing", version=__version__, checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
