"""Settings of the web service, read from the environment (pydantic-settings).

Every field can be set with an environment variable ``GEOMATCH_<FIELD>`` (upper case):

=============================== ==========================================================
variable                        meaning
=============================== ==========================================================
``GEOMATCH_DATABASE_URL``       SQLAlchemy URL; default ``sqlite:///geomatch.db`` in the
                                working directory. ``postgresql+psycopg://…`` for
                                PostgreSQL with PostGIS.
``GEOMATCH_SERVICE_HOME``       folder for run outputs (``<home>/geomatch-runs/<id>/``) and
                                uploads; default the working directory.
``GEOMATCH_SCENARIO_DIR``       folder of the named scenarios a run may start
                                (default ``<service home>/scenarios`` when it exists, else
                                the checkout's ``solvers/``).
``GEOMATCH_PIPELINE``           ``module:function`` a worker calls to run a scenario
                                (default ``geomatch.pipeline:run_scenario``).
``GEOMATCH_LOAD_DATASET``       load counties, helpers and needs of the embedded dataset
                                into an empty database at start (default true).
``GEOMATCH_MAX_UPLOAD_MB``      size limit of an upload, MiB (default 20).
``GEOMATCH_MAX_BODY_KB``        size limit of any other request body (JSON, forms),
                                KiB (default 64).
``GEOMATCH_MAX_UPLOAD_COLUMNS`` columns of an uploaded table (default 200).
``GEOMATCH_MAX_UPLOAD_ROWS``    rows of an uploaded table (default 2,000,000).
``GEOMATCH_MAX_CELL_CHARS``     characters of one cell of an upload (default 10,000).
``GEOMATCH_MAX_WORKERS``        runs executed at the same time (default 1); others queue.
                                Held by worker leases in the database, so it holds
                                across servers and after a crash.
``GEOMATCH_WORKER_LEASE_S``     seconds a worker's lease lasts without renewal
                                (default 30; a crashed worker's slot frees after that).
``GEOMATCH_SESSION_HOURS``      lifetime of a browser session (default 12).
``GEOMATCH_COOKIE_SECURE``      ``Secure`` session cookie: ``auto`` (when the request
                                came over HTTPS, also via ``X-Forwarded-Proto``),
                                ``always`` or ``never``.
=============================== ==========================================================

Limits are enforced before a body is read: the identity is checked first (401 without a
valid token or session), a ``Content-Length`` over the route's cap is refused with 413, and
the bytes are counted as they arrive (413 past the cap, whatever the header said). An
upload's CSV is checked while it streams: more columns, rows or longer cells than the
limits above are refused with 422 naming the limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from geomatch.settings import REPO_ROOT

__all__ = ["ServiceSettings", "get_settings"]


class ServiceSettings(BaseSettings):
    """Typed, frozen settings of one service instance."""

    model_config = SettingsConfigDict(env_prefix="GEOMATCH_", frozen=True, extra="ignore")

    database_url: str = "sqlite:///geomatch.db"
    service_home: Path = Field(default_factory=Path.cwd)
    #: Folder of the named scenarios; ``None`` = :meth:`scenario_folder`'s search.
    scenario_dir: Path | None = None
    pipeline: str = "geomatch.pipeline:run_scenario"
    load_dataset: bool = True
    #: Folder of the dataset loaded at start; empty = ``geomatch.settings.data_dir()``.
    data_dir: Path | None = None
    #: Size limit of an uploaded file, MiB.
    max_upload_mb: float = Field(default=20.0, gt=0)
    #: Limit of the total uncompressed size of a zip upload, MiB.
    max_unzipped_mb: float = Field(default=200.0, gt=0)
    #: Largest compression ratio accepted for a zip member (zip-bomb guard).
    max_zip_ratio: float = Field(default=100.0, gt=1)
    #: Size limit of a request body other than an upload, KiB.
    max_body_kb: float = Field(default=64.0, gt=0)
    #: Columns, rows and cell length of an uploaded table (checked while it streams).
    max_upload_columns: int = Field(default=200, ge=1)
    max_upload_rows: int = Field(default=2_000_000, ge=1)
    max_cell_chars: int = Field(default=10_000, ge=1)
    #: Name of the browser-session cookie (a random session id, never the API token).
    cookie_name: str = "geomatch_session"
    #: Hours a browser session lasts.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    #: ``Secure`` flag of the session cookie.
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    #: Seconds a worker's lease lasts without renewal.
    worker_lease_s: float = Field(default=30.0, ge=2)
    #: Seconds a checked token is remembered (a revoked token may work that long).
    auth_cache_s: float = Field(default=30.0, ge=0)
    #: Runs executed at the same time; more wait in the queue.
    max_workers: int = Field(default=1, ge=1, le=32)
    #: Seconds between two progress writes of a worker.
    progress_interval_s: float = Field(default=0.5, ge=0)

    def scenario_folder(self) -> Path:
        """The folder of the named scenarios.

        ``GEOMATCH_SCENARIO_DIR`` when set; else ``<service home>/scenarios`` when it exists
        (an installed package has no ``solvers/``); else the checkout's ``solvers/``.
        """
        if self.scenario_dir is not None:
            return self.scenario_dir
        home = self.service_home / "scenarios"
        return home if home.is_dir() else REPO_ROOT / "solvers"

    @property
    def runs_dir(self) -> Path:
        """Folder of the run outputs (one sub-folder per run uid, never reused)."""
        return self.service_home / "geomatch-runs"

    @property
    def uploads_dir(self) -> Path:
        """Folder of the accepted uploads (one sub-folder per dataset id)."""
        return self.service_home / "geomatch-uploads"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_kb * 1024)

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * 1024 * 1024)


def get_settings() -> ServiceSettings:
    """Settings from the current environment."""
    return ServiceSettings()
