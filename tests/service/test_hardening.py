"""Issue 17: each finding of the hostile-client probe reproduced, and now refused."""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from geomatch.service.db import make_engine
from tests.service.conftest import (
    Live,
    Service,
    browser_login,
    form_csrf,
    make_settings,
    start_service,
)

HELPERS = "helper_id,name,kind,specialty,capacity,lon,lat\nH9,张,expert,crop,2,120.1,30.2\n"


def _post(svc: Service, name: str, data: bytes, who: str = "national") -> Any:
    return svc.client.post(
        "/api/datasets",
        data={"kind": "helpers"},
        files={"file": (name, data)},
        headers=svc.h(who),
    )


# --- 1. limits before the body -----------------------------------------------------------


def _raw_upload(live: Live, headers: str, total: int) -> tuple[bytes, float, int]:
    """Send headers, then body bytes until the server answers; (answer, seconds, sent)."""
    host, port = live.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    start = time.monotonic()
    head = (
        f"POST /api/datasets HTTP/1.1\r\nHost: {host}\r\n{headers}"
        "Content-Type: multipart/form-data; boundary=xx\r\n"
        f"Content-Length: {total}\r\n\r\n"
    )
    sock.sendall(head.encode())
    sock.setblocking(False)
    sent, answer, chunk = 0, b"", b"a" * 65536
    while sent < total and time.monotonic() - start < 10:
        try:
            answer += sock.recv(65536)
            if b"\r\n\r\n" in answer:
                break
        except BlockingIOError:
            pass
        try:
            sent += sock.send(chunk)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            time.sleep(0.01)
    elapsed = time.monotonic() - start
    sock.close()
    return answer, elapsed, sent


