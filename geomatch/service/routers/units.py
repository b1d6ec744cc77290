"""``/api/units/at``: the county at a point (PostGIS on PostgreSQL, an STRtree else)."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy.orm import Session, sessionmaker

from geomatch.service.db import is_postgres
from geomatch.service.deps import CurrentUser
from geomatch.service.models import Unit
from geomatch.service.routers import ERRORS
from geomatch.service.schemas import UnitOut

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["units"])


def _postgis_unit(session: Session, lon: float, lat: float) -> Unit | None:
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), 4326)
    return session.execute(
        sa.select(Unit).where(sa.func.ST_Covers(Unit.geom, point)).order_by(Unit.adcode).limit(1)
    ).scalar_one_or_none()


def _indexed_unit(request: Request, session: Session, lon: float, lat: float) -> Unit | None:
    import shapely

    index = request.app.state.caches.unit_index
    if index is None:
        rows = session.execute(sa.select(Unit.adcode, Unit.geom).where(Unit.geom.is_not(None)))
        pairs = [(code, geom) for code, geom in rows.all() if geom is not None]
        index = ([c for c, _ in pairs], shapely.STRtree([g for _, g in pairs]))
        request.app.state.caches.unit_index = index
    codes, tree = index
    hits = sorted(codes[i] for i in tree.query(shapely.Point(lon, lat), predicate="covered_by"))
    return session.get(Unit, hits[0]) if hits else None


def unit_at(request: Request, lon: float, lat: float) -> Unit | None:
    """The county whose polygon covers the point."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        if is_postgres(session.get_bind()):
            return _postgis_unit(session, lon, lat)
        return _indexed_unit(request, session, lon, lat)


@router.get(
    "/units/at",
    response_model=UnitOut,
    responses=ERRORS,
    summary="The county at a point (WGS84 lon/lat)",
)
def get_unit_at(
    request: Request,
    user: CurrentUser,
    lon: Annotated[float, Query(ge=73.0, le=135.5, description="longitude, WGS84 degrees")],
    lat: Annotated[float, Query(ge=3.0, le=53.7, description="latitude, WGS84 degrees")],
) -> UnitOut:
    unit = unit_at(request, lon, lat)
    if unit is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"({lon}, {lat}) 处没有县")
    user.scope(unit.province_adcode)
    return UnitOut.model_validate(unit)
