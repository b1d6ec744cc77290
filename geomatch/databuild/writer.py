"""Byte-reproducible writers for the dataset files (same input → same bytes).

Parquet files are written by pyarrow with zstd compression and no timestamps; rows are
sorted by code before writing and floats are on the 1e-5° grid. Each file is written to
a temporary name and moved into place, so a failed build leaves the old file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["sha256", "write_csv", "write_geoparquet", "write_json", "write_parquet"]


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path``, moved onto ``path`` when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    yield tmp
    os.replace(tmp, path)


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as a plain frame without its geometry column (if any)."""
    return pd.DataFrame(df.drop(columns="geometry", errors="ignore"))


def write_geoparquet(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """Write a GeoDataFrame as GeoParquet 1.0 (WKB, EPSG:4326)."""
    with _replacing(path) as tmp:
        gdf.to_parquet(tmp, index=False, compression="zstd", schema_version="1.0.0")
    return path


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """Write a plain table as Parquet (lon/lat columns, no geometry)."""
    with _replacing(path) as tmp:
        _plain(df).to_parquet(tmp, index=False, compression="zstd", engine="pyarrow")
    return path


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """Write a table as UTF-8 CSV with ``\\n`` line ends."""
    with _replacing(path) as tmp:
        _plain(df).to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
    return path


def write_json(data: Any, path: Path) -> Path:
    """Write JSON with sorted keys (UTF-8, 2-space indent)."""
    with _replacing(path) as tmp:
        text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        tmp.write_text(text, encoding="utf-8")
    return path


def sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
