"""Engine, sessions and migrations of the service's database.

:func:`make_engine` builds the engine for ``GEOMATCH_DATABASE_URL`` (SQLite files get WAL
journaling and a busy timeout so a worker can write progress while the server reads);
:func:`migrate` brings the schema to the newest Alembic revision with a programmatic
configuration (the migrations ship inside the package, no ``alembic.ini`` needed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from geomatch.errors import GeomatchError

__all__ = [
    "TABLE_MODULES",
    "ServiceDatabaseError",
    "is_postgres",
    "load_table_modules",
    "make_engine",
    "migrate",
    "schema_revision",
    "session_scope",
]

#: Modules declaring tables on :class:`geomatch.service.models.Base` (records, cycle).
TABLE_MODULES = ("geomatch.service.models", "geomatch.records.orm", "geomatch.cycle.orm")


def load_table_modules() -> None:
    """Import every module of :data:`TABLE_MODULES` that exists, so the metadata is whole."""
    import importlib

    for name in TABLE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise


log = logging.getLogger(__name__)


class ServiceDatabaseError(GeomatchError):
    """The service's database cannot be reached or brought up to date."""


def is_postgres(engine: Engine | Connection) -> bool:
    """Whether the engine (or connection) talks to PostgreSQL (PostGIS geometry columns)."""
    return engine.dialect.name == "postgresql"


def _normalise_url(url: str) -> str:
    # ``postgresql://`` would pick psycopg2, which is not a dependency: use psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """Create the engine for a database URL.

    Parameters
    ----------
    url
        ``sqlite:///path.db`` or ``postgresql+psycopg://user@host:port/db``.
    """
    url = _normalise_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "geomatch.service:migrations")
    return cfg


def schema_revision(engine: Engine) -> tuple[str | None, str | None]:
    """``(revision of the database, newest revision of the migrations)``."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest schema revision (idempotent).

    Raises
    ------
    ServiceDatabaseError
        The database cannot be reached, or PostGIS is missing on PostgreSQL.
    """
    from alembic import command

    cfg = _alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except sa.exc.OperationalError as exc:
        raise ServiceDatabaseError(
            f"cannot reach the database {engine.url.render_as_string(hide_password=True)} "
            f"({exc.orig}); check GEOMATCH_DATABASE_URL"
        ) from None
    log.info("database %s is at the newest schema", engine.url.render_as_string(hide_password=True))


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
