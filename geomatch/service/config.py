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
                                (default ``solvers/``).
``GEOMATCH_PIPELINE``           ``module:function`` a worker calls to run a scenario
                                (default ``geomatch.pipeline:run_scenario``).
``GEOMATCH_LOAD_DATASET``       load counties, helpers and needs of the embedded dataset
                                into an empty database at start (default true).
``GEOMATCH_MAX_UPLOAD_MB``      size limit of an upload, MiB (default 20).
``GEOMATCH_MAX_WORKERS``        runs executed at the same time (default 1); others queue.
=============================== ==========================================================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from geomatch.settings import REPO_ROOT

__all__ = ["ServiceSettings", "get_settings"]


class ServiceSettings(BaseSettings):
    """Typed, frozen settings of one service instance."""

    model_config = SettingsConfigDict(env_prefix="GEOMATCH_", frozen=True, extra="ignore")

    database_url: str = "sqlite:///geomatch.db"
    service_home: Path = Field(default_factory=Path.cwd)
    scenario_dir: Path = REPO_ROOT / "solvers"
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
    #: Name of the login cookie that carries the token for pages.
    cookie_name: str = "geomatch_token"
    #: Seconds a checked token is remembered (a revoked token may work that long).
    auth_cache_s: float = Field(default=30.0, ge=0)
    #: Runs executed at the same time; more wait in the queue.
    max_workers: int = Field(default=1, ge=1, le=32)
    #: Seconds between two progress writes of a worker.
    progress_interval_s: float = Field(default=0.5, ge=0)

    @property
    def runs_dir(self) -> Path:
        """Folder of the run outputs (one sub-folder per run id)."""
        return self.service_home / "geomatch-runs"

    @property
    def uploads_dir(self) -> Path:
        """Folder of the accepted uploads (one sub-folder per dataset id)."""
        return self.service_home / "geomatch-uploads"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * 1024 * 1024)


def get_settings() -> ServiceSettings:
    """Settings from the current environment."""
    return ServiceSettings()
