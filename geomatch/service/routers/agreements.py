"""``/api/agreements``: 帮扶协议 — propose from a run, list, read with history, move, report.

Access (:func:`geomatch.records.agreements.access`): the national office does everything;
the planner of the need's province moves its agreements and files their progress; the
planner of the helper's province reads them; analysts read; any other planner gets 403.
An illegal status change is 409 and names the allowed ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from geomatch.errors import AuthorizationError, InputError
from geomatch.records.agreements import (
    STATUS_ZH,
    TRANSITIONS,
    IllegalTransitionError,
    access,
    agreement_history,
    list_agreements,
    propose_for_run,
    transition,
)
from geomatch.records.orm import Agreement, ProgressReport
from geomatch.records.reports import (
    DuplicateReportError,
    ReportFigures,
    ReportStateError,
    late_quarters,
    submit_report,
)
from geomatch.records.runs import find_run
from geomatch.records.schemas import (
    AgreementDetailOut,
    AgreementOut,
    ProposeIn,
    ProposeOut,
    ReportIn,
    ReportOut,
    Status,
    StatusIn,
)
from geomatch.service.auth import Principal
from geomatch.service.deps import (
    CsrfForm,
    CurrentUser,
    DbSession,
    NationalUser,
    PageUser,
    ScopedProvince,
    check_province_known,
)
from geomatch.service.models import Run
from geomatch.service.routers import ERRORS
from geomatch.service.run_service import audit
from geomatch.service.schemas import ErrorOut

__all__ = ["pages", "router"]

router = APIRouter(prefix="/api", tags=["agreements"])

AgreementId = Annotated[int, Path(ge=1, le=2**31 - 1, description="agreement id")]
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "not allowed in the agreement's state"}
}


def _agreement(session: DbSession, agreement_id: int, user: Principal, *, write: bool) -> Agreement:
    found = session.get(Agreement, agreement_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no agreement {agreement_id}")
    may = access(user, found)
    if may is None or (write and may != "write"):
        verb = "变更" if write else "查看"
        raise AuthorizationError(
            f"用户 {user.name} 不能{verb}协议 {agreement_id}（需求方省份 {found.need_province}，"
            f"帮扶方省份 {found.helper_province}）(the need's province planner moves an "
            "agreement, the helper's reads it)"
        )
    return found


def _run(session: DbSession, ref: int | str) -> Run:
    run = find_run(session, ref)
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no run {ref}")
    return run


@router.post(
    "/agreements/propose",
    response_model=ProposeOut,
    responses={**ERRORS, **_CONFLICT},
    summary="Draft one proposed agreement per pairing of a finished run (idempotent)",
)
def propose(body: ProposeIn, session: DbSession, user: NationalUser) -> ProposeOut:
    run = _run(session, body.run)
    try:
        created = propose_for_run(session, run, years=body.years)
    except InputError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    audit(session, user, "propose", f"run {run.id}", {"created": created})
    session.commit()
    return ProposeOut(created=created)


@router.get(
    "/agreements",
    response_model=list[AgreementOut],
    responses=ERRORS,
    summary="Agreements the user may read (province: either side)",
)
def get_agreements(
    session: DbSession,
    user: CurrentUser,
    province: ScopedProvince,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> list[AgreementOut]:
    rows = list_agreements(
        session, user, province=province, status=status_, limit=limit, offset=offset
    )
    return [AgreementOut.model_validate(a) for a in rows]


def _detail(session: DbSession, found: Agreement) -> AgreementDetailOut:
    reports = session.execute(
        sa.select(ProgressReport)
        .where(ProgressReport.agreement_id == found.id)
        .order_by(ProgressReport.period)
    ).scalars()
    return AgreementDetailOut.model_validate(
        {
            **AgreementOut.model_validate(found).model_dump(),
            "history": agreement_history(session, found.id),
            "reports": list(reports),
            "late_quarters": late_quarters(session, found, dt.date.today()),
        }
    )


@router.get(
    "/agreements/{agreement_id}",
    response_model=AgreementDetailOut,
    responses=ERRORS,
    summary="One agreement with its history, reports and late quarters",
)
def get_agreement(
    agreement_id: AgreementId, session: DbSession, user: CurrentUser
) -> AgreementDetailOut:
    return _detail(session, _agreement(session, agreement_id, user, write=False))


@router.patch(
    "/agreements/{agreement_id}",
    response_model=AgreementDetailOut,
    responses={**ERRORS, **_CONFLICT},
    summary="Move an agreement (the need's province planner or the national office)",
)
def patch_agreement(
    agreement_id: AgreementId, body: StatusIn, session: DbSession, user: CurrentUser
) -> AgreementDetailOut:
    found = _agreement(session, agreement_id, user, write=True)
    try:
        transition(session, found, body.status, user)
    except IllegalTransitionError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    audit(session, user, "agreement", f"agreement {agreement_id}", {"status": body.status})
    session.commit()
    return _detail(session, found)


@router.post(
    "/agreements/{agreement_id}/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    responses={**ERRORS, **_CONFLICT},
    summary="File a quarter's progress (one per quarter; the need's province planner)",
)
def post_report(
    agreement_id: AgreementId, body: ReportIn, session: DbSession, user: CurrentUser
) -> ReportOut:
    found = _agreement(session, agreement_id, user, write=True)
    figures = ReportFigures(**body.model_dump(exclude={"period"}))
    try:
        report = submit_report(session, found, body.period, figures, user)
    except (DuplicateReportError, ReportStateError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except InputError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    session.commit()
    return ReportOut.model_validate(report)


@router.get(
    "/agreements/{agreement_id}/reports",
    response_model=list[ReportOut],
    responses=ERRORS,
    summary="The progress reports of an agreement",
)
def get_reports(
    agreement_id: AgreementId, session: DbSession, user: CurrentUser
) -> list[ReportOut]:
    found = _agreement(session, agreement_id, user, write=False)
    return _detail(session, found).reports


# --- pages ----------------------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


async def _agreements_page(
    request: Request,
    session: Session,
    user: Principal,
    province: str | None,
    status_: str | None,
    *,
    message: str = "",
    failed: bool = False,
    status_code: int = 200,
) -> Response:
    from geomatch.service.routers.pages import render

    if province is not None:
        check_province_known(session, province)
    rows = list_agreements(session, user, province=province, status=status_, limit=2000)
    context = {
        "user": user,
        "scope": user.scope(province),
        "status": status_ or "",
        "rows": rows,
        "writable": {a.id: access(user, a) == "write" for a in rows},
        "message": message,
        "failed": failed,
        "TRANSITIONS": TRANSITIONS,
        "STATUS_ZH_AGREEMENT": STATUS_ZH,
    }
    return await render(request, "records_agreements.html", context, status_code=status_code)


@pages.get("/records/agreements", response_class=HTMLResponse)
async def agreements_page(
    request: Request,
    session: DbSession,
    user: PageUser,
    province: Annotated[str | None, Query(pattern=r"^(\d{2}0000)?$")] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^[a-z]*$")] = None,
) -> Response:
    return await _agreements_page(
        request, session, user, province or None, status_ if status_ in STATUS_ZH else None
    )


@pages.post("/records/agreements/{agreement_id}/status", dependencies=[CsrfForm])
async def agreement_status_form(
    request: Request,
    agreement_id: AgreementId,
    session: DbSession,
    user: PageUser,
    new_status: Annotated[str, Form(alias="status", max_length=16)],
) -> Response:
    found = _agreement(session, agreement_id, user, write=True)
    try:
        transition(session, found, new_status, user)
    except IllegalTransitionError as exc:
        session.rollback()
        return await _agreements_page(
            request, session, user, None, None, message=str(exc), failed=True, status_code=409
        )
    audit(session, user, "agreement", f"agreement {agreement_id}", {"status": new_status})
    session.commit()
    note = f"协议 {agreement_id} 已变更为「{STATUS_ZH[new_status]}」"
    return await _agreements_page(request, session, user, None, None, message=note)
