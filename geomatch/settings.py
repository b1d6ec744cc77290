"""Package-wide settings: where the embedded data lives, China's extent, constants.

Values that a scenario may change live in :mod:`geomatch.model.scenario`; this module
holds only what is fixed for a whole installation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CHINA_EXTENT",
    "DEFAULT_SEED",
    "EARTH_RADIUS_KM",
    "REPO_ROOT",
    "WGS84",
    "Extent",
    "data_dir",
]

#: The repository root when geomatch runs from a checkout (``pip install -e .``).
REPO_ROOT = Path(__file__).resolve().parents[1]

#: The CRS of every layer at geomatch's edges (lon/lat, degrees).
WGS84 = "EPSG:4326"

#: Mean Earth radius used for great-circle distances, in km.
EARTH_RADIUS_KM = 6371.0088

#: The seed of every random choice unless a scenario names another.
DEFAULT_SEED = 20161207  # the date of the 2016 east–west pairing guidance


@dataclass(frozen=True)
class Extent:
    """A lon/lat bounding box in degrees (WGS84)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point (degrees) lies inside the box, borders included."""
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat


#: Mainland China with Hainan and the South China Sea islands' latitudes, in degrees.
CHINA_EXTENT = Extent(min_lon=73.0, min_lat=3.0, max_lon=135.5, max_lat=53.7)


def data_dir() -> Path:
    """The folder of the embedded dataset.

    ``GEOMATCH_DATA_DIR`` overrides the default ``<repo>/data``.
    """
    env = os.environ.get("GEOMATCH_DATA_DIR")
    return Path(env) if env else REPO_ROOT / "data"
