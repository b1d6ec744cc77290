"""Light geometry for web maps: coverage simplification, rounded coordinates, compact JSON.

County polygons are simplified together with :func:`shapely.coverage_simplify`, so that
borders shared by two counties stay shared (no slivers, no gaps), then their coordinates
are rounded (4 decimals of a degree ≈ 11 m, far below the simplification tolerance).
Tolerances are in degrees of the WGS84 lon/lat the maps draw in; they only shape the
drawing, never a distance.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from geomatch.errors import DatasetMissingError

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = [
    "feature_collection",
    "js_json",
    "load_context_layers",
    "rounded",
    "simplify_cover",
]

log = logging.getLogger(__name__)


def simplify_cover(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify polygons that tile the plane together, keeping shared borders.

    Parameters
    ----------
    gdf
        Polygons (EPSG:4326) that do not overlap, e.g. counties.
    tolerance
        Simplification tolerance in degrees (0 = unchanged).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with simplified geometries. If the input is not a valid coverage the
        polygons are simplified one by one (topology preserved per polygon) and a debug
        line says so.
    """
    out = gdf.copy()
    if tolerance <= 0 or out.empty:
        return out
    geoms = out.geometry.to_numpy()
    try:
        simplified = shapely.coverage_simplify(geoms, tolerance)
    except Exception as exc:  # GEOS raises on an invalid coverage
        log.debug("coverage_simplify failed (%s); simplifying polygons one by one", exc)
        simplified = shapely.simplify(geoms, tolerance, preserve_topology=True)
    out = out.set_geometry(gpd.GeoSeries(simplified, index=out.index, crs=out.crs))
    return out


def rounded(geoms: np.ndarray | Sequence[Any], decimals: int = 4) -> np.ndarray:
    """Geometries with coordinates rounded to ``decimals`` (degrees)."""
    arr = np.asarray(geoms, dtype=object)
    return shapely.transform(arr, lambda c: np.round(c, decimals))


def feature_collection(
    gdf: gpd.GeoDataFrame,
    props: Mapping[str, str],
    *,
    decimals: int = 4,
) -> dict[str, Any]:
    """A compact GeoJSON FeatureCollection.

    Parameters
    ----------
    gdf
        Features (EPSG:4326).
    props
        Short property name in the output → column of ``gdf``.
    decimals
        Coordinate decimals (degrees).
    """
    geoms = rounded(gdf.geometry.to_numpy(), decimals)
    features = []
    cols = {short: gdf[col].tolist() for short, col in props.items()}
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        p = {short: _plain(vals[i]) for short, vals in cols.items()}
        features.append(
            {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
        )
    return {"type": "FeatureCollection", "features": features}


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating | float):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def js_json(obj: Any) -> str:
    """JSON safe to embed in an HTML ``<script>``: compact, UTF-8, ``<`` escaped.

    Escaping ``<`` as ``\\u003c`` keeps any ``</script>`` or ``<!--`` inside a name from
    ending the script block; the browser's JSON parser restores the character.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def load_context_layers(dataset: Dataset) -> gpd.GeoDataFrame:
    """The context layer of the national maps (台湾/香港/澳门, 南海诸岛, the nine-dash line).

    Read from the dataset's folder (``dataset.root``) and, for datasets without one (test
    fixtures, a user's own dataset), from the embedded dataset: the layer is national and
    the same for every scenario. Columns ``kind`` (``outside``, ``islands``,
    ``nine_dash``), ``name`` and the geometry (EPSG:4326), as written by
    :mod:`geomatch.databuild.context_layers`.

    Raises
    ------
    DatasetMissingError
        When neither folder holds the file (a national map without 台湾 and the 南海诸岛
        cannot be published); ``geomatch data build`` writes it.
    """
    from geomatch.databuild.context_layers import CONTEXT_FILE
    from geomatch.settings import data_dir

    roots = [Path(str(r)) for r in (getattr(dataset, "root", None), data_dir()) if r]
    for root in roots:
        path = root / CONTEXT_FILE
        if path.is_file():
            return gpd.read_parquet(path)
    raise DatasetMissingError(
        f"{CONTEXT_FILE} (台湾 and the 南海诸岛 of the national maps) is missing from "
        f"{', '.join(str(r) for r in roots)}: rebuild the dataset with `geomatch data build`"
    )
