"""Alembic environment: runs on the connection given by :func:`geomatch.service.db.migrate`."""

from __future__ import annotations

from alembic import context

from geomatch.service.db import load_table_modules
from geomatch.service.models import Base

load_table_modules()

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic CLI
    raise RuntimeError("run migrations with geomatch.service.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
