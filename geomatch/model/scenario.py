"""Scenario files (``solvers/*.toml``): one typed, frozen settings object per run.

A scenario names the dataset, the seed and the settings of each stage::

    [scenario]
    name = "national"
    description = "…"
    seed = 20161207

    [pairing]        # geomatch.model.pairing_settings.PairingSettings
    …
    [tours]          # geomatch.model.tours_settings.ToursSettings
    …

Unknown keys are errors (a typo must not be silently ignored); the error names the
file and the key.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geomatch.errors import InputError
from geomatch.model.pairing_settings import PairingSettings
from geomatch.model.tours_settings import ToursSettings
from geomatch.settings import DEFAULT_SEED, REPO_ROOT

__all__ = ["Scenario", "ScenarioInfo", "load_scenario", "scenario_path"]


class ScenarioInfo(BaseModel):
    """The ``[scenario]`` table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "national"
    description: str = ""
    seed: int = DEFAULT_SEED
    #: Folder of the dataset; empty = the embedded default (``data/``).
    data_dir: str = ""


class Scenario(BaseModel):
    """A whole scenario: metadata plus the settings of every stage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scenario: ScenarioInfo = Field(default_factory=ScenarioInfo)
    pairing: PairingSettings = Field(default_factory=PairingSettings)
    tours: ToursSettings = Field(default_factory=ToursSettings)
    #: The file it was read from (not part of the TOML).
    source: str = ""

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def data_root(self) -> Path | None:
        """Folder of the scenario's dataset; ``None`` for the embedded default.

        A relative ``data_dir`` is taken from the working directory if it exists there,
        else from the repository root (so shipped scenarios work from any folder).
        """
        data_dir = self.scenario.data_dir
        if not data_dir:
            return None
        p = Path(data_dir)
        if p.is_absolute() or p.exists():
            return p
        return REPO_ROOT / p


def scenario_path(name_or_path: str | Path) -> Path:
    """Resolve ``national`` → ``solvers/national.toml``; a path is returned as given."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        return p
    return REPO_ROOT / "solvers" / f"{name_or_path}.toml"


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario file.

    Raises
    ------
    InputError
        Missing file, TOML syntax error (with its line), or a key/value the settings
        do not accept (named as ``table.key``).
    """
    path = scenario_path(name_or_path)
    if not path.is_file():
        raise InputError(
            f"scenario file not found (named scenarios live in {REPO_ROOT / 'solvers'})",
            file=path,
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise InputError(
            f"not valid TOML ({exc})", file=path, row=int(m.group(1)) if m else None
        ) from None
    except UnicodeDecodeError:
        raise InputError("a scenario file must be UTF-8 text", file=path) from None
    try:
        return Scenario.model_validate({**raw, "source": str(path)})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise InputError(
            f"{err['msg']} (got {err.get('input')!r})", file=path, column=key
        ) from None
