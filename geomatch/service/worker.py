"""The worker process of one run: ``python -m geomatch.service.worker RUN_UID``.

It takes a worker slot (:mod:`geomatch.service.leases`; without a free slot it exits with
:data:`EXIT_NO_SLOT` and the run stays queued), claims the queued run (``queued`` →
``running``, with its pid), calls the scenario
pipeline (``GEOMATCH_PIPELINE``, default :func:`geomatch.pipeline.run_scenario`) with a
progress callback that writes the fraction into the run's row (at most every
``GEOMATCH_PROGRESS_INTERVAL_S`` seconds), then loads the run folder into the result
tables and marks the run ``done`` in one transaction. On an error the run is marked
``failed`` with the message; nothing of its results is stored. A cancelled run stops at
its next progress report (or on SIGTERM) and stores nothing.

Files of run ``U`` (its UUID): ``<service home>/geomatch-runs/U/run/`` (the tables),
``…/U/maps/`` (the HTML maps and their assets), ``…/U/worker.log``. The folder is created
when the run is queued and never reused.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from geomatch.errors import GeomatchError, InputError
from geomatch.records.runs import pipeline_locks
from geomatch.service.config import ServiceSettings, get_settings
from geomatch.service.db import ServiceDatabaseError, make_engine, session_scope
from geomatch.service.leases import acquire_lease
from geomatch.service.messages import public_error
from geomatch.service.models import Helper, Need, Run, StoredDataset, new_uid, utcnow
from geomatch.service.results import store_results

__all__ = [
    "EXIT_NO_SLOT",
    "RunCancelledError",
    "execute_run",
    "import_run",
    "load_pipeline",
    "main",
    "overlay_dataset",
    "run_paths",
    "scenario_with_data_dir",
]

log = logging.getLogger("geomatch.service.worker")

#: Exit code of a worker that found no free slot (the run stays queued; EX_TEMPFAIL).
EXIT_NO_SLOT = 75


class RunCancelledError(GeomatchError):
    """The run was cancelled while it ran."""


def load_pipeline(spec: str) -> Callable[..., Any]:
    """Import ``module:function`` (the scenario runner a worker calls)."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise GeomatchError(f"GEOMATCH_PIPELINE={spec!r}; expected 'module:function'")
    fn: object = getattr(importlib.import_module(module), name, None)
    if not callable(fn):
        raise GeomatchError(f"GEOMATCH_PIPELINE={spec!r} names nothing callable")
    return fn


def run_paths(settings: ServiceSettings, uid: str) -> tuple[Path, Path]:
    """The table folder and the maps folder of a run."""
    base = settings.runs_dir / uid
    return base / "run", base / "maps"


