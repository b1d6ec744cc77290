"""Quarterly progress reports (项目化跟踪管理) of the agreements.

One report per agreement and quarter (``2020Q2``); a second one for the same quarter is
refused (:class:`DuplicateReportError`, HTTP 409). A quarter of an agreement in force
(``active`` or ``completed``) that has ended without a report is **late**
(:func:`late_quarters`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geomatch.errors import InputError
from geomatch.records.orm import Agreement, ProgressReport
from geomatch.service.auth import Principal

__all__ = [
    "REPORTING_STATUSES",
    "DuplicateReportError",
    "ReportFigures",
    "ReportStateError",
    "late_quarters",
    "quarter_bounds",
    "quarters_between",
    "submit_report",
]

_PERIOD = re.compile(r"(20\d\d)Q([1-4])")
#: States in which an agreement reports its progress.
REPORTING_STATUSES: Final = ("active", "completed")


class DuplicateReportError(InputError):
    """The agreement already has a report for the quarter (HTTP 409; exit 2)."""


class ReportStateError(InputError):
    """The agreement is not in a state that reports progress (HTTP 409; exit 2)."""


@dataclass(frozen=True)
class ReportFigures:
    """What a quarter's report states (all ≥ 0); the fields are :class:`ProgressReport` columns."""

    service_days: float = 0.0
    visits: int = 0
    people_trained: int = 0
    associations_supported: int = 0
    households_helped: int = 0


def quarter_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter ``YYYYQn``.

    Raises
    ------
    InputError
        Not of the form ``2020Q2``.
    """
    m = _PERIOD.fullmatch(period or "")
    if m is None:
        raise InputError(f"period {period!r} is not a quarter like 2020Q2", column="period")
    year, q = int(m.group(1)), int(m.group(2))
    first = dt.date(year, 3 * q - 2, 1)
    last = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
    return first, last


def quarters_between(start: dt.date, end: dt.date) -> list[str]:
    """The quarters that overlap ``[start, end]``, in order."""
    out = []
    year, q = start.year, (start.month - 1) // 3 + 1
    while dt.date(year, 3 * q - 2, 1) <= end:
        out.append(f"{year}Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return out


def submit_report(
    session: Session, agreement: Agreement, period: str, figures: ReportFigures, user: Principal
) -> ProgressReport:
    """Store a quarter's report of an agreement (the caller commits).

    Raises
    ------
    InputError
        A malformed period, or a quarter outside the agreement's dates.
    ReportStateError
        The agreement is not active or completed.
    DuplicateReportError
        The quarter has a report already.
    """
    first, last = quarter_bounds(period)
    if last < agreement.start_date or first > agreement.end_date:
        raise InputError(
            f"quarter {period} is outside the agreement's period "
            f"{agreement.start_date} – {agreement.end_date}",
            column="period",
        )
    if agreement.status not in REPORTING_STATUSES:
        raise ReportStateError(
            f"agreement {agreement.id} is {agreement.status!r}; progress is reported for "
            f"agreements that are {' or '.join(REPORTING_STATUSES)}"
        )
    taken = session.execute(
        sa.select(ProgressReport.id).where(
            ProgressReport.agreement_id == agreement.id, ProgressReport.period == period
        )
    ).scalar_one_or_none()
    if taken is not None:
        raise DuplicateReportError(
            f"agreement {agreement.id} already has report {taken} for {period}; one per quarter"
        )
    report = ProgressReport(
        agreement_id=agreement.id,
        period=period,
        user_name=user.name,
        **asdict(figures),
    )
    session.add(report)
    session.flush()
    return report


def late_quarters(session: Session, agreement: Agreement, today: dt.date) -> list[str]:
    """Quarters of an agreement in force that ended before ``today`` without a report."""
    if agreement.status not in REPORTING_STATUSES:
        return []
    done = set(
        session.execute(
            sa.select(ProgressReport.period).where(ProgressReport.agreement_id == agreement.id)
        ).scalars()
    )
    return [
        p
        for p in quarters_between(agreement.start_date, agreement.end_date)
        if quarter_bounds(p)[1] < today and p not in done
    ]
