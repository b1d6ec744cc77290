"""Database tables of the annual cycle (on :class:`geomatch.service.models.Base`).

==========================  =========================================================
table                       holds
==========================  =========================================================
``cycle_unit_scores``       the evaluation of a year: one row per province / national
                            society with score, rank, grade and the indicator breakdown
``cycle_quotas``            next year's quotas (推荐/奖补指标) per unit
``cycle_recommendations``   the units' commendation recommendations with their 公示
                            window and status (recommended | selected | withdrawn)
==========================  =========================================================

A planner's reads are filtered by ``unit`` (a province code); national societies' rows
are national-only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from geomatch.service.models import Base, utcnow

__all__ = ["CycleQuota", "CycleRecommendation", "CycleUnitScore"]


class CycleUnitScore(Base):
    """A unit's evaluation in one year."""

    __tablename__ = "cycle_unit_scores"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    unit_name: Mapped[str] = mapped_column(sa.Text, default="")
    unit_type: Mapped[str] = mapped_column(sa.String(16), default="province")
    score: Mapped[float] = mapped_column(sa.Float)
    rank: Mapped[int] = mapped_column(sa.Integer)
    grade: Mapped[str] = mapped_column(sa.String(8))
    #: ``ind_<name>`` points and the raw ratios of unit_indicators.csv.
    breakdown: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class CycleQuota(Base):
    """A unit's quota for a year (computed from the previous year's scores)."""

    __tablename__ = "cycle_quotas"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    quota: Mapped[int] = mapped_column(sa.Integer)
    score: Mapped[float] = mapped_column(sa.Float)
    method: Mapped[str] = mapped_column(sa.String(24))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class CycleRecommendation(Base):
    """A candidate a unit recommends for commendation in a year."""

    __tablename__ = "cycle_recommendations"
    __table_args__ = (
        sa.UniqueConstraint("year", "candidate_id", name="uq_cycle_recommendation"),
        sa.Index("ix_cycle_recommendations_unit", "year", "unit"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(sa.Integer)
    unit: Mapped[str] = mapped_column(sa.String(64))
    candidate_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.Text, default="")
    merit: Mapped[float] = mapped_column(sa.Float)
    category: Mapped[str] = mapped_column(sa.String(8))
    deep_poverty: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    publicity_start: Mapped[dt.date] = mapped_column(sa.Date)
    publicity_end: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="recommended")
    objection_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    submitted_by: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
