"""Where an evaluation's tables come from: the service database or CSV files.

**Database** (:func:`inputs_from_db`): the records of :mod:`geomatch.records` — agreements
``signed``/``filed``/``active``/``completed`` whose period overlaps the year, their
progress reports (``reported_on`` = the date the report was stored), and the "两数"
ledger of :func:`geomatch.records.ledger.ledger`. The ledger's society rows are per
society helper (working group); the evaluation sums them per society name (the
helper's ``institution``).

**Files** (:func:`inputs_from_files`), a folder with

* ``agreements.csv``: ``agreement_id, helper_id, helper_kind, need_adcode,
  need_province, helper_province, start_date, end_date, status, associations_target,
  people_trained_target, households_target, visits_per_year`` and optionally ``society``
  (the national society a ``society`` helper belongs to; default: the helper is its own);
* ``reports.csv``: ``agreement_id, period`` (``2020Q2``), ``service_days, visits,
  people_trained, associations_supported, households_helped`` and optionally
  ``reported_on`` (date; empty = on time);
* ``ledger.csv``: ``unit_type`` (province | society), ``unit, unit_name, year,
  associations_target, associations_achieved, experts_target, experts_mobilised,
  people_target, people_lifted`` (the ledger's own columns).

Both take the latest run's ``kpi`` table (:func:`read_kpi` of ``--run DIR``, or the
service's latest run) for the coverage indicator and the deep-poverty counties of the
dataset.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pandas as pd

from geomatch.cycle.evaluate import IN_FORCE, EvaluationInputs
from geomatch.cycle.validate import ErrorList, read_checked_table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "AGREEMENT_COLUMNS",
    "LEDGER_NUMBERS",
    "REPORT_COLUMNS",
    "deep_poverty_counties",
    "inputs_from_db",
    "inputs_from_files",
    "read_kpi",
]

AGREEMENT_COLUMNS: Final = (
    "agreement_id", "helper_id", "helper_kind", "need_adcode", "need_province",
    "helper_province", "start_date", "end_date", "status", "associations_target",
    "people_trained_target", "households_target", "visits_per_year",
)  # fmt: skip
_AGREEMENT_NUMBERS: Final = AGREEMENT_COLUMNS[-4:]
REPORT_COLUMNS: Final = (
    "agreement_id", "period", "service_days", "visits", "people_trained",
    "associations_supported", "households_helped",
)  # fmt: skip
LEDGER_NUMBERS: Final = (
    "associations_target", "associations_achieved", "experts_target", "experts_mobilised",
    "people_target", "people_lifted",
)  # fmt: skip


def deep_poverty_counties(data: str | Path | None = None) -> frozenset[str]:
    """Adcodes of the poor counties in a deep-poverty area (dataset)."""
    from geomatch.dataset import load_dataset

    poor = load_dataset(root=data).poor_counties
    return frozenset(poor.loc[poor["deep_poverty_area"].astype(str) != "", "adcode"].astype(str))


def read_kpi(run: Path | None) -> pd.DataFrame | None:
    """The run's ``kpi.csv`` (province rows used for the coverage indicator)."""
    if run is None:
        return None
    from geomatch.model.run_tables import run_table

    need = ("scope", "province_adcode", "station_met", "station_missing", "caravan_met",
            "caravan_missing", "museum2_met", "museum2_missing")  # fmt: skip
    df = read_checked_table(run_table("kpi").path(run), need)
    errors = ErrorList(run_table("kpi").path(run))
    for col in need[2:]:
        df[col] = [
            errors.number(v, row=k, column=col) if str(v).strip() else 0.0
            for k, v in enumerate(df[col], start=2)
        ]
    errors.raise_if_any()
    return df


def _in_year(agreements: pd.DataFrame, year: int) -> pd.DataFrame:
    keep = (
        agreements["status"].isin(IN_FORCE)
        & (agreements["start_date"] <= dt.date(year, 12, 31))
        & (agreements["end_date"] >= dt.date(year, 1, 1))
    )
    return agreements[keep].reset_index(drop=True)


def _inputs(
    year: int,
    agreements: pd.DataFrame,
    reports: pd.DataFrame,
    ledger: pd.DataFrame,
    society_of: dict[str, str],
    *,
    kpi: pd.DataFrame | None,
    as_of: dt.date | None,
    deep_counties: frozenset[str],
) -> EvaluationInputs:
    """The year's inputs from its read tables, whichever source they came from.

    Agreement ids become text on both tables (they join on them); only agreements in
    force during ``year`` are kept; ``as_of`` defaults to 31 December of ``year``.
    """
    agreements["agreement_id"] = agreements["agreement_id"].astype(str)
    reports["agreement_id"] = reports["agreement_id"].astype(str)
    return EvaluationInputs(
        year=year,
        as_of=as_of or dt.date(year, 12, 31),
        agreements=_in_year(agreements, year),
        reports=reports,
        ledger=ledger,
        kpi=kpi,
        deep_counties=deep_counties,
        society_of=society_of,
    )


