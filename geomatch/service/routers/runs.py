"""``/api/runs``: start, list, read and cancel runs (addressed by their UUID)."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from geomatch.records.runs import register_helpers_table
from geomatch.service.deps import CurrentUser, DbSession, NationalUser, Settings
from geomatch.service.models import Run
from geomatch.service.routers import ERRORS
from geomatch.service.run_service import (
    RunRequestData,
    cancel_run,
    create_run,
    get_run,
    run_out,
    runs_out,
)
from geomatch.service.schemas import ErrorOut, RunCreated, RunOut, RunRequest

__all__ = ["RunUidParam", "router"]

router = APIRouter(prefix="/api", tags=["runs"])

RunUidParam = Annotated[str, Path(max_length=36, description="run id (UUID)")]


@router.post(
    "/runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunCreated,
    responses={
        **ERRORS,
        200: {"model": RunCreated, "description": "the run this Idempotency-Key created"},
        409: {"model": ErrorOut, "description": "Idempotency-Key used for another request"},
        503: {"model": ErrorOut, "description": "results folder not writable; nothing queued"},
    },
    summary="Start a run of a scenario (national office only)",
)
def post_run(
    body: RunRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: Settings,
    user: NationalUser,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=128,
            pattern=r"^[\x21-\x7e]{1,128}$",
            description="repeat a POST safely: the same key returns the same run",
        ),
    ] = None,
) -> RunCreated:
    helpers = body.helpers
    if helpers == "register":  # the national register as the run's helpers (records)
        helpers = register_helpers_table(session, settings.uploads_dir, user.id)
    req = RunRequestData(body.scenario, helpers, body.needs, idempotency_key)
    run, created = create_run(session, settings, user, req)
    if created:
        request.app.state.jobs.submit(run.id)
    else:
        response.status_code = status.HTTP_200_OK
    return RunCreated.model_validate({"id": run.uid, "status": run.status})


@router.get("/runs", response_model=list[RunOut], responses=ERRORS, summary="Recent runs")
def list_runs(
    session: DbSession, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[RunOut]:
    runs = session.execute(sa.select(Run).order_by(Run.id.desc()).limit(limit)).scalars().all()
    return runs_out(session, runs, user)


@router.get(
    "/runs/{run_id}",
    response_model=RunOut,
    responses=ERRORS,
    summary="Status and progress of a run",
)
def read_run(run_id: RunUidParam, session: DbSession, user: CurrentUser) -> RunOut:
    return run_out(session, get_run(session, run_id), user)


@router.post(
    "/runs/{run_id}/cancel",
    response_model=RunOut,
    responses={**ERRORS, 409: {"model": ErrorOut, "description": "the run has ended"}},
    summary="Cancel a queued or running run (national office only)",
)
def post_cancel(
    run_id: RunUidParam, request: Request, session: DbSession, user: NationalUser
) -> RunOut:
    run = get_run(session, run_id)
    if cancel_run(session, user, run):
        request.app.state.jobs.cancel(run.id)
    session.refresh(run)
    return run_out(session, run, user)
