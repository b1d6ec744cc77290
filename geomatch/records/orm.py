"""Database tables of the programme's records (on :class:`geomatch.service.models.Base`).

==========================  =========================================================
table                       holds
==========================  =========================================================
``register_imports``        one row per accepted register file (province, file, user)
``register_entries``        the expert register (名册): one row per filed helper; the
                            ID and phone numbers only as HMAC hashes + masked forms
``agreements``              帮扶协议: one per helper–need pair, with dates, targets,
                            tasks, mechanism and a status
``agreement_events``        the audit trail of every status change (who, when)
``progress_reports``        quarterly progress (项目化跟踪管理), one per agreement and
                            quarter
``ledger_targets``          the "两数" targets per unit (province or national society)
                            and year, from a targets file or the synthetic default
==========================  =========================================================

Province scoping: every row a planner may read carries the province code(s) it
concerns (``filed_by_province``; ``need_province`` and ``helper_province``) so the
queries of :mod:`geomatch.records` filter in SQL.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from geomatch.service.models import Base, utcnow

__all__ = [
    "AGREEMENT_STATUSES",
    "Agreement",
    "AgreementEvent",
    "LedgerTarget",
    "ProgressReport",
    "RegisterEntry",
    "RegisterImport",
]

#: The states of an agreement, in the order they are passed.
AGREEMENT_STATUSES = ("proposed", "signed", "filed", "active", "completed", "terminated")


class RegisterImport(Base):
    """One accepted register file of a province."""

    __tablename__ = "register_imports"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    province_adcode: Mapped[str] = mapped_column(sa.String(6), index=True)
    filename: Mapped[str] = mapped_column(sa.String(256))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    n_rows: Mapped[int] = mapped_column(sa.Integer)
    user_name: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class RegisterEntry(Base):
    """A helper filed in a province's register (名册备案)."""

    __tablename__ = "register_entries"
    __table_args__ = (sa.UniqueConstraint("helper_id", name="uq_register_helper_id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    helper_id: Mapped[str] = mapped_column(sa.String(64))
    filed_by_province: Mapped[str] = mapped_column(sa.String(6), index=True)
    filed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("register_imports.id", ondelete="SET NULL"), nullable=True
    )
    row_no: Mapped[int] = mapped_column(sa.Integer, default=0)
    name: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(16), default="expert")
    specialty: Mapped[str] = mapped_column(sa.String(32), default="")
    level: Mapped[str] = mapped_column(sa.String(16), default="")
    capacity: Mapped[int] = mapped_column(sa.Integer, default=0)
    languages: Mapped[str] = mapped_column(sa.Text, default="")
    province_adcode: Mapped[str] = mapped_column(sa.String(6), default="")
    institution: Mapped[str] = mapped_column(sa.Text, default="")
    lon: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    #: HMAC-SHA256 (server secret) of the normalised resident ID number; never the number.
    id_hash: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    id_masked: Mapped[str] = mapped_column(sa.String(32), default="")
    phone_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    phone_masked: Mapped[str] = mapped_column(sa.String(32), default="")
    #: HMAC of name + phone: the second duplicate rule.
    name_phone_hash: Mapped[str] = mapped_column(sa.String(64), default="", index=True)


class Agreement(Base):
    """A 帮扶协议 between a helper and a need (one pair)."""

    __tablename__ = "agreements"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "need_id", "helper_id", name="uq_agreements_run_pair"),
        sa.Index("ix_agreements_scope", "need_province", "helper_province", "status"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    #: The run whose pairing proposed it (``None`` for agreements entered otherwise).
    run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("runs.id", name="fk_agreements_run", ondelete="SET NULL"), nullable=True
    )
    helper_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    helper_name: Mapped[str] = mapped_column(sa.Text, default="")
    need_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    need_adcode: Mapped[str] = mapped_column(sa.String(12), default="")
    need_name: Mapped[str] = mapped_column(sa.Text, default="")
    need_province: Mapped[str] = mapped_column(sa.String(6))
    helper_province: Mapped[str] = mapped_column(sa.String(6), default="")
    helper_kind: Mapped[str] = mapped_column(sa.String(16), default="")
    start_date: Mapped[dt.date] = mapped_column(sa.Date)
    end_date: Mapped[dt.date] = mapped_column(sa.Date)
    associations_target: Mapped[int] = mapped_column(sa.Integer, default=0)
    people_trained_target: Mapped[int] = mapped_column(sa.Integer, default=0)
    households_target: Mapped[int] = mapped_column(sa.Integer, default=0)
    tasks: Mapped[str] = mapped_column(sa.Text, default="")
    visits_per_year: Mapped[int] = mapped_column(sa.Integer, default=0)
    remote_guidance: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="proposed", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class AgreementEvent(Base):
    """One status change of an agreement (the audit trail)."""

    __tablename__ = "agreement_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(sa.String(16), default="")
    to_status: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    user_name: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class ProgressReport(Base):
    """The progress of an agreement in one quarter."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "period", name="uq_progress_agreement_period"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    #: ``YYYYQn``.
    period: Mapped[str] = mapped_column(sa.String(6))
    service_days: Mapped[float] = mapped_column(sa.Float, default=0.0)
    visits: Mapped[int] = mapped_column(sa.Integer, default=0)
    people_trained: Mapped[int] = mapped_column(sa.Integer, default=0)
    associations_supported: Mapped[int] = mapped_column(sa.Integer, default=0)
    households_helped: Mapped[int] = mapped_column(sa.Integer, default=0)
    user_name: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class LedgerTarget(Base):
    """The "两数" targets of one unit in one year."""

    __tablename__ = "ledger_targets"

    #: ``province`` (code ``620000``) or ``society`` (code = the society's helper id).
    unit_type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    unit_code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    unit_name: Mapped[str] = mapped_column(sa.Text, default="")
    associations_target: Mapped[int] = mapped_column(sa.Integer, default=0)
    experts_target: Mapped[int] = mapped_column(sa.Integer, default=0)
    people_target: Mapped[int] = mapped_column(sa.Integer, default=0)
    source: Mapped[str] = mapped_column(sa.Text, default="")
