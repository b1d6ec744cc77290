"""Travel model: county adjacency graph, shortest-path matrices, GraphML road graphs."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import box

from geomatch.errors import InputError
from geomatch.model.tours_settings import ToursSettings
from geomatch.settings import EARTH_RADIUS_KM
from geomatch.travel import (
    TravelModel,
    build_travel_model,
    county_graph,
    haversine_km,
    read_road_graph,
    terrain_of,
)


def grid_counties(n: int = 3, size: float = 0.5, island: bool = True) -> gpd.GeoDataFrame:
    """An n×n grid of square counties in Guizhou's latitudes, plus one far island."""
    rows = []
    for i in range(n):
        for j in range(n):
            x0, y0 = 106.0 + i * size, 26.0 + j * size
            rows.append(
                {
                    "adcode": f"52{i}{j}00",
                    "province_adcode": "520000",
                    "geometry": box(x0, y0, x0 + size, y0 + size),
                }
            )
    if island:
        rows.append(
            {
                "adcode": "460100",
                "province_adcode": "460000",
                "geometry": box(110.0, 19.0, 110.5, 19.5),
            }
        )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def hav(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Textbook haversine, written out again (independent of geomatch)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def test_haversine_known_distance() -> None:
    # Beijing – Shanghai seats, about 1067 km great-circle.
    d = float(haversine_km(116.407, 39.904, 121.473, 31.230))
    assert d == pytest.approx(hav(116.407, 39.904, 121.473, 31.230), rel=1e-12)
    assert 1060 < d < 1075


def test_county_graph_links_shared_borders_and_bridges_islands() -> None:
    s = ToursSettings(detour_factor=1.4)
    g = county_graph(grid_counties(), s)
    assert g.number_of_nodes() == 10
    # queen contiguity on a 3×3 grid: 12 rook + 8 diagonal links, plus one bridge
    border = [e for e in g.edges(data=True) if e[2]["link"] == "border"]
    bridges = [e for e in g.edges(data=True) if e[2]["link"] == "bridge"]
    assert len(border) == 20 and len(bridges) == 1
    assert nx.is_connected(g)
    assert not g.has_edge("520000", "522200")  # opposite corners do not touch
    a, b, d = next((u, v, d) for u, v, d in g.edges(data=True) if {u, v} == {"520000", "520100"})
    na, nb = g.nodes[a], g.nodes[b]
    assert d["length_km"] == pytest.approx(1.4 * hav(na["x"], na["y"], nb["x"], nb["y"]))
    # Guizhou is mountain terrain: 45 km/h on both halves
    assert d["travel_min"] == pytest.approx(60 * d["length_km"] / 45.0)


def test_matrix_equals_networkx_shortest_paths() -> None:
    s = ToursSettings()
    g = county_graph(grid_counties(4, island=False), s)
    model = TravelModel(g, detour_factor=s.detour_factor)
    codes = ["520000", "523300", "521200", "520300"]
    lon = np.array([g.nodes[c]["x"] for c in codes])
    lat = np.array([g.nodes[c]["y"] for c in codes])
    m = model.matrix(lon, lat)
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            want_km = nx.shortest_path_length(g, a, b, weight="length_km")
            want_min = nx.shortest_path_length(g, a, b, weight="travel_min")
            assert m.km[i, j] == pytest.approx(want_km, abs=1e-6)
            assert m.minutes[i, j] == pytest.approx(want_min, abs=1e-6)
    # cached: same points give the same object
    assert model.matrix(lon, lat) is m and model.hits == 1


def test_access_legs_and_same_node_points() -> None:
    s = ToursSettings(detour_factor=1.3)
    g = county_graph(grid_counties(2, island=False), s)
    model = TravelModel(g, detour_factor=1.3)
    seat = g.nodes["520000"]
    lon = np.array([seat["x"] + 0.05, seat["x"] - 0.05])
    lat = np.array([seat["y"], seat["y"]])
    m = model.matrix(lon, lat)  # both snap to the same seat: direct distance
    assert m.km[0, 1] == pytest.approx(1.3 * hav(lon[0], lat[0], lon[1], lat[1]))


def test_terrain_precedence() -> None:
    s = ToursSettings(province_terrain={"520000": "plain"}, county_terrain={"520102": "plateau"})
    assert terrain_of("520102", "520000", s) == "plateau"
    assert terrain_of("520103", "520000", s) == "plain"
    assert terrain_of("513200", "510000", s, deep_poverty_area="四省藏区") == "plateau"
    assert terrain_of("513200", "510000", ToursSettings()) == "mountain"
    assert terrain_of("999999", "990000", ToursSettings()) == "plain"


def _osmnx_like_graphml(path: Path, *, drop_length: bool = False) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    pts = {1: (106.0, 26.0), 2: (106.1, 26.0), 3: (106.1, 26.1), 4: (106.3, 26.1)}
    for n, (x, y) in pts.items():
        g.add_node(n, x=str(x), y=str(y), street_count="2")
    for u, v, speed in [(1, 2, 60), (2, 3, 40), (3, 4, 80), (1, 3, 20)]:
        km = hav(*pts[u], *pts[v]) * 1.1
        for a, b in ((u, v), (v, u)):
            attrs = {"osmid": "7", "speed_kph": str(speed)}
            if not drop_length:
                attrs["length"] = str(km * 1000)
            g.add_edge(a, b, **attrs)
    nx.write_graphml(g, path)
    return g


def test_road_graph_graphml(tmp_path: Path) -> None:
    p = tmp_path / "roads.graphml"
    _osmnx_like_graphml(p)
    g = read_road_graph(p)
    assert g.number_of_nodes() == 4 and g.number_of_edges() == 4
    model = TravelModel.from_graphml(p, detour_factor=1.2)
    m = model.matrix(np.array([106.0, 106.3]), np.array([26.0, 26.1]))
    want = nx.shortest_path_length(g, "1", "4", weight="length_km")
    assert m.km[0, 1] == pytest.approx(want)
    # time: 1→3 directly at 20 km/h is slower than 1→2→3
    t = nx.shortest_path_length(g, "1", "4", weight="travel_min")
    assert m.minutes[0, 1] == pytest.approx(t)


def test_road_graph_used_through_scenario_setting(tmp_path: Path) -> None:
    p = tmp_path / "roads.graphml"
    _osmnx_like_graphml(p)
    model = build_travel_model(object(), ToursSettings(road_graph=str(p)))
    assert model.name == "roads.graphml"


def test_road_graph_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_road_graph(tmp_path / "none.graphml")
    p = tmp_path / "bad.graphml"
    _osmnx_like_graphml(p, drop_length=True)
    with pytest.raises(InputError) as exc:
        read_road_graph(p)
    assert exc.value.column == "length" and "bad.graphml" in str(exc.value)
