"""Great-circle distances and nearest-point search on the sphere (WGS84 lon/lat in degrees)."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import BallTree

from geomatch.settings import EARTH_RADIUS_KM

__all__ = ["NearestPoints", "haversine_km", "haversine_matrix_km"]


def haversine_km(lon1: object, lat1: object, lon2: object, lat2: object) -> np.ndarray:
    """Great-circle distance in km (haversine, R = 6371.0088 km); broadcasts like numpy."""
    lo1, la1, lo2, la2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def haversine_matrix_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """All-pairs great-circle distances in km, ``(n, n)``."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])


class NearestPoints:
    """Haversine BallTree over reference points; ``query`` returns index and km."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray) -> None:
        xy = np.radians(np.column_stack([np.asarray(lat, float), np.asarray(lon, float)]))
        self._tree = BallTree(xy, metric="haversine")

    def query(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest reference point of each query point: ``(index, distance_km)``."""
        xy = np.radians(np.column_stack([np.asarray(lat, float), np.asarray(lon, float)]))
        dist, idx = self._tree.query(xy, k=1)
        return idx[:, 0], dist[:, 0] * EARTH_RADIUS_KM
