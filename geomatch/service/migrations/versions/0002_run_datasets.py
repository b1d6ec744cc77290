"""Runs on uploaded tables: a run names the helpers and/or needs upload it uses.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("dataset_id")
        batch.add_column(sa.Column("helpers_dataset_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("needs_dataset_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_runs_helpers_dataset",
            "datasets",
            ["helpers_dataset_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            "fk_runs_needs_dataset", "datasets", ["needs_dataset_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("fk_runs_needs_dataset", type_="foreignkey")
        batch.drop_constraint("fk_runs_helpers_dataset", type_="foreignkey")
        batch.drop_column("needs_dataset_id")
        batch.drop_column("helpers_dataset_id")
        batch.add_column(sa.Column("dataset_id", sa.Integer, nullable=True))
