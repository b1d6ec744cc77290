"""The role × endpoint matrix, scoping in the queries, exports and the audit log."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geomatch.errors import AuthorizationError
from geomatch.service.auth import Principal
from geomatch.service.db import make_engine
from geomatch.service.results import coverage_rows, result_frame
from tests.service.conftest import Service, browser_login, internal_id

WHO = ("national", "analyst", "gansu", "guizhou")


def _csv(resp) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert resp.content.startswith("\ufeff".encode()), "CSV must start with a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))


def _expected(status: dict[str, int], who: str | None) -> int:
    return status.get(who or "none", 401 if who is None else 200)


# (method, path, body, {who: status}); unspecified → 200, no token → 401.
MATRIX = [
    ("GET", "/api/me", None, {}),
    ("GET", "/api/runs", None, {}),
    ("GET", "/api/runs/{run}", None, {}),
    ("GET", "/api/runs/{run}/pairings.csv", None, {}),
    ("GET", "/api/runs/{run}/coverage.csv?province=620000", None, {"guizhou": 403}),
    ("GET", "/api/runs/{run}/kpi.csv?province=520000", None, {"gansu": 403}),
    ("GET", "/api/coverage", None, {}),
    ("GET", "/api/coverage?province=620000", None, {"guizhou": 403}),
    ("GET", "/api/coverage?province=520000", None, {"gansu": 403}),
    ("GET", "/api/provinces", None, {}),
    ("GET", "/maps/national", None, {"gansu": 403, "guizhou": 403}),
    ("GET", "/maps/province/620000", None, {"guizhou": 403}),
    ("GET", "/maps/province/520000", None, {"gansu": 403}),
    ("GET", "/maps/assets/map.js", None, {}),
    ("GET", "/api/audit", None, {"analyst": 403, "gansu": 403, "guizhou": 403}),
    ("GET", "/api/datasets", None, {"gansu": 403, "guizhou": 403}),
    (
        "POST",
        "/api/runs",
        {"scenario": "quick"},
        {"national": 202, "analyst": 403, "gansu": 403, "guizhou": 403},
    ),
    ("GET", "/", None, {"gansu": 200, "guizhou": 200}),
    ("GET", "/province/620000", None, {"guizhou": 403}),
    ("GET", "/runs/{run}", None, {}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expect"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
@pytest.mark.parametrize("who", [None, *WHO])
def test_role_matrix(
    service: Service,
    who: str | None,
    method: str,
    path: str,
    body: dict | None,
    expect: dict[str, int],
) -> None:  # type: ignore[type-arg]
    url = path.replace("{run}", str(service.run_id))
    headers = service.h(who) if who else {}
    resp = service.client.request(method, url, json=body, headers=headers, follow_redirects=True)
    assert resp.status_code == _expected(expect, who), (who, url, resp.text[:300])
    if who is None and url.startswith("/api"):
        assert resp.headers.get("www-authenticate") == "Bearer"


def test_bad_token_is_401(service: Service) -> None:
    for token in ("nope", "x" * 300, service.tokens["national"] + "x"):
        r = service.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


def test_planner_exports_only_own_province(service: Service) -> None:
    c, run = service.client, service.run_id
    rows = _csv(c.get(f"/api/runs/{run}/pairings.csv", headers=service.h("gansu")))
    assert {r["need_id"] for r in rows} == {"N1", "N2", "N3"}
    rows = _csv(c.get(f"/api/runs/{run}/pairings.csv", headers=service.h("guizhou")))
    assert {r["need_id"] for r in rows} == {"N5", "N6"}
    rows = _csv(c.get(f"/api/runs/{run}/unmet.csv", headers=service.h("gansu")))
    assert [r["need_id"] for r in rows] == ["N4"]
    rows = _csv(c.get(f"/api/runs/{run}/caravan_tours.csv", headers=service.h("gansu")))
    assert [r["stop_code"] for r in rows] == ["620121100"]
    rows = _csv(c.get(f"/api/runs/{run}/kpi.csv", headers=service.h("guizhou")))
    assert [r["province_adcode"] for r in rows] == ["520000"]
    # analysts and the national office see everything, or one province on request
    assert len(_csv(c.get(f"/api/runs/{run}/pairings.csv", headers=service.h("analyst")))) == 5
    rows = _csv(
        c.get(f"/api/runs/{run}/coverage.csv?province=520000", headers=service.h("national"))
    )
    assert {r["adcode"] for r in rows} == {"520322", "522732"}


def test_export_is_excel_safe(service: Service) -> None:
    r = service.client.get(
        f"/api/runs/{service.run_id}/pairings.csv", headers=service.h("national")
    )
    assert r.headers["content-type"].startswith("text/csv")
    rows = _csv(r)
    reasons = [row["reason"] for row in rows]
    assert reasons[0].startswith("'=")  # formula neutralised
    assert "620102199001011234" not in r.content.decode("utf-8-sig")
    assert any("6201**********1234" in x for x in reasons)
    assert rows[0]["cost"] == "120" and rows[0]["distance_km"] == "1234.5"  # numbers intact


def test_coverage_json_scoped(service: Service) -> None:
    c = service.client
    body = c.get("/api/coverage", headers=service.h("gansu")).json()
    assert body["province"] == "620000"
    assert [x["adcode"] for x in body["counties"]] == ["620121", "620122", "621126"]
    first = body["counties"][0]
    assert first["museum_visits"] == 2 and first["station_team"] == "H1;H2"
    assert first["seat_lon"] == pytest.approx(100.5)
    body = c.get("/api/coverage", headers=service.h("national")).json()
    assert len(body["counties"]) == 5 and body["province"] is None


def test_scope_is_enforced_in_the_queries(service: Service) -> None:
    """The query functions themselves refuse or filter, whatever route calls them."""
    planner = Principal(0, "p", "planner", "520000")
    run_id = internal_id(service.settings, service.run_id)
    engine = make_engine(service.settings.database_url)
    with Session(engine) as session:
        rows = coverage_rows(session, planner, run_id, None)
        assert {r["province_adcode"] for r in rows} == {"520000"}
        with pytest.raises(AuthorizationError):
            coverage_rows(session, planner, run_id, "620000")
        with pytest.raises(AuthorizationError):
            result_frame(session, planner, run_id, "pairings", "620000")
        frame = result_frame(session, planner, run_id, "museum_visits", None)
        assert frame is not None and set(frame["adcode"]) == {"520322"}
    engine.dispose()


def test_exports_are_audited(service: Service) -> None:
    c = service.client
    c.get(f"/api/runs/{service.run_id}/unmet.csv?province=620000", headers=service.h("analyst"))
    entries = c.get("/api/audit", headers=service.h("national")).json()
    hit = [e for e in entries if e["user"] == "ana" and e["target"].endswith("unmet.csv")]
    assert hit and hit[0]["action"] == "export" and hit[0]["filter"]["province"] == "620000"
    assert hit[0]["filter"]["rows"] == 1
    engine = make_engine(service.settings.database_url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action='export'")).scalar()
    engine.dispose()
    assert n and n >= 1


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/runs/0", 404),
        ("/api/runs/1", 404),  # run ids are UUIDs, not counters
        ("/api/runs/-1", 404),
        ("/api/runs/" + "9" * 40, 422),
        ("/api/runs/abc", 404),
        ("/api/runs/00000000-0000-4000-8000-000000000000", 404),
        ("/api/runs/1/secrets.csv", 422),
        ("/api/runs/424242/pairings.csv", 404),
        ("/api/coverage?province=abc", 422),
        ("/api/coverage?province=990000", 404),
        ("/api/runs/1/pairings.csv?province=990000", 404),
        ("/api/coverage?run=424242", 404),
        ("/province/990000", 404),
        ("/province/62", 404),
        ("/maps/province/62012", 422),
        ("/maps/province/990000", 404),
        ("/maps/assets/../../geomatch.db", 404),
        ("/maps/assets/%2e%2e/%2e%2e/geomatch.db", 404),
        ("/api/runs?limit=0", 422),
    ],
)
def test_bad_parameters_are_4xx(service: Service, path: str, code: int) -> None:
    r = service.client.get(path, headers=service.h("national"))
    assert r.status_code == code, (path, r.text[:200])


@pytest.mark.parametrize(
    "body",
    [
        {"scenario": "../../etc/passwd"},
        {"scenario": "nope"},
        {"scenario": ""},
        {},
        {"scenario": "quick", "extra": 1},
        {"scenario": 5},
    ],
)
def test_bad_run_requests_are_422(service: Service, body: dict) -> None:  # type: ignore[type-arg]
    r = service.client.post("/api/runs", json=body, headers=service.h("national"))
    assert r.status_code == 422, r.text


def test_failed_run_records_the_error(service: Service) -> None:
    r = service.client.post("/api/runs", json={"scenario": "broken"}, headers=service.h("national"))
    run = service.wait(r.json()["id"])
    assert run["status"] == "failed"
    assert "needs.csv" in run["error"] and "row 3" in run["error"]
    assert run["tables"] == {}
    r = service.client.get(f"/api/runs/{run['id']}/pairings.csv", headers=service.h("national"))
    assert r.status_code == 404


def test_login_sets_cookie_for_pages(service: Service) -> None:
    from fastapi.testclient import TestClient

    c: TestClient = service.client
    r = c.get("/")
    assert r.status_code == 401 and "访问令牌" in r.text
    r = browser_login(c, "wrong")
    assert r.status_code == 401
    r = browser_login(c, service.tokens["gansu"])
    assert r.status_code == 303 and r.headers["location"] == "/province/620000"
    cookie = r.cookies.get(service.settings.cookie_name)
    assert cookie and cookie != service.tokens["gansu"]  # a session id, never the token
    c.cookies.set(service.settings.cookie_name, cookie)
    page = c.get("/province/620000")
    assert page.status_code == 200 and "永登县" in page.text and "皋兰县" in page.text
    assert "桐梓县" not in page.text
    # the summary counts: 3 counties, one with a full station team, one with 2 museum visits
    for key, value in (
        ("counties", 3),
        ("station", 1),
        ("museum", 1),
        ("caravan", 1),
        ("experts", 3),
        ("unmet", 1),
    ):
        assert f'id="kpi-{key}">{value}<' in page.text, key
    c.cookies.clear()


def test_offline_no_cdn(service: Service) -> None:
    """Pages and the schema reference no third-party host; the CDN docs pages are off."""
    assert service.client.get("/docs").status_code == 404
    schema = service.client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/coverage" in schema.json()["paths"]
    page = service.client.get("/province/620000", headers=service.h("national")).text
    css = service.client.get("/static/style.css").text
    for text in (page, css):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


@pytest.mark.parametrize(
    ("who", "lon", "lat", "code", "adcode"),
    [
        ("national", 100.5, 30.5, 200, "620121"),
        ("gansu", 100.5, 30.5, 200, "620121"),
        ("guizhou", 100.5, 30.5, 403, None),
        ("guizhou", 103.5, 33.5, 200, "520322"),
        ("national", 120.0, 45.0, 404, None),
        ("national", 10.0, 30.0, 422, None),
        ("national", 100.5, 95.0, 422, None),
    ],
)
def test_unit_at_point(
    service: Service, who: str, lon: float, lat: float, code: int, adcode: str | None
) -> None:
    r = service.client.get(f"/api/units/at?lon={lon}&lat={lat}", headers=service.h(who))
    assert r.status_code == code, r.text
    if adcode:
        assert r.json()["adcode"] == adcode and r.json()["poor"] is True


def test_maps_gzip_when_accepted(service: Service) -> None:
    import gzip

    import httpx

    h = service.h("national")
    plain = service.client.get("/maps/national", headers={**h, "Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    # read the raw bytes as they travel
    with service.client.stream(
        "GET", "/maps/national", headers={**h, "Accept-Encoding": "gzip"}
    ) as r:
        raw = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content) / 3
    refused = service.client.get("/maps/national", headers={**h, "Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    assert isinstance(plain, httpx.Response)
