"""``/api/sweeps``: the national office starts a sweep, follows its progress and opens
the comparison page; a planner reads a scenario's run for their province only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import Service, make_settings, start_service

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    mp = pytest.MonkeyPatch()
    mp.setenv("GEOMATCH_SWEEP_WORKERS", "1")  # in process: no cluster for a one-point test
    mp.delenv("GEOMATCH_DASK_SCHEDULER", raising=False)
    mp.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    settings = make_settings(tmp_path_factory.mktemp("sweeps"), scenario_dir=FIXTURES)
    yield from start_service(settings)
    mp.undo()


def _wait(s: Service, sweep_id: str, timeout: float = 120.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = s.client.get(
            f"/api/sweeps/{sweep_id}", headers=s.h("national")
        ).json()
        if body["status"] not in ("queued", "running") or time.monotonic() > end:
            return body
        time.sleep(0.3)


def test_roles_and_validation(svc: Service) -> None:
    body = {"scenario": "mini", "vary": {"pairing.unmet_penalty": [3000]}}
    assert svc.client.post("/api/sweeps", json=body, headers=svc.h("gansu")).status_code == 403
    assert svc.client.post("/api/sweeps", json=body).status_code == 401
    bad = {"scenario": "mini", "vary": {"pairing.nope": [1]}}
    r = svc.client.post("/api/sweeps", json=bad, headers=svc.h("national"))
    assert r.status_code == 422 and "pairing.unmet_penalty" in r.text
    r = svc.client.post(
        "/api/sweeps", json={**body, "scenario": "absent"}, headers=svc.h("national")
    )
    assert r.status_code == 404


def test_sweep_progress_page_and_planner_scope(svc: Service) -> None:
    body = {"scenario": "mini", "vary": {"pairing.unmet_penalty": [3000]}}
    r = svc.client.post("/api/sweeps", json=body, headers=svc.h("national"))
    assert r.status_code == 202, r.text
    sweep = r.json()
    assert sweep["points"][0]["pairing.unmet_penalty"] == 3000
    done = _wait(svc, sweep["id"])
    assert done["status"] == "done", done
    assert done["rows"][0]["status"] == "ok"
    page = svc.client.get(f"/sweeps/{sweep['id']}", headers=svc.h("national"))
    assert page.status_code == 200 and "帕累托前沿" in page.text
    assert svc.client.get(f"/sweeps/{sweep['id']}", headers=svc.h("guizhou")).status_code == 403
    key = sweep["points"][0]["key"]
    url = f"/api/sweeps/{sweep['id']}/runs/{key}/pairings"
    everything = svc.client.get(url, headers=svc.h("national")).json()
    mine = svc.client.get(url, headers=svc.h("guizhou")).json()
    theirs = svc.client.get(url, headers=svc.h("gansu")).json()
    assert len(everything) > 0
    assert mine and all(row["adcode"].startswith("52") for row in mine)
    assert theirs == []  # the mini scenario's needs are all in 贵州
    planner = svc.client.get(f"/api/sweeps/{sweep['id']}", headers=svc.h("gansu")).json()
    assert planner["rows"] is None and planner["points"]
    assert svc.client.get(f"/api/sweeps/{'0' * 32}", headers=svc.h("national")).status_code == 404


def test_sweep_runs_in_its_own_worker_and_a_killed_worker_is_interrupted(svc: Service) -> None:
    import json
    import os
    import signal

    body = {"scenario": "mini", "vary": {"pairing.unmet_penalty": [4000]}}
    first = svc.client.post("/api/sweeps", json=body, headers=svc.h("national")).json()
    folder = Path(svc.settings.runs_dir) / "sweeps" / first["id"]
    end = time.monotonic() + 30
    while "pid" not in (st := json.loads((folder / "status.json").read_text("utf-8"))):
        assert time.monotonic() < end, st
        time.sleep(0.05)
    pid = st["pid"]
    assert pid != os.getpid()  # not a thread of the server
    os.kill(pid, signal.SIGKILL)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        st = svc.client.get(f"/api/sweeps/{first['id']}", headers=svc.h("national")).json()
        if st["status"] == "interrupted":
            break
        time.sleep(0.2)
    assert st["status"] == "interrupted" and "重新提交" in st["message"], st
    again = svc.client.post("/api/sweeps", json=body, headers=svc.h("national")).json()
    assert again["points"][0]["key"] == first["points"][0]["key"]
    done = _wait(svc, again["id"])
    assert done["status"] == "done" and done["rows"][0]["status"] == "ok", done
