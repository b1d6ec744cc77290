"""``/api/sweeps``: scenario sweeps on Dask, their progress and the comparison page.

* ``POST /api/sweeps`` (national office) ``{"scenario": "national", "vary":
  {"pairing.unmet_penalty": [3000, 6000]}}`` checks the keys and values against the
  settings models (422 listing the known keys or the bad values) and starts the sweep
  (:mod:`geomatch.scale.sweep`) in a worker process of its own
  (:mod:`geomatch.service.sweep_worker`); it runs on the cluster named by
  ``GEOMATCH_DASK_SCHEDULER`` (``tcp://host:8786``), else on a ``LocalCluster`` of
  ``GEOMATCH_SWEEP_WORKERS`` (default 2) worker processes started inside that worker.
  The sweep's folder is ``<runs dir>/sweeps/<id>/`` (``sweep.csv``,
  ``sweep.html``, ``runs/<key>/``, ``status.json``);
* ``GET /api/sweeps/{id}``: status, progress and the scenarios (every user; the
  national metrics of each scenario only for national and analyst users);
* ``GET /api/sweeps/{id}/runs/{key}/{table}``: one table of one scenario's run, as
  JSON rows — a planner gets their own province's rows only;
* ``GET /sweeps/{id}``: the comparison page (trade-off plots, Pareto fronts, table).
"""

from __future__ import annotations

import html
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from geomatch.errors import InputError
from geomatch.service.deps import CurrentUser, FullReader, NationalUser, ScopedProvince, Settings
from geomatch.service.routers import ERRORS
from geomatch.service.sweep_worker import (
    SCHEDULER_ENV,
    start_sweep_worker,
    sweep_points,
    sweep_status,
    write_status,
)

__all__ = ["SCHEDULER_ENV", "SweepIn", "SweepOut", "router"]

log = logging.getLogger(__name__)

_ID = re.compile(r"[0-9a-f]{32}")
_KEY = re.compile(r"[0-9a-f]{16}")

router = APIRouter()
api = APIRouter(prefix="/api/sweeps", tags=["sweeps"])


class SweepIn(BaseModel):
    """A sweep request: the base scenario and the values of each varied setting."""

    scenario: str = Field("national", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    vary: dict[str, list[Any]] = Field(min_length=1)


class SweepOut(BaseModel):
    """A sweep: status (queued | running | done | failed | interrupted), progress, scenarios."""

    id: str
    scenario: str
    status: str
    progress: float
    message: str = ""
    points: list[dict[str, Any]] = Field(default_factory=list)
    rows: list[dict[str, Any]] | None = None


def _folder(settings: Any, sweep_id: str) -> Path:
    if not _ID.fullmatch(sweep_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"没有扫描 {sweep_id[:40]}")
    folder = Path(settings.runs_dir) / "sweeps" / sweep_id
    if not (folder / "status.json").is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"没有扫描 {sweep_id}")
    return folder


@api.post(
    "",
    response_model=SweepOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=ERRORS,
    summary="Start a scenario sweep",
)
def post_sweep(body: SweepIn, user: NationalUser, settings: Settings) -> SweepOut:
    from geomatch.service.run_service import scenario_file

    path = scenario_file(settings, body.scenario)
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"没有情景 {body.scenario}")
    data = str(settings.data_dir) if settings.data_dir is not None else None
    try:
        points = sweep_points(path, body.vary, data)
    except InputError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    sweep_id = uuid.uuid4().hex
    folder = Path(settings.runs_dir) / "sweeps" / sweep_id
    folder.mkdir(parents=True)
    listed = [{"key": p.key, **p.varied} for p in points]
    write_status(
        folder,
        id=sweep_id,
        scenario=body.scenario,
        status="queued",
        progress=0.0,
        message="",
        points=listed,
        by=user.name,
    )
    start_sweep_worker(folder, path, body.vary, data)
    return SweepOut(
        id=sweep_id, scenario=body.scenario, status="queued", progress=0.0, points=listed
    )


@api.get("/{sweep_id}", response_model=SweepOut, responses=ERRORS, summary="A sweep's progress")
def get_sweep(sweep_id: str, user: CurrentUser, settings: Settings) -> SweepOut:
    folder = _folder(settings, sweep_id)
    st = sweep_status(folder)
    rows = None
    if user.province is None and (folder / "sweep.csv").is_file():
        table = pd.read_csv(folder / "sweep.csv", encoding="utf-8-sig")
        rows = json.loads(table.to_json(orient="records", force_ascii=False))
    return SweepOut(
        id=sweep_id,
        scenario=st.get("scenario", ""),
        status=st.get("status", ""),
        progress=float(st.get("progress", 0.0)),
        message=st.get("message", ""),
        points=st.get("points", []),
        rows=rows,
    )


@api.get(
    "/{sweep_id}/runs/{key}/{table}",
    responses=ERRORS,
    summary="One table of one scenario's run (a planner's province only)",
)
def get_sweep_run_table(
    sweep_id: str,
    key: str,
    table: str,
    user: CurrentUser,
    settings: Settings,
    province: ScopedProvince,
) -> list[dict[str, Any]]:
    from geomatch.model.run_tables import RUN_TABLES, province_scope

    folder = _folder(settings, sweep_id)
    if not _KEY.fullmatch(key) or table not in RUN_TABLES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"没有结果表 {key[:20]}/{table[:40]}")
    path = folder / "runs" / key / RUN_TABLES[table].file
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"方案 {key} 尚无结果表 {table}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if province is not None:
        df = df[province_scope(df, table) == province]
    out: list[dict[str, Any]] = df.to_dict(orient="records")
    return out


@router.get("/sweeps/{sweep_id}", include_in_schema=False, response_class=HTMLResponse)
def sweep_page(sweep_id: str, user: FullReader, settings: Settings) -> HTMLResponse:
    """The comparison page (sweep.html), or the progress while the sweep runs."""
    folder = _folder(settings, sweep_id)
    page = folder / "sweep.html"
    if page.is_file():
        return HTMLResponse(page.read_text("utf-8"))
    st = sweep_status(folder)
    pct = round(100 * float(st.get("progress", 0.0)))
    return HTMLResponse(
        f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='5'><title>情景扫描</title>"
        f"<p>情景扫描 {sweep_id}：{html.escape(str(st.get('status')))}，已完成 {pct}%。</p></html>"
    )


router.include_router(api)
