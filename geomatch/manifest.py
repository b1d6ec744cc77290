"""Run manifests: what went into a result, so it can be reproduced and audited.

``manifest.json`` records the command, the scenario, every input file with its SHA-256,
the versions of geomatch and its solvers, the seed, the settings and the date. Maps and
exports show it.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from geomatch import __version__
from geomatch.io.files import file_sha256

__all__ = ["build_manifest", "package_versions"]

_PACKAGES = (
    "ortools",
    "pyvrp",
    "pyvroom",
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "networkx",
    "folium",
)


def package_versions() -> dict[str, str]:
    """Versions of geomatch, Python and the libraries that shape results."""
    out = {"geomatch": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def build_manifest(
    *,
    command: str,
    inputs: Mapping[str, str | Path],
    settings: Mapping[str, Any] | None = None,
    seed: int | None = None,
    scenario: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble a manifest.

    Parameters
    ----------
    command
        What ran (e.g. ``"geomatch pair"``).
    inputs
        Role → path of every input file (hashed here; a folder's files are hashed one by one).
    settings
        The settings in force (a scenario's ``model_dump()``).
    seed
        The random seed.
    scenario
        Scenario name.
    extra
        Anything else worth recording.
    """
    hashed: dict[str, Any] = {}
    for role, p in inputs.items():
        path = Path(p)
        if path.is_dir():
            hashed[role] = {
                str(f.relative_to(path)): file_sha256(f)
                for f in sorted(path.rglob("*"))
                if f.is_file() and not f.name.startswith(".")
            }
        elif path.is_file():
            hashed[role] = {"path": str(path), "sha256": file_sha256(path)}
        else:
            hashed[role] = {"path": str(path), "sha256": None}
    return {
        "command": command,
        "argv": sys.argv[1:],
        "scenario": scenario,
        "seed": seed,
        "inputs": hashed,
        "settings": dict(settings or {}),
        "versions": package_versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **dict(extra or {}),
    }
