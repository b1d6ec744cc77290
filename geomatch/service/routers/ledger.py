"""``/api/ledger``: the "两数" ledger of a year and its 自查 view (units falling short).

A planner reads their province's row; the national office and analysts read every
province's and every national society's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from geomatch.records.ledger import ledger, self_check
from geomatch.records.schemas import LedgerRowOut, SelfCheckRowOut
from geomatch.service.deps import CurrentUser, DbSession, ScopedProvince
from geomatch.service.routers import ERRORS

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["ledger"])

Year = Annotated[int, Query(ge=2013, le=2035, description="year, e.g. 2020")]


@router.get(
    "/ledger",
    response_model=list[LedgerRowOut],
    responses=ERRORS,
    summary="Targets against achievements per province and national society",
)
def get_ledger(
    session: DbSession, user: CurrentUser, province: ScopedProvince, year: Year
) -> list[LedgerRowOut]:
    rows = ledger(session, year, province)
    return [LedgerRowOut.model_validate(r) for r in rows.to_dict("records")]


@router.get(
    "/ledger/self-check",
    response_model=list[SelfCheckRowOut],
    responses=ERRORS,
    summary="自查: the units that fall short, and by how much",
)
def get_self_check(
    session: DbSession, user: CurrentUser, province: ScopedProvince, year: Year
) -> list[SelfCheckRowOut]:
    rows = self_check(ledger(session, year, province))
    return [SelfCheckRowOut.model_validate(r) for r in rows.to_dict("records")]
