"""kill -9 of the server and its worker during a run, then a restart (real processes)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa

from geomatch.service.db import make_engine
from tests.service.conftest import make_settings, seed_units
from tests.service.livesrv import LiveServer, geomatch_cli


def _db(url: str, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql), params).all()]
    engine.dispose()
    return rows


def _worker_pid(url: str, run_id: str) -> int:
    (pid,) = _db(url, "SELECT worker_pid FROM runs WHERE uid=:r", r=run_id)[0]
    return int(pid)


def _poll(
    server: LiveServer,
    run_id: str,
    h: dict[str, str],
    until: Callable[[dict[str, Any]], bool],
    *,
    timeout: float,
    every: float,
) -> dict[str, Any]:
    """GET the run every ``every`` s until ``until(run)`` or ``timeout`` s; the last run seen."""
    run: dict[str, Any] = {}
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        run = httpx.get(f"{server.url}/api/runs/{run_id}", headers=h, timeout=10).json()
        if until(run):
            break
        time.sleep(every)
    return run


def _start_run(server: LiveServer, h: dict[str, str], scenario: str) -> str:
    return str(
        httpx.post(
            server.url + "/api/runs", json={"scenario": scenario}, headers=h, timeout=10
        ).json()["id"]
    )


def test_kill9_during_run_then_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a short lease: the killed worker's slot frees after 3 s, not the default 30 s
    settings = make_settings(tmp_path, worker_lease_s=3.0)
    seed_units(settings.database_url)
    out = geomatch_cli(["users", "add", "chief", "--role", "national"], settings)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    assert len(token) >= 40 and " " not in token
    stored = _db(settings.database_url, "SELECT token_hash FROM users WHERE name='chief'")
    assert stored and stored[0][0] != token and len(stored[0][0]) == 64  # only the hash
    h = {"Authorization": f"Bearer {token}"}

    server = LiveServer(settings).start()
    try:
        run_id = _start_run(server, h, "slow")
        run = _poll(
            server,
            run_id,
            h,
            lambda r: r["status"] == "running" and r["progress"] > 0.05,
            timeout=30,
            every=0.2,
        )
        assert run["status"] == "running", run
        # one worker at a time: a second run waits in the queue
        queued_id = _start_run(server, h, "quick")
        assert httpx.get(f"{server.url}/api/runs/{queued_id}", headers=h).json()["status"] == (
            "queued"
        )
        pid = _worker_pid(settings.database_url, run_id)
        server.kill9()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)
        assert _db(settings.database_url, "SELECT status FROM runs WHERE uid=:r", r=run_id) == [
            ("running",)
        ]

        server = LiveServer(settings).start()
        run = httpx.get(f"{server.url}/api/runs/{run_id}", headers=h, timeout=10).json()
        assert run["status"] == "interrupted", run
        assert run["tables"] == {} and run["finished_at"]
        for table in ("result_rows", "run_tables", "coverage"):
            assert _db(
                settings.database_url,
                f"SELECT count(*) FROM {table} t JOIN runs ON runs.id = t.run_id WHERE runs.uid=:r",
                r=run_id,
            ) == [(0,)]
        assert _db(settings.database_url, "PRAGMA integrity_check") == [("ok",)]
        # the run that was waiting in the queue is started by the new server
        run = _poll(
            server,
            queued_id,
            h,
            lambda r: r["status"] not in ("queued", "running"),
            timeout=60,
            every=0.3,
        )
        assert run["status"] == "done", run
    finally:
        server.stop()


def test_users_cli_errors(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from geomatch.cli.main import main

    settings = make_settings(tmp_path)
    seed_units(settings.database_url)
    monkeypatch.setenv("GEOMATCH_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GEOMATCH_LOAD_DATASET", "false")
    assert main(["users", "add", "gs", "--role", "planner", "--province", "620000"]) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    for args in (
        ["users", "add", "x", "--role", "planner"],
        ["users", "add", "x", "--role", "boss"],
        ["users", "add", "x", "--role", "planner", "--province", "990000"],
        ["users", "add", "x", "--role", "planner", "--province", "620121"],
        ["users", "add", "x", "--role", "analyst", "--province", "620000"],
        ["users", "add", "gs", "--role", "analyst"],
        ["users", "add", "bad name!", "--role", "analyst"],
    ):
        assert main(args) == 2, args
        assert "error" in capsys.readouterr().err
    assert main(["users", "list"]) == 0
    assert "gs\tplanner\t620000" in capsys.readouterr().out
    assert main(["users", "token", "gs"]) == 0
    second = capsys.readouterr().out.strip().splitlines()[-1]
    assert second != first
    assert main(["users", "token", "nobody"]) == 2
    assert main(["users", "disable", "gs"]) == 0
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    assert "gs\tplanner\t620000\tdisabled" in capsys.readouterr().out
    assert main(["users", "disable", "nobody"]) == 2
    assert main(["users", "add", "bot", "--role", "analyst", "--expires-days", "30"]) == 0
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    bot = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("bot\t"))
    assert bot.split("\t")[3] == "active" and bot.split("\t")[4] != "-"


def test_graceful_stop_interrupts_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.service.conftest import add_users

    settings = make_settings(tmp_path)
    seed_units(settings.database_url)
    h = {"Authorization": f"Bearer {add_users(settings)['national']}"}
    server = LiveServer(settings).start()
    try:
        run_id = _start_run(server, h, "slow")
        _poll(server, run_id, h, lambda r: r["status"] == "running", timeout=30, every=0.2)
        pid = _worker_pid(settings.database_url, run_id)
    finally:
        server.stop()  # SIGINT: uvicorn's graceful shutdown
    assert _db(settings.database_url, "SELECT status FROM runs WHERE uid=:r", r=run_id) == [
        ("interrupted",)
    ]
    from geomatch.service.jobs import worker_alive

    time.sleep(0.2)
    assert not worker_alive(pid, run_id), "the worker outlived the server"
