"""Runs executed in worker processes, and recovery after a crash.

:class:`JobManager` starts one worker process per run
(``python -m geomatch.service.worker RUN_UID``, see :mod:`geomatch.service.worker`), waits
for it in a thread, and marks the run ``interrupted`` when the worker died without
recording an end (killed, out of memory). A watchdog thread does the same for runs whose
worker this server did not start (a worker that outlived a previous server).

:class:`JobManager` runs at most ``max_workers`` runs at a time (``GEOMATCH_MAX_WORKERS``,
default 1: a national run uses a core fully); further runs wait ``queued`` and start in
order when a worker ends. The limit is also held in the database by worker leases
(:mod:`geomatch.service.leases`): a worker that finds every slot taken — say by a worker
that outlived a previous server — exits at once and its run stays queued.

:meth:`JobManager.cancel` ends the worker of a cancelled run (SIGTERM; the worker
releases its slot on the way out).

:func:`recover_runs` runs at start-up: a run left ``running`` (or ``queued`` with a
worker) whose worker is no longer alive is marked ``interrupted``; runs still waiting in
the queue stay ``queued`` and are started again by the new server. The results of a run
are written in one transaction by the worker, so an interrupted run has no partial
results.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from geomatch.service.config import ServiceSettings
from geomatch.service.db import session_scope
from geomatch.service.leases import active_leases, release_leases_of
from geomatch.service.models import Run, utcnow
from geomatch.service.worker import EXIT_NO_SLOT

__all__ = ["JobManager", "recover_runs", "worker_alive"]

log = logging.getLogger(__name__)

_ACTIVE = ("queued", "running")


def worker_alive(pid: int | None, uid: str, module: str = "geomatch.service.worker") -> bool:
    """Whether ``pid`` is alive and is the worker (``python -m module … uid …``) of ``uid``
    and not a zombie (guards against pid reuse)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            return False
        if module.encode() not in args or uid.encode() not in args:
            return False
        stat = Path(f"/proc/{pid}/stat")
        try:  # a zombie has finished: it is not working on the run any more
            return stat.read_text().split(") ", 1)[1][:1] != "Z"
        except (OSError, IndexError):
            return True
    return True


