"""A bounded load test of the service on loopback (``geomatch bench service``).

A real ``geomatch serve`` process is started on a free port of 127.0.0.1 with its own
database (a fresh SQLite file unless ``--database-url``), the embedded dataset, and a
finished run (the scenario run through the API, or an existing run folder imported). Then
``clients`` concurrent asyncio clients, for ``duration_s`` seconds, each repeatedly read
either the coverage JSON or the province map of a province, pausing a random
``U(0, 2·think_s)`` seconds between requests (a closed loop with think time, as users
clicking through pages). Four clients in five are provincial planners reading their own
province; the rest are the national office reading any province.

Each client holds one keep-alive HTTP/1.1 connection (:class:`HTTPConnection`, a lean
client so that the load generator takes little of the CPU it shares with the server) and
accepts gzip, as browsers do; the bytes are counted as they travel, not decompressed.
Latency is measured per request from send to the last byte (client side), after a
warm-up of ``warmup_s`` seconds (caches filling; errors are counted from the start), per
endpoint: count, errors (status ≠ 200 or a transport error), p50, p95, p99 and max in
ms, and the throughput. All traffic stays on the loopback interface, and the
loop stops by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from geomatch.service.config import ServiceSettings

__all__ = [
    "EndpointStats",
    "HTTPConnection",
    "LoadReport",
    "format_report",
    "run_load",
    "run_service_benchmark",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EndpointStats:
    """Latency statistics of one endpoint (milliseconds)."""

    name: str
    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rps: float


@dataclass(frozen=True)
class LoadReport:
    """Result of a load test."""

    clients: int
    duration_s: float
    think_s: float
    database: str
    provinces: int
    endpoints: tuple[EndpointStats, ...]
    errors: dict[str, int] = field(default_factory=dict)
    machine: str = ""
    #: 1-minute load average of the machine when the load started and ended.
    load_average: tuple[float, float] = (0.0, 0.0)
    warmup_s: float = 0.0


@dataclass(frozen=True)
class ClientSpec:
    """What one simulated user reads."""

    token: str
    province: str | None  # None: the national office, any province


def _stats(name: str, lat: list[float], errors: int, seconds: float) -> EndpointStats:
    arr = np.asarray(lat, dtype=float) * 1000.0
    if arr.size == 0:
        return EndpointStats(name, 0, errors, 0.0, 0.0, 0.0, 0.0, 0.0)
    p50, p95, p99 = np.percentile(arr, [50, 95, 99])
    return EndpointStats(
        name,
        int(arr.size),
        errors,
        round(float(p50), 1),
        round(float(p95), 1),
        round(float(p99), 1),
        round(float(arr.max()), 1),
        round(arr.size / seconds, 1),
    )


class HTTPConnection:
    """One keep-alive HTTP/1.1 connection, as a browser tab holds (a lean client).

    The load generator shares the machine with the server, so it must cost little: this
    client writes a GET and reads the status line, the headers and exactly
    ``Content-Length`` body bytes (the service always sends it), nothing more.
    """

    def __init__(self, host: str, port: int, timeout_s: float = 30.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, int]:
        """Send ``GET path``; return (status, body bytes). Reconnects once if closed."""
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                return await asyncio.wait_for(self._get(path, headers), self.timeout_s)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise ConnectionError("unreachable")  # pragma: no cover

    async def _get(self, path: str, headers: dict[str, str]) -> tuple[int, int]:
        assert self.reader is not None and self.writer is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}\r\n".encode()
        )
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length = None
        close = False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if length is None:
            raise ConnectionError("response without Content-Length")
        await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, length


async def _run_load(
    base_url: str,
    specs: list[ClientSpec],
    provinces: list[str],
    duration_s: float,
    think_s: float,
    seed: int,
    warmup_s: float,
) -> dict[str, object]:
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lat: dict[str, list[float]] = {"coverage": [], "province_map": []}
    errs: dict[str, int] = {"coverage": 0, "province_map": 0}
    kinds: dict[str, int] = {}
    start = time.monotonic() + warmup_s
    end = start + duration_s
    start_perf = time.perf_counter() + warmup_s

    async def user(i: int, spec: ClientSpec) -> None:
        rng = random.Random(seed + i)
        # browsers accept gzip; the bytes are counted as they travel, not decoded
        headers = {"Authorization": f"Bearer {spec.token}", "Accept-Encoding": "gzip"}
        conn = HTTPConnection(host, port)
        await asyncio.sleep(rng.uniform(0, min(1.0, 2 * think_s)))  # stagger the start
        try:
            while time.monotonic() < end:
                prov = spec.province or rng.choice(provinces)
                kind = "coverage" if rng.random() < 0.5 else "province_map"
                url = (
                    f"/api/coverage?province={prov}"
                    if kind == "coverage"
                    else f"/maps/province/{prov}"
                )
                t0 = time.perf_counter()
                try:
                    status, nbytes = await conn.get(url, headers)
                    ok = status == 200 and nbytes > 0
                    if not ok:
                        key = f"{kind} HTTP {status}"
                        kinds[key] = kinds.get(key, 0) + 1
                except (TimeoutError, OSError, ValueError) as exc:
                    ok = False
                    key = f"{kind} {type(exc).__name__}"
                    kinds[key] = kinds.get(key, 0) + 1
                    await conn.close()
                dt = time.perf_counter() - t0
                if not ok:  # errors count from the first request, warm-up included
                    errs[kind] += 1
                if t0 >= start_perf:
                    lat[kind].append(dt)
                if think_s > 0:
                    await asyncio.sleep(rng.uniform(0, 2 * think_s))
        finally:
            await conn.close()

    await asyncio.gather(*(user(i, s) for i, s in enumerate(specs)))
    return {"lat": lat, "errs": errs, "kinds": kinds}


def run_load(
    base_url: str,
    specs: list[ClientSpec],
    provinces: list[str],
    *,
    duration_s: float,
    think_s: float,
    seed: int = 20161207,
    warmup_s: float = 2.0,
) -> tuple[tuple[EndpointStats, ...], dict[str, int], float]:
    """Drive ``base_url`` with one asyncio task per client for ``duration_s`` seconds.

    Latencies of the first ``warmup_s`` seconds (caches filling) are not recorded; errors
    are counted from the first request.

    Returns
    -------
    tuple
        Per-endpoint statistics, error counts by kind, and the measured wall time (s).
    """
    if not base_url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise ValueError("the load test only targets loopback addresses")
    out = asyncio.run(_run_load(base_url, specs, provinces, duration_s, think_s, seed, warmup_s))
    seconds = duration_s
    lat: dict[str, list[float]] = out["lat"]  # type: ignore[assignment]
    errs: dict[str, int] = out["errs"]  # type: ignore[assignment]
    kinds: dict[str, int] = out["kinds"]  # type: ignore[assignment]
    stats = tuple(_stats(k, lat[k], errs[k], seconds) for k in ("coverage", "province_map"))
    return stats, kinds, seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(url: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``geomatch serve`` on a free loopback port; (process, base URL) once it is healthy."""
    import httpx

    env = dict(os.environ, GEOMATCH_DATABASE_URL=url, GEOMATCH_SERVICE_HOME=str(home))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with open(home / "server.log", "ab") as fh:
        server = subprocess.Popen(
            [sys.executable, "-m", "geomatch", "-q", "serve", "--port", str(port)],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=home,
        )
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited; see {home / 'server.log'}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            _stop_server(server)
            raise RuntimeError("the server did not start in 120 s")
        time.sleep(0.3)


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()


