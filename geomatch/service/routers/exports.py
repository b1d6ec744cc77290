"""``/api/runs/{id}/{table}.csv``: a result table as an Excel-ready CSV, scoped and audited."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, HTTPException, Response, status

from geomatch.io.output import mask_personal_numbers, neutralise_formulas
from geomatch.service.deps import CurrentUser, DbSession, ScopedProvince
from geomatch.service.results import result_frame
from geomatch.service.routers import ERRORS
from geomatch.service.routers.runs import RunUidParam
from geomatch.service.run_service import audit, get_run

__all__ = ["ResultTable", "router"]

router = APIRouter(prefix="/api", tags=["exports"])


class ResultTable(StrEnum):
    """The tables of a run that can be exported (those of the run-table contract)."""

    pairings = "pairings"
    unmet = "unmet"
    unmet_summary = "unmet_summary"
    museum_visits = "museum_visits"
    caravan_tours = "caravan_tours"
    coverage = "coverage"
    kpi = "kpi"


@router.get(
    "/runs/{run_id}/{table}.csv",
    responses={**ERRORS, 200: {"content": {"text/csv": {}}, "description": "Excel-ready CSV"}},
    response_class=Response,
    summary="Export a result table as CSV (UTF-8 with BOM, formulas neutralised)",
)
def export_table(
    run_id: RunUidParam,
    table: ResultTable,
    session: DbSession,
    user: CurrentUser,
    scope: ScopedProvince,
) -> Response:
    run = get_run(session, run_id)
    frame = result_frame(session, user, run.id, table.value, scope)
    if frame is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"运行 {run.uid} 没有表 {table.value}（状态 {run.status}）",
        )
    audit(
        session,
        user,
        "export",
        f"run {run.uid} {table.value}.csv",
        {"province": scope, "rows": len(frame)},
    )
    session.commit()
    text = mask_personal_numbers(neutralise_formulas(frame)).to_csv(
        index=False, lineterminator="\n"
    )
    name = f"run_{run.uid[:8]}_{table.value}" + (f"_{scope}" if scope else "") + ".csv"
    return Response(
        ("\ufeff" + text).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
