"""``/api/audit``: exports, uploads, runs and refused attempts (national office only)."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query

from geomatch.service.deps import DbSession, NationalUser
from geomatch.service.models import AuditLog
from geomatch.service.routers import ERRORS
from geomatch.service.schemas import AuditEntry

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["audit"])


@router.get(
    "/audit",
    response_model=list[AuditEntry],
    responses=ERRORS,
    summary="The audit log of exports, uploads, runs and refused (403) attempts",
)
def get_audit(
    session: DbSession, user: NationalUser, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[AuditEntry]:
    rows = session.execute(sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(limit))
    return [AuditEntry.model_validate(a) for a in rows.scalars()]
