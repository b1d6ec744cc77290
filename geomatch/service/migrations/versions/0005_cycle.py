"""The annual cycle: unit scores, quotas, commendation recommendations.

Revision ID: 0005_cycle
Revises: 0004_records
Create Date: 2026-11-29

New tables only (see :mod:`geomatch.cycle.orm`): ``cycle_unit_scores``, ``cycle_quotas``,
``cycle_recommendations``. Runs, results and records are untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_cycle"
down_revision = "0004_records"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cycle_unit_scores",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("unit", sa.String(64), primary_key=True),
        sa.Column("unit_name", sa.Text, nullable=False),
        sa.Column("unit_type", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("grade", sa.String(8), nullable=False),
        sa.Column("breakdown", sa.JSON, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "cycle_quotas",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("unit", sa.String(64), primary_key=True),
        sa.Column("quota", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("method", sa.String(24), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "cycle_recommendations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("candidate_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("merit", sa.Float, nullable=False),
        sa.Column("category", sa.String(8), nullable=False),
        sa.Column("deep_poverty", sa.Boolean, nullable=False),
        sa.Column("publicity_start", sa.Date, nullable=False),
        sa.Column("publicity_end", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("objection_date", sa.Date, nullable=True),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.UniqueConstraint("year", "candidate_id", name="uq_cycle_recommendation"),
    )
    op.create_index("ix_cycle_recommendations_unit", "cycle_recommendations", ["year", "unit"])


def downgrade() -> None:
    op.drop_index("ix_cycle_recommendations_unit", table_name="cycle_recommendations")
    for table in ("cycle_recommendations", "cycle_quotas", "cycle_unit_scores"):
        op.drop_table(table)
