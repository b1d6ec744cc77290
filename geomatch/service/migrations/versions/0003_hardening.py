"""Hardening: public run ids, idempotency, cancel, worker leases, browser sessions, token expiry.

Revision ID: 0003_hardening
Revises: 0002
Create Date: 2026-11-29

* ``runs.uid`` — the run's public id (random UUID; existing runs get one each), its result
  folder's name, never reused even after a database reset;
* ``runs.idempotency_key`` (unique per user), ``runs.cancel_requested`` and the status
  ``cancelled``;
* ``worker_leases`` — one row per worker slot, renewed by the worker while it runs, so
  ``GEOMATCH_MAX_WORKERS`` holds across servers and after a crash;
* ``browser_sessions`` — server-side, expiring browser logins with their CSRF token;
* ``users.token_expires_at`` — API tokens with an optional expiry.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003_hardening"
down_revision = "0002"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_STATUSES = "('queued', 'running', 'done', 'failed', 'interrupted', 'cancelled')"
_OLD_STATUSES = "('queued', 'running', 'done', 'failed', 'interrupted')"


def _add_run_uids() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("uid", sa.String(36), nullable=True))
        batch.add_column(sa.Column("idempotency_key", sa.String(128), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false())
        )
    bind = op.get_bind()
    runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("uid", sa.String))
    for (run_id,) in bind.execute(sa.select(runs.c.id)).all():
        bind.execute(sa.update(runs).where(runs.c.id == run_id).values(uid=str(uuid.uuid4())))
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("ck_runs_status", type_="check")
        batch.create_check_constraint("ck_runs_status", f"status IN {_STATUSES}")
        batch.alter_column("uid", existing_type=sa.String(36), nullable=False)
        batch.create_index("ix_runs_uid", ["uid"], unique=True)
        batch.create_index("ux_runs_idempotency", ["created_by", "idempotency_key"], unique=True)


def upgrade() -> None:
    _add_run_uids()
    op.create_table(
        "worker_leases",
        sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
    )
    op.create_table(
        "browser_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
        sa.Column("revoked_at", _TZ, nullable=True),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_expires_at", _TZ, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_expires_at")
    op.drop_table("browser_sessions")
    op.drop_table("worker_leases")
    op.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'cancelled'")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("ck_runs_status", type_="check")
        batch.create_check_constraint("ck_runs_status", f"status IN {_OLD_STATUSES}")
        batch.drop_index("ux_runs_idempotency")
        batch.drop_index("ix_runs_uid")
        batch.drop_column("cancel_requested")
        batch.drop_column("idempotency_key")
        batch.drop_column("uid")