def test_unauthenticated_50mb_upload_refused_at_once(live: Live) -> None:
    tmp = Path(live.settings.service_home) / "tmp"
    before = sorted(tmp.iterdir())
    answer, elapsed, sent = _raw_upload(live, "", 50 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert elapsed < 1.0 and sent < 50 * 1024 * 1024
    assert sorted(tmp.iterdir()) == before  # nothing spooled


def test_declared_oversize_refused_before_reading(live: Live) -> None:
    token = live.tokens["national"]
    answer, elapsed, _ = _raw_upload(live, f"Authorization: Bearer {token}\r\n", 10**9)
    assert answer.startswith(b"HTTP/1.1 413") and elapsed < 1.0, answer[:200]


def test_streaming_cap_without_content_length(service: Service) -> None:
    def body() -> Any:
        for _ in range(200):
            yield b"x" * 1024

    r = service.client.post(
        "/api/runs",
        content=body(),
        headers={**service.h("national"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413, r.text  # 200 KiB past the 64 KiB cap of a JSON body


def test_login_form_body_is_capped(service: Service) -> None:
    r = service.client.post("/login", data={"token": "x" * 100_000})
    assert r.status_code == 413


def test_million_column_csv_refused_while_streaming(service: Service) -> None:
    wide = b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n"
    assert len(wide) > 6_000_000
    start = time.monotonic()
    r = _post(service, "wide.csv", wide)
    assert r.status_code == 422, r.text
    assert "max_upload_columns" in r.json()["detail"]["message"]
    assert time.monotonic() - start < 10


@pytest.fixture(scope="module")
def small_limits(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A service whose uploads may have 20 rows and 100-character cells."""
    settings = make_settings(
        tmp_path_factory.mktemp("limits"), max_upload_rows=20, max_cell_chars=100
    )
    yield from start_service(settings)


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        (b"a,b\n" + b"1,2\n" * 50, "max_upload_rows"),
        (b"a,b\n1," + b"y" * 300 + b"\n", "max_cell_chars"),
        (b'a,b\n1,"' + b"y," * 200 + b'"\n', "max_cell_chars"),  # commas inside quotes
    ],
)
def test_rows_and_cells_are_limited(small_limits: Service, text: bytes, limit: str) -> None:
    r = _post(small_limits, "t.csv", text)
    assert r.status_code == 422 and limit in r.text, r.text
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("helpers.csv", text)
    r = _post(small_limits, "t.zip", zipped.getvalue())  # the same check inside a zip
    assert r.status_code == 422 and limit in r.text, r.text


def _zip(member: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytearray:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        zf.writestr("helpers.csv", member)
    return bytearray(buf.getvalue())


def _bad_crc() -> bytes:
    data = _zip(HELPERS.encode(), zipfile.ZIP_STORED)
    data[data.index(b"H9")] = ord("X")  # content changed, CRC kept
    return bytes(data)


def _lying_size() -> bytes:
    data = _zip(HELPERS.encode() * 50)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)  # uncompressed size: 10 bytes
    struct.pack_into("<I", data, 22, 10)
    return bytes(data)


def _corrupt_deflate() -> bytes:
    data = _zip(HELPERS.encode() * 50)
    start = 30 + len("helpers.csv")
    for i in range(start + 2, start + 12):
        data[i] ^= 0xFF
    return bytes(data)


def _deflate64() -> bytes:
    data = _zip(HELPERS.encode())
    struct.pack_into("<H", data, 8, 9)  # method 9 (deflate64) in the local header
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 10, 9)
    return bytes(data)


@pytest.mark.parametrize("make", [_bad_crc, _lying_size, _corrupt_deflate, _deflate64])
def test_malformed_zips_are_4xx(service: Service, make: Any) -> None:
    r = _post(service, "bad.zip", make())
    assert 400 <= r.status_code < 500, r.text
    assert "zip" in r.text.lower()


@pytest.mark.parametrize(
    "raw", [b'{"scenario": 1e999}', b'{"scenario": "quick", "helpers": 1e999}']
)
def test_non_finite_json_is_422(service: Service, raw: bytes) -> None:
    r = service.client.post(
        "/api/runs",
        content=raw,
        headers={**service.h("national"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert all({"loc", "msg", "type"} <= set(e) for e in r.json()["detail"])


# --- 2. runs ------------------------------------------------------------------------------


def test_runs_have_unguessable_ids_and_fresh_folders(tmp_path: Path) -> None:
    """A reset database does not hand out a run id (or folder) seen before."""
    seen: set[str] = set()
    for attempt in range(2):
        settings = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path}/db{attempt}.db")
        for svc in start_service(settings):
            r = svc.client.post("/api/runs", json={"scenario": "quick"}, headers=svc.h("national"))
            uid = r.json()["id"]
            assert len(uid) == 36 and uid not in seen
            seen.add(uid)
            assert svc.wait(uid)["status"] == "done"
            assert (settings.runs_dir / uid / "run" / "coverage.csv").is_file()
    assert len(list((tmp_path / "geomatch-runs").iterdir())) == 2


def test_unwritable_results_folder_queues_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    for svc in start_service(settings):
        # a results "folder" nothing can be created in (chmod does not stop root)
        settings.runs_dir.mkdir(parents=True, exist_ok=True)
        settings.runs_dir.rmdir()
        settings.runs_dir.write_text("not a folder")
        for _ in range(3):
            r = svc.client.post("/api/runs", json={"scenario": "quick"}, headers=svc.h("national"))
            assert r.status_code == 503 and "nothing queued" in r.text
        assert svc.client.get("/api/runs", headers=svc.h("national")).json() == []
        health = svc.client.get("/healthz")
        assert health.status_code == 503 and health.json()["checks"]["results_folder"] != "ok"


def _post_concurrently(svc: Service, headers: dict[str, str], n: int) -> list[Any]:
    answers: list[Any] = []

    def post() -> None:
        answers.append(svc.client.post("/api/runs", json={"scenario": "quick"}, headers=headers))

    threads = [threading.Thread(target=post) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_idempotency_key_runs_once(tmp_path: Path) -> None:
    for svc in start_service(make_settings(tmp_path)):
        h = {**svc.h("national"), "Idempotency-Key": "batch-2020-11-29"}
        answers = _post_concurrently(svc, h, 5)
        ids = {a.json()["id"] for a in answers}
        assert len(ids) == 1 and sorted(a.status_code for a in answers) == [200] * 4 + [202]
        assert len(svc.client.get("/api/runs", headers=svc.h("national")).json()) == 1
        r = svc.client.post("/api/runs", json={"scenario": "slow"}, headers=h)
        assert r.status_code == 409


def test_cancel_a_running_run(tmp_path: Path) -> None:
    for svc in start_service(make_settings(tmp_path)):
        uid = svc.client.post(
            "/api/runs", json={"scenario": "slow"}, headers=svc.h("national")
        ).json()["id"]
        end = time.monotonic() + 30
        while svc.wait(uid, timeout=0)["status"] != "running" and time.monotonic() < end:
            time.sleep(0.1)
        assert (
            svc.client.post(f"/api/runs/{uid}/cancel", headers=svc.h("analyst")).status_code == 403
        )
        r = svc.client.post(f"/api/runs/{uid}/cancel", headers=svc.h("national"))
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        time.sleep(1.5)
        run = svc.wait(uid)
        assert run["status"] == "cancelled" and run["tables"] == {}
        assert (
            svc.client.post(f"/api/runs/{uid}/cancel", headers=svc.h("national")).status_code == 409
        )
        # the slot is free again: the next run completes
        nxt = svc.client.post("/api/runs", json={"scenario": "quick"}, headers=svc.h("national"))
        assert svc.wait(nxt.json()["id"])["status"] == "done"


def test_worker_limit_holds_while_another_server_s_worker_lives(tmp_path: Path) -> None:
    """A lease held by a live worker elsewhere keeps GEOMATCH_MAX_WORKERS=1 in force."""
    from geomatch.service.models import WorkerLease, utcnow

    settings = make_settings(tmp_path, worker_lease_s=2.0)
    for svc in start_service(settings):
        engine = make_engine(settings.database_url)
        with engine.begin() as conn:  # a worker of a crashed server, still renewing
            conn.execute(
                sa.insert(WorkerLease).values(
                    slot=0, run_id=None, pid=1, host="old", expires_at=utcnow() + _seconds(60)
                )
            )
        uid = svc.client.post(
            "/api/runs", json={"scenario": "quick"}, headers=svc.h("national")
        ).json()["id"]
        time.sleep(3)
        assert svc.wait(uid, timeout=0)["status"] == "queued"
        with engine.begin() as conn:  # that worker stops renewing: its lease runs out
            conn.execute(sa.update(WorkerLease).values(expires_at=utcnow() - _seconds(1)))
        engine.dispose()
        assert svc.wait(uid, timeout=30)["status"] == "done"


def _seconds(n: float) -> Any:
    import datetime as dt

    return dt.timedelta(seconds=n)


# --- 3. sessions, CSRF, headers -----------------------------------------------------------


def test_session_cookie_is_not_the_token_and_logout_revokes_it(service: Service) -> None:
    c = service.client
    r = browser_login(c, service.tokens["national"])
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    secret = r.cookies.get(service.settings.cookie_name)
    assert secret and secret != service.tokens["national"]
    c.cookies.set(service.settings.cookie_name, secret)
    page = c.get("/")
    assert page.status_code == 200
    c.post("/logout", data={"csrf_token": form_csrf(page.text)})
    c.cookies.set(service.settings.cookie_name, secret)  # a copied cookie after logout
    assert c.get("/").status_code == 401
    c.cookies.clear()


def test_secure_cookie_behind_https(service: Service) -> None:
    c = service.client
    page = c.get("https://testserver/login")
    r = c.post(
        "https://testserver/login",
        data={"token": service.tokens["analyst"], "csrf_token": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
    c.cookies.clear()


def test_cross_site_form_without_csrf_is_refused(service: Service) -> None:
    c = service.client
    secret = browser_login(c, service.tokens["national"]).cookies.get(service.settings.cookie_name)
    c.cookies.clear()
    c.cookies.set(service.settings.cookie_name, secret)
    before = len(c.get("/api/runs").json())
    # what a form on another site can send: the cookie rides along, the token does not
    assert c.post("/runs", data={"scenario": "quick"}).status_code == 403
    assert c.post("/runs", data={"scenario": "quick", "csrf_token": "guess"}).status_code == 403
    assert c.post("/api/runs", json={"scenario": "quick"}).status_code == 403
    assert len(c.get("/api/runs").json()) == before
    page = c.get("/")
    ok = c.post("/runs", data={"scenario": "quick", "csrf_token": form_csrf(page.text)})
    assert ok.status_code == 200 and len(c.get("/api/runs").json()) == before + 1
    c.cookies.clear()


def test_pages_cannot_be_framed_and_answers_are_not_cached(service: Service) -> None:
    c = service.client
    page = c.get("/province/620000", headers=service.h("national"))
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and page.headers["x-frame-options"] == "DENY"
    api = c.get("/api/me", headers=service.h("national"))
    assert api.headers["cache-control"] == "no-store"
    assert api.headers["x-content-type-options"] == "nosniff"
    login = c.get("/login")
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    framed_map = c.get("/maps/province/620000", headers=service.h("national"))
    assert "frame-ancestors 'self'" in framed_map.headers["content-security-policy"]


def test_token_expiry_and_disabled_users(tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    from geomatch.service.auth import add_user, disable_user, lookup_token
    from geomatch.service.db import migrate
    from geomatch.service.models import User, utcnow

    engine = make_engine(f"sqlite:///{tmp_path / 'u.db'}")
    migrate(engine)
    with Session(engine) as session:
        token = add_user(session, "temp", "analyst", expires_days=1)
        assert lookup_token(session, token) is not None
        user = session.execute(sa.select(User).where(User.name == "temp")).scalar_one()
        user.token_expires_at = utcnow() - _seconds(1)
        assert lookup_token(session, token) is None  # expired
        token = add_user(session, "temp", "analyst", rotate=True)
        assert lookup_token(session, token) is not None
        assert disable_user(session, "temp") and lookup_token(session, token) is None
        assert not disable_user(session, "nobody")
    engine.dispose()


# --- 4. scope and leaks ---------------------------------------------------------------------


def test_planner_texts_name_no_other_province(service: Service) -> None:
    r = service.client.get(f"/api/runs/{service.run_id}/unmet.csv", headers=service.h("gansu"))
    text = r.content.decode("utf-8-sig")
    assert "N4" in text and "（他省）" in text
    for foreign in ("N5", "N6", "N7", "520322", "522732"):
        assert foreign not in text, foreign
    assert "N3" in text and "620122" in text  # own province kept
    national = service.client.get(
        f"/api/runs/{service.run_id}/unmet.csv", headers=service.h("national")
    ).content.decode("utf-8-sig")
    assert "N5 (520322)" in national


def test_planner_sees_province_counts(service: Service) -> None:
    runs = {r["id"]: r for r in service.client.get("/api/runs", headers=service.h("gansu")).json()}
    assert runs[service.run_id]["tables"]["pairings"] == 3  # national: 5
    assert runs[service.run_id]["tables"]["coverage"] == 3
    every = service.client.get("/api/runs", headers=service.h("national")).json()
    assert {r["id"]: r for r in every}[service.run_id]["tables"]["pairings"] == 5


def test_errors_carry_no_server_paths() -> None:
    from geomatch.service.run_service import public_error

    text = "InputError: file /srv/geomatch/home/geomatch-runs/x/needs.csv, row 3: bad"
    assert public_error(text) == "InputError: file needs.csv, row 3: bad"
    assert "C:" not in public_error(r"OSError: C:\data\secret\needs.csv missing")


def test_unknown_provinces_are_404(service: Service) -> None:
    h = service.h("national")
    assert service.client.get("/province/990000", headers=h).status_code == 404
    assert service.client.get("/maps/province/990000", headers=h).status_code == 404
    assert service.client.get("/api/coverage?province=990000", headers=h).status_code == 404


def test_denied_attempts_are_audited(service: Service) -> None:
    r = service.client.get("/api/coverage?province=520000", headers=service.h("gansu"))
    assert r.status_code == 403
    entries = service.client.get("/api/audit", headers=service.h("national")).json()
    denied = [e for e in entries if e["action"] == "denied" and e["user"] == "gs"]
    assert denied and denied[0]["target"] == "GET /api/coverage"


def test_browser_errors_are_chinese_pages(service: Service) -> None:
    page = service.client.get("/province/520000", headers=service.h("gansu"))
    assert page.status_code == 403 and "<html" in page.text and "无权访问" in page.text
    missing = service.client.get("/runs/nope", headers=service.h("gansu"))
    assert missing.status_code == 404 and "未找到" in missing.text
    api = service.client.get("/api/runs/nope", headers=service.h("gansu"))
    assert api.headers["content-type"].startswith("application/json")


def test_dashboard_defaults_to_national(service: Service) -> None:
    page = service.client.get("/", headers=service.h("national")).text
    assert '<option value="national" selected>' in page
    assert '<option value="quick">' in page


# --- 5. health and the OpenAPI document ------------------------------------------------------


def test_healthz_notices_a_deleted_database(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    for svc in start_service(settings):
        body = svc.client.get("/healthz").json()
        assert body["status"] == "ok" and set(body["checks"]) == {
            "database",
            "schema",
            "results_folder",
        }
        (tmp_path / "geomatch.db").unlink()
        r = svc.client.get("/healthz")
        assert r.status_code == 503 and r.json()["checks"]["database"] != "ok"


def test_timestamps_carry_their_time_zone(service: Service) -> None:
    run = service.client.get(f"/api/runs/{service.run_id}", headers=service.h("national")).json()
    for key in ("created_at", "finished_at"):
        assert run[key].endswith(("Z", "+00:00")), run[key]
    schema = service.client.get("/openapi.json").json()
    responses = schema["paths"]["/api/runs"]["post"]["responses"]
    declared = json.dumps(responses["422"]["content"]["application/json"]["schema"])
    assert "ValidationErrorOut" in declared and "ErrorOut" in declared


def test_a_run_does_not_finish_into_a_deleted_database(tmp_path: Path) -> None:
    from sqlalchemy.orm import sessionmaker

    from geomatch.service.db import ServiceDatabaseError, migrate
    from geomatch.service.worker import _check_database_file

    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(engine)
    factory = sessionmaker(engine)
    _check_database_file(factory)
    (tmp_path / "w.db").unlink()
    with pytest.raises(ServiceDatabaseError, match="gone"):
        _check_database_file(factory)
    engine.dispose()


def test_every_contract_table_is_exported(service: Service) -> None:
    from geomatch.model.run_tables import RUN_TABLES
    from geomatch.service.routers.exports import ResultTable

    assert {t.value for t in ResultTable} == set(RUN_TABLES)