def inputs_from_db(
    session: Session,
    year: int,
    *,
    kpi: pd.DataFrame | None = None,
    as_of: dt.date | None = None,
    deep_counties: frozenset[str] = frozenset(),
) -> EvaluationInputs:
    """The year's tables from the service database (the records of issue 12)."""
    import sqlalchemy as sa

    from geomatch.records.ledger import ledger
    from geomatch.records.orm import Agreement, ProgressReport

    cols = [getattr(Agreement, "id" if c == "agreement_id" else c) for c in AGREEMENT_COLUMNS]
    q = sa.select(*cols).where(
        Agreement.status.in_(IN_FORCE),
        Agreement.start_date <= dt.date(year, 12, 31),
        Agreement.end_date >= dt.date(year, 1, 1),
    )
    agreements = pd.DataFrame(session.execute(q).all(), columns=list(AGREEMENT_COLUMNS))
    rq = sa.select(
        *[getattr(ProgressReport, c) for c in REPORT_COLUMNS], ProgressReport.created_at
    ).where(ProgressReport.period.like(f"{year}Q%"))
    reports = pd.DataFrame(session.execute(rq).all(), columns=[*REPORT_COLUMNS, "created_at"])
    reports["reported_on"] = [
        pd.Timestamp(t).date() if t is not None else None for t in reports.pop("created_at")
    ]
    return _inputs(
        year, agreements, reports, ledger(session, year), _societies(session),
        kpi=kpi, as_of=as_of, deep_counties=deep_counties,
    )  # fmt: skip


def _societies(session: Session) -> dict[str, str]:
    """Society helper id → society name (the institution; the register wins)."""
    import sqlalchemy as sa

    from geomatch.records.orm import RegisterEntry
    from geomatch.service.models import Helper

    out: dict[str, str] = {}
    for model in (Helper, RegisterEntry):
        q = sa.select(model.helper_id, model.institution).where(model.kind == "society")
        out.update({h: i for h, i in session.execute(q) if i})
    return out


def _typed(
    df: pd.DataFrame,
    numbers: tuple[str, ...],
    dates: tuple[str, ...],
    errors: ErrorList,
    *,
    optional_dates: bool = False,
) -> pd.DataFrame:
    out = df.copy()
    for col in numbers:
        out[col] = [errors.number(v, row=k, column=col) for k, v in enumerate(out[col], start=2)]
    for col in dates:
        values: list[dt.date | None] = []
        for k, v in enumerate(out[col], start=2):
            text = str(v).strip()
            if not text and not optional_dates:
                errors.add("a date is required", row=k, column=col)
            try:
                values.append(dt.date.fromisoformat(text) if text else None)
            except ValueError:
                errors.add(f"expected a date YYYY-MM-DD, got {v!r}", row=k, column=col)
                values.append(None)
        out[col] = values
    return out


def inputs_from_files(
    folder: Path,
    year: int,
    *,
    kpi: pd.DataFrame | None = None,
    as_of: dt.date | None = None,
    deep_counties: frozenset[str] = frozenset(),
) -> EvaluationInputs:
    """The year's tables from ``agreements.csv``, ``reports.csv`` and ``ledger.csv``."""
    a_file, r_file, l_file = (folder / f for f in ("agreements.csv", "reports.csv", "ledger.csv"))
    errors = [ErrorList(f) for f in (a_file, r_file, l_file)]
    agreements = _typed(read_checked_table(a_file, AGREEMENT_COLUMNS), _AGREEMENT_NUMBERS,
                        ("start_date", "end_date"), errors[0])  # fmt: skip
    reports = read_checked_table(r_file, REPORT_COLUMNS)
    if "reported_on" not in reports.columns:
        reports["reported_on"] = ""
    reports = _typed(reports, REPORT_COLUMNS[2:], ("reported_on",), errors[1], optional_dates=True)
    ledger_cols = ("unit_type", "unit", "unit_name", "year", *LEDGER_NUMBERS)
    ledger = _typed(read_checked_table(l_file, ledger_cols), LEDGER_NUMBERS, (), errors[2])
    for e in errors:
        e.raise_if_any()
    ledger = ledger[ledger["year"].astype(str) == str(year)].reset_index(drop=True)
    society_of: dict[str, str] = {}
    if "society" in agreements.columns:
        named = agreements[agreements["society"].astype(str) != ""]
        society_of = dict(zip(named["helper_id"], named["society"], strict=True))
    return _inputs(
        year, agreements, reports, ledger, society_of,
        kpi=kpi, as_of=as_of, deep_counties=deep_counties,
    )  # fmt: skip
