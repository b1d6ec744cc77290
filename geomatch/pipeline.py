"""The main job: a scenario run end to end (pairing → tours → coverage → maps).

The CLI's ``geomatch demo`` and the service's jobs both call :func:`run_scenario`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from geomatch.progress import ProgressCallback

__all__ = ["run_demo", "run_scenario"]

log = logging.getLogger(__name__)


def run_scenario(
    scenario: str | Path,
    out: str | Path,
    *,
    maps: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    """Run a scenario and write ``out/`` (all-or-nothing) and, if asked, the maps."""
    raise NotImplementedError("wired up as the stages land")


def run_demo(out: str | Path, maps: str | Path) -> Path:
    """``geomatch demo``: the national scenario on the embedded default dataset."""
    return run_scenario("national", out, maps=maps)
