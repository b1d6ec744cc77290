"""Worker leases: ``GEOMATCH_MAX_WORKERS`` held in the database, across servers and crashes.

A worker may run only while it holds one of the ``max_workers`` slots of the
``worker_leases`` table. It takes a free slot or one whose lease has expired, renews it
every third of ``GEOMATCH_WORKER_LEASE_S`` from a heartbeat thread, and deletes it when it
ends. A worker that survived its server keeps renewing, so a new server's worker finds
no slot and its run stays queued; a crashed worker stops renewing and its slot frees
after one lease period. Taking a slot is one conditional ``UPDATE`` (or an ``INSERT``
against the primary key), atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from geomatch.service.db import session_scope
from geomatch.service.models import WorkerLease, utcnow

__all__ = ["Lease", "acquire_lease", "active_leases", "release_leases_of"]

log = logging.getLogger(__name__)


@dataclass
class Lease:
    """A held slot, renewed by a heartbeat thread until :meth:`release`."""

    factory: sessionmaker[Session]
    slot: int
    pid: int
    lease_s: float
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _renew(self) -> bool:
        with session_scope(self.factory) as session:
            result = session.execute(
                sa.update(WorkerLease)
                .where(WorkerLease.slot == self.slot, WorkerLease.pid == self.pid)
                .values(expires_at=utcnow() + dt.timedelta(seconds=self.lease_s))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def start_heartbeat(self) -> None:
        def beat() -> None:
            while not self._stop.wait(self.lease_s / 3):
                try:
                    if not self._renew():
                        log.error("worker slot %s was taken over; the lease is lost", self.slot)
                except Exception:
                    log.exception("could not renew the lease of slot %s", self.slot)

        self._thread = threading.Thread(target=beat, daemon=True, name="lease-heartbeat")
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        with session_scope(self.factory) as session:
            session.execute(
                sa.delete(WorkerLease).where(
                    WorkerLease.slot == self.slot, WorkerLease.pid == self.pid
                )
            )


def _take_expired(factory: sessionmaker[Session], slot: int, run_id: int, lease_s: float) -> bool:
    now = utcnow()
    with session_scope(factory) as session:
        result = session.execute(
            sa.update(WorkerLease)
            .where(WorkerLease.slot == slot, WorkerLease.expires_at < now)
            .values(
                run_id=run_id,
                pid=os.getpid(),
                host=socket.gethostname()[:255],
                expires_at=now + dt.timedelta(seconds=lease_s),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _take_new(factory: sessionmaker[Session], slot: int, run_id: int, lease_s: float) -> bool:
    try:
        with session_scope(factory) as session:
            session.add(
                WorkerLease(
                    slot=slot,
                    run_id=run_id,
                    pid=os.getpid(),
                    host=socket.gethostname()[:255],
                    expires_at=utcnow() + dt.timedelta(seconds=lease_s),
                )
            )
        return True
    except IntegrityError:
        return False


def acquire_lease(
    factory: sessionmaker[Session], slots: int, run_id: int, lease_s: float
) -> Lease | None:
    """Take a free or expired slot for ``run_id`` (``None`` when all ``slots`` are held)."""
    for slot in range(slots):
        if _take_expired(factory, slot, run_id, lease_s) or _take_new(
            factory, slot, run_id, lease_s
        ):
            lease = Lease(factory, slot, os.getpid(), lease_s)
            lease.start_heartbeat()
            return lease
    return None


def active_leases(session: Session, slots: int) -> int:
    """How many of the first ``slots`` slots are held by an unexpired lease."""
    return int(
        session.execute(
            sa.select(sa.func.count())
            .select_from(WorkerLease)
            .where(WorkerLease.slot < slots, WorkerLease.expires_at >= utcnow())
        ).scalar_one()
    )


def release_leases_of(factory: sessionmaker[Session], pid: int) -> None:
    """Free the slots of a worker process known to be dead (its server saw it exit)."""
    with session_scope(factory) as session:
        session.execute(sa.delete(WorkerLease).where(WorkerLease.pid == pid))
