"""``/api/datasets``: upload helpers or needs tables (validated as the CLI does), list them.

The upload form is parsed as it streams (:func:`geomatch.service.limits.read_multipart`):
a CSV is checked for its columns, rows and cell length on the way in, so an oversized
table is refused (422 naming the limit) before the rest arrives; the byte cap and the
authentication were checked before the first byte by the body-limit middleware.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from geomatch.errors import InputError
from geomatch.io.output import write_csv
from geomatch.service.auth import Principal
from geomatch.service.config import ServiceSettings
from geomatch.service.deps import DbSession, FullReader, NationalUser, Settings
from geomatch.service.limits import FileTooLargeError, StreamedForm, csv_guards, read_multipart
from geomatch.service.models import StoredDataset
from geomatch.service.routers import ERRORS, multipart_form
from geomatch.service.run_service import audit
from geomatch.service.schemas import DatasetOut, ErrorOut, InputErrorOut
from geomatch.service.uploads import UploadTooLargeError, validate_upload

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["datasets"])

_FORM_SCHEMA = multipart_form(
    "kind", {"type": "string", "enum": ["helpers", "needs"]}, ".csv, .gpkg or .zip"
)


def _input_error(exc: InputError) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail={"message": str(exc), "file": exc.file, "row": exc.row, "column": exc.column},
    )


async def _read_form(request: Request, settings: ServiceSettings) -> StreamedForm:
    try:
        form = await read_multipart(
            request.headers.get("content-type", ""),
            request.stream(),
            csv_guards(settings),
            settings.max_upload_bytes,
        )
    except FileTooLargeError as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=str(exc)) from None
    except InputError as exc:
        raise _input_error(exc) from None
    kind = form.fields.get("kind", "")
    if kind not in ("helpers", "needs"):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail={
                "message": "form field kind must be helpers or needs",
                "file": None,
                "row": None,
                "column": "kind",
            },
        )
    if not form.filename:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail={
                "message": "the form holds no file",
                "file": None,
                "row": None,
                "column": "file",
            },
        )
    return form


@router.post(
    "/datasets",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetOut,
    responses={
        **ERRORS,
        413: {"model": ErrorOut, "description": "too large"},
        422: {"model": InputErrorOut, "description": "invalid table or over a limit"},
    },
    openapi_extra=_FORM_SCHEMA,
    summary="Upload helpers or needs (CSV, GeoPackage or a zip of one), validated",
)
async def upload_dataset(request: Request, user: NationalUser, settings: Settings) -> DatasetOut:
    form = await _read_form(request, settings)
    # Validation (pandas, GDAL) and the database work run in a worker thread, so the
    # event loop keeps serving other requests meanwhile.
    return await run_in_threadpool(
        _accept_upload,
        request.app.state.session_factory,
        settings,
        user,
        form.fields["kind"],
        form.filename,
        bytes(form.data),
    )


def _accept_upload(
    factory: sessionmaker[Session],
    settings: ServiceSettings,
    user: Principal,
    kind: str,
    filename: str,
    data: bytes,
) -> DatasetOut:
    try:
        checked = validate_upload(
            data,
            filename,
            kind,
            max_unzipped_bytes=settings.max_unzipped_bytes,
            max_zip_ratio=settings.max_zip_ratio,
            guard_for=csv_guards(settings),
        )
    except UploadTooLargeError as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=str(exc)) from None
    except InputError as exc:
        raise _input_error(exc) from None
    with factory() as session:
        row = StoredDataset(
            kind=kind,
            filename=checked.display_name,
            sha256=hashlib.sha256(data).hexdigest(),
            n_rows=len(checked.table),
            columns=[str(c) for c in checked.table.columns],
            path="",
            uploaded_by=user.id,
        )
        session.add(row)
        session.flush()
        folder = settings.uploads_dir / str(row.id)
        write_csv(checked.table, folder / f"{kind}.csv", excel=False)
        row.path = str(folder / f"{kind}.csv")
        audit(
            session,
            user,
            "upload",
            f"dataset {row.id} {kind}",
            {"file": checked.display_name, "rows": len(checked.table)},
        )
        session.commit()
        return DatasetOut.model_validate(row)


@router.get(
    "/datasets", response_model=list[DatasetOut], responses=ERRORS, summary="Accepted uploads"
)
def list_datasets(session: DbSession, user: FullReader) -> list[DatasetOut]:
    rows = session.execute(
        sa.select(StoredDataset).order_by(StoredDataset.id.desc()).limit(200)
    ).scalars()
    return [DatasetOut.model_validate(d) for d in rows]
