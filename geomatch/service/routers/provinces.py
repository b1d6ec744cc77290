"""``/api/provinces``: the provinces the user may see."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter

from geomatch.service.deps import CurrentUser, DbSession
from geomatch.service.models import Province
from geomatch.service.routers import ERRORS
from geomatch.service.schemas import ProvinceOut

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["provinces"])


@router.get(
    "/provinces",
    response_model=list[ProvinceOut],
    responses=ERRORS,
    summary="Provinces the user may see",
)
def list_provinces(session: DbSession, user: CurrentUser) -> list[ProvinceOut]:
    q = sa.select(Province).order_by(Province.adcode)
    if user.province is not None:
        q = q.where(Province.adcode == user.province)
    return [ProvinceOut.model_validate(p) for p in session.execute(q).scalars()]
