"""``/api/ledger``: the "两数" ledger of a year and its 自查 view (units falling short).

A planner reads their province's row; the national office and analysts read every
province's and every national society's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from geomatch.records.ledger import ledger, self_check
from geomatch.records.schemas import LedgerRowOut, SelfCheckRowOut
from geomatch.service.deps import CurrentUser, DbSession, PageUser, ScopedProvince
from geomatch.service.routers import ERRORS, YearQuery

__all__ = ["pages", "router"]

router = APIRouter(prefix="/api", tags=["ledger"])


@router.get(
    "/ledger",
    response_model=list[LedgerRowOut],
    responses=ERRORS,
    summary="Targets against achievements per province and national society",
)
def get_ledger(
    session: DbSession, user: CurrentUser, province: ScopedProvince, year: YearQuery
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
    session: DbSession, user: CurrentUser, province: ScopedProvince, year: YearQuery
) -> list[SelfCheckRowOut]:
    rows = self_check(ledger(session, year, province))
    return [SelfCheckRowOut.model_validate(r) for r in rows.to_dict("records")]


# --- pages ----------------------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


@pages.get("/records/ledger", response_class=HTMLResponse)
async def ledger_page(
    request: Request,
    session: DbSession,
    user: PageUser,
    year: Annotated[int | None, Query(ge=2013, le=2035)] = None,
) -> Response:
    from geomatch.service.routers.pages import render

    year = year or dt.date.today().year
    rows = ledger(session, year, user.province)
    context = {
        "user": user,
        "scope": user.province,
        "year": year,
        "rows": rows.to_dict("records"),
        "short": self_check(rows).to_dict("records"),
    }
    return await render(request, "records_ledger.html", context)
