"""A real ``geomatch serve`` process on a free loopback port, for crash and browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from geomatch.service.config import ServiceSettings
from geomatch.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(settings: ServiceSettings) -> dict[str, str]:
    env = dict(os.environ)
    # a private temporary folder, so a test can see whether the server spooled anything
    tmp = Path(settings.service_home) / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmp)
    env.update(
        {
            "GEOMATCH_DATABASE_URL": settings.database_url,
            "GEOMATCH_SERVICE_HOME": str(settings.service_home),
            "GEOMATCH_SCENARIO_DIR": str(settings.scenario_dir),
            "GEOMATCH_PIPELINE": settings.pipeline,
            "GEOMATCH_LOAD_DATASET": "true" if settings.load_dataset else "false",
            "GEOMATCH_PROGRESS_INTERVAL_S": str(settings.progress_interval_s),
            "GEOMATCH_WORKER_LEASE_S": str(settings.worker_lease_s),
            "GEOMATCH_MAX_WORKERS": str(settings.max_workers),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]),
        }
    )
    return env


def geomatch_cli(args: list[str], settings: ServiceSettings) -> subprocess.CompletedProcess[str]:
    """Run the ``geomatch`` command line in a child process with the service's settings."""
    return subprocess.run(
        [sys.executable, "-m", "geomatch", *args],
        env=service_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.service_home,
    )


@dataclass
class LiveServer:
    settings: ServiceSettings
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> LiveServer:
        log = Path(self.settings.service_home) / f"server-{self.port}.log"
        with open(log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "geomatch", "serve", "--port", str(self.port)],
                env=service_env(self.settings),
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=self.settings.service_home,
            )
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {log}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()
