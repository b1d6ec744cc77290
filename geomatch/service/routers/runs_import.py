"""``POST /api/runs/import``: publish a finished run folder the operator placed on the server.

Folders are taken only from ``<GEOMATCH_SERVICE_HOME>/geomatch-imports/`` (copy a run made
elsewhere there, e.g. ``runs/demo`` and its ``maps/demo``), named by a plain folder name —
never a path — so a request cannot reach any other file of the server. National office
only. The loading is :func:`geomatch.records.runs.import_run_folder` (the same as
``geomatch runs import``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from geomatch.errors import InputError
from geomatch.records.runs import import_run_folder
from geomatch.service.deps import NationalUser, Settings
from geomatch.service.routers import ERRORS

__all__ = ["IMPORTS_FOLDER", "router"]

router = APIRouter(prefix="/api", tags=["runs"])

#: Folder under the service home that holds run folders to import.
IMPORTS_FOLDER = "geomatch-imports"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class RunImportIn(BaseModel):
    """Folder names under ``<service home>/geomatch-imports/``."""

    model_config = ConfigDict(extra="forbid")

    folder: str = Field(pattern=_NAME, description="run folder, e.g. demo")
    maps: str | None = Field(None, pattern=_NAME, description="its maps folder, e.g. demo-maps")
    scenario: str = Field("imported", pattern=_NAME, description="scenario name recorded")


class RunImportOut(BaseModel):
    id: str


def _inside(base: Path, name: str) -> Path:
    path = (base / name).resolve()
    if not path.is_relative_to(base.resolve()) or not path.is_dir():
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no folder {name!r} in {IMPORTS_FOLDER}/"
        )
    return path


@router.post(
    "/runs/import",
    status_code=status.HTTP_201_CREATED,
    response_model=RunImportOut,
    responses=ERRORS,
    summary="Store a finished run folder from the server's imports folder (national office)",
)
async def import_run_route(
    body: RunImportIn, settings: Settings, user: NationalUser
) -> RunImportOut:
    base = settings.service_home / IMPORTS_FOLDER
    folder = _inside(base, body.folder)
    maps = _inside(base, body.maps) if body.maps is not None else None
    try:
        run_id = await run_in_threadpool(
            import_run_folder, settings, folder, maps, scenario=body.scenario
        )
    except InputError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail={
                "message": exc.detail,
                "file": Path(exc.file or "").name or None,
                "row": exc.row,
                "column": exc.column,
            },
        ) from None
    return RunImportOut(id=run_id)
