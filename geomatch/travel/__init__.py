"""Travel model: county-seat graph (or a user road graph) and shortest-path matrices.

>>> from geomatch.travel import build_travel_model
>>> model = build_travel_model(dataset, settings)          # doctest: +SKIP
>>> m = model.matrix(lon, lat); m.km, m.minutes             # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from geomatch.model.tours_settings import ToursSettings
from geomatch.travel.geo import NearestPoints, haversine_km, haversine_matrix_km
from geomatch.travel.graph import county_graph, read_road_graph
from geomatch.travel.model import TravelMatrix, TravelModel
from geomatch.travel.terrain import DEFAULT_PROVINCE_TERRAIN, terrain_of

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = [
    "DEFAULT_PROVINCE_TERRAIN",
    "NearestPoints",
    "TravelMatrix",
    "TravelModel",
    "build_travel_model",
    "county_graph",
    "haversine_km",
    "haversine_matrix_km",
    "read_road_graph",
    "terrain_of",
]

log = logging.getLogger(__name__)


def build_travel_model(dataset: Dataset, settings: ToursSettings) -> TravelModel:
    """The run's travel model: the user road graph if the scenario names one, else the
    county graph of ``dataset.counties`` with the poor counties' seats."""
    if settings.road_graph:
        return TravelModel.from_graphml(
            settings.road_graph,
            detour_factor=settings.detour_factor,
            default_speed_kmh=settings.speed("mountain"),
        )
    seats = dataset.poor_counties
    cols = [
        c for c in ("adcode", "seat_lon", "seat_lat", "deep_poverty_area") if c in seats.columns
    ]
    g = county_graph(dataset.counties, settings, seats=seats[cols])
    return TravelModel(g, detour_factor=settings.detour_factor, name="county graph")
