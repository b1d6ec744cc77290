"""Web geometry: coverage simplification keeps shared borders; JSON safe inside <script>."""

from __future__ import annotations

import json

import numpy as np
import shapely

from geomatch.render.geometry import feature_collection, js_json, rounded, simplify_cover


def test_simplified_counties_still_tile(fixture_ds: object):
    counties = fixture_ds.counties  # type: ignore[attr-defined]
    gz = counties[counties["province_adcode"] == "520000"]
    assert shapely.coverage_is_valid(gz.geometry.to_numpy())
    simple = simplify_cover(gz, 0.01)
    geoms = simple.geometry.to_numpy()
    assert shapely.coverage_is_valid(geoms)  # no overlaps: borders moved together
    assert (
        shapely.get_num_coordinates(geoms).sum()
        < shapely.get_num_coordinates(gz.geometry.to_numpy()).sum()
    )
    # Neighbours still share a border line (no gap opened between them).
    orig = gz.geometry.to_numpy()
    pairs = [
        (i, j)
        for i in range(len(orig))
        for j in range(i + 1, len(orig))
        if shapely.intersection(orig[i], orig[j]).length > 0
    ]
    assert pairs, "the fixture's counties are neighbours"
    for i, j in pairs:
        assert shapely.intersection(geoms[i], geoms[j]).length > 0
    area0 = shapely.area(shapely.union_all(gz.geometry.to_numpy()))
    area1 = shapely.area(shapely.union_all(geoms))
    assert abs(area1 - area0) / area0 < 0.02


def test_rounding_and_compact_features(fixture_ds: object):
    pc = fixture_ds.poor_counties  # type: ignore[attr-defined]
    fc = feature_collection(pc, {"a": "adcode", "n": "name"}, decimals=4)
    assert len(fc["features"]) == len(pc)
    coords = np.array(shapely.get_coordinates(rounded(pc.geometry.to_numpy(), 4)))
    assert np.allclose(coords, np.round(coords, 4))
    text = json.dumps(fc["features"][0]["geometry"])
    assert all(len(x.split(".")[-1]) <= 4 for x in text.replace("]", ",").split(",") if "." in x)


def test_js_json_cannot_close_the_script():
    payload = {"n": "</script><script>alert(1)</script>", "m": "a & b <!-- c", "u": "\u2028"}
    text = js_json(payload)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text
    assert json.loads(text) == payload
