"""A real cluster: ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1.

A small sweep (the mini scenario) runs through ``geomatch sweep --scheduler``; one
worker is killed with SIGKILL while it runs a scenario; the sweep still completes and
its ``sweep.csv`` equals a sequential run's, apart from the seconds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.toml"
VARY = ["--vary", "pairing.unmet_penalty=3000,6000", "--vary", "tours.sets_per_province=1,2"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dask(*args: str) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("dask")
    return subprocess.Popen(
        [str(exe), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ
    )


@pytest.fixture()
def cluster() -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")]
    for _ in range(2):
        procs.append(
            _dask(
                "worker",
                address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
            )
        )
    try:
        with Client(address, timeout=30) as c:
            c.wait_for_workers(2, timeout=60)
        yield address, procs
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def _kill_a_busy_worker(
    address: str, procs: list[subprocess.Popen[bytes]], done: list[str]
) -> None:
    """SIGKILL the worker process that is running a scenario task."""
    from distributed import Client

    with Client(address, timeout=30) as c:
        pids = c.run(os.getpid)  # worker address → process id
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [w for w, tasks in c.processing().items() if tasks]
            if busy:
                time.sleep(1.0)  # let the scenario get under way
                os.kill(int(pids[busy[0]]), signal.SIGKILL)
                done.append(busy[0])
                return
            time.sleep(0.2)


def _table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig").drop(columns=["seconds"])


@pytest.mark.slow
def test_sweep_survives_a_killed_worker(
    cluster: tuple[str, list[subprocess.Popen[bytes]]],
    run_cli,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    address, procs = cluster
    killed: list[str] = []
    killer = threading.Thread(target=_kill_a_busy_worker, args=(address, procs, killed))
    killer.start()
    code = run_cli(
        ["sweep", "--scenario", MINI, *VARY, "--out", tmp_path / "dist", "--scheduler", address]
    )
    killer.join()
    assert code == 0
    assert killed, "no worker was killed mid-sweep"
    assert sum(p.poll() is None for p in procs[1:]) == 1
    code = run_cli(
        ["sweep", "--scenario", MINI, *VARY, "--out", tmp_path / "seq", "--workers", "1"]
    )
    assert code == 0
    dist, seq = _table(tmp_path / "dist" / "sweep.csv"), _table(tmp_path / "seq" / "sweep.csv")
    assert list(dist["status"]) == ["ok"] * 4
    pd.testing.assert_frame_equal(dist, seq)
