"""Runs and the records: import a finished run folder, pair from the register, keep agreements.

* :func:`import_run_folder` (``geomatch runs import``): store a finished run folder in
  the service's database, so planners see a plan without re-running it. The loading is
  the service's (:func:`geomatch.service.worker.import_run`, which stores the tables with
  :func:`geomatch.service.results.store_results` in one transaction); this module checks
  the folder first and brings the database to the newest schema.
* :func:`register_dataset`: the register as the helpers of a run (``"helpers": "register"``).
* :func:`agreement_locks`: the agreements binding on a run's date, as its locks.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Final

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from geomatch.errors import InputError
from geomatch.service.config import ServiceSettings
from geomatch.service.models import Run

__all__ = [
    "REGISTER_FILENAME",
    "agreement_locks",
    "find_run",
    "import_run_folder",
    "pipeline_locks",
    "register_dataset",
    "register_helpers_table",
]

log = logging.getLogger(__name__)

#: File name of the helpers table made from the register.
REGISTER_FILENAME: Final = "名册 register"

#: Files a finished run folder must hold.
REQUIRED_FILES = ("pairings.csv", "coverage.csv")


def import_run_folder(
    settings: ServiceSettings,
    folder: str | Path,
    maps: str | Path | None = None,
    *,
    scenario: str = "imported",
) -> str:
    """Store a run folder (and its maps) as a finished run; returns the run's public id.

    Raises
    ------
    InputError
        The folder is missing or lacks ``pairings.csv`` / ``coverage.csv``.
    """
    from geomatch.service.db import make_engine, migrate
    from geomatch.service.worker import import_run

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("run folder not found", file=folder)
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            raise InputError(f"not a finished run folder: {name} is missing", file=folder / name)
    if maps is not None and not Path(maps).is_dir():
        raise InputError("maps folder not found", file=maps)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    run_id = import_run(
        settings, folder, Path(maps) if maps is not None else None, scenario=scenario
    )
    return str(run_id)


def agreement_locks(
    factory: sessionmaker[Session], scenario_file: Path, day: dt.date
) -> pd.DataFrame | None:
    """The agreements binding on ``day`` as locks of a run of ``scenario_file``.

    Only pairs whose need and helper are in the run's dataset are kept (an agreement of
    another dataset cannot bind this run; each one left out is logged). ``None`` when no
    agreement binds.
    """
    from geomatch.dataset import load_dataset
    from geomatch.model.scenario import load_scenario
    from geomatch.records.agreements import locks_on

    with factory() as session:
        locks = locks_on(session, day)
    if locks.empty:
        return None
    ds = load_dataset(root=load_scenario(scenario_file).data_root)
    known = locks["need_id"].isin(ds.needs["need_id"].astype(str)) & locks["helper_id"].isin(
        ds.helpers["helper_id"].astype(str)
    )
    for row in locks[~known].itertuples():
        log.warning(
            "agreement %s (%s → %s) is not in this run's dataset; not locked",
            row.agreement_id,
            row.need_id,
            row.helper_id,
        )
    kept = locks.loc[known, ["need_id", "helper_id"]].reset_index(drop=True)
    return kept if len(kept) else None


def register_dataset(session: Session, uploads_dir: Path, user_id: int | None) -> int:
    """The national register as an uploaded helpers table (``datasets`` row); its id.

    A run started with ``"helpers": "register"`` pairs from it through the service's
    uploaded-table machinery. The same register content gives the same row again.

    Raises
    ------
    InputError
        The register is empty.
    """
    import hashlib

    import sqlalchemy as sa

    from geomatch.io.output import write_csv
    from geomatch.records.register import register_helpers
    from geomatch.service.models import StoredDataset

    table = register_helpers(session)
    if table.empty:
        raise InputError(
            "the register is empty; import a province's register first", column="helpers"
        )
    text = table.to_csv(index=False, lineterminator="\n")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    found = session.execute(
        sa.select(StoredDataset.id).where(
            StoredDataset.kind == "helpers",
            StoredDataset.filename == REGISTER_FILENAME,
            StoredDataset.sha256 == digest,
        )
    ).scalar_one_or_none()
    if found is not None:
        return int(found)
    row = StoredDataset(
        kind="helpers",
        filename=REGISTER_FILENAME,
        sha256=digest,
        n_rows=len(table),
        columns=list(map(str, table.columns)),
        path="",
        uploaded_by=user_id,
    )
    session.add(row)
    session.flush()
    path = uploads_dir / str(row.id) / "helpers.csv"
    write_csv(table, path, excel=False)
    row.path = str(path)
    session.flush()
    return int(row.id)


def find_run(session: Session, ref: int | str) -> Run | None:
    """A run by its number or its public id (``runs.uid``), as ``runs import`` prints it."""
    import sqlalchemy as sa

    text = str(ref).strip()
    if text.isdigit():
        return session.get(Run, int(text)) if int(text) < 2**31 else None
    return session.execute(sa.select(Run).where(Run.uid == text)).scalar_one_or_none()


def pipeline_locks(
    factory: sessionmaker[Session], scenario_file: Path, day: dt.date
) -> dict[str, object]:
    """Keyword arguments for the pipeline that keep the agreements binding on ``day``.

    Empty when none binds (so a pipeline without a ``locks`` parameter still works).
    """
    locks = agreement_locks(factory, scenario_file, day)
    if locks is None:
        return {}
    log.info("%d agreements binding on %s are locks of this run", len(locks), day)
    return {
        "locks": locks,
        "locks_source": f"agreements signed, filed or active on {day.isoformat()}",
    }


def register_helpers_table(session: Session, uploads_dir: Path, user_id: int | None) -> int:
    """:func:`register_dataset` for a request: an empty register is a 422 naming it."""
    from fastapi import HTTPException, status

    try:
        return register_dataset(session, uploads_dir, user_id)
    except InputError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=exc.detail) from None