class _Progress:
    """Writes a run's progress into its row, throttled."""

    def __init__(self, factory: sessionmaker[Session], run_id: int, interval_s: float) -> None:
        self.factory = factory
        self.run_id = run_id
        self.interval_s = interval_s
        self.last = 0.0
        self.best = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        fraction = max(self.best, min(0.99, max(0.0, float(fraction))))
        now = time.monotonic()
        if now - self.last < self.interval_s and fraction - self.best < 0.05:
            return
        self.best, self.last = fraction, now
        with session_scope(self.factory) as session:
            result = session.execute(
                sa.update(Run)
                .where(Run.id == self.run_id, Run.status == "running")
                .values(progress=round(fraction, 4), message=str(message)[:500])
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise RunCancelledError(f"run {self.run_id} is no longer running")


def scenario_with_data_dir(text: str, data_dir: Path) -> str:
    """The scenario TOML ``text`` with ``[scenario] data_dir`` set to ``data_dir``."""
    import json
    import re
    import tomllib

    value = f"data_dir = {json.dumps(str(data_dir), ensure_ascii=False)}"
    lines = text.splitlines()
    header = next((i for i, ln in enumerate(lines) if ln.strip() == "[scenario]"), None)
    if header is None:
        lines = ["[scenario]", value, "", *lines]
    else:
        end = next(
            (i for i in range(header + 1, len(lines)) if lines[i].lstrip().startswith("[")),
            len(lines),
        )
        found = next(
            (i for i in range(header + 1, end) if re.match(r"\s*data_dir\s*=", lines[i])), None
        )
        if found is None:
            lines.insert(header + 1, value)
        else:
            lines[found] = value
    out = "\n".join(lines) + "\n"
    if tomllib.loads(out).get("scenario", {}).get("data_dir") != str(data_dir):
        raise GeomatchError("could not point the scenario at the run's data folder")
    return out


def overlay_dataset(
    scenario_file: Path, folder: Path, *, helpers: Path | None, needs: Path | None
) -> Path:
    """A scenario whose dataset is the scenario's own with uploaded helpers and/or needs.

    ``folder/data/`` links every file of the scenario's dataset except
    ``scenario/helpers.parquet`` and ``scenario/needs.parquet``, which are written from
    the uploads (validated again with the CLI's schema) or linked from the original;
    ``folder/scenario.toml`` is the scenario with ``data_dir`` pointing there.

    Returns
    -------
    pathlib.Path
        The new scenario file.
    """
    from geomatch.io.schema import read_helpers, read_needs
    from geomatch.model.scenario import load_scenario
    from geomatch.settings import data_dir

    sc = load_scenario(scenario_file)
    root = (sc.data_root or data_dir()).resolve()
    data = folder / "data"
    (data / "scenario").mkdir(parents=True, exist_ok=True)
    for entry in root.iterdir():
        if entry.name != "scenario" and not (data / entry.name).exists():
            (data / entry.name).symlink_to(entry)
    for kind, upload, reader in (("helpers", helpers, read_helpers), ("needs", needs, read_needs)):
        target = data / "scenario" / f"{kind}.parquet"
        if target.exists() or target.is_symlink():
            target.unlink()
        if upload is None:
            target.symlink_to(root / "scenario" / f"{kind}.parquet")
        else:
            reader(upload).to_parquet(target, index=False)
    out = folder / "scenario.toml"
    out.write_text(
        scenario_with_data_dir(scenario_file.read_text(encoding="utf-8"), data), encoding="utf-8"
    )
    return out


@dataclass(frozen=True)
class _Claimed:
    run_id: int
    scenario: str


def _run_of(factory: sessionmaker[Session], uid: str) -> int | None:
    with factory() as session:
        found: int | None = session.execute(
            sa.select(Run.id).where(Run.uid == uid, Run.status == "queued")
        ).scalar_one_or_none()
        return found


def _claim(factory: sessionmaker[Session], run_id: int) -> _Claimed | None:
    with session_scope(factory) as session:
        result = session.execute(
            sa.update(Run)
            .where(Run.id == run_id, Run.status == "queued")
            .values(
                status="running",
                started_at=utcnow(),
                worker_pid=os.getpid(),
                progress=0.0,
                message="开始",
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        scenario = session.execute(sa.select(Run.scenario).where(Run.id == run_id)).scalar_one()
        return _Claimed(run_id, scenario)


def _requeue(factory: sessionmaker[Session], run_id: int) -> None:
    """Give a run back to the queue (no slot was free): another worker starts it later."""
    with session_scope(factory) as session:
        session.execute(
            sa.update(Run)
            .where(Run.id == run_id, Run.status == "queued")
            .values(worker_pid=None, message="排队中（等待空闲的工作进程）")
        )


def _uploads(factory: sessionmaker[Session], run_id: int) -> dict[str, Path | None]:
    with factory() as session:
        run = session.get(Run, run_id)
        out: dict[str, Path | None] = {"helpers": None, "needs": None}
        if run is None:
            return out
        for kind, ds_id in (("helpers", run.helpers_dataset_id), ("needs", run.needs_dataset_id)):
            if ds_id is not None:
                ds = session.get(StoredDataset, ds_id)
                if ds is None:
                    raise InputError(f"the uploaded {kind} table {ds_id} no longer exists")
                out[kind] = Path(ds.path)
        return out


def _lookups(session: Session) -> tuple[dict[str, str], dict[str, str]]:
    needs = dict(session.execute(sa.select(Need.need_id, Need.adcode)).all())
    helpers = dict(session.execute(sa.select(Helper.helper_id, Helper.province_adcode)).all())
    return needs, helpers


def _unknown_ids(out: Path, needs: dict[str, str], helpers: dict[str, str]) -> bool:
    """Whether the run names needs or helpers that the database does not hold."""
    import pandas as pd

    for name, col, known in (
        ("pairings", "need_id", needs),
        ("pairings", "helper_id", helpers),
        ("unmet", "need_id", needs),
    ):
        path = out / f"{name}.csv"
        if not path.is_file():
            continue
        try:
            ids = pd.read_csv(path, usecols=[col], dtype=str, encoding="utf-8-sig")[col]
        except (ValueError, KeyError):
            continue
        if not ids.dropna().isin(known.keys()).all():
            return True
    return False


def _dataset_lookups(scenario_file: Path) -> tuple[dict[str, str], dict[str, str]]:
    """need → county and helper → province from the dataset the scenario names."""
    try:
        from geomatch.dataset import load_dataset
        from geomatch.model.scenario import load_scenario

        sc = load_scenario(scenario_file)
        ds = load_dataset(root=sc.data_root)
        needs = dict(
            zip(ds.needs["need_id"].astype(str), ds.needs["adcode"].astype(str), strict=True)
        )
        helpers = dict(
            zip(
                ds.helpers["helper_id"].astype(str),
                ds.helpers["province_adcode"].astype(str),
                strict=True,
            )
        )
        return needs, helpers
    except Exception as exc:  # the lookups only help to tag rows with provinces
        log.warning("could not read the scenario's dataset for province tags: %s", exc)
        return {}, {}


def _store(
    factory: sessionmaker[Session], run_id: int, out: Path, scenario_file: Path
) -> dict[str, int]:
    """Load the run folder into the database, only if the run is still running.

    On SQLite the database file must still be where the settings say: a worker whose file
    was deleted under it would otherwise "finish" into the unlinked file.
    """
    _check_database_file(factory)
    with session_scope(factory) as session:
        status = session.execute(sa.select(Run.status).where(Run.id == run_id)).scalar_one()
        if status != "running":
            raise RunCancelledError(f"run {run_id} is {status}; its results are not stored")
        needs, helpers = _lookups(session)
        if _unknown_ids(out, needs, helpers):
            more_needs, more_helpers = _dataset_lookups(scenario_file)
            needs = {**more_needs, **needs}
            helpers = {**more_helpers, **helpers}
        return store_results(session, run_id, out, need_adcodes=needs, helper_provinces=helpers)


def _check_database_file(factory: sessionmaker[Session]) -> None:
    url = factory.kw["bind"].url
    is_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if is_file and not Path(url.database).is_file():
        raise ServiceDatabaseError(
            f"the database file {Path(url.database).name} is gone; results not stored"
        )


def _pipeline_run(
    settings: ServiceSettings, factory: sessionmaker[Session], claimed: _Claimed, uid: str
) -> str:
    """Run the scenario and store its results; return the final status."""
    run_id = claimed.run_id
    out, maps = run_paths(settings, uid)
    scenario_file = settings.scenario_folder() / f"{claimed.scenario}.toml"
    try:
        if not scenario_file.is_file():
            raise InputError(f"scenario {claimed.scenario!r} not found", file=scenario_file.name)
        uploads = _uploads(factory, run_id)
        if any(p is not None for p in uploads.values()):
            scenario_file = overlay_dataset(scenario_file, out.parent, **uploads)
            log.info(
                "run %s: uploaded tables %s", uid, {k: str(v) for k, v in uploads.items() if v}
            )
        pipeline = load_pipeline(settings.pipeline)
        progress = _Progress(factory, run_id, settings.progress_interval_s)
        log.info("run %s: scenario %s → %s", uid, scenario_file, out)
        locks = pipeline_locks(factory, scenario_file, utcnow().date())  # agreements (records)
        pipeline(scenario_file, out, maps=maps, progress=progress, **locks)
        counts = _store(factory, run_id, out, scenario_file)
        log.info("run %s: done, stored %s", uid, counts)
        return "done"
    except RunCancelledError as exc:
        log.warning("run %s: %s", uid, exc)
        return "cancelled"
    except Exception as exc:
        log.exception("run %s failed", uid)
        message = public_error(f"{type(exc).__name__}: {exc}")[:2000]
        with session_scope(factory) as session:
            session.execute(
                sa.update(Run)
                .where(Run.id == run_id, Run.status == "running")
                .values(status="failed", error=message, message="失败", finished_at=utcnow())
            )
        return "failed"


def execute_run(settings: ServiceSettings, uid: str) -> str:
    """Execute a queued run to its end and return its final status.

    Returns
    -------
    str
        ``done``, ``failed``, ``cancelled``, ``waiting`` (no free worker slot: the run
        stays queued) or ``skipped`` when the run was not queued.
    """
    engine = make_engine(settings.database_url)
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        run_id = _run_of(factory, uid)
        if run_id is None:
            log.warning("run %s is not queued; nothing to do", uid)
            return "skipped"
        lease = acquire_lease(factory, settings.max_workers, run_id, settings.worker_lease_s)
        if lease is None:
            log.info(
                "run %s: all %d worker slots are held; it stays queued", uid, settings.max_workers
            )
            _requeue(factory, run_id)
            return "waiting"
        try:
            claimed = _claim(factory, run_id)
            if claimed is None:
                return "skipped"
            return _pipeline_run(settings, factory, claimed, uid)
        finally:
            lease.release()
    finally:
        engine.dispose()


def import_run(
    settings: ServiceSettings,
    run_dir: Path,
    maps_dir: Path | None = None,
    *,
    scenario: str = "imported",
) -> str:
    """Publish a run folder made elsewhere (e.g. by ``geomatch demo``) as a finished run.

    The folder (and the maps folder) are copied under the service's runs folder, and the
    tables are loaded in one transaction, as a worker does.

    Returns
    -------
    str
        The new run's public id (UUID).
    """
    import shutil

    engine = make_engine(settings.database_url)
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        with session_scope(factory) as session:
            run = Run(
                uid=new_uid(),
                scenario=scenario[:64],
                status="running",
                progress=0.0,
                message="导入",
                error="",
                started_at=utcnow(),
            )
            session.add(run)
            session.flush()
            out, maps = run_paths(settings, run.uid)
            shutil.copytree(run_dir, out)
            if maps_dir is not None:
                shutil.copytree(maps_dir, maps)
            needs, helpers = _lookups(session)
            store_results(session, run.id, out, need_adcodes=needs, helper_provinces=helpers)
            return run.uid
    finally:
        engine.dispose()


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM (cancel, server stop): leave through ``finally`` so the lease is released."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m geomatch.service.worker RUN_UID``."""
    from geomatch.logs import configure_logging

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or len(args[0]) != 36:
        print("usage: python -m geomatch.service.worker RUN_UID", file=sys.stderr)
        return 2
    configure_logging(0)
    signal.signal(signal.SIGTERM, _terminate)
    status = execute_run(get_settings(), args[0])
    if status == "waiting":
        return EXIT_NO_SLOT
    return 0 if status in ("done", "skipped", "cancelled") else 1


if __name__ == "__main__":
    sys.exit(main())
