"""``geomatch runs import``: store a finished run folder in the service's database.

Planners then see a plan without re-running it. The loading itself is the service's
(:func:`geomatch.service.worker.import_run`, which stores the tables with
:func:`geomatch.service.results.store_results` in one transaction); this module checks
the folder first and brings the database to the newest schema.
"""

from __future__ import annotations

from pathlib import Path

from geomatch.errors import InputError
from geomatch.service.config import ServiceSettings

__all__ = ["import_run_folder"]

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
