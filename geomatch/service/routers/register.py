"""``/api/register``: the expert register (名册) — import, list, duplicates, template.

A planner files and reads their own province's register; the national office files for
any province and reads the national one; analysts read. ID and phone numbers never leave
the server unmasked (they are not even stored, see :mod:`geomatch.records.identity`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import (
    APIRouter,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from geomatch.errors import AuthorizationError, InputError
from geomatch.model.categories import CATEGORY_ZH, HELPER_KIND_ZH
from geomatch.records.identity import register_key
from geomatch.records.orm import RegisterEntry
from geomatch.records.register import check_province, find_duplicates, import_register_bytes
from geomatch.records.register_file import LEVEL_ZH, RegisterFileError, write_register_template
from geomatch.records.schemas import (
    DuplicateOut,
    RegisterEntryOut,
    RegisterErrorsOut,
    RegisterImportOut,
)
from geomatch.service.auth import Principal
from geomatch.service.config import ServiceSettings
from geomatch.service.deps import (
    CsrfForm,
    CurrentUser,
    DbSession,
    PageUser,
    ScopedProvince,
    Settings,
)
from geomatch.service.limits import csv_guards, read_multipart
from geomatch.service.routers import ERRORS, multipart_form
from geomatch.service.run_service import audit

__all__ = ["pages", "router"]

router = APIRouter(prefix="/api", tags=["register"])

_FORM_SCHEMA = multipart_form(
    "province", {"type": "string", "pattern": r"^\d{2}0000$"}, ".csv or .xlsx"
)
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _errors_422(exc: InputError) -> HTTPException:
    errors = exc.errors if isinstance(exc, RegisterFileError) else (exc,)
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail={
            "message": str(exc),
            "file": exc.file,
            "row": exc.row,
            "column": exc.column,
            "errors": [
                {"message": e.detail, "file": e.file, "row": e.row, "column": e.column}
                for e in errors
            ],
        },
    )


def _may_file(user: Principal, province: str) -> None:
    if user.role == "national" or (user.role == "planner" and user.province == province):
        return
    raise AuthorizationError(
        f"用户 {user.name} 不能为省份 {province} 备案名册 (only that province's planner or the "
        "national office files a province's register)"
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisterImportOut,
    responses={
        **ERRORS,
        422: {"model": RegisterErrorsOut, "description": "errors; nothing stored"},
    },
    openapi_extra=_FORM_SCHEMA,
    summary="Import a province's register (CSV or XLSX); all errors listed, nothing stored then",
)
async def import_register_route(
    request: Request, user: CurrentUser, settings: Settings
) -> RegisterImportOut:
    try:
        form = await read_multipart(
            request.headers.get("content-type", ""),
            request.stream(),
            csv_guards(settings),
        )
    except InputError as exc:
        raise _errors_422(exc) from None
    province = form.fields.get("province", "")
    if not form.filename:
        raise _errors_422(InputError("the form holds no file", column="file"))
    return await run_in_threadpool(
        _import,
        request.app.state.session_factory,
        settings,
        user,
        province,
        form.filename,
        bytes(form.data),
    )


def _import(
    factory: sessionmaker[Session],
    settings: ServiceSettings,
    user: Principal,
    province: str,
    filename: str,
    data: bytes,
) -> RegisterImportOut:
    with factory() as session:
        try:
            check_province(province)
            _may_file(user, province)
            result = import_register_bytes(
                session,
                data,
                Path(filename).name,
                province,
                register_key(settings.service_home),
                user_name=user.name,
            )
        except InputError as exc:
            session.rollback()
            raise _errors_422(exc) from None
        audit(
            session,
            user,
            "register",
            f"register {province}",
            {"file": Path(filename).name, "rows": result.rows},
        )
        session.commit()
        return RegisterImportOut.model_validate(result)


@router.get(
    "/register",
    response_model=list[RegisterEntryOut],
    responses=ERRORS,
    summary="The register (national: all; planner: own province), masked",
)
def list_register(
    session: DbSession,
    user: CurrentUser,
    province: ScopedProvince,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> list[RegisterEntryOut]:
    q = sa.select(RegisterEntry).order_by(RegisterEntry.filed_by_province, RegisterEntry.helper_id)
    if province is not None:
        q = q.where(RegisterEntry.filed_by_province == province)
    rows = session.execute(q.limit(limit).offset(offset)).scalars()
    return [RegisterEntryOut.model_validate(r) for r in rows]


@router.get(
    "/register/duplicates",
    response_model=list[DuplicateOut],
    responses=ERRORS,
    summary="Entries filed by two provinces that look like one person (never merged)",
)
def list_duplicates(
    session: DbSession, user: CurrentUser, province: ScopedProvince
) -> list[DuplicateOut]:
    return [DuplicateOut.model_validate(d) for d in find_duplicates(session, province)]


@router.get(
    "/register/template",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {_XLSX: {}}, "description": "import template"}},
    summary="The register import template (.xlsx, Chinese headers)",
)
def register_template(user: CurrentUser) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        data = write_register_template(Path(tmp) / "template.xlsx").read_bytes()
    return Response(
        data,
        media_type=_XLSX,
        headers={"Content-Disposition": 'attachment; filename="register_template.xlsx"'},
    )


# --- pages ----------------------------------------------------------------------------

pages = APIRouter(include_in_schema=False)
_PAGE_GLOBALS = {"KIND_ZH": HELPER_KIND_ZH, "CATEGORY_ZH": CATEGORY_ZH, "LEVEL_ZH": LEVEL_ZH}


async def _register_page(
    request: Request,
    session: Session,
    user: Principal,
    *,
    message: str = "",
    errors: list[dict[str, object]] | None = None,
    status_code: int = 200,
) -> Response:
    from geomatch.service.routers.pages import render

    scope = user.province
    q = sa.select(RegisterEntry).order_by(RegisterEntry.filed_by_province, RegisterEntry.helper_id)
    if scope is not None:
        q = q.where(RegisterEntry.filed_by_province == scope)
    context = {
        "user": user,
        "scope": scope,
        "can_file": user.role in ("national", "planner"),
        "entries": list(session.execute(q.limit(5000)).scalars()),
        "duplicates": find_duplicates(session, scope),
        "message": message,
        "errors": errors or [],
        **_PAGE_GLOBALS,
    }
    return await render(request, "records_register.html", context, status_code=status_code)


@pages.get("/records/register", response_class=HTMLResponse)
async def register_page(request: Request, session: DbSession, user: PageUser) -> Response:
    return await _register_page(request, session, user)


@pages.post("/records/register", dependencies=[CsrfForm])
async def register_upload_form(
    request: Request,
    session: DbSession,
    user: PageUser,
    settings: Settings,
    province: Annotated[str, Form(max_length=6)],
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read(settings.max_upload_bytes + 1)
    name = file.filename or "register.csv"
    try:
        if len(data) > settings.max_upload_bytes:
            raise _errors_422(InputError("the file is over the upload limit", file=name))
        result = await run_in_threadpool(
            _import, request.app.state.session_factory, settings, user, province, name, data
        )
    except HTTPException as exc:
        if exc.status_code != status.HTTP_422_UNPROCESSABLE_CONTENT:
            raise
        detail: dict[str, Any] = exc.detail if isinstance(exc.detail, dict) else {}
        return await _register_page(
            request, session, user, errors=list(detail.get("errors", [])), status_code=422
        )
    note = f"省份 {result.province}：已备案 {result.rows} 人，替换原有 {result.replaced} 人"
    if result.duplicates:
        note += f"；发现疑似重复 {len(result.duplicates)} 组（见下表，未合并）"
    return await _register_page(request, session, user, message=note)