def _mark_interrupted(session: Session, run_id: int, reason: str) -> bool:
    result = session.execute(
        sa.update(Run)
        .where(Run.id == run_id, Run.status.in_(_ACTIVE))
        .values(status="interrupted", message=reason, error=reason, finished_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _started_runs(session: Session) -> list[tuple[int, str, int | None]]:
    """``(run id, uid, worker pid)`` of the active runs that a worker was started for.

    A queued run that never started (no pid) is left out: it stays in the queue and
    starts again.
    """
    rows = session.execute(
        sa.select(Run.id, Run.uid, Run.worker_pid, Run.status).where(Run.status.in_(_ACTIVE))
    ).all()
    return [
        (run_id, uid, pid)
        for run_id, uid, pid, status in rows
        if not (status == "queued" and pid is None)
    ]


def recover_runs(factory: sessionmaker[Session]) -> list[int]:
    """Mark runs whose worker is gone as ``interrupted``; return their ids."""
    done: list[int] = []
    with session_scope(factory) as session:
        for run_id, uid, pid in _started_runs(session):
            if worker_alive(pid, uid):
                log.info("run %s: worker %s is still working on it", run_id, pid)
                continue
            if _mark_interrupted(session, run_id, "运行中断：服务重启时该运行的工作进程已不在"):
                done.append(run_id)
    if done:
        log.warning("marked %d run(s) interrupted after a restart: %s", len(done), done)
    return done


class JobManager:
    """Starts workers for runs and notices when they die.

    Parameters
    ----------
    settings
        The service's settings (passed to the workers through their environment).
    factory
        Session factory of the service's database.
    """

    def __init__(self, settings: ServiceSettings, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.factory = factory
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._dispatch_lock = threading.Lock()
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def worker_env(self) -> dict[str, str]:
        """The environment of a worker: this server's settings, explicitly."""
        env = dict(os.environ)
        s = self.settings
        env.update(
            {
                "GEOMATCH_DATABASE_URL": s.database_url,
                "GEOMATCH_SERVICE_HOME": str(Path(s.service_home).resolve()),
                "GEOMATCH_SCENARIO_DIR": str(s.scenario_folder().resolve()),
                "GEOMATCH_PIPELINE": s.pipeline,
                "GEOMATCH_PROGRESS_INTERVAL_S": str(s.progress_interval_s),
                "GEOMATCH_MAX_WORKERS": str(s.max_workers),
                "GEOMATCH_WORKER_LEASE_S": str(s.worker_lease_s),
            }
        )
        if s.data_dir is not None:
            env["GEOMATCH_DATA_DIR"] = str(Path(s.data_dir).resolve())
        # The worker imports the pipeline named in the settings from the same sys.path.
        env["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), *sys.path] if p)
        return env

    def submit(self, run_id: int) -> None:
        """Queue a run: it starts now if fewer than ``max_workers`` runs are running."""
        self.dispatch()

    def dispatch(self) -> list[int]:
        """Start workers for the oldest queued runs while there is a free slot."""
        started: list[int] = []
        with self._dispatch_lock:
            if self._stop.is_set():
                return started
            with session_scope(self.factory) as session:
                held = active_leases(session, self.settings.max_workers)
                with self._lock:
                    free = self.settings.max_workers - max(len(self._procs), held)
                if free <= 0:
                    return started
                waiting = session.execute(
                    sa.select(Run.id, Run.uid)
                    .where(Run.status == "queued", Run.worker_pid.is_(None))
                    .order_by(Run.id)
                    .limit(free)
                ).all()
            for run_id, uid in waiting:
                self._start(run_id, uid)
                started.append(run_id)
        return started

    def _start(self, run_id: int, uid: str) -> int:
        """Start the worker of a queued run; return its pid."""
        folder = self.settings.runs_dir / uid
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "worker.log", "ab") as logfile:
            proc = subprocess.Popen(
                [sys.executable, "-m", "geomatch.service.worker", uid],
                env=self.worker_env(),
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                close_fds=True,
            )
        with session_scope(self.factory) as session:
            session.execute(
                sa.update(Run)
                .where(Run.id == run_id, Run.worker_pid.is_(None))
                .values(worker_pid=proc.pid)
            )
        with self._lock:
            self._procs[run_id] = proc
        threading.Thread(
            target=self._wait, args=(run_id, proc), daemon=True, name=f"run-{run_id}"
        ).start()
        log.info("run %s: worker %s started", run_id, proc.pid)
        return proc.pid

    def _wait(self, run_id: int, proc: subprocess.Popen[bytes]) -> None:
        code = proc.wait()
        with self._lock:
            self._procs.pop(run_id, None)
        if self._stop.is_set() or code == EXIT_NO_SLOT:
            return  # no slot: the worker gave the run back to the queue
        try:  # a dead child holds no slot: free it now rather than when its lease expires
            release_leases_of(self.factory, proc.pid)
        except Exception:
            log.exception("run %s: could not free the slot of worker %s", run_id, proc.pid)
        reason = (
            f"运行中断：工作进程被信号 {-code} 终止"
            if code < 0
            else f"运行中断：工作进程退出（代码 {code}）而未记录结果"
        )
        try:
            with session_scope(self.factory) as session:
                if _mark_interrupted(session, run_id, reason):
                    log.warning("run %s: %s", run_id, reason)
            self.dispatch()
        except Exception:  # the database may be gone at shutdown
            log.exception("run %s: could not record the end of its worker", run_id)

    def start_watchdog(self, interval_s: float = 5.0) -> None:
        """Check every ``interval_s`` seconds that active runs still have a live worker."""

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self._check_orphans()
                    self.dispatch()  # runs waiting for a slot held elsewhere
                except Exception:
                    log.exception("watchdog check failed")

        self._watchdog = threading.Thread(target=loop, daemon=True, name="run-watchdog")
        self._watchdog.start()

    def _check_orphans(self) -> None:
        with self._lock:
            mine = set(self._procs)
        with session_scope(self.factory) as session:
            for run_id, uid, pid in _started_runs(session):
                if run_id not in mine and not worker_alive(pid, uid):
                    _mark_interrupted(session, run_id, "运行中断：工作进程已不在")

    def cancel(self, run_id: int) -> None:
        """End the worker of a cancelled run, if this server started it."""
        with self._lock:
            proc = self._procs.get(run_id)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            log.info("run %s: cancelled, worker %s terminated", run_id, proc.pid)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Stop the workers of this server and mark their runs interrupted."""
        self._stop.set()
        with self._lock:
            procs = dict(self._procs)
        for proc in procs.values():
            proc.terminate()
        for run_id, proc in procs.items():
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            try:
                with session_scope(self.factory) as session:
                    _mark_interrupted(session, run_id, "运行中断：服务已停止")
            except Exception:
                log.exception("run %s: could not record the shutdown", run_id)
