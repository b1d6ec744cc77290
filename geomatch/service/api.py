"""The JSON/CSV API under ``/api`` and the map files under ``/maps``.

Every route needs a token (see :mod:`geomatch.service.deps`); every read goes through
the scoped queries of :mod:`geomatch.service.results`, so a planner cannot reach another
province through any parameter. Bad parameters are answered with 4xx.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import mimetypes
import re
from enum import StrEnum
from pathlib import Path as FsPath
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import (
    APIRouter,
    File,
    Form,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from geomatch.errors import InputError
from geomatch.io.output import mask_personal_numbers, neutralise_formulas, write_csv
from geomatch.service.auth import Principal
from geomatch.service.cache import ServiceCaches
from geomatch.service.config import ServiceSettings
from geomatch.service.db import is_postgres
from geomatch.service.deps import CurrentUser, DbSession, Settings, forbidden
from geomatch.service.models import AuditLog, Dataset, Province, Run, RunTable, Unit
from geomatch.service.results import coverage_rows, latest_done_run, result_frame
from geomatch.service.schemas import (
    AuditEntry,
    CoverageOut,
    DatasetOut,
    ErrorOut,
    InputErrorOut,
    MeOut,
    ProvinceOut,
    RunCreated,
    RunOut,
    RunRequest,
    UnitOut,
)
from geomatch.service.uploads import UploadTooLargeError, validate_upload

__all__ = [
    "ResultTable",
    "audit",
    "create_run",
    "dataset_out",
    "maps_router",
    "router",
    "run_out",
]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["api"])
maps_router = APIRouter(prefix="/maps", tags=["maps"])

RunId = Annotated[int, Path(ge=1, le=2**31 - 1, description="run id")]
ProvinceParam = Annotated[
    str | None,
    Query(pattern=r"^\d{2}0000$", description="province code, e.g. 620000 (甘肃省)"),
]
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no valid token"},
    403: {"model": ErrorOut, "description": "the role or province does not allow it"},
    404: {"model": ErrorOut, "description": "no such run, table or map"},
}


class ResultTable(StrEnum):
    """The tables of a run that can be exported."""

    pairings = "pairings"
    unmet = "unmet"
    museum_visits = "museum_visits"
    caravan_tours = "caravan_tours"
    coverage = "coverage"
    kpi = "kpi"


def audit(
    session: Session, user: Principal, action: str, target: str, filt: dict[str, Any] | None = None
) -> None:
    """Add an audit entry (committed with the caller's transaction)."""
    session.add(
        AuditLog(
            user_id=user.id,
            user_name=user.name,
            action=action,
            target=target[:256],
            filter=filt or {},
        )
    )


def dataset_out(row: Dataset) -> DatasetOut:
    """The API view of a stored upload."""
    return DatasetOut(
        id=row.id,
        kind=row.kind,
        filename=row.filename,
        rows=row.n_rows,
        columns=row.columns,
        sha256=row.sha256,
        created_at=row.created_at,
    )


def run_out(session: Session, run: Run) -> RunOut:
    tables = dict(
        session.execute(
            sa.select(RunTable.name, RunTable.n_rows).where(RunTable.run_id == run.id)
        ).all()
    )
    return RunOut(
        id=run.id,
        scenario=run.scenario,
        status=run.status,
        progress=run.progress,
        message=run.message or "",
        error=run.error or "",
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        tables=tables,
        helpers=run.helpers_dataset_id,
        needs=run.needs_dataset_id,
    )


def _get_run(session: Session, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no run {run_id}")
    return run


def _check_province(session: Session, province: str | None) -> None:
    if province is not None and session.get(Province, province) is None:
        known = session.execute(sa.select(sa.func.count()).select_from(Province)).scalar_one()
        if known:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"no province {province} in the dataset"
            )


def available_scenarios(settings: ServiceSettings) -> list[str]:
    """Names of the scenarios a run may start."""
    folder = FsPath(settings.scenario_dir)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def _check_upload(session: Session, dataset_id: int | None, kind: str) -> None:
    if dataset_id is None:
        return
    ds = session.get(Dataset, dataset_id)
    if ds is None or ds.kind != kind:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"no uploaded {kind} table {dataset_id} (POST /api/datasets with kind={kind})",
        )
    missing = [c for c in ("lon", "lat") if c not in ds.columns]
    if missing:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"uploaded {kind} table {dataset_id} ({ds.filename}) has no "
            f"{' and '.join(missing)} column; a run needs the points' locations",
        )


