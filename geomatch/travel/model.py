"""The travel model: distance and time matrices between any points, through a graph.

A point (a museum, a county seat, a township) is joined to the nearest graph node by an
*access leg* of ``haversine · detour_factor`` km driven at that node's speed; between
nodes the shortest path of the graph is used (shortest in km for distances, shortest in
minutes for times; both with Dijkstra on a sparse matrix). Two points on the same node
are joined directly (``haversine · detour_factor``). Matrices are cached per model
instance (one model per run), keyed by the points.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geomatch.errors import GeomatchError
from geomatch.travel.geo import NearestPoints, haversine_km

__all__ = ["TravelMatrix", "TravelModel"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Travel between points: ``km[i, j]`` and ``minutes[i, j]`` (zero diagonal)."""

    km: np.ndarray
    minutes: np.ndarray


class TravelModel:
    """Shortest-path travel over a graph with ``length_km`` / ``travel_min`` edges.

    Parameters
    ----------
    graph
        Nodes with ``x`` (lon), ``y`` (lat) and ``speed_kmh``; edges with
        ``length_km`` and ``travel_min`` (see :mod:`geomatch.travel.graph`).
    detour_factor
        Road / great-circle ratio of the access legs.
    name
        What the graph is (``county graph``, a GraphML file name) for logs and summaries.
    cache_size
        Matrices kept.
    """

    def __init__(
        self, graph: nx.Graph, *, detour_factor: float = 1.3, name: str = "", cache_size: int = 64
    ) -> None:
        if graph.number_of_nodes() == 0:
            raise GeomatchError("the travel graph has no nodes")
        self.graph = graph
        self.name = name
        self.detour_factor = float(detour_factor)
        self.nodes = list(graph.nodes)
        self._pos = {n: i for i, n in enumerate(self.nodes)}
        self.lon = np.array([graph.nodes[n]["x"] for n in self.nodes], dtype=float)
        self.lat = np.array([graph.nodes[n]["y"] for n in self.nodes], dtype=float)
        self.speed = np.array(
            [float(graph.nodes[n].get("speed_kmh", 45.0)) for n in self.nodes], dtype=float
        )
        n = len(self.nodes)
        rows, cols, km, mins = [], [], [], []
        for a, b, d in graph.edges(data=True):
            i, j = self._pos[a], self._pos[b]
            rows += [i, j]
            cols += [j, i]
            km += [float(d["length_km"])] * 2
            mins += [float(d["travel_min"])] * 2
        self._km = csr_matrix((np.maximum(km, 1e-9), (rows, cols)), shape=(n, n))
        self._min = csr_matrix((np.maximum(mins, 1e-9), (rows, cols)), shape=(n, n))
        self._near = NearestPoints(self.lon, self.lat)
        self._cache: OrderedDict[bytes, TravelMatrix] = OrderedDict()
        self._cache_size = cache_size
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_graphml(
        cls, path: str | Path, *, detour_factor: float = 1.3, default_speed_kmh: float = 45.0
    ) -> TravelModel:
        """A model over a user road graph (GraphML as osmnx writes it)."""
        from geomatch.travel.graph import read_road_graph

        g = read_road_graph(path, default_speed_kmh=default_speed_kmh)
        return cls(g, detour_factor=detour_factor, name=Path(path).name)

    def node_of(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index of the nearest graph node of each point."""
        idx, _ = self._near.query(np.asarray(lon, float), np.asarray(lat, float))
        return idx

    def matrix(self, lon: np.ndarray, lat: np.ndarray) -> TravelMatrix:
        """Distance (km) and time (minutes) between all pairs of points.

        Parameters
        ----------
        lon, lat
            Point coordinates in degrees (WGS84).
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        key = np.round(np.column_stack([lon, lat]), 6).tobytes()
        hit = self._cache.get(key)
        if hit is not None:
            self.hits += 1
            self._cache.move_to_end(key)
            return hit
        self.misses += 1
        node, _ = self._near.query(lon, lat)
        acc_km = haversine_km(lon, lat, self.lon[node], self.lat[node]) * self.detour_factor
        acc_min = 60.0 * acc_km / self.speed[node]
        uniq, inv = np.unique(node, return_inverse=True)
        dk = dijkstra(self._km, directed=False, indices=uniq)[:, uniq]
        dm = dijkstra(self._min, directed=False, indices=uniq)[:, uniq]
        if not np.isfinite(dk).all():
            raise GeomatchError(
                f"travel graph {self.name!r} is not connected between some of the points; "
                "join its components or use the county graph"
            )
        km = acc_km[:, None] + dk[inv][:, inv] + acc_km[None, :]
        minutes = acc_min[:, None] + dm[inv][:, inv] + acc_min[None, :]
        same = node[:, None] == node[None, :]
        if same.any():
            direct = (
                haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
                * self.detour_factor
            )
            sp = self.speed[node]
            direct_min = 60.0 * direct / np.minimum(sp[:, None], sp[None, :])
            km = np.where(same, direct, km)
            minutes = np.where(same, direct_min, minutes)
        np.fill_diagonal(km, 0.0)
        np.fill_diagonal(minutes, 0.0)
        out = TravelMatrix(km=km, minutes=minutes)
        self._cache[key] = out
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out
