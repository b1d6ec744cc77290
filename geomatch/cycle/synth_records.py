"""A **synthetic** year of programme records for the embedded scenario (seeded).

The evaluation needs a year of agreements and quarterly progress reports, which real
provinces enter through the service (issue 12). For the embedded scenario, whose
helpers and needs are synthetic too, this module plays that year:

* one agreement per pairing of a run folder (``pairings.csv``), drafted and stored by
  :func:`geomatch.records.agreements.draft_agreements` / ``store_drafts`` with the
  default targets of the need's kind, from 1 January to 31 December of the year, moved
  ``proposed → signed → filed → active`` (audit events by user ``synthetic``);
* a quarterly report per agreement and quarter, stored with probability
  ``0.55 + 0.4·min(1, f_p)`` where ``f_p ~ U(0.5, 1.15)`` is the performance of the
  need's province; its figures are a quarter of each annual target × ``f_p`` × ``g``
  (``g ~ U(0.7, 1.2)`` per agreement), service days ``visits_per_year × 5 / 4 × f_p·g``;
  it is stored ``U(0, 10)`` days after the quarter (``U(0, 40)`` when ``f_p < 0.8``).

The figures mean nothing about any real province: they give the evaluation varied,
plausible input. Every event and report says ``synthetic`` in its ``user_name``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geomatch.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["SYNTHETIC_USER", "SynthRecords", "synthesise_year"]

log = logging.getLogger(__name__)

SYNTHETIC_USER = "synthetic"
_PATH = ("proposed", "signed", "filed", "active")


@dataclass(frozen=True)
class SynthRecords:
    agreements: int
    reports: int


def _quarter_end(year: int, q: int) -> dt.date:
    from geomatch.records.reports import quarter_bounds

    return quarter_bounds(f"{year}Q{q}")[1]


def _report_rows(
    agreements: list[Any], year: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    provinces = sorted({a.need_province for a in agreements})
    perf = dict(zip(provinces, rng.uniform(0.5, 1.15, len(provinces)), strict=True))
    rows = []
    for a in agreements:
        f = perf[a.need_province]
        g = float(rng.uniform(0.7, 1.2))
        for q in range(1, 5):
            if rng.random() > 0.55 + 0.4 * min(1.0, f):
                continue
            lag = int(rng.integers(0, 41 if f < 0.8 else 11))
            k = f * g / 4
            stored = dt.datetime.combine(
                _quarter_end(year, q) + dt.timedelta(days=lag), dt.time(10), dt.UTC
            )
            rows.append(
                {
                    "agreement_id": a.id,
                    "period": f"{year}Q{q}",
                    "service_days": round(a.visits_per_year * 5 * k, 1),
                    "visits": round(a.visits_per_year * k),
                    "people_trained": round(a.people_trained_target * k),
                    "associations_supported": int(rng.random() < a.associations_target * k),
                    "households_helped": round(a.households_target * k),
                    "user_name": SYNTHETIC_USER,
                    "created_at": stored,
                }
            )
    return rows


def synthesise_year(
    session: Session, pairings: pd.DataFrame, helpers: pd.DataFrame, year: int, *, seed: int
) -> SynthRecords:
    """Store the synthetic agreements and reports of ``year`` (the caller commits)."""
    import sqlalchemy as sa

    from geomatch.records.agreements import draft_agreements, store_drafts
    from geomatch.records.orm import Agreement, AgreementEvent, ProgressReport

    clash = session.execute(
        sa.select(sa.func.count(AgreementEvent.id))
        .join(Agreement, Agreement.id == AgreementEvent.agreement_id)
        .where(
            AgreementEvent.user_name == SYNTHETIC_USER, Agreement.start_date == dt.date(year, 1, 1)
        )
    ).scalar_one()
    if clash:
        raise InputError(f"synthetic records of {year} are in the database already")
    lookup = {
        str(h.helper_id): (str(h.province_adcode), str(h.kind), str(h.name))
        for h in helpers.itertuples()
    }
    drafts = draft_agreements(pairings, helpers=lookup, need_names={})
    created = store_drafts(
        session,
        drafts,
        run_id=None,
        start=dt.date(year, 1, 1),
        end=dt.date(year, 12, 31),
        status="active",
    )
    events = [
        {"agreement_id": a.id, "from_status": old, "to_status": new, "user_name": SYNTHETIC_USER}
        for a in created
        for old, new in zip(("", *_PATH[:-1]), _PATH, strict=True)
    ]
    if events:
        session.execute(sa.insert(AgreementEvent), events)
    reports = _report_rows(created, year, np.random.default_rng(seed))
    if reports:
        session.execute(sa.insert(ProgressReport), reports)
    log.info("synthetic %d: %d agreements, %d reports", year, len(created), len(reports))
    return SynthRecords(len(created), len(reports))