def create_run(
    request: Request,
    session: Session,
    user: Principal,
    scenario: str,
    *,
    helpers: int | None = None,
    needs: int | None = None,
) -> Run:
    """Queue a run and start its worker (the route and the page form share this)."""
    if not user.can_run:
        raise forbidden(f"a {user.role} user cannot start runs; only the national office can")
    settings: ServiceSettings = request.app.state.settings
    names = available_scenarios(settings)
    if scenario not in names:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"unknown scenario {scenario!r}; available: {', '.join(names) or 'none'}",
        )
    _check_upload(session, helpers, "helpers")
    _check_upload(session, needs, "needs")
    run = Run(
        helpers_dataset_id=helpers,
        needs_dataset_id=needs,
        scenario=scenario,
        status="queued",
        progress=0.0,
        message="排队中",
        error="",
        created_by=user.id,
    )
    session.add(run)
    session.flush()
    audit(
        session,
        user,
        "run",
        f"run {run.id}",
        {"scenario": scenario, "helpers": helpers, "needs": needs},
    )
    session.commit()
    request.app.state.jobs.submit(run.id)
    return run


@router.get("/me", response_model=MeOut, responses=_ERRORS, summary="The current user")
def me(user: CurrentUser) -> MeOut:
    return MeOut(name=user.name, role=user.role, province=user.province)


@router.post(
    "/runs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RunCreated,
    responses=_ERRORS,
    summary="Start a run of a scenario (national office only)",
)
def post_run(
    body: RunRequest, request: Request, session: DbSession, user: CurrentUser
) -> RunCreated:
    run = create_run(request, session, user, body.scenario, helpers=body.helpers, needs=body.needs)
    return RunCreated(id=run.id, status="queued")


@router.get("/runs", response_model=list[RunOut], responses=_ERRORS, summary="Recent runs")
def list_runs(
    session: DbSession, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[RunOut]:
    runs = session.execute(sa.select(Run).order_by(Run.id.desc()).limit(limit)).scalars()
    return [run_out(session, r) for r in runs]


@router.get(
    "/runs/{run_id}",
    response_model=RunOut,
    responses=_ERRORS,
    summary="Status and progress of a run",
)
def get_run(run_id: RunId, session: DbSession, user: CurrentUser) -> RunOut:
    return run_out(session, _get_run(session, run_id))


@router.get(
    "/runs/{run_id}/{table}.csv",
    responses={**_ERRORS, 200: {"content": {"text/csv": {}}, "description": "Excel-ready CSV"}},
    response_class=Response,
    summary="Export a result table as CSV (UTF-8 with BOM, formulas neutralised)",
)
def export_table(
    run_id: RunId,
    table: ResultTable,
    session: DbSession,
    user: CurrentUser,
    province: ProvinceParam = None,
) -> Response:
    run = _get_run(session, run_id)
    _check_province(session, province)
    try:
        frame = result_frame(session, user, run.id, table.value, province)
    except PermissionError as exc:
        raise forbidden(exc) from None
    if frame is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"run {run_id} has no {table.value} table (status {run.status})",
        )
    scope = user.scope(province)
    audit(
        session,
        user,
        "export",
        f"run {run_id} {table.value}.csv",
        {"province": scope, "rows": len(frame)},
    )
    session.commit()
    text = mask_personal_numbers(neutralise_formulas(frame)).to_csv(
        index=False, lineterminator="\n"
    )
    name = f"run{run_id}_{table.value}" + (f"_{scope}" if scope else "") + ".csv"
    return Response(
        ("\ufeff" + text).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _latest_run_id(factory: sessionmaker[Session]) -> int | None:
    with factory() as session:
        run = latest_done_run(session)
        return run.id if run is not None else None


async def _resolve_run(request: Request, run: int | None) -> int:
    """The run asked for, or the latest finished one (cached for a second)."""
    if run is not None:
        return run
    caches: ServiceCaches = request.app.state.caches

    async def load() -> int:
        found = await run_in_threadpool(_latest_run_id, request.app.state.session_factory)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no finished run yet")
        caches.latest_run.put("latest", found)
        return found

    latest: int = await caches.flights.run("latest", lambda: caches.latest_run.get("latest"), load)
    return latest


def _coverage_body(
    factory: sessionmaker[Session], user: Principal, run_id: int, scope: str | None
) -> bytes:
    with factory() as session:
        _check_province(session, scope)
        target = _get_run(session, run_id)
        if target.status != "done":
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"run {target.id} is {target.status}, not done"
            )
        rows = coverage_rows(session, user, target.id, scope)
    return json.dumps(
        {"run_id": run_id, "province": scope, "counties": rows}, ensure_ascii=False
    ).encode("utf-8")


