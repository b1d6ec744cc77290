"""``/api/me``: who the token or session belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from geomatch.service.deps import CurrentUser
from geomatch.service.routers import ERRORS
from geomatch.service.schemas import MeOut

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["users"])


@router.get("/me", response_model=MeOut, responses=ERRORS, summary="The current user")
def me(user: CurrentUser) -> MeOut:
    return MeOut(name=user.name, role=user.role, province=user.province)
