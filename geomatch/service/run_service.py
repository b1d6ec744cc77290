"""Runs as the routes and pages see them: scenarios, queueing, cancelling, listing.

* :func:`available_scenarios` / :func:`scenario_file` — the named scenarios a run may
  start, from :meth:`ServiceSettings.scenario_folder` (works from an installed package:
  ``GEOMATCH_SCENARIO_DIR``, else ``<service home>/scenarios``, else the checkout's
  ``solvers/``).
* :func:`create_run` — queue a run **and** create its result folder in one step: the row is
  committed only after its fresh folder ``geomatch-runs/<uuid>/`` exists, so an unwritable
  results folder leaves nothing queued; an ``Idempotency-Key`` returns the run the same
  user already created with that key.
* :func:`runs_out` — list views in two queries whatever the number of runs (no N+1); a
  planner sees only their province's row counts and errors without server paths.
* :func:`cancel_run` — a queued run is cancelled at once, a running one stops at its
  worker's next progress report (or when the server ends its process).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import HTTPException, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geomatch.errors import AuthorizationError
from geomatch.service.auth import Principal
from geomatch.service.config import ServiceSettings
from geomatch.service.messages import public_error
from geomatch.service.models import (
    AuditLog,
    ResultRow,
    Run,
    StoredDataset,
    StoredRunTable,
    new_uid,
    utcnow,
)
from geomatch.service.schemas import RunOut

__all__ = [
    "RunRequestData",
    "audit",
    "available_scenarios",
    "cancel_run",
    "create_run",
    "get_run",
    "public_error",
    "run_out",
    "runs_out",
    "scenario_file",
]

log = logging.getLogger(__name__)

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def audit(
    session: Session, user: Principal, action: str, target: str, filt: dict[str, Any] | None = None
) -> None:
    """Add an audit entry (committed with the caller's transaction)."""
    session.add(
        AuditLog(
            user_id=user.id,
            user_name=user.name,
            action=action,
            target=target[:256],
            filter=filt or {},
        )
    )


def available_scenarios(settings: ServiceSettings) -> list[str]:
    """Names of the scenarios a run may start."""
    folder = settings.scenario_folder()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def scenario_file(settings: ServiceSettings, name: str) -> Path:
    """The TOML file of a named scenario (it may not exist)."""
    return settings.scenario_folder() / f"{name}.toml"


def get_run(session: Session, uid: str) -> Run:
    """The run with public id ``uid``; 404 when there is none."""
    run = None
    if _UUID.fullmatch(uid):
        run = session.execute(sa.select(Run).where(Run.uid == uid)).scalar_one_or_none()
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"没有运行 {uid[:40]}")
    return run


def _table_counts(
    session: Session, run_ids: Sequence[int], scope: str | None
) -> dict[int, dict[str, int]]:
    """Rows per result table of each run (the planner's province only when scoped)."""
    out: dict[int, dict[str, int]] = {i: {} for i in run_ids}
    if not run_ids:
        return out
    if scope is None:
        q = sa.select(StoredRunTable.run_id, StoredRunTable.name, StoredRunTable.n_rows).where(
            StoredRunTable.run_id.in_(run_ids)
        )
    else:
        in_scope = sa.or_(
            ResultRow.province_adcode == scope,
            sa.and_(ResultRow.table_name == "pairings", ResultRow.helper_province_adcode == scope),
        )
        q = (
            sa.select(ResultRow.run_id, ResultRow.table_name, sa.func.count())
            .where(ResultRow.run_id.in_(run_ids), in_scope)
            .group_by(ResultRow.run_id, ResultRow.table_name)
        )
    for run_id, name, n in session.execute(q).all():
        out[run_id][name] = int(n)
    return out


def _as_out(run: Run, tables: dict[str, int], user: Principal) -> RunOut:
    out = RunOut.model_validate(run, from_attributes=True)
    error = public_error(run.error or "")
    if user.province is not None and error:
        error = "运行失败（详情仅全国科协可见）"
    return out.model_copy(update={"tables": tables, "error": error})


def runs_out(session: Session, runs: Sequence[Run], user: Principal) -> list[RunOut]:
    """The API view of runs: one query for all their table counts."""
    counts = _table_counts(session, [r.id for r in runs], user.province)
    return [_as_out(r, counts[r.id], user) for r in runs]


