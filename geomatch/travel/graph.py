"""Travel graphs: county seats linked across shared borders, or a user road graph.

County graph
------------
One node per county-level unit at its seat (``seat_lon/seat_lat`` of the poor counties,
a point inside the polygon for the others). Two counties are linked when their polygons
share a border (they touch within ``tolerance_deg``, default 0.002° ≈ 200 m, which
absorbs the slivers of simplified coverages). An edge ``(a, b)`` has::

    length_km  = haversine(seat_a, seat_b) · detour_factor
    travel_min = 60 · (length_km / 2 / v_a + length_km / 2 / v_b)

with ``v`` the speed of each county's terrain class (:mod:`geomatch.travel.terrain`):
half the road lies in each county. Components the borders leave apart (islands such as
Hainan) are joined to the nearest seat of the rest by a ``bridge`` edge (a ferry or a
long road) with the same formula, so every pair of counties has a finite distance.

Road graph
----------
A GraphML file as osmnx writes it (``ox.save_graphml``): node attributes ``x`` (lon)
and ``y`` (lat), edge attributes ``length`` (metres) and, if present, ``travel_time``
(seconds) or ``speed_kph``. Parallel and reverse edges are merged (shortest kept); the
graph is used undirected.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from geomatch.errors import InputError
from geomatch.model.tours_settings import ToursSettings
from geomatch.travel.geo import NearestPoints, haversine_km
from geomatch.travel.terrain import terrain_of

__all__ = ["county_graph", "read_road_graph"]

log = logging.getLogger(__name__)


def _edge(
    lon: np.ndarray, lat: np.ndarray, speed: np.ndarray, i: int, j: int, detour: float
) -> tuple[float, float]:
    km = float(haversine_km(lon[i], lat[i], lon[j], lat[j])) * detour
    minutes = 60.0 * (km / 2 / speed[i] + km / 2 / speed[j])
    return km, minutes


def county_graph(
    counties: gpd.GeoDataFrame,
    settings: ToursSettings,
    *,
    seats: pd.DataFrame | None = None,
    tolerance_deg: float = 0.002,
) -> nx.Graph:
    """Graph of county seats linked across shared county borders.

    Parameters
    ----------
    counties
        Polygons with ``adcode`` and ``province_adcode`` (``deep_poverty_area``
        optional), EPSG:4326.
    settings
        Detour factor, speeds and terrain classes.
    seats
        Optional ``adcode, seat_lon, seat_lat`` (the poor counties' seats). Otherwise
        the ``seat_lon/seat_lat`` columns of ``counties`` are used where present, else a
        point inside the polygon.
    tolerance_deg
        Polygons closer than this (degrees) count as neighbours.

    Returns
    -------
    networkx.Graph
        Nodes: adcode with ``x`` (lon), ``y`` (lat), ``terrain``, ``speed_kmh``,
        ``province_adcode``. Edges: ``length_km``, ``travel_min``, ``link``
        (``border`` | ``bridge``).
    """
    if counties.crs is not None and not counties.crs.equals("EPSG:4326"):
        counties = counties.to_crs("EPSG:4326")
    df = counties.reset_index(drop=True)
    codes = df["adcode"].astype(str).to_numpy()
    pts = shapely.point_on_surface(df.geometry.to_numpy())
    lon = shapely.get_x(pts).astype(float)
    lat = shapely.get_y(pts).astype(float)
    if "seat_lon" in df.columns and "seat_lat" in df.columns:
        has = df["seat_lon"].notna().to_numpy() & df["seat_lat"].notna().to_numpy()
        lon = np.where(has, pd.to_numeric(df["seat_lon"], errors="coerce"), lon)
        lat = np.where(has, pd.to_numeric(df["seat_lat"], errors="coerce"), lat)
    if seats is not None and len(seats):
        s = seats.drop_duplicates("adcode")
        s.index = pd.Index(s["adcode"].astype(str))
        pos = {c: i for i, c in enumerate(codes)}
        for code, row in s.iterrows():
            if code in pos and pd.notna(row["seat_lon"]) and pd.notna(row["seat_lat"]):
                lon[pos[code]] = float(row["seat_lon"])
                lat[pos[code]] = float(row["seat_lat"])
    prov = df["province_adcode"].astype(str).to_numpy()
    deep = (
        df["deep_poverty_area"].fillna("").astype(str).to_numpy()
        if "deep_poverty_area" in df.columns
        else np.full(len(df), "", dtype=object)
    )
    if seats is not None and "deep_poverty_area" in seats.columns:
        dpa = dict(
            zip(seats["adcode"].astype(str), seats["deep_poverty_area"].fillna(""), strict=False)
        )
        deep = np.array(
            [dpa.get(c, d) or d for c, d in zip(codes, deep, strict=True)], dtype=object
        )
    terrain = [
        terrain_of(c, p, settings, deep_poverty_area=str(d))
        for c, p, d in zip(codes, prov, deep, strict=True)
    ]
    speed = np.array([settings.speed(t) for t in terrain], dtype=float)

    g = nx.Graph()
    for i, c in enumerate(codes):
        g.add_node(
            c, x=lon[i], y=lat[i], terrain=terrain[i], speed_kmh=speed[i], province_adcode=prov[i]
        )
    geoms = df.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance_deg)
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j:
            km, minutes = _edge(lon, lat, speed, i, j, settings.detour_factor)
            g.add_edge(codes[i], codes[j], length_km=km, travel_min=minutes, link="border")
    _bridge_components(g, codes, lon, lat, speed, settings.detour_factor)
    log.info("county graph: %d seats, %d links", g.number_of_nodes(), g.number_of_edges())
    return g


def _bridge_components(
    g: nx.Graph,
    codes: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    speed: np.ndarray,
    detour: float,
) -> None:
    """Join every component to the nearest seat outside it (largest component first)."""
    pos = {c: i for i, c in enumerate(codes)}
    while True:
        comps = sorted(nx.connected_components(g), key=len, reverse=True)
        if len(comps) <= 1:
            return
        main = np.array([pos[c] for c in comps[0]])
        tree = NearestPoints(lon[main], lat[main])
        for comp in comps[1:]:
            idx = np.array([pos[c] for c in comp])
            near, dist = tree.query(lon[idx], lat[idx])
            k = int(np.argmin(dist))
            i, j = int(idx[k]), int(main[near[k]])
            km, minutes = _edge(lon, lat, speed, i, j, detour)
            g.add_edge(codes[i], codes[j], length_km=km, travel_min=minutes, link="bridge")
        log.debug("county graph: bridged %d components", len(comps) - 1)


def read_road_graph(path: str | Path, *, default_speed_kmh: float = 45.0) -> nx.Graph:
    """Read a road graph in GraphML as osmnx writes it.

    Parameters
    ----------
    path
        ``.graphml`` file.
    default_speed_kmh
        Speed for edges with neither ``travel_time`` nor ``speed_kph``.

    Returns
    -------
    networkx.Graph
        Undirected; nodes with ``x``, ``y`` (lon/lat) and ``speed_kmh``; edges with
        ``length_km`` and ``travel_min`` (the shortest of parallel edges).

    Raises
    ------
    InputError
        Missing or unreadable file, a node without numeric ``x``/``y``, an edge without
        a numeric ``length`` (the message names the node or edge).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("road graph file not found (GraphML as osmnx writes it)", file=p)
    try:
        raw = nx.read_graphml(p)
    except Exception as exc:  # networkx raises several parser errors
        raise InputError(f"not a readable GraphML file ({exc})", file=p) from None
    g = nx.Graph()
    for n, d in raw.nodes(data=True):
        try:
            x, y = float(d["x"]), float(d["y"])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"node {n!r} needs numeric x (lon) and y (lat)", file=p, column="x/y"
            ) from None
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise InputError(
                f"node {n!r} has x={x}, y={y}: expected lon/lat degrees (EPSG:4326)",
                file=p,
                column="x/y",
            )
        g.add_node(str(n), x=x, y=y, speed_kmh=default_speed_kmh)
    for u, v, d in raw.edges(data=True):
        try:
            km = float(d["length"]) / 1000.0
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"edge {u!r}–{v!r} needs a numeric length (metres)", file=p, column="length"
            ) from None
        minutes = None
        if d.get("travel_time") not in (None, ""):
            minutes = float(d["travel_time"]) / 60.0
        elif d.get("speed_kph") not in (None, ""):
            minutes = 60.0 * km / max(float(d["speed_kph"]), 1e-6)
        if minutes is None:
            minutes = 60.0 * km / default_speed_kmh
        a, b = str(u), str(v)
        if a == b:
            continue
        if g.has_edge(a, b) and g.edges[a, b]["length_km"] <= km:
            continue
        g.add_edge(a, b, length_km=km, travel_min=minutes, link="road")
    if g.number_of_edges() == 0:
        raise InputError("the road graph has no edges", file=p)
    log.info("road graph %s: %d nodes, %d edges", p.name, g.number_of_nodes(), g.number_of_edges())
    return g
