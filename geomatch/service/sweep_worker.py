"""The worker process of one sweep: ``python -m geomatch.service.sweep_worker FOLDER``.

``POST /api/sweeps`` checks the request, writes ``FOLDER/request.json`` (the scenario
file, the data folder and the varied settings) and ``FOLDER/status.json``, and starts
this process (:func:`start_sweep_worker`) — the sweep never runs inside the web server.
The worker expands the same grid again (:func:`sweep_points`, so the keys are the ones
the server listed) and runs it (:func:`geomatch.scale.sweep.run_sweep`) on the cluster
named by ``GEOMATCH_DASK_SCHEDULER`` (``tcp://host:8786``), else on a ``LocalCluster`` of
``GEOMATCH_SWEEP_WORKERS`` (default 2) worker processes started inside this worker.
Once started, only the worker writes ``status.json``: its pid, progress and the outcome
(``done`` | ``failed``); its log to ``FOLDER/worker.log``. A worker that died without an outcome
(killed, out of memory) is reported ``interrupted`` by :func:`sweep_status` (post the
grid again to run it anew; ``geomatch sweep --out`` on the same folder resumes one from
the command line).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geomatch.io.files import atomic_write_bytes

if TYPE_CHECKING:
    from geomatch.scale.sweep import ScenarioPoint

__all__ = [
    "SCHEDULER_ENV",
    "WORKERS_ENV",
    "start_sweep_worker",
    "sweep_points",
    "sweep_status",
    "write_status",
]

log = logging.getLogger(__name__)

#: Scheduler of an existing Dask cluster for the service's sweeps.
SCHEDULER_ENV = "GEOMATCH_DASK_SCHEDULER"
#: Worker processes of the LocalCluster started when no scheduler is named.
WORKERS_ENV = "GEOMATCH_SWEEP_WORKERS"

_MODULE = "geomatch.service.sweep_worker"


def write_status(folder: Path, **fields: Any) -> None:
    """Merge ``fields`` into ``FOLDER/status.json`` (written atomically)."""
    path = folder / "status.json"
    old = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    old.update(fields)
    atomic_write_bytes(path, json.dumps(old, ensure_ascii=False).encode("utf-8"))


def sweep_points(
    scenario_file: Path, vary: Mapping[str, Sequence[Any]], data_dir: str | None
) -> list[ScenarioPoint]:
    """The grid of ``vary`` over the scenario (keys hashed with the data's fingerprint).

    Raises
    ------
    InputError
        Unknown keys or values the settings reject (see :func:`~geomatch.scale.sweep.expand`).
    """
    from geomatch.model.scenario import load_scenario
    from geomatch.scale.sweep import data_fingerprint, expand
    from geomatch.settings import data_dir as default_data_dir

    base = load_scenario(scenario_file)
    if data_dir is not None and not base.scenario.data_dir:
        info = base.scenario.model_copy(update={"data_dir": data_dir})
        base = base.model_copy(update={"scenario": info})
    fp = data_fingerprint(base.data_root or default_data_dir())
    return expand(base, vary, fingerprint=fp)


def start_sweep_worker(
    folder: Path, scenario_file: Path, vary: Mapping[str, Sequence[Any]], data_dir: str | None
) -> int:
    """Write the request and start the worker process; returns its pid."""
    request = {"scenario_file": str(scenario_file), "vary": dict(vary), "data_dir": data_dir}
    atomic_write_bytes(
        folder / "request.json", json.dumps(request, ensure_ascii=False).encode("utf-8")
    )
    with open(folder / "worker.log", "ab") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", _MODULE, str(folder)],
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    log.info("sweep %s: worker %s started", folder.name, proc.pid)
    return proc.pid


def sweep_status(folder: Path) -> dict[str, Any]:
    """``status.json``, with ``interrupted`` for a queued/running sweep whose worker died."""
    from geomatch.service.jobs import worker_alive

    st: dict[str, Any] = json.loads((folder / "status.json").read_text("utf-8"))
    pid = st.get("pid")
    active = st.get("status") in ("queued", "running")
    if active and pid and not worker_alive(int(pid), str(folder), module=_MODULE):
        st["status"] = "interrupted"
        st["message"] = "扫描进程意外结束（被终止或内存不足），请重新提交"
    return st


def run_in_worker(folder: Path) -> int:
    """Run the sweep of ``folder`` (the worker's body); exit code 0 done, 1 failed."""
    from geomatch.scale.executor import open_executor
    from geomatch.scale.sweep import run_sweep

    def progress(fraction: float, message: str) -> None:
        write_status(folder, progress=round(fraction, 3), message=message)

    try:
        req = json.loads((folder / "request.json").read_text("utf-8"))
        points = sweep_points(Path(req["scenario_file"]), req["vary"], req.get("data_dir"))
        write_status(folder, status="running", pid=os.getpid())  # only the worker writes now
        workers = int(os.environ.get(WORKERS_ENV, "2"))
        with open_executor(scheduler=os.environ.get(SCHEDULER_ENV), workers=workers) as ex:
            run_sweep(points, folder, ex, progress=progress)
    except Exception as exc:  # the outcome is reported through status.json
        log.exception("sweep %s failed", folder.name)
        write_status(folder, status="failed", message=str(exc)[:500])
        return 1
    write_status(folder, status="done", progress=1.0, message="")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m geomatch.service.sweep_worker FOLDER``."""
    from geomatch.logs import configure_logging

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: python -m {_MODULE} FOLDER", file=sys.stderr)
        return 2
    configure_logging(0)
    return run_in_worker(Path(args[0]))


if __name__ == "__main__":
    raise SystemExit(main())
