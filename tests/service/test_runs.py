"""Runs through the API on SQLite and PostGIS; progress; a worker killed mid-run."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from geomatch.service.db import make_engine
from tests.service.conftest import Service, make_settings, start_service

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend_service(request: pytest.FixtureRequest, tmp_path) -> Iterator[Service]:  # type: ignore[no-untyped-def]
    url = request.getfixturevalue("pg_fresh") if request.param == "postgres" else None
    settings = make_settings(tmp_path, url)
    yield from start_service(settings)


def test_full_run_through_the_api(backend_service: Service) -> None:
    svc = backend_service
    c = svc.client
    r = c.post("/api/runs", json={"scenario": "quick"}, headers=svc.h("national"))
    assert r.status_code == 202
    run_id = r.json()["id"]
    run = svc.wait(run_id)
    assert run["status"] == "done" and run["progress"] == 1.0, run
    assert run["tables"] == {
        "pairings": 5,
        "unmet": 2,
        "museum_visits": 3,
        "caravan_tours": 2,
        "coverage": 5,
        "kpi": 2,
    }
    cov = c.get("/api/coverage?province=620000", headers=svc.h("gansu")).json()
    assert cov["run_id"] == run_id and len(cov["counties"]) == 3
    csv = c.get(f"/api/runs/{run_id}/museum_visits.csv?province=520000", headers=svc.h("analyst"))
    assert csv.status_code == 200 and csv.text.count("\n") == 2
    page = c.get("/maps/province/620000", headers=svc.h("gansu"))
    assert page.status_code == 200 and "甘肃省 覆盖图" in page.text
    asset = c.get("/maps/assets/map.js", headers=svc.h("gansu"))
    assert asset.status_code == 200 and "GEOMATCH_MAP_OK" in asset.text
    # the county at a point: ST_Covers on PostGIS, an STRtree on SQLite
    at = c.get("/api/units/at?lon=101.25&lat=31.75", headers=svc.h("analyst"))
    assert at.status_code == 200 and at.json()["adcode"] == "620122"
    engine = make_engine(svc.settings.database_url)
    with engine.connect() as conn:
        n = conn.execute(
            sa.text(
                "SELECT count(*) FROM result_rows r JOIN runs ON runs.id = r.run_id "
                "WHERE runs.uid = :r"
            ),
            {"r": run_id},
        ).scalar()
        assert n == 5 + 2 + 3 + 2 + 5 + 2
        if engine.dialect.name == "postgresql":
            kind, srid = conn.execute(
                sa.text("SELECT ST_GeometryType(geom), ST_SRID(geom) FROM units LIMIT 1")
            ).one()
            assert (kind, srid) == ("ST_Polygon", 4326)
            inside = (
                conn.execute(
                    sa.text(
                        "SELECT adcode FROM units WHERE ST_Contains(geom, "
                        "ST_SetSRID(ST_MakePoint(100.5, 30.5), 4326))"
                    )
                )
                .scalars()
                .all()
            )
            assert inside == ["620121"]
    engine.dispose()


def _worker_pid(svc: Service, run_id: str) -> int | None:
    engine = make_engine(svc.settings.database_url)
    with engine.connect() as conn:
        pid = conn.execute(
            sa.text("SELECT worker_pid FROM runs WHERE uid = :r"), {"r": run_id}
        ).scalar()
    engine.dispose()
    return pid


def test_progress_then_worker_killed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for svc in start_service(make_settings(tmp_path)):
        c = svc.client
        run_id = c.post("/api/runs", json={"scenario": "slow"}, headers=svc.h("national")).json()[
            "id"
        ]
        seen = []
        end = time.monotonic() + 30
        while time.monotonic() < end:
            run = c.get(f"/api/runs/{run_id}", headers=svc.h("gansu")).json()
            seen.append(run["progress"])
            if run["status"] == "running" and run["progress"] > 0.05:
                break
            time.sleep(0.2)
        assert run["status"] == "running" and 0 < run["progress"] < 1, run
        assert seen == sorted(seen)
        pid = _worker_pid(svc, run_id)
        assert pid
        os.kill(pid, signal.SIGKILL)
        run = svc.wait(run_id, timeout=15)
        assert run["status"] == "interrupted", run
        assert "信号 9" in run["error"]
        assert run["tables"] == {}
        # the service goes on: the next run completes
        next_id = c.post("/api/runs", json={"scenario": "quick"}, headers=svc.h("national")).json()[
            "id"
        ]
        assert svc.wait(next_id)["status"] == "done"


def test_import_run_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A run folder made elsewhere is published as a finished run, with its maps."""
    from geomatch.service.worker import import_run
    from tests.service import pipeline_double

    made = pipeline_double.run_scenario(
        "quick", tmp_path / "made" / "run", maps=tmp_path / "made" / "maps"
    )
    settings = make_settings(tmp_path / "home")
    for svc in start_service(settings):
        run_id = import_run(settings, made, tmp_path / "made" / "maps", scenario="demo")
        run = svc.client.get(f"/api/runs/{run_id}", headers=svc.h("analyst")).json()
        assert run["status"] == "done" and run["tables"]["coverage"] == 5
        cov = svc.client.get("/api/coverage?province=520000", headers=svc.h("guizhou")).json()
        assert cov["run_id"] == run_id and len(cov["counties"]) == 2
        r = svc.client.get("/maps/province/520000", headers=svc.h("guizhou"))
        assert r.status_code == 200


def test_unimportable_pipeline_fails_the_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, pipeline="geomatch.no_such_module:run")
    for svc in start_service(settings):
        r = svc.client.post("/api/runs", json={"scenario": "quick"}, headers=svc.h("national"))
        run = svc.wait(r.json()["id"])
        assert run["status"] == "failed" and "no_such_module" in run["error"]
        assert run["tables"] == {}


@pytest.mark.parametrize(
    "text",
    [
        '[scenario]\nname = "x"\ndata_dir = "old"\n\n[pairing]\n',
        '[scenario]\nname = "x"\n\n[tours]\n',
        "[pairing]\n",
        "",
    ],
)
def test_scenario_with_data_dir(text: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import tomllib

    from geomatch.service.worker import scenario_with_data_dir

    target = tmp_path / 'dir with "quotes" and 中文'
    out = tomllib.loads(scenario_with_data_dir(text, target))
    assert out["scenario"]["data_dir"] == str(target)
    before = tomllib.loads(text)
    for table in ("pairing", "tours"):
        assert (table in out) == (table in before)
