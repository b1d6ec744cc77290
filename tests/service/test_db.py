"""Migrations: idempotent, and the schema they build matches the models."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from geomatch.service.db import load_table_modules, make_engine, migrate
from geomatch.service.models import Base, Unit


def _diff(url: str) -> list[object]:
    load_table_modules()  # the records' and cycle's tables share the metadata
    engine = make_engine(url)
    migrate(engine)
    migrate(engine)  # a second start changes nothing
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    # PostGIS owns spatial_ref_sys and its own tables; GiST indexes are not in the models
    return [
        d
        for d in diff
        if "spatial_ref_sys" not in str(d)
        and "_geom" not in str(d)
        and "tiger" not in str(d)
        and "topology" not in str(d)
    ]


def test_sqlite_schema_matches_models(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_postgis_schema_matches_models(pg_fresh: str) -> None:
    assert _diff(pg_fresh) == []
    engine = make_engine(pg_fresh)
    with Session(engine) as session:
        session.add(
            Unit(
                adcode="620121",
                name="永登县",
                province_adcode="620000",
                province="",
                prefecture_adcode="",
                prefecture="",
                region="west",
                poor=True,
                deep_poverty_area="",
                geom=shapely.box(103, 36, 104, 37),
            )
        )
        session.commit()
        got = session.get(Unit, "620121")
        assert got is not None and got.geom is not None and got.geom.area == pytest.approx(1)
        kind = session.execute(
            sa.text("SELECT type FROM geometry_columns WHERE f_table_name='units'")
        ).scalar()
        assert kind == "GEOMETRY"
    engine.dispose()