@router.get(
    "/coverage",
    responses={**_ERRORS, 200: {"model": CoverageOut}},
    response_class=Response,
    summary="Per-county coverage of a run",
)
async def get_coverage(
    request: Request,
    user: CurrentUser,
    province: ProvinceParam = None,
    run: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="run id (default: latest)")
    ] = None,
) -> Response:
    try:
        scope = user.scope(province)
    except PermissionError as exc:
        raise forbidden(exc) from None
    run_id = await _resolve_run(request, run)
    caches: ServiceCaches = request.app.state.caches
    key = ("coverage", run_id, scope)

    async def load() -> tuple[bytes, str]:
        body = await run_in_threadpool(
            _coverage_body, request.app.state.session_factory, user, run_id, scope
        )
        caches.coverage.put(key, body, "application/json")
        return body, "application/json"

    body, media = await caches.flights.run(key, lambda: caches.coverage.get(key), load)
    return Response(body, media_type=media)


@router.get(
    "/provinces",
    response_model=list[ProvinceOut],
    responses=_ERRORS,
    summary="Provinces the user may see",
)
def list_provinces(session: DbSession, user: CurrentUser) -> list[ProvinceOut]:
    q = sa.select(Province).order_by(Province.adcode)
    if user.province is not None:
        q = q.where(Province.adcode == user.province)
    return [
        ProvinceOut(adcode=p.adcode, name=p.name, region=p.region)
        for p in session.execute(q).scalars()
    ]


def _unit_at(request: Request, lon: float, lat: float) -> Unit | None:
    """The county whose polygon covers the point (PostGIS on PostgreSQL, STRtree else)."""
    from shapely import Point

    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        if is_postgres(session.get_bind()):
            point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), 4326)
            return session.execute(
                sa.select(Unit)
                .where(sa.func.ST_Covers(Unit.geom, point))
                .order_by(Unit.adcode)
                .limit(1)
            ).scalar_one_or_none()
        index = request.app.state.caches.unit_index
        if index is None:
            import shapely

            rows = session.execute(
                sa.select(Unit.adcode, Unit.geom).where(Unit.geom.is_not(None))
            ).all()
            codes = [r[0] for r in rows]
            index = (codes, shapely.STRtree([r[1] for r in rows if r[1] is not None]))
            request.app.state.caches.unit_index = index
        codes, tree = index
        hits = sorted(codes[i] for i in tree.query(Point(lon, lat), predicate="covered_by"))
        return session.get(Unit, hits[0]) if hits else None


@router.get(
    "/units/at",
    response_model=UnitOut,
    responses=_ERRORS,
    summary="The county at a point (WGS84 lon/lat)",
)
def unit_at(
    request: Request,
    user: CurrentUser,
    lon: Annotated[float, Query(ge=73.0, le=135.5, description="longitude, WGS84 degrees")],
    lat: Annotated[float, Query(ge=3.0, le=53.7, description="latitude, WGS84 degrees")],
) -> UnitOut:
    unit = _unit_at(request, lon, lat)
    if unit is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no county at ({lon}, {lat})")
    try:
        user.scope(unit.province_adcode)
    except PermissionError as exc:
        raise forbidden(exc) from None
    return UnitOut(
        adcode=unit.adcode,
        name=unit.name,
        province_adcode=unit.province_adcode,
        province=unit.province,
        prefecture=unit.prefecture,
        poor=unit.poor,
        exit_year=unit.exit_year,
        deep_poverty_area=unit.deep_poverty_area,
    )


async def _read_limited(file: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while chunk := await file.read(1 << 16):
        data += chunk
        if len(data) > limit:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, detail=f"the upload is larger than {limit} bytes"
            )
    return bytes(data)


