"""Results of a run in the database: loading a run folder, and scoped reads.

:func:`store_results` reads the CSV tables a scenario run writes (``pairings.csv``,
``unmet.csv``, ``museum_visits.csv``, ``caravan_tours.csv``, ``coverage.csv``,
``kpi.csv``) and writes them, the run's status ``done`` and its progress ``1.0`` in
**one transaction**: either the whole result is in the database or none of it.

Every read takes the :class:`~geomatch.service.auth.Principal` and applies its province
scope in the SQL ``WHERE`` clause (:meth:`Principal.scope`), so a planner's query can
return nothing outside their province whatever route calls it.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geomatch.errors import InputError
from geomatch.io.tables import read_table
from geomatch.model.run_tables import RUN_TABLES, conform, province_scope
from geomatch.render.coverage import COVERAGE_CONTRACT_COLUMNS
from geomatch.service.auth import Principal, province_of
from geomatch.service.models import Coverage, Need, ResultRow, Run, StoredRunTable, Unit, utcnow

#: The tables of a run the service stores (the run-table contract's).
RESULT_TABLES: tuple[str, ...] = tuple(RUN_TABLES)

__all__ = [
    "COVERAGE_COLUMNS",
    "FOREIGN_MARK",
    "RESULT_TABLES",
    "TEXT_COLUMNS",
    "coverage_rows",
    "latest_done_run",
    "mask_foreign_ids",
    "result_frame",
    "store_results",
]

log = logging.getLogger(__name__)

#: Columns of ``coverage.csv`` (one row per poor county) the service stores: the contract.
COVERAGE_COLUMNS: tuple[str, ...] = COVERAGE_CONTRACT_COLUMNS
_COUNTS = ("museum_visits", "caravan_visits", "experts", "unmet_needs")
#: Free-text columns a planner reads (other provinces' ids are masked in them).
TEXT_COLUMNS = ("detail", "fix")
#: What replaces another province's need id or administrative code in those texts.
FOREIGN_MARK = "（他省）"
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-:.]*")


def _json_value(value: Any) -> Any:
    """A cell as JSON: ``None`` for missing, Python numbers and booleans, text else."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _typed(df: pd.DataFrame, name: str) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts, typed by the run-table contract (:func:`conform`)."""
    typed = conform(df, name) if name in RUN_TABLES else df.astype("str")
    columns = [str(c) for c in typed.columns]
    return [
        dict(zip(columns, map(_json_value, row), strict=True))
        for row in typed.itertuples(index=False, name=None)
    ]


def _provinces(df: pd.DataFrame, name: str, need_adcodes: Mapping[str, str]) -> list[str | None]:
    """Each row's province from the table's declared scope column (:func:`province_scope`).

    A row whose scope column is empty but which names a need (an uploaded table's needs
    carry no county in the result) takes the province of that need's county.
    """
    scopes = province_scope(df, name) if name in RUN_TABLES else pd.Series([""] * len(df))
    needs = df["need_id"].astype("str").tolist() if "need_id" in df.columns else [""] * len(df)
    out: list[str | None] = []
    for scope, need in zip(scopes.tolist(), needs, strict=True):
        if not scope and need in need_adcodes:
            scope = province_of(str(need_adcodes[need]))
        out.append(scope or None)
    return out


