"""Approximate township and village points: inside, spread, deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geomatch.databuild.points import township_points, village_points

# An L-shaped (non-convex) county: points must avoid the notch.
L_SHAPE = shapely.Polygon(
    [(100, 30), (101, 30), (101, 30.4), (100.4, 30.4), (100.4, 31), (100, 31)]
)


def _county() -> pd.DataFrame:
    seat = shapely.maximum_inscribed_circle(L_SHAPE, 0.001)
    x, y = shapely.get_coordinates(seat)[0]
    return pd.DataFrame({"geometry": [L_SHAPE], "seat_lon": [x], "seat_lat": [y]}, index=["123456"])


def _units(n_towns: int = 8, per_town: int = 12) -> tuple[pd.DataFrame, pd.DataFrame]:
    towns = pd.DataFrame(
        {"code": [f"123456{100 + i:03d}" for i in range(n_towns)], "county_adcode": "123456"}
    )
    villages = pd.DataFrame(
        {
            "code": [f"{t}{200 + j:03d}" for t in towns["code"] for j in range(per_town)],
            "township_code": [t for t in towns["code"] for _ in range(per_town)],
            "county_adcode": "123456",
        }
    )
    return towns, villages


def test_township_points_inside_spread_deterministic() -> None:
    counties = _county()
    towns, _ = _units()
    a = township_points(towns, counties, seed=1)
    b = township_points(towns, counties, seed=1)
    c = township_points(towns, counties, seed=2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert shapely.contains_xy(L_SHAPE, a[:, 0], a[:, 1]).all()
    assert np.array_equal(a, a.round(5))
    d = np.sqrt(((a[:, None] - a[None]) ** 2).sum(axis=2))
    d[np.eye(len(a), dtype=bool)] = np.inf
    # spread: 8 points in an area of 0.64 deg²; a k-means layout keeps them apart
    assert d.min() > 0.1
    # the lowest code sits nearest the seat
    seat = counties[["seat_lon", "seat_lat"]].to_numpy()[0]
    dist = np.sqrt(((a - seat) ** 2).sum(axis=1))
    assert dist.argmin() == 0


def _placed_towns() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The test county, its townships placed (``lon, lat``, seed 3), villages, the points."""
    counties = _county()
    towns, villages = _units()
    xy = township_points(towns, counties, seed=3)
    towns["lon"], towns["lat"] = xy[:, 0], xy[:, 1]
    return counties, towns, villages, xy


def test_village_points_near_own_township() -> None:
    counties, towns, villages, xy = _placed_towns()
    v = village_points(villages, towns, counties, seed=3)
    assert np.array_equal(v, village_points(villages, towns, counties, seed=3))
    assert shapely.contains_xy(L_SHAPE, v[:, 0], v[:, 1]).all()
    d = ((v[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    own = np.repeat(np.arange(len(towns)), 12)
    assert (d.argmin(axis=1) == own).mean() > 0.9


def test_village_points_do_not_depend_on_row_order() -> None:
    counties, towns, villages, _ = _placed_towns()
    v = village_points(villages, towns, counties, seed=3)
    shuffled = villages.sample(frac=1.0, random_state=0)
    vs = village_points(shuffled, towns, counties, seed=3)
    back = pd.DataFrame(vs, index=shuffled.index).sort_index().to_numpy()
    assert np.array_equal(v, back)
