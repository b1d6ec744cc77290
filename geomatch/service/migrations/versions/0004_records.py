"""The programme's records: register, agreements with their audit trail, progress, ledger.

Revision ID: 0004_records
Revises: 0003_hardening
Create Date: 2026-11-29

New tables only (the runs and results of an existing database are untouched):
``register_imports``, ``register_entries``, ``agreements``, ``agreement_events``,
``progress_reports``, ``ledger_targets`` (see :mod:`geomatch.records.orm`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_records"
down_revision = "0003_hardening"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _register() -> None:
    op.create_table(
        "register_imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("province_adcode", sa.String(6), nullable=False, index=True),
        sa.Column("filename", sa.String(256), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "register_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("helper_id", sa.String(64), nullable=False),
        sa.Column("filed_by_province", sa.String(6), nullable=False, index=True),
        sa.Column("filed_at", _TZ, nullable=False),
        sa.Column(
            "import_id",
            sa.Integer,
            sa.ForeignKey("register_imports.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("specialty", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("languages", sa.Text, nullable=False),
        sa.Column("province_adcode", sa.String(6), nullable=False),
        sa.Column("institution", sa.Text, nullable=False),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("id_hash", sa.String(64), nullable=False, index=True),
        sa.Column("id_masked", sa.String(32), nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("phone_masked", sa.String(32), nullable=False),
        sa.Column("name_phone_hash", sa.String(64), nullable=False, index=True),
        sa.UniqueConstraint("helper_id", name="uq_register_helper_id"),
    )


def _agreements() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("runs.id", name="fk_agreements_run", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("helper_id", sa.String(64), nullable=False, index=True),
        sa.Column("helper_name", sa.Text, nullable=False),
        sa.Column("need_id", sa.String(64), nullable=False, index=True),
        sa.Column("need_adcode", sa.String(12), nullable=False),
        sa.Column("need_name", sa.Text, nullable=False),
        sa.Column("need_province", sa.String(6), nullable=False),
        sa.Column("helper_province", sa.String(6), nullable=False),
        sa.Column("helper_kind", sa.String(16), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("associations_target", sa.Integer, nullable=False),
        sa.Column("people_trained_target", sa.Integer, nullable=False),
        sa.Column("households_target", sa.Integer, nullable=False),
        sa.Column("tasks", sa.Text, nullable=False),
        sa.Column("visits_per_year", sa.Integer, nullable=False),
        sa.Column("remote_guidance", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.UniqueConstraint("run_id", "need_id", "helper_id", name="uq_agreements_run_pair"),
        sa.Index("ix_agreements_scope", "need_province", "helper_province", "status"),
    )
    op.create_table(
        "agreement_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "agreement_id",
            sa.Integer,
            sa.ForeignKey("agreements.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )


def _progress_and_ledger() -> None:
    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "agreement_id",
            sa.Integer,
            sa.ForeignKey("agreements.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("service_days", sa.Float, nullable=False),
        sa.Column("visits", sa.Integer, nullable=False),
        sa.Column("people_trained", sa.Integer, nullable=False),
        sa.Column("associations_supported", sa.Integer, nullable=False),
        sa.Column("households_helped", sa.Integer, nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.UniqueConstraint("agreement_id", "period", name="uq_progress_agreement_period"),
    )
    op.create_table(
        "ledger_targets",
        sa.Column("unit_type", sa.String(16), primary_key=True),
        sa.Column("unit_code", sa.String(64), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("unit_name", sa.Text, nullable=False),
        sa.Column("associations_target", sa.Integer, nullable=False),
        sa.Column("experts_target", sa.Integer, nullable=False),
        sa.Column("people_target", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
    )


def upgrade() -> None:
    _register()
    _agreements()
    _progress_and_ledger()


def downgrade() -> None:
    for table in (
        "ledger_targets",
        "progress_reports",
        "agreement_events",
        "agreements",
        "register_entries",
        "register_imports",
    ):
        op.drop_table(table)