def store_results(
    session: Session,
    run_id: int,
    folder: Path,
    *,
    need_adcodes: Mapping[str, str] | None = None,
    helper_provinces: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Load a run folder's tables into the database and mark the run done.

    Parameters
    ----------
    session
        Open session. Nothing is committed here: the caller commits once, so the rows and
        the ``done`` status land together or not at all.
    run_id
        The run.
    folder
        The run folder written by :func:`geomatch.pipeline.run_scenario`.
    need_adcodes, helper_provinces
        ``need_id`` → county adcode and ``helper_id`` → province code, to tag the rows of
        tables that name needs and helpers but no county (pairings, unmet).

    Returns
    -------
    dict
        Rows stored per table.

    Raises
    ------
    InputError
        ``coverage.csv`` is missing or malformed (the file, row and column are named).
    """
    need_adcodes = need_adcodes or {}
    helper_provinces = helper_provinces or {}
    counts: dict[str, int] = {}
    if not (folder / "coverage.csv").is_file():
        raise InputError("the run wrote no coverage table", file=folder / "coverage.csv")
    session.execute(sa.delete(ResultRow).where(ResultRow.run_id == run_id))
    session.execute(sa.delete(StoredRunTable).where(StoredRunTable.run_id == run_id))
    session.execute(sa.delete(Coverage).where(Coverage.run_id == run_id))
    for name in RESULT_TABLES:
        path = folder / f"{name}.csv"
        if not path.is_file():
            log.warning("run %s: no %s", run_id, path.name)
            continue
        df = read_table(path)
        records = _typed(df, name)
        provinces = _provinces(df, name, need_adcodes)
        session.add(
            StoredRunTable(
                run_id=run_id, name=name, columns=list(map(str, df.columns)), n_rows=len(records)
            )
        )
        payload = []
        for i, rec in enumerate(records):
            helper = rec.get("helper_id")
            payload.append(
                {
                    "run_id": run_id,
                    "table_name": name,
                    "row_no": i,
                    "province_adcode": provinces[i],
                    "helper_province_adcode": helper_provinces.get(str(helper))
                    if helper is not None
                    else None,
                    "data": rec,
                }
            )
        for start in range(0, len(payload), 5000):
            session.execute(sa.insert(ResultRow), payload[start : start + 5000])
        counts[name] = len(records)
        if name == "coverage":
            _store_coverage(session, run_id, df, path)
    run = session.get(Run, run_id)
    if run is not None:
        run.status = "done"
        run.progress = 1.0
        run.message = "完成"
        run.finished_at = utcnow()
    return counts


def _store_coverage(session: Session, run_id: int, df: pd.DataFrame, path: Path) -> None:
    missing = [c for c in ("adcode", *_COUNTS) if c not in df.columns]
    if missing:
        raise InputError(
            f"coverage table lacks column {missing[0]!r}", file=path, row=1, column=missing[0]
        )
    rows = []
    for i, r in enumerate(df.to_dict("records")):
        code = str(r["adcode"]).strip()
        if not re.fullmatch(r"\d{6}", code):
            raise InputError(
                f"{code!r} is not a county adcode", file=path, row=i + 2, column="adcode"
            )
        counts: dict[str, int] = {}
        for c in _COUNTS:
            try:
                v = float(str(r[c]) or 0)
            except ValueError:
                raise InputError(
                    f"{r[c]!r} is not a count", file=path, row=i + 2, column=c
                ) from None
            counts[c] = 0 if math.isnan(v) else int(v)
        rows.append(
            {
                "run_id": run_id,
                "adcode": code,
                "name": str(r.get("name", "")),
                "province": str(r.get("province", "")),
                "province_adcode": province_of(code),
                "station_team": str(r.get("station_team", "")),
                **counts,
            }
        )
    if rows:
        session.execute(sa.insert(Coverage), rows)


def latest_done_run(session: Session) -> Run | None:
    """The most recently finished successful run."""
    return session.execute(
        sa.select(Run)
        .where(Run.status == "done")
        .order_by(Run.finished_at.desc(), Run.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def coverage_rows(
    session: Session, principal: Principal, run_id: int, province: str | None
) -> list[dict[str, Any]]:
    """Per-county coverage of a run, limited to what the user may see.

    Parameters
    ----------
    province
        Province code asked for (``None``: everything the user may see).

    Raises
    ------
    AuthorizationError
        A planner asked for another province.
    """
    scope = principal.scope(province)
    q = (
        sa.select(Coverage, Unit.seat_lon, Unit.seat_lat, Unit.exit_year, Unit.deep_poverty_area)
        .join(Unit, Unit.adcode == Coverage.adcode, isouter=True)
        .where(Coverage.run_id == run_id)
        .order_by(Coverage.adcode)
    )
    if scope is not None:
        q = q.where(Coverage.province_adcode == scope)
    out = []
    for cov, lon, lat, exit_year, deep in session.execute(q).all():
        out.append(
            {
                "adcode": cov.adcode,
                "name": cov.name,
                "province": cov.province,
                "province_adcode": cov.province_adcode,
                "station_team": cov.station_team,
                "museum_visits": cov.museum_visits,
                "caravan_visits": cov.caravan_visits,
                "experts": cov.experts,
                "unmet_needs": cov.unmet_needs,
                "exit_year": exit_year,
                "deep_poverty_area": deep or "",
                "seat_lon": lon,
                "seat_lat": lat,
            }
        )
    return out


def result_frame(
    session: Session, principal: Principal, run_id: int, table: str, province: str | None
) -> pd.DataFrame | None:
    """One result table of a run as a frame (columns in the file's order), scoped.

    A planner sees the rows of their province; for pairings also the rows whose helper
    comes from their province. Returns ``None`` when the run has no such table.

    For a planner, other provinces' need ids and administrative codes in the free-text
    columns (:data:`TEXT_COLUMNS`: ``detail``, ``fix``) are replaced by
    :data:`FOREIGN_MARK`, so nothing they read names another province's units.

    Raises
    ------
    AuthorizationError
        A planner asked for another province.
    """
    scope = principal.scope(province)
    meta = session.get(StoredRunTable, (run_id, table))
    if meta is None:
        return None
    q = (
        sa.select(ResultRow.data)
        .where(ResultRow.run_id == run_id, ResultRow.table_name == table)
        .order_by(ResultRow.row_no)
    )
    if scope is not None:
        if table == "pairings":
            q = q.where(
                sa.or_(
                    ResultRow.province_adcode == scope, ResultRow.helper_province_adcode == scope
                )
            )
        else:
            q = q.where(ResultRow.province_adcode == scope)
    rows = session.execute(q).scalars().all()
    frame = pd.DataFrame.from_records(list(rows), columns=list(meta.columns))
    # Whole-number columns with gaps stay whole numbers (Int64), not 3.0.
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s) and s.isna().any() and (s.dropna() % 1 == 0).all():
            frame[col] = s.astype("Int64")
    if principal.province is not None:
        frame = mask_foreign_ids(session, frame, principal.province)
    return frame


def mask_foreign_ids(session: Session, frame: pd.DataFrame, province: str) -> pd.DataFrame:
    """Replace other provinces' need ids and codes in :data:`TEXT_COLUMNS` of ``frame``."""
    texts = [c for c in TEXT_COLUMNS if c in frame.columns]
    if not texts or frame.empty:
        return frame
    foreign = set(
        session.execute(sa.select(Need.need_id).where(Need.province_adcode != province)).scalars()
    )
    prefix = province[:2]

    def mask(match: re.Match[str]) -> str:
        token = match.group(0)
        is_code = token.isdigit() and len(token) in (6, 9, 12)
        if token in foreign or (is_code and not token.startswith(prefix)):
            return FOREIGN_MARK
        return token

    out = frame.copy()
    for col in texts:
        out[col] = [v if not isinstance(v, str) else _TOKEN.sub(mask, v) for v in out[col].tolist()]
    return out
