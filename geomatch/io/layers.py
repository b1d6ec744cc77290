"""Geographic layers at geomatch's edges: GeoPackage, GeoJSON, GeoParquet.

The CRS contract (docs/ARCHITECTURE.md §1): layers come in and go out as WGS84 lon/lat
(EPSG:4326). A layer in another CRS is transformed with a log line; a layer with no CRS
is rejected (GeoJSON, whose CRS is WGS84 by specification, is the one exception);
invalid geometries are repaired with :func:`shapely.make_valid` and a warning naming
the rows; features outside China's extent are flagged in an ``outside_china`` column.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geomatch.errors import CRSError, InputError
from geomatch.settings import CHINA_EXTENT, WGS84

__all__ = ["check_crs", "read_layer", "repair_geometries"]

log = logging.getLogger(__name__)

_SUFFIXES = {".gpkg", ".geojson", ".json", ".parquet", ".geoparquet", ".shp", ".fgb"}


def read_layer(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector layer and bring it to WGS84.

    Parameters
    ----------
    path
        ``.gpkg``, ``.geojson``/``.json``, ``.parquet`` (GeoParquet), ``.shp`` or ``.fgb``.
    layer
        Layer name inside a GeoPackage (default: the only / first layer).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, invalid geometries repaired, with a boolean ``outside_china`` column.

    Raises
    ------
    InputError
        Missing file or unreadable format.
    CRSError
        No CRS (other than GeoJSON), or a CRS that cannot be transformed to WGS84.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(
            f"unsupported layer format {suffix!r}; expected GeoPackage (.gpkg), GeoJSON or "
            "GeoParquet (.parquet)",
            file=path,
        )
    try:
        if suffix in {".parquet", ".geoparquet"}:
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio / pyarrow raise many kinds
        raise InputError(f"not a readable geographic layer ({exc})", file=path) from None
    if gdf.crs is None and suffix in {".geojson", ".json"}:
        gdf = gdf.set_crs(WGS84)  # RFC 7946: GeoJSON is WGS84 lon/lat
    gdf = check_crs(gdf, path)
    gdf = repair_geometries(gdf, path)
    gdf["outside_china"] = _outside_china(gdf)
    n_out = int(gdf["outside_china"].sum())
    if n_out:
        log.warning(
            "%s: %d feature(s) lie outside China's extent (flagged outside_china)", path, n_out
        )
    return gdf


def check_crs(gdf: gpd.GeoDataFrame, file: str | Path | None = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` in WGS84, or raise :class:`CRSError` when that is not possible."""
    if gdf.crs is None:
        raise CRSError(
            "the layer has no coordinate reference system; set one (e.g. EPSG:4326 for "
            "lon/lat, EPSG:4490 for CGCS2000) and save it again",
            file=file,
        )
    if gdf.crs.equals(WGS84):
        return gdf
    try:
        out = gdf.to_crs(WGS84)
    except Exception as exc:
        raise CRSError(
            f"the layer's CRS {gdf.crs.to_string()!r} cannot be transformed to WGS84 ({exc})",
            file=file,
        ) from None
    log.info("%s: transformed from %s to EPSG:4326", file, gdf.crs.to_string())
    return out


def repair_geometries(gdf: gpd.GeoDataFrame, file: str | Path | None = None) -> gpd.GeoDataFrame:
    """Repair invalid geometries with :func:`shapely.make_valid` and warn with their rows.

    Raises
    ------
    InputError
        When a geometry is empty or missing after repair where one is required (the row is
        named).
    """
    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        row = int(np.flatnonzero(missing)[0]) + 2
        raise InputError("feature without geometry", file=file, row=row, column="geometry")
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        rows = (np.flatnonzero(invalid) + 2).tolist()
        msg = (
            f"{file}: repaired {len(rows)} invalid geometr{'y' if len(rows) == 1 else 'ies'} "
            f"(rows {rows[:10]}{'…' if len(rows) > 10 else ''})"
        )
        log.warning(msg)
        warnings.warn(msg, stacklevel=2)
        gdf = gdf.copy()
        fixed = shapely.make_valid(geoms[invalid])
        gdf.loc[invalid, gdf.geometry.name] = fixed
    return gdf


def _outside_china(gdf: gpd.GeoDataFrame) -> np.ndarray:
    b = gdf.geometry.bounds
    e = CHINA_EXTENT
    outside = (
        (b["minx"] > e.max_lon)
        | (b["maxx"] < e.min_lon)
        | (b["miny"] > e.max_lat)
        | (b["maxy"] < e.min_lat)
    )
    mask: np.ndarray = outside.to_numpy(dtype=bool)
    return mask
