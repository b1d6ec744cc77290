"""Database tables of the service (SQLAlchemy 2, declarative).

One schema for SQLite (the embedded default) and PostgreSQL with PostGIS. Geometry
columns use :class:`GeometryType`: a PostGIS ``geometry(…, 4326)`` column (GeoAlchemy2)
on PostgreSQL and WKT text on SQLite; Python sees :mod:`shapely` geometries either way.

Tables
------
``provinces``, ``units`` (counties with their polygons), ``helpers``, ``needs``
    The dataset the runs work on (loaded from :func:`geomatch.dataset.load_dataset`).
``runs``
    One row per optimisation run: status, progress 0–1, worker pid, times, error.
``run_tables``, ``result_rows``, ``coverage``
    Results of a finished run, written in one transaction: each table's column order,
    its rows (JSON) tagged with the province(s) they belong to, and the per-county
    coverage as typed columns.
``users``, ``browser_sessions``, ``audit_log``, ``datasets``
    Accounts (the token only as a SHA-256 hash, with an optional expiry), browser
    sessions (server-side, expiring, revoked on logout, each with its CSRF token), the
    audit trail of exports, uploads and refused attempts, and accepted uploads.
``worker_leases``
    One row per worker slot (``GEOMATCH_MAX_WORKERS``): a worker holds a slot while it
    renews the lease, so the limit holds across servers and crashes.

Runs are addressed by ``runs.uid`` (a random UUID, unguessable, never reused); the
integer ``runs.id`` stays internal (foreign keys).

Province scoping: every row a planner may see carries ``province_adcode`` (the county's
adcode with the last four digits ``0000``) so queries filter in SQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

# Imported eagerly: importing it registers the PostGIS DDL events, which must be in
# place before the first table is created.
import geoalchemy2
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "RUN_STATUSES",
    "AuditLog",
    "Base",
    "BrowserSession",
    "Coverage",
    "GeometryType",
    "Helper",
    "Need",
    "Province",
    "ResultRow",
    "Run",
    "StoredDataset",
    "StoredRunTable",
    "Unit",
    "User",
    "WorkerLease",
    "as_utc",
    "new_uid",
    "utcnow",
]

#: The states of a run.
RUN_STATUSES = ("queued", "running", "done", "failed", "interrupted", "cancelled")


def new_uid() -> str:
    """A new run id: a random UUID (122 random bits), as text."""
    return str(uuid.uuid4())


def utcnow() -> dt.datetime:
    """The current time, UTC, without microseconds."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp with its time zone (SQLite gives them back naive: they are UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class GeometryType(TypeDecorator[BaseGeometry]):
    """A WGS84 geometry: PostGIS ``geometry`` on PostgreSQL, WKT text elsewhere.

    Parameters
    ----------
    geometry_type
        PostGIS geometry type (``GEOMETRY``, ``POINT``, ``MULTIPOLYGON`` …).
    """

    impl = sa.Text
    cache_ok = True
    # Read by GeoAlchemy2's DDL events: indexes are created by the migrations.
    spatial_index = False
    use_typmod = None
    use_N_D_index = False  # noqa: N815 (GeoAlchemy2's attribute name)

    def __init__(self, geometry_type: str = "GEOMETRY") -> None:
        super().__init__()
        self.geometry_type = geometry_type

    def _postgis(self) -> geoalchemy2.Geometry:
        return geoalchemy2.Geometry(self.geometry_type, srid=4326, spatial_index=False)

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        if dialect is None:  # GeoAlchemy2's DDL events ask without a dialect
            return self._postgis()
        if dialect.name == "postgresql":
            return dialect.type_descriptor(self._postgis())
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        wkt = value.wkt if isinstance(value, BaseGeometry) else str(value)
        if dialect.name == "postgresql":
            from geoalchemy2.elements import WKTElement

            return WKTElement(wkt, srid=4326, extended=False)
        return wkt

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        if dialect.name == "postgresql":
            from geoalchemy2.shape import to_shape

            shape: BaseGeometry = to_shape(value)
            return shape
        geometry: BaseGeometry = shapely.from_wkt(value)
        return geometry


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""


class Province(Base):
    __tablename__ = "provinces"

    adcode: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    region: Mapped[str] = mapped_column(sa.Text, default="")


class Unit(Base):
    """A county-level unit with its polygon and poverty flags."""

    __tablename__ = "units"

    adcode: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    province_adcode: Mapped[str] = mapped_column(sa.String(6), index=True)
    province: Mapped[str] = mapped_column(sa.Text, default="")
    prefecture_adcode: Mapped[str] = mapped_column(sa.String(6), default="")
    prefecture: Mapped[str] = mapped_column(sa.Text, default="")
    region: Mapped[str] = mapped_column(sa.Text, default="")
    poor: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    exit_year: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    deep_poverty_area: Mapped[str] = mapped_column(sa.Text, default="")
    seat_lon: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    seat_lat: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    geom: Mapped[BaseGeometry | None] = mapped_column(GeometryType("GEOMETRY"), nullable=True)


