"""Alembic migrations of the service's database (run by :func:`geomatch.service.db.migrate`)."""