def run_out(session: Session, run: Run, user: Principal) -> RunOut:
    """The API view of one run."""
    return runs_out(session, [run], user)[0]


@dataclass(frozen=True)
class RunRequestData:
    """What a client asked to run."""

    scenario: str
    helpers: int | None = None
    needs: int | None = None
    idempotency_key: str | None = None


def _check_upload(session: Session, dataset_id: int | None, kind: str) -> None:
    if dataset_id is None:
        return
    ds = session.get(StoredDataset, dataset_id)
    if ds is None or ds.kind != kind:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"没有上传的 {kind} 表 {dataset_id} (POST /api/datasets with kind={kind})",
        )
    missing = [c for c in ("lon", "lat") if c not in ds.columns]
    if missing:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"uploaded {kind} table {dataset_id} ({ds.filename}) has no "
            f"{' and '.join(missing)} column; a run needs the points' locations",
        )


def _existing(session: Session, user: Principal, key: str | None) -> Run | None:
    if key is None:
        return None
    return session.execute(
        sa.select(Run).where(Run.created_by == user.id, Run.idempotency_key == key)
    ).scalar_one_or_none()


def _validate_request(session: Session, settings: ServiceSettings, req: RunRequestData) -> None:
    names = available_scenarios(settings)
    if req.scenario not in names:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"未知情景 {req.scenario!r}; available: {', '.join(names) or 'none'}",
        )
    _check_upload(session, req.helpers, "helpers")
    _check_upload(session, req.needs, "needs")


def _queue(
    session: Session, settings: ServiceSettings, user: Principal, req: RunRequestData
) -> Run:
    """Add the run and create its folder; commit only when both worked."""
    run = Run(
        uid=new_uid(),
        helpers_dataset_id=req.helpers,
        needs_dataset_id=req.needs,
        scenario=req.scenario,
        status="queued",
        progress=0.0,
        message="排队中",
        error="",
        created_by=user.id,
        idempotency_key=req.idempotency_key,
        created_at=utcnow(),
    )
    session.add(run)
    session.flush()
    audit(session, user, "run", f"run {run.uid}", {"scenario": req.scenario})
    folder = settings.runs_dir / run.uid
    try:
        folder.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        session.rollback()
        log.error("cannot create the result folder of a new run: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="结果文件夹不可写，运行未排队 (results folder not writable; nothing queued)",
        ) from None
    try:
        session.commit()
    except BaseException:
        folder.rmdir()
        raise
    return run


def create_run(
    session: Session, settings: ServiceSettings, user: Principal, req: RunRequestData
) -> tuple[Run, bool]:
    """Queue a run (national office only); ``(run, created)`` — ``False`` for a repeated key.

    Raises
    ------
    AuthorizationError
        The user may not start runs.
    HTTPException
        422 unknown scenario or upload, 409 a key reused for another request, 503 the
        results folder cannot be written (nothing is queued then).
    """
    if not user.can_run:
        raise AuthorizationError(f"角色 {user.role} 不能发起运行 (only the national office can)")
    before = _existing(session, user, req.idempotency_key)
    if before is None:
        _validate_request(session, settings, req)
        try:
            return _queue(session, settings, user, req), True
        except IntegrityError:  # the same key in a concurrent request won
            session.rollback()
            before = _existing(session, user, req.idempotency_key)
            if before is None:
                raise
    wanted = (req.scenario, req.helpers, req.needs)
    if (before.scenario, before.helpers_dataset_id, before.needs_dataset_id) != wanted:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="Idempotency-Key 已用于另一个请求 (the key was used for a different run)",
        )
    return before, False


def cancel_run(session: Session, user: Principal, run: Run) -> bool:
    """Cancel a queued or running run; whether the worker must be stopped."""
    if run.status not in ("queued", "running"):
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"运行 {run.uid} 已结束（{run.status}），不能取消"
        )
    running = run.status == "running" or run.worker_pid is not None
    session.execute(
        sa.update(Run)
        .where(Run.id == run.id, Run.status.in_(("queued", "running")))
        .values(
            cancel_requested=True,
            status="cancelled",
            message="已取消",
            finished_at=utcnow(),
        )
    )
    audit(session, user, "cancel", f"run {run.uid}")
    session.commit()
    return running