class Helper(Base):
    """An expert or organisation that can take needs."""

    __tablename__ = "helpers"

    helper_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.Text, default="")
    specialty: Mapped[str] = mapped_column(sa.Text, default="")
    level: Mapped[str] = mapped_column(sa.Text, default="")
    capacity: Mapped[int] = mapped_column(sa.Integer, default=0)
    languages: Mapped[str] = mapped_column(sa.Text, default="")
    province_adcode: Mapped[str] = mapped_column(sa.String(6), default="", index=True)
    institution: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.Text, default="")
    lon: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    geom: Mapped[BaseGeometry | None] = mapped_column(GeometryType("POINT"), nullable=True)


class Need(Base):
    """A need of a poor county, township, village or its households."""

    __tablename__ = "needs"

    need_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text, default="")
    adcode: Mapped[str] = mapped_column(sa.String(6), default="", index=True)
    province_adcode: Mapped[str] = mapped_column(sa.String(6), default="", index=True)
    unit_code: Mapped[str] = mapped_column(sa.String(12), default="")
    unit_name: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.Text, default="")
    industry: Mapped[str] = mapped_column(sa.Text, default="")
    size: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    priority: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.Text, default="")
    lon: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    geom: Mapped[BaseGeometry | None] = mapped_column(GeometryType("POINT"), nullable=True)


class User(Base):
    """An account; the API token is stored only as its SHA-256 hex digest."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    province_adcode: Mapped[str | None] = mapped_column(sa.String(6), nullable=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    #: When the API token stops working (``None``: it does not expire).
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(
        sa.DateTime(timezone=True), nullable=True
    )


class BrowserSession(Base):
    """A browser login: the cookie holds a random secret, the table its SHA-256 digest."""

    __tablename__ = "browser_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(
        sa.DateTime(timezone=True), nullable=True
    )


class Run(Base):
    """An optimisation run executed by a worker process."""

    __tablename__ = "runs"
    __table_args__ = (
        sa.Index("ux_runs_idempotency", "created_by", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    #: The public id of the run (URLs, result folder): a random UUID, never reused.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True, index=True, default=new_uid)
    scenario: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    worker_pid: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    #: Uploaded tables that replace the scenario's helpers / needs (``datasets.id``).
    helpers_dataset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("datasets.id", name="fk_runs_helpers_dataset", ondelete="SET NULL"),
        nullable=True,
    )
    needs_dataset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("datasets.id", name="fk_runs_needs_dataset", ondelete="SET NULL"),
        nullable=True,
    )
    #: The client's ``Idempotency-Key`` of the POST that created the run.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    #: Set by ``POST /api/runs/{id}/cancel``; the worker stops at its next progress report.
    cancel_requested: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )


class WorkerLease(Base):
    """A worker slot: held by the worker of a run while ``expires_at`` lies ahead."""

    __tablename__ = "worker_leases"

    slot: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True
    )
    pid: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    host: Mapped[str] = mapped_column(sa.String(255), default="")
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))


class StoredRunTable(Base):
    """The column order of one result table of a run (to rebuild its CSV); the table
    itself is declared by :class:`geomatch.model.run_tables.RunTable`."""

    __tablename__ = "run_tables"

    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    columns: Mapped[list[str]] = mapped_column(sa.JSON)
    n_rows: Mapped[int] = mapped_column(sa.Integer, default=0)


class ResultRow(Base):
    """One row of a result table of a run, tagged with the province(s) it concerns."""

    __tablename__ = "result_rows"
    __table_args__ = (sa.Index("ix_result_rows_lookup", "run_id", "table_name", "province_adcode"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("runs.id", ondelete="CASCADE"))
    table_name: Mapped[str] = mapped_column(sa.String(32))
    row_no: Mapped[int] = mapped_column(sa.Integer)
    #: The province of the county the row is about (need side for pairings).
    province_adcode: Mapped[str | None] = mapped_column(sa.String(6), nullable=True)
    #: The helper's province (pairings only): a planner also sees their helpers' pairs.
    helper_province_adcode: Mapped[str | None] = mapped_column(sa.String(6), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class Coverage(Base):
    """Coverage of one poor county in a run (``coverage.csv`` as typed columns)."""

    __tablename__ = "coverage"
    __table_args__ = (sa.Index("ix_coverage_province", "run_id", "province_adcode"),)

    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    adcode: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, default="")
    province: Mapped[str] = mapped_column(sa.Text, default="")
    province_adcode: Mapped[str] = mapped_column(sa.String(6))
    station_team: Mapped[str] = mapped_column(sa.Text, default="")
    museum_visits: Mapped[int] = mapped_column(sa.Integer, default=0)
    caravan_visits: Mapped[int] = mapped_column(sa.Integer, default=0)
    experts: Mapped[int] = mapped_column(sa.Integer, default=0)
    unmet_needs: Mapped[int] = mapped_column(sa.Integer, default=0)


class AuditLog(Base):
    """Who exported or uploaded what, when, with which filter."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    user_name: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str] = mapped_column(sa.String(256))
    filter: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, index=True
    )


class StoredDataset(Base):
    """An accepted upload of helpers or needs (validated as the CLI does), stored in the
    table ``datasets``. Not :class:`geomatch.dataset.Dataset`, the loaded data folder."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    filename: Mapped[str] = mapped_column(sa.String(256))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    n_rows: Mapped[int] = mapped_column(sa.Integer)
    columns: Mapped[list[str]] = mapped_column(sa.JSON)
    path: Mapped[str] = mapped_column(sa.Text)
    uploaded_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