def _run_through_api(base: str, token: str, scenario: str) -> str:
    """Start ``scenario`` through the API and wait for it to finish; its run id."""
    import httpx

    h = {"Authorization": f"Bearer {token}"}
    run_id = str(
        httpx.post(base + "/api/runs", json={"scenario": scenario}, headers=h, timeout=30).json()[
            "id"
        ]
    )
    last = -1.0
    while True:
        run = httpx.get(f"{base}/api/runs/{run_id}", headers=h, timeout=30).json()
        if run["status"] not in ("queued", "running"):
            break
        if run["progress"] - last >= 0.05:
            last = run["progress"]
            log.info("run %s: %3.0f%% %s", run_id, 100 * run["progress"], run["message"])
        time.sleep(2)
    if run["status"] != "done":
        raise RuntimeError(f"run {run_id} ended {run['status']}: {run['error']}")
    return run_id


def _planner_tokens(
    factory: sessionmaker[Session], settings: ServiceSettings, run_id: str
) -> dict[str, str]:
    """A planner per province that has a map in the run: province → token."""
    import sqlalchemy as sa

    from geomatch.service.auth import add_user
    from geomatch.service.db import session_scope
    from geomatch.service.models import Coverage, Run

    maps = settings.runs_dir / run_id / "maps" / "province"
    with session_scope(factory) as session:
        provinces = session.execute(
            sa.select(Coverage.province_adcode)
            .join(Run, Run.id == Coverage.run_id)
            .where(Run.uid == run_id)
            .distinct()
        ).scalars()
        with_map = sorted(p for p in provinces if (maps / f"{p}.html").is_file())
        tokens = {p: add_user(session, f"bench-{p}-{os.getpid()}", "planner", p) for p in with_map}
    if not tokens:
        raise RuntimeError(f"run {run_id} has no province maps")
    return tokens


