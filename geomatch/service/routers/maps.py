"""``/maps``: the HTML coverage maps of a finished run and their local assets."""

from __future__ import annotations

import gzip
import mimetypes
import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from geomatch.service.cache import ServiceCaches
from geomatch.service.config import ServiceSettings
from geomatch.service.deps import CurrentUser, FullReader, known_province
from geomatch.service.routers import ERRORS
from geomatch.service.routers.coverage import RunQuery, done_run, resolve_run

__all__ = ["router"]

router = APIRouter(prefix="/maps", tags=["maps"])

_MAP_ASSET = re.compile(r"^[\w\-./]{1,200}$")
_COMPRESSIBLE = re.compile(r"^(text/|application/(javascript|json))")


def _read_map_file(
    factory: sessionmaker[Session], settings: ServiceSettings, uid: str, rel: str
) -> tuple[bytes, str]:
    with factory() as session:
        done_run(session, uid)
    folder = (settings.runs_dir / uid / "maps").resolve()
    path = (folder / rel).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"运行 {uid} 没有地图 {rel}")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media.startswith("text/") or media in ("application/javascript", "application/json"):
        media += "; charset=utf-8"
    return path.read_bytes(), media


def _accepts_gzip(request: Request) -> bool:
    """Whether the client takes ``Content-Encoding: gzip`` (q=0 refuses it)."""
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


async def _gzipped(
    caches: ServiceCaches, uid: str, rel: str, body: bytes, media: str
) -> tuple[bytes, str]:
    key = ("map.gz", uid, rel)

    async def compress() -> tuple[bytes, str]:
        packed = await run_in_threadpool(gzip.compress, body, 6)
        caches.files.put(key, packed, media)
        return packed, media

    return await caches.flights.run(key, lambda: caches.files.get(key), compress)


async def _map_response(request: Request, run: str | None, rel: str) -> Response:
    """A file of a finished run's maps folder (kept in memory once read)."""
    uid = await resolve_run(request, run)
    caches: ServiceCaches = request.app.state.caches
    key = ("map", uid, rel)

    async def load() -> tuple[bytes, str]:
        loaded = await run_in_threadpool(
            _read_map_file, request.app.state.session_factory, request.app.state.settings, uid, rel
        )
        caches.files.put(key, *loaded)
        return loaded

    body, media = await caches.flights.run(key, lambda: caches.files.get(key), load)
    headers = {"Cache-Control": "private, max-age=60", "Vary": "Accept-Encoding"}
    if _COMPRESSIBLE.match(media) and _accepts_gzip(request) and len(body) > 1024:
        body, media = await _gzipped(caches, uid, rel, body, media)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=media, headers=headers)


@router.get(
    "/national",
    response_class=Response,
    responses=ERRORS,
    summary="National coverage map (national office and analysts)",
)
async def national_map(request: Request, user: FullReader, run: RunQuery = None) -> Response:
    return await _map_response(request, run, "national.html")


async def _map_province(
    request: Request, adcode: Annotated[str, Path(pattern=r"^\d{2}0000$")], user: CurrentUser
) -> str:
    await known_province(request, adcode)
    scope = user.scope(adcode)
    return scope or adcode


@router.get(
    "/province/{adcode}",
    response_class=Response,
    responses=ERRORS,
    summary="Coverage map of one province",
)
async def province_map(
    request: Request,
    adcode: Annotated[str, Depends(_map_province)],
    run: RunQuery = None,
) -> Response:
    return await _map_response(request, run, f"province/{adcode}.html")


@router.get(
    "/assets/{asset:path}",
    response_class=Response,
    responses=ERRORS,
    summary="Local scripts, styles and images of the maps",
)
async def map_asset(request: Request, asset: str, user: CurrentUser) -> Response:
    if not _MAP_ASSET.fullmatch(asset) or ".." in asset.split("/"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="没有该资源")
    return await _map_response(request, None, f"assets/{asset}")
