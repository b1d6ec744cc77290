"""The annual cycle in the service database: store an evaluation, quotas and
recommendations, run the national stage and objections, draw a spot check.

The web routes (:mod:`geomatch.service.routers.cycle`) are thin wrappers over these
functions; the rules are those of the command line (same modules, same settings files).
A recommendation that breaks a rule raises :class:`RuleViolationError` naming it (HTTP 422).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa

from geomatch.cycle.commend import Window, national_problem, window_violations
from geomatch.cycle.evaluate import UNIT_INDICATORS, Evaluation
from geomatch.cycle.national import NationalProblem, NationalSelection, reselect, select
from geomatch.cycle.orm import CycleQuota, CycleRecommendation, CycleUnitScore
from geomatch.cycle.quotas import Method, QuotaResult, apportion
from geomatch.cycle.rules import CommendRules
from geomatch.errors import GeomatchError, InputError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "CandidateIn",
    "RuleViolationError",
    "apply_objection",
    "commend_stored",
    "latest_kpi",
    "quotas_from_scores",
    "recommendations",
    "scores",
    "store_evaluation",
    "submit_recommendations",
]

log = logging.getLogger(__name__)


class RuleViolationError(GeomatchError):
    """A submission breaks a named rule (quota, publicity, eligibility): HTTP 422."""

    def __init__(self, message: str, *, rule: str) -> None:
        self.rule = rule
        super().__init__(message)


@dataclass(frozen=True)
class CandidateIn:
    """One recommended candidate as submitted by a unit."""

    candidate_id: str
    kind: str
    name: str
    merit: float
    category: str
    deep_poverty: bool
    registered: bool
    praised_since_2016: bool


def latest_kpi(session: Session) -> pd.DataFrame | None:
    """The ``kpi`` table of the latest finished run stored in the service."""
    from geomatch.service.models import ResultRow
    from geomatch.service.results import latest_done_run

    run = latest_done_run(session)
    if run is None:
        return None
    rows = session.execute(
        sa.select(ResultRow.data).where(ResultRow.run_id == run.id, ResultRow.table_name == "kpi")
    ).scalars()
    df = pd.DataFrame.from_records(list(rows))
    return None if df.empty else df


def store_evaluation(session: Session, ev: Evaluation, year: int) -> int:
    """Replace the year's stored unit scores with ``ev``'s."""
    session.execute(sa.delete(CycleUnitScore).where(CycleUnitScore.year == year))
    raw = ev.indicators.set_index("unit")
    for row in ev.units.to_dict("records"):
        unit = str(row["unit"])
        breakdown = {k: float(v) for k, v in row.items() if str(k).startswith("ind_")}
        breakdown.update({n: float(raw.at[unit, n]) for n in UNIT_INDICATORS})
        session.add(
            CycleUnitScore(
                year=year,
                unit=unit,
                unit_name=str(row["unit_name"]),
                unit_type=str(row["unit_type"]),
                score=float(row["score"]),
                rank=int(row["rank"]),
                grade=str(row["grade"]),
                breakdown=breakdown,
            )
        )
    session.flush()
    return len(ev.units)


def scores(session: Session, year: int, unit: str | None = None) -> list[CycleUnitScore]:
    """Stored scores of a year (one unit's if given), best first."""
    q = sa.select(CycleUnitScore).where(CycleUnitScore.year == year)
    if unit is not None:
        q = q.where(CycleUnitScore.unit == unit)
    return list(session.execute(q.order_by(CycleUnitScore.rank, CycleUnitScore.unit)).scalars())


def quotas_from_scores(
    session: Session,
    score_year: int,
    total: int,
    *,
    floor: int = 0,
    cap: int | None = None,
    method: Method = "largest-remainder",
) -> QuotaResult:
    """Quotas of ``score_year + 1`` from the stored scores of ``score_year`` (replaced)."""
    rows = scores(session, score_year)
    if not rows:
        raise InputError(f"no evaluation stored for {score_year}: run the evaluation first")
    result = apportion(
        [r.unit for r in rows],
        [Fraction(str(r.score)) for r in rows],
        total,
        floor=floor,
        cap=cap,
        method=method,
    )
    year = score_year + 1
    session.execute(sa.delete(CycleQuota).where(CycleQuota.year == year))
    for unit, score, quota in zip(result.units, result.scores, result.quotas, strict=True):
        session.add(
            CycleQuota(year=year, unit=unit, quota=quota, score=float(score), method=method)
        )
    session.flush()
    return result


def _check_unit(
    unit: str,
    year: int,
    cands: list[CandidateIn],
    window: Window,
    rules: CommendRules,
    quota: int | None,
) -> None:
    problems = window_violations(window, rules)
    if problems:
        raise RuleViolationError("；".join(problems), rule="publicity")
    bad = [c.candidate_id for c in cands if not (c.registered and c.praised_since_2016)]
    if bad:
        raise RuleViolationError(
            "推荐对象须入库备案且2016年以来受过表扬（registered, praised_since_2016）："
            + ", ".join(bad),
            rule="eligibility",
        )
    if quota is not None and len(cands) > quota:
        raise RuleViolationError(
            f"超出推荐指标：{unit} 的 {year} 年推荐指标为 {quota}，提交了 {len(cands)} 个",
            rule="quota",
        )
    for kind, label in (("team", "团队"), ("individual", "个人")):
        lo, hi = rules.unit_range(unit, kind)
        n = sum(1 for c in cands if c.kind == kind)
        if not lo <= n <= hi:
            raise RuleViolationError(
                f"推荐{label}数须在 {lo}–{hi} 之间（{unit}），提交了 {n} 个", rule=f"unit_{kind}s"
            )


def submit_recommendations(
    session: Session,
    *,
    year: int,
    unit: str,
    cands: list[CandidateIn],
    window: Window,
    rules: CommendRules,
    user: str,
) -> int:
    """Replace ``unit``'s recommendations of ``year`` after checking every rule (the
    publicity deadline is the rules' day and month in ``year``)."""
    quota = session.get(CycleQuota, (year, unit))
    limit = None if quota is None else quota.quota
    _check_unit(unit, year, cands, window, rules.for_year(year), limit)
    ids = [c.candidate_id for c in cands]
    if len(set(ids)) != len(ids):
        raise RuleViolationError("candidate_id 重复", rule="candidate_id")
    taken = session.execute(
        sa.select(CycleRecommendation.candidate_id, CycleRecommendation.unit).where(
            CycleRecommendation.year == year,
            CycleRecommendation.candidate_id.in_(ids),
            CycleRecommendation.unit != unit,
        )
    ).all()
    if taken:
        raise RuleViolationError(
            f"已由其他单位推荐：{', '.join(f'{c}（{u}）' for c, u in taken)}", rule="candidate_id"
        )
    session.execute(
        sa.delete(CycleRecommendation).where(
            CycleRecommendation.year == year, CycleRecommendation.unit == unit
        )
    )
    for c in cands:
        session.add(
            CycleRecommendation(
                year=year, unit=unit, candidate_id=c.candidate_id, kind=c.kind, name=c.name,
                merit=c.merit, category=c.category, deep_poverty=c.deep_poverty,
                publicity_start=window.start, publicity_end=window.end, submitted_by=user,
            )
        )  # fmt: skip
    session.flush()
    return len(cands)


def recommendations(
    session: Session, year: int, unit: str | None = None
) -> list[CycleRecommendation]:
    q = sa.select(CycleRecommendation).where(CycleRecommendation.year == year)
    if unit is not None:
        q = q.where(CycleRecommendation.unit == unit)
    return list(
        session.execute(
            q.order_by(CycleRecommendation.unit, CycleRecommendation.candidate_id)
        ).scalars()
    )


def _problem(rows: list[CycleRecommendation], rules: CommendRules) -> NationalProblem:
    cols = ["candidate_id", "kind", "unit", "category", "deep_poverty", "merit"]
    live = [r for r in rows if r.status != "withdrawn"]
    frame = pd.DataFrame([{c: getattr(r, c) for c in cols} for r in live], columns=cols)
    return national_problem(frame, rules)


def _mark(rows: list[CycleRecommendation], sel: NationalSelection) -> dict[str, Any]:
    for r in rows:
        if r.status != "withdrawn":
            r.status = "selected" if r.candidate_id in sel.selected else "recommended"
    return {"selected": len(sel.selected), "merit": sel.merit, "changes": sel.changes}


def commend_stored(session: Session, year: int, rules: CommendRules) -> dict[str, Any]:
    """The national stage over the stored recommendations (InfeasibleError names the rule)."""
    rows = recommendations(session, year)
    return _mark(rows, select(_problem(rows, rules), rules))


def apply_objection(
    session: Session, year: int, candidate_id: str, day: dt.date, rules: CommendRules
) -> dict[str, Any]:
    """Withdraw a candidate objected to within its window; re-select with fewest changes."""
    rows = recommendations(session, year)
    found = next((r for r in rows if r.candidate_id == candidate_id), None)
    if found is None:
        raise InputError(f"{candidate_id} is not recommended in {year}")
    if not found.publicity_start <= day <= found.publicity_end:
        raise RuleViolationError(
            f"异议须在公示期内提出：{day} 不在 {found.publicity_start}–{found.publicity_end} 之内",
            rule="publicity",
        )
    before = frozenset(r.candidate_id for r in rows if r.status == "selected")
    found.status, found.objection_date = "withdrawn", day
    if not before:
        return {"selected": 0, "merit": 0, "changes": 0}
    return _mark(rows, reselect(_problem(rows, rules), rules, before))
