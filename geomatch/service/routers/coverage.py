"""``/api/coverage``: per-county coverage of a run (the latest finished one by default)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from geomatch.service.auth import Principal
from geomatch.service.cache import ServiceCaches
from geomatch.service.deps import CurrentUser, ScopedProvince
from geomatch.service.models import Run
from geomatch.service.results import coverage_rows, latest_done_run
from geomatch.service.routers import ERRORS
from geomatch.service.run_service import get_run
from geomatch.service.schemas import CoverageOut

__all__ = ["RunQuery", "done_run", "resolve_run", "router"]

router = APIRouter(prefix="/api", tags=["coverage"])

RunQuery = Annotated[
    str | None, Query(max_length=36, description="run id (UUID; default: the latest finished)")
]


def _latest_uid(factory: sessionmaker[Session]) -> str | None:
    with factory() as session:
        run = latest_done_run(session)
        return run.uid if run is not None else None


async def resolve_run(request: Request, run: str | None) -> str:
    """The run asked for, or the latest finished one (cached for a second)."""
    if run is not None:
        return run
    caches: ServiceCaches = request.app.state.caches

    async def load() -> str:
        found = await run_in_threadpool(_latest_uid, request.app.state.session_factory)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="还没有完成的运行")
        caches.latest_run.put("latest", found)
        return found

    latest: str = await caches.flights.run("latest", lambda: caches.latest_run.get("latest"), load)
    return latest


def done_run(session: Session, uid: str) -> Run:
    """A finished run; 404 for an unknown or unfinished one."""
    target = get_run(session, uid)
    if target.status != "done":
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"运行 {target.uid} 状态为 {target.status}，未完成"
        )
    return target


def _coverage_body(
    factory: sessionmaker[Session], user: Principal, uid: str, scope: str | None
) -> bytes:
    with factory() as session:
        target = done_run(session, uid)
        rows = coverage_rows(session, user, target.id, scope)
    return json.dumps(
        {"run_id": uid, "province": scope, "counties": rows}, ensure_ascii=False
    ).encode("utf-8")


@router.get(
    "/coverage",
    responses={**ERRORS, 200: {"model": CoverageOut}},
    response_class=Response,
    summary="Per-county coverage of a run",
)
async def get_coverage(
    request: Request, user: CurrentUser, scope: ScopedProvince, run: RunQuery = None
) -> Response:
    uid = await resolve_run(request, run)
    caches: ServiceCaches = request.app.state.caches
    key = ("coverage", uid, scope)

    async def load() -> tuple[bytes, str]:
        body = await run_in_threadpool(
            _coverage_body, request.app.state.session_factory, user, uid, scope
        )
        caches.coverage.put(key, body, "application/json")
        return body, "application/json"

    body, media = await caches.flights.run(key, lambda: caches.coverage.get(key), load)
    return Response(body, media_type=media)