def run_service_benchmark(
    *,
    clients: int = 200,
    duration_s: float = 20.0,
    think_s: float = 1.0,
    database_url: str | None = None,
    scenario: str = "national",
    workdir: Path | None = None,
    run_dir: Path | None = None,
    maps_dir: Path | None = None,
    warmup_s: float = 2.0,
) -> LoadReport:
    """Start a service, give it a finished run, and load-test it (see the module docs).

    Parameters
    ----------
    run_dir, maps_dir
        Import this run folder (and its maps) instead of running ``scenario``.
    """
    from geomatch.service.app import prepare_database
    from geomatch.service.auth import add_user
    from geomatch.service.config import ServiceSettings
    from geomatch.service.db import session_scope
    from geomatch.service.worker import import_run

    home = Path(workdir or tempfile.mkdtemp(prefix="geomatch-bench-service-")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{home / 'bench.db'}"
    settings = ServiceSettings(database_url=url, service_home=home)
    log.info("bench service: preparing %s in %s", url.split("@")[-1], home)
    factory = prepare_database(settings)
    with session_scope(factory) as session:
        national = add_user(session, f"bench-national-{os.getpid()}", "national")
    server, base = _start_server(url, home)
    try:
        if run_dir is not None:
            run_id = import_run(settings, run_dir, maps_dir, scenario=f"import:{run_dir.name}")
        else:
            run_id = _run_through_api(base, national, scenario)
        planners = _planner_tokens(factory, settings, run_id)
        provinces = sorted(planners)
        rng = random.Random(1)
        specs = [
            ClientSpec(national, None) if i % 5 == 4 else ClientSpec(planners[p], p)
            for i, p in enumerate(rng.choice(provinces) for _ in range(clients))
        ]
        log.info("bench service: %d clients for %.0f s on %s", clients, duration_s, base)
        load_before = os.getloadavg()[0]
        stats, kinds, seconds = run_load(
            base, specs, provinces, duration_s=duration_s, think_s=think_s, warmup_s=warmup_s
        )
        load_after = os.getloadavg()[0]
    finally:
        _stop_server(server)
    return LoadReport(
        clients=clients,
        duration_s=round(seconds, 1),
        think_s=think_s,
        database=url.split("://")[0],
        provinces=len(provinces),
        endpoints=stats,
        errors=kinds,
        load_average=(round(load_before, 2), round(load_after, 2)),
        warmup_s=warmup_s,
        machine=f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    )


def format_report(report: LoadReport) -> str:
    """A Markdown table of a report (the format of ``solvers/BENCHMARKS.md``)."""
    lines = [
        f"{report.clients} clients, {report.duration_s:.0f} s after {report.warmup_s:g} s "
        f"warm-up, think time U(0, {2 * report.think_s:g}) s, database {report.database}, "
        f"{report.provinces} provinces; {report.machine}; load average "
        f"{report.load_average[0]:.2f} → {report.load_average[1]:.2f}",
        "",
        "| endpoint | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report.endpoints:
        lines.append(
            f"| {s.name} | {s.count} | {s.errors} | {s.rps} | {s.p50_ms} | "
            f"{s.p95_ms} | {s.p99_ms} | {s.max_ms} |"
        )
    if report.errors:
        lines.append("")
        lines.append("errors: " + ", ".join(f"{k}: {v}" for k, v in sorted(report.errors.items())))
    return "\n".join(lines)
