"""The real pipeline (:func:`geomatch.pipeline.run_scenario`) through the API, on the mini
fixture loaded into the database (SQLite and PostGIS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from geomatch.service.db import make_engine
from tests.service.conftest import Service, make_settings

HERE = Path(__file__).resolve().parent
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def real_service(
    request: pytest.FixtureRequest, tmp_path: Path, mini_data_dir: Path
) -> Iterator[Service]:
    from fastapi.testclient import TestClient

    from geomatch.service import create_app, prepare_database

    url = request.getfixturevalue("pg_fresh") if request.param == "postgres" else None
    settings = make_settings(
        tmp_path,
        url,
        pipeline="geomatch.pipeline:run_scenario",
        scenario_dir=HERE / "real_scenarios",
        load_dataset=True,
        data_dir=mini_data_dir,
    )
    prepare_database(settings)  # migrate and load the fixture (provinces are checked)
    tokens = {k: v for k, v in add_users_mini(settings).items()}
    with TestClient(create_app(settings)) as client:
        yield Service(client, settings, tokens)


def add_users_mini(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import Session

    from geomatch.service.auth import add_user

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        tokens = {
            "national": add_user(session, "nat", "national"),
            "guizhou": add_user(session, "gz", "planner", "520000"),
            "zhejiang": add_user(session, "zj", "planner", "330000"),
        }
        session.commit()
    engine.dispose()
    return tokens


def test_real_run_on_mini_fixture(real_service: Service, mini_data_dir: Path) -> None:
    import geopandas as gpd

    svc = real_service
    c = svc.client
    engine = make_engine(svc.settings.database_url)
    with engine.connect() as conn:
        n_units = conn.execute(sa.text("SELECT count(*) FROM units")).scalar()
        n_needs = conn.execute(sa.text("SELECT count(*) FROM needs")).scalar()
    counties = gpd.read_parquet(mini_data_dir / "counties.parquet")
    assert n_units == len(counties) and n_needs and n_needs > 0

    r = c.post("/api/runs", json={"scenario": "mini"}, headers=svc.h("national"))
    assert r.status_code == 202
    run = svc.wait(r.json()["id"], timeout=300)
    assert run["status"] == "done", run
    poor = gpd.read_parquet(mini_data_dir / "poor_counties.parquet")
    assert run["tables"]["coverage"] == poor["adcode"].nunique()

    cov = c.get("/api/coverage", headers=svc.h("guizhou")).json()
    assert {x["province_adcode"] for x in cov["counties"]} == {"520000"}
    assert all(x["seat_lon"] is not None for x in cov["counties"])
    # an eastern planner sees the pairs of their own helpers, and no county coverage
    pairs = c.get(f"/api/runs/{run['id']}/pairings.csv", headers=svc.h("zhejiang"))
    assert pairs.status_code == 200
    with engine.connect() as conn:
        zj = conn.execute(
            sa.text(
                "SELECT count(*) FROM result_rows r JOIN runs ON runs.id = r.run_id "
                "WHERE runs.uid=:r AND table_name='pairings' "
                "AND helper_province_adcode='330000'"
            ),
            {"r": run["id"]},
        ).scalar()
    assert pairs.text.count("\n") - 1 == zj
    assert c.get("/api/coverage", headers=svc.h("zhejiang")).json()["counties"] == []
    m = c.get("/maps/province/520000", headers=svc.h("guizhou"))
    assert m.status_code == 200 and "../assets/" in m.text
    a = c.get("/maps/assets/leaflet.js", headers=svc.h("guizhou"))
    assert a.status_code == 200
    engine.dispose()


@pytest.mark.parametrize("real_service", ["sqlite"], indirect=True)
def test_run_on_uploaded_needs(real_service: Service, mini_data_dir: Path, tmp_path: Path) -> None:
    """A run whose needs are an uploaded table pairs exactly those needs."""
    import pandas as pd

    svc = real_service
    needs = pd.read_parquet(mini_data_dir / "scenario" / "needs.parquet")
    needs = pd.DataFrame(needs.drop(columns="geometry", errors="ignore"))
    first = sorted(needs["adcode"].unique())[0]
    subset = needs[needs["adcode"] == first].head(40)
    csv = subset.to_csv(index=False).encode("utf-8")
    r = svc.client.post(
        "/api/datasets",
        data={"kind": "needs"},
        files={"file": ("needs.csv", csv, "text/csv")},
        headers=svc.h("national"),
    )
    assert r.status_code == 201, r.text
    ds_id = r.json()["id"]
    bad = svc.client.post(
        "/api/runs", json={"scenario": "mini", "helpers": ds_id}, headers=svc.h("national")
    )
    assert bad.status_code == 422  # a needs table is not a helpers table
    r = svc.client.post(
        "/api/runs", json={"scenario": "mini", "needs": ds_id}, headers=svc.h("national")
    )
    assert r.status_code == 202, r.text
    run = svc.wait(r.json()["id"], timeout=300)
    assert run["status"] == "done", run
    assert run["needs"] == ds_id
    pairs = svc.client.get(f"/api/runs/{run['id']}/pairings.csv", headers=svc.h("national"))
    import csv as csvmod
    import io

    rows = list(csvmod.DictReader(io.StringIO(pairs.content.decode("utf-8-sig"))))
    assert rows and {r["need_id"] for r in rows} <= set(subset["need_id"])
