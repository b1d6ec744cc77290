"""Initial schema: dataset tables, runs and results, users, audit log, uploads.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from geomatch.service.models import GeometryType

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _dataset_tables() -> None:
    """Provinces, counties (with polygons), helpers and needs."""
    op.create_table(
        "provinces",
        sa.Column("adcode", sa.String(6), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("adcode", sa.String(6), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("province_adcode", sa.String(6), nullable=False, index=True),
        sa.Column("province", sa.Text, nullable=False),
        sa.Column("prefecture_adcode", sa.String(6), nullable=False),
        sa.Column("prefecture", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("poor", sa.Boolean, nullable=False),
        sa.Column("exit_year", sa.Integer, nullable=True),
        sa.Column("deep_poverty_area", sa.Text, nullable=False),
        sa.Column("seat_lon", sa.Float, nullable=True),
        sa.Column("seat_lat", sa.Float, nullable=True),
        sa.Column("geom", GeometryType("GEOMETRY"), nullable=True),
    )
    op.create_table(
        "helpers",
        sa.Column("helper_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("specialty", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("languages", sa.Text, nullable=False),
        sa.Column("province_adcode", sa.String(6), nullable=False, index=True),
        sa.Column("institution", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("geom", GeometryType("POINT"), nullable=True),
    )
    op.create_table(
        "needs",
        sa.Column("need_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("adcode", sa.String(6), nullable=False, index=True),
        sa.Column("province_adcode", sa.String(6), nullable=False, index=True),
        sa.Column("unit_code", sa.String(12), nullable=False),
        sa.Column("unit_name", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("industry", sa.Text, nullable=False),
        sa.Column("size", sa.Float, nullable=True),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("geom", GeometryType("POINT"), nullable=True),
    )


def _user_and_run_tables() -> None:
    """Users, runs, the column order of result tables and their rows."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("province_adcode", sa.String(6), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, index=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.CheckConstraint("role IN ('national', 'planner', 'analyst')", name="ck_users_role"),
        sa.CheckConstraint(
            "(role = 'planner') = (province_adcode IS NOT NULL)", name="ck_users_province"
        ),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scenario", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column(
            "created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("started_at", _TZ, nullable=True),
        sa.Column("finished_at", _TZ, nullable=True),
        sa.Column("worker_pid", sa.Integer, nullable=True),
        sa.Column("dataset_id", sa.Integer, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'interrupted')",
            name="ck_runs_status",
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_runs_progress"),
    )
    op.create_table(
        "run_tables",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
    )
    op.create_table(
        "result_rows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
        sa.Column("province_adcode", sa.String(6), nullable=True),
        sa.Column("helper_province_adcode", sa.String(6), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index(
        "ix_result_rows_lookup", "result_rows", ["run_id", "table_name", "province_adcode"]
    )


def _result_tables() -> None:
    """Per-county coverage, the audit log and accepted uploads."""
    op.create_table(
        "coverage",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("adcode", sa.String(6), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("province", sa.Text, nullable=False),
        sa.Column("province_adcode", sa.String(6), nullable=False),
        sa.Column("station_team", sa.Text, nullable=False),
        sa.Column("museum_visits", sa.Integer, nullable=False),
        sa.Column("caravan_visits", sa.Integer, nullable=False),
        sa.Column("experts", sa.Integer, nullable=False),
        sa.Column("unmet_needs", sa.Integer, nullable=False),
    )
    op.create_index("ix_coverage_province", "coverage", ["run_id", "province_adcode"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        sa.Column("filter", sa.JSON, nullable=False),
        sa.Column("created_at", _TZ, nullable=False, index=True),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("filename", sa.String(256), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        sa.Column("columns", sa.JSON, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column(
            "uploaded_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", _TZ, nullable=False),
    )


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    _dataset_tables()
    _user_and_run_tables()
    _result_tables()
    if postgres:
        for table in ("units", "helpers", "needs"):
            op.create_index(f"ix_{table}_geom", table, ["geom"], postgresql_using="gist")


def downgrade() -> None:
    for table in (
        "datasets",
        "audit_log",
        "coverage",
        "result_rows",
        "run_tables",
        "runs",
        "users",
        "needs",
        "helpers",
        "units",
        "provinces",
    ):
        op.drop_table(table)
