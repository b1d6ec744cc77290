"""Coverage simplification keeps shared borders shared; dissolves match their counties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from geomatch.databuild.boundaries import inner_points, simplify_coverage
from geomatch.dataset import load_dataset
from geomatch.errors import GeomatchError


def _jagged_pair() -> np.ndarray:
    xs = np.linspace(0, 1, 201)
    border = [(float(x), 0.5 + 0.01 * np.sin(40 * x)) for x in xs]
    south = shapely.Polygon([(0, 0), (1, 0), *border[::-1]])
    north = shapely.Polygon([*border, (1, 1), (0, 1)])
    return np.array([south, north], dtype=object)


def test_shared_border_stays_shared() -> None:
    pair = _jagged_pair()
    simple = simplify_coverage(pair, 0.02)
    assert shapely.get_num_coordinates(simple).sum() < shapely.get_num_coordinates(pair).sum()
    shared = simple[0].intersection(simple[1])
    assert shapely.get_dimensions(shared) == 1
    assert shared.length > 0.99
    assert simple[0].intersection(simple[1]).area == 0
    assert shapely.coverage_is_valid(simple)
    # coordinates on the 1e-5 grid
    xy = shapely.get_coordinates(simple)
    assert np.allclose(xy, xy.round(5), atol=1e-12)


def test_overlapping_input_rejected() -> None:
    a = shapely.box(0, 0, 1, 1)
    b = shapely.box(0.5, 0, 1.5, 1)
    with pytest.raises(GeomatchError, match="coverage"):
        simplify_coverage(np.array([a, b], dtype=object), 0.01)


def test_inner_points_inside() -> None:
    ring = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 2, 2))
    xy = inner_points(np.array([ring, shapely.box(5, 5, 6, 6)], dtype=object))
    assert shapely.contains_xy(ring, *xy[0])
    assert np.allclose(xy[1], [5.5, 5.5])


def test_mini_dissolves_cover_their_counties(mini_data_dir: Path) -> None:
    ds = load_dataset(mini_data_dir, cache=False)
    prefs = ds.prefectures.set_index("adcode")
    provs = ds.provinces.set_index("adcode")
    for _, c in ds.counties.iterrows():
        assert prefs.at[c["prefecture_adcode"], "geometry"].covers(c.geometry)
        assert provs.at[c["province_adcode"], "geometry"].covers(c.geometry)
        assert prefs.at[c["prefecture_adcode"], "province_adcode"] == c["province_adcode"]
    # the five 黔东南 counties form a connected block: each touches another along a line
    poor = ds.poor_counties.drop_duplicates("adcode").geometry.to_numpy()
    for i, g in enumerate(poor):
        others = [h for j, h in enumerate(poor) if j != i]
        assert any(shapely.get_dimensions(g.intersection(h)) == 1 for h in others)
