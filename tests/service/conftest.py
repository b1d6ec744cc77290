"""Fixtures of the service tests: settings on SQLite or PostGIS, seeded units, users."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from geomatch.service.config import ServiceSettings
from tests.service import pipeline_double

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
DOUBLE = "tests.service.pipeline_double:run_scenario"
PG_ADMIN_URL = os.environ.get(
    "GEOMATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PROVINCES = [
    ("620000", "甘肃省", "west"),
    ("520000", "贵州省", "west"),
    ("330000", "浙江省", "east"),
    ("440000", "广东省", "east"),
]


def make_settings(home: Path, url: str | None = None, **kw: object) -> ServiceSettings:
    """Settings of a test service in ``home`` (SQLite there unless ``url``)."""
    base: dict[str, object] = {
        "database_url": url or f"sqlite:///{home / 'geomatch.db'}",
        "service_home": home,
        "scenario_dir": SCENARIOS,
        "pipeline": DOUBLE,
        "load_dataset": False,
        "progress_interval_s": 0.0,
    }
    base.update(kw)
    return ServiceSettings(**base)  # type: ignore[arg-type]


def seed_units(url: str) -> None:
    """Provinces and the five counties of the pipeline double, with polygons."""
    import shapely

    from geomatch.service.db import make_engine, migrate
    from geomatch.service.models import Helper, Need, Province, Unit

    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(Unit)).scalar_one():
            return
        conn.execute(
            sa.insert(Province), [{"adcode": a, "name": n, "region": r} for a, n, r in PROVINCES]
        )
        rows = []
        for i, (code, name, prov, pa) in enumerate(pipeline_double.COUNTIES):
            lon, lat = 100.0 + i, 30.0 + i
            rows.append(
                {
                    "adcode": code,
                    "name": name,
                    "province_adcode": pa,
                    "province": prov,
                    "prefecture_adcode": code[:4] + "00",
                    "prefecture": "",
                    "region": "west",
                    "poor": True,
                    "exit_year": 2019 + (i % 2),
                    "deep_poverty_area": "",
                    "seat_lon": lon + 0.5,
                    "seat_lat": lat + 0.5,
                    "geom": shapely.box(lon, lat, lon + 1, lat + 1),
                }
            )
        conn.execute(sa.insert(Unit), rows)
        # needs and helpers: the worker tags pairings and unmet rows through them
        conn.execute(
            sa.insert(Need),
            [
                {
                    "need_id": n,
                    "kind": "village_product",
                    "adcode": c,
                    "province_adcode": c[:2] + "0000",
                    "unit_code": c + "100",
                    "unit_name": "",
                    "category": "crop",
                    "industry": "",
                    "size": 10.0,
                    "priority": "ordinary",
                    "source": "test",
                    "lon": 100.5,
                    "lat": 30.5,
                    "geom": shapely.Point(100.5, 30.5),
                }
                for n, c in pipeline_double.NEEDS.items()
            ],
        )
        conn.execute(
            sa.insert(Helper),
            [
                {
                    "helper_id": h,
                    "name": h,
                    "kind": "expert",
                    "specialty": "crop",
                    "level": "senior",
                    "capacity": 3,
                    "languages": "zh",
                    "province_adcode": p,
                    "institution": "",
                    "source": "test",
                    "lon": 120.0,
                    "lat": 30.0,
                    "geom": shapely.Point(120.0, 30.0),
                }
                for h, p in pipeline_double.HELPERS.items()
            ],
        )
    engine.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database with PostGIS for this test session (dropped after)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"geomatch_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({type(exc).__name__}); "
            "run scripts/setup-system.sh as root"
        )
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    eng = sa.create_engine(url)
    try:
        with eng.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except Exception as exc:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        pytest.skip(
            f"PostGIS is not installed ({type(exc).__name__}); install "
            "postgresql-15-postgis-3 (scripts/setup-system.sh)"
        )
    eng.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture()
def pg_fresh(pg_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test (PostGIS kept)."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    return pg_url


@dataclass
class Service:
    """A running test service (in-process) with one token per kind of user."""

    client: Any
    settings: ServiceSettings
    tokens: dict[str, str]
    run_id: str = ""

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def wait(self, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while True:
            body = self.client.get(f"/api/runs/{run_id}", headers=self.h("national")).json()
            if body["status"] not in ("queued", "running") or time.monotonic() > end:
                return body
            time.sleep(0.2)


def internal_id(settings: ServiceSettings, uid: str) -> int:
    """The integer key of the run with public id ``uid`` (for the query functions)."""
    from geomatch.service.db import make_engine
    from geomatch.service.models import Run

    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        found = conn.execute(sa.select(Run.id).where(Run.uid == uid)).scalar_one()
    engine.dispose()
    return int(found)


def form_csrf(html: str) -> str:
    """The CSRF token of the first form of a page."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def browser_login(client: Any, token: str) -> Any:
    """Log in through the form as a browser does (CSRF cookie + field); the 303 answer."""
    page = client.get("/login")
    return client.post(
        "/login",
        data={"token": token, "csrf_token": form_csrf(page.text)},
        follow_redirects=False,
    )


def add_users(settings: ServiceSettings) -> dict[str, str]:
    from sqlalchemy.orm import Session

    from geomatch.service.auth import add_user
    from geomatch.service.db import make_engine

    engine = make_engine(settings.database_url)
    tokens = {}
    with Session(engine) as session:
        tokens["national"] = add_user(session, "nat", "national")
        tokens["analyst"] = add_user(session, "ana", "analyst")
        tokens["gansu"] = add_user(session, "gs", "planner", "620000")
        tokens["guizhou"] = add_user(session, "gz", "planner", "520000")
        session.commit()
    engine.dispose()
    return tokens


def start_service(settings: ServiceSettings) -> Iterator[Service]:
    from fastapi.testclient import TestClient

    from geomatch.service import create_app

    seed_units(settings.database_url)
    tokens = add_users(settings)
    with TestClient(create_app(settings)) as client:
        yield Service(client, settings, tokens)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service on SQLite with users and one finished ``quick`` run."""
    settings = make_settings(tmp_path_factory.mktemp("svc"))
    for svc in start_service(settings):
        r = svc.client.post("/api/runs", json={"scenario": "quick"}, headers=svc.h("national"))
        assert r.status_code == 202, r.text
        run = svc.wait(r.json()["id"])
        assert run["status"] == "done", run
        svc.run_id = run["id"]
        yield svc


@dataclass
class Live:
    """A real ``geomatch serve`` process with users and one finished ``quick`` run."""

    url: str
    settings: ServiceSettings
    tokens: dict[str, str]
    run_id: str


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import httpx

    from tests.service.livesrv import LiveServer

    settings = make_settings(tmp_path_factory.mktemp("live"))
    seed_units(settings.database_url)
    tokens = add_users(settings)
    server = LiveServer(settings).start()
    try:
        h = {"Authorization": f"Bearer {tokens['national']}"}
        run_id = httpx.post(
            server.url + "/api/runs", json={"scenario": "quick"}, headers=h, timeout=10
        ).json()["id"]
        end = time.monotonic() + 60
        status = ""
        while time.monotonic() < end and status != "done":
            status = httpx.get(f"{server.url}/api/runs/{run_id}", headers=h).json()["status"]
            time.sleep(0.2)
        assert status == "done"
        yield Live(server.url, settings, tokens, run_id)
    finally:
        server.stop()