@router.post(
    "/datasets",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetOut,
    responses={
        **_ERRORS,
        413: {"model": ErrorOut, "description": "too large"},
        422: {"model": InputErrorOut, "description": "invalid table"},
    },
    summary="Upload helpers or needs (CSV, GeoPackage or a zip of one), validated",
)
async def upload_dataset(
    request: Request,
    user: CurrentUser,
    settings: Settings,
    kind: Annotated[str, Form(pattern="^(helpers|needs)$", description="helpers | needs")],
    file: Annotated[UploadFile, File(description=".csv, .gpkg or .zip")],
) -> DatasetOut:
    if not user.can_run:
        raise forbidden(f"a {user.role} user cannot upload datasets")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_upload_bytes + 1024 * 1024:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"the upload is larger than {settings.max_upload_bytes} bytes",
        )
    data = await _read_limited(file, settings.max_upload_bytes)
    # Validation (pandas, GDAL) and the database work run in a worker thread, so the
    # event loop keeps serving other requests meanwhile.
    return await run_in_threadpool(
        _accept_upload,
        request.app.state.session_factory,
        settings,
        user,
        kind,
        file.filename or "upload",
        data,
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
        )
    except UploadTooLargeError as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=str(exc)) from None
    except InputError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail={"message": str(exc), "file": exc.file, "row": exc.row, "column": exc.column},
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    with factory() as session:
        row = Dataset(
            kind=kind,
            filename=checked.display_name,
            sha256=digest,
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
        return dataset_out(row)


@router.get(
    "/datasets", response_model=list[DatasetOut], responses=_ERRORS, summary="Accepted uploads"
)
def list_datasets(session: DbSession, user: CurrentUser) -> list[DatasetOut]:
    if user.province is not None:
        raise forbidden("uploads are national data; a planner sees their province's results")
    rows = session.execute(sa.select(Dataset).order_by(Dataset.id.desc()).limit(200)).scalars()
    return [dataset_out(d) for d in rows]


@router.get(
    "/audit",
    response_model=list[AuditEntry],
    responses=_ERRORS,
    summary="The audit log of exports, uploads and runs (national office only)",
)
def get_audit(
    session: DbSession, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[AuditEntry]:
    if user.role != "national":
        raise forbidden("only the national office reads the audit log")
    rows = session.execute(sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(limit))
    return [
        AuditEntry(
            id=a.id,
            user=a.user_name,
            action=a.action,
            target=a.target,
            filter=a.filter or {},
            created_at=a.created_at,
        )
        for a in rows.scalars()
    ]


# --- maps ------------------------------------------------------------------------------

_MAP_ASSET = re.compile(r"^[\w\-./]{1,200}$")


def _read_map_file(
    factory: sessionmaker[Session], settings: ServiceSettings, run_id: int, rel: str
) -> tuple[bytes, str]:
    with factory() as session:
        target = _get_run(session, run_id)
        if target.status != "done":
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"run {run_id} is {target.status}, not done"
            )
    folder = (settings.runs_dir / str(run_id) / "maps").resolve()
    path = (folder / rel).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"run {run_id} has no map {rel}")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media.startswith("text/") or media in ("application/javascript", "application/json"):
        media += "; charset=utf-8"
    return path.read_bytes(), media


async def _map_response(request: Request, run: int | None, rel: str) -> Response:
    """A file of a finished run's maps folder (kept in memory once read)."""
    run_id = await _resolve_run(request, run)
    caches: ServiceCaches = request.app.state.caches
    key = ("map", run_id, rel)

    async def load() -> tuple[bytes, str]:
        loaded = await run_in_threadpool(
            _read_map_file,
            request.app.state.session_factory,
            request.app.state.settings,
            run_id,
            rel,
        )
        caches.files.put(key, *loaded)
        return loaded

    body, media = await caches.flights.run(key, lambda: caches.files.get(key), load)
    headers = {"Cache-Control": "private, max-age=60", "Vary": "Accept-Encoding"}
    if _COMPRESSIBLE.match(media) and _accepts_gzip(request) and len(body) > 1024:
        gz_key = ("map.gz", run_id, rel)

        async def compress() -> tuple[bytes, str]:
            packed = await run_in_threadpool(gzip.compress, body, 6)
            caches.files.put(gz_key, packed, media)
            return packed, media

        body, media = await caches.flights.run(gz_key, lambda: caches.files.get(gz_key), compress)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=media, headers=headers)


_COMPRESSIBLE = re.compile(r"^(text/|application/(javascript|json))")


def _accepts_gzip(request: Request) -> bool:
    """Whether the client takes ``Content-Encoding: gzip`` (q=0 refuses it)."""
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


MapRun = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="run id (default: latest)")]


@maps_router.get(
    "/national",
    response_class=Response,
    responses=_ERRORS,
    summary="National coverage map (national office and analysts)",
)
async def national_map(request: Request, user: CurrentUser, run: MapRun = None) -> Response:
    if user.province is not None:
        raise forbidden(f"a planner sees the map of province {user.province} only")
    return await _map_response(request, run, "national.html")


@maps_router.get(
    "/province/{adcode}",
    response_class=Response,
    responses=_ERRORS,
    summary="Coverage map of one province",
)
async def province_map(
    request: Request,
    adcode: Annotated[str, Path(pattern=r"^\d{2}0000$")],
    user: CurrentUser,
    run: MapRun = None,
) -> Response:
    try:
        user.scope(adcode)
    except PermissionError as exc:
        raise forbidden(exc) from None
    return await _map_response(request, run, f"province/{adcode}.html")


@maps_router.get(
    "/assets/{asset:path}",
    response_class=Response,
    responses=_ERRORS,
    summary="Local scripts, styles and images of the maps",
)
async def map_asset(request: Request, asset: str, user: CurrentUser) -> Response:
    if not _MAP_ASSET.fullmatch(asset) or ".." in asset.split("/"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such asset")
    return await _map_response(request, None, f"assets/{asset}")
