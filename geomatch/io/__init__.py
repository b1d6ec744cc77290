"""Reading, validating and writing files at geomatch's edges.

* :mod:`geomatch.io.csvtext` — decoding (UTF-8 / UTF-8 with BOM / GB18030) and structure
  checks of CSV text, without pandas;
* :mod:`geomatch.io.tables` — CSV and Parquet read as text columns, with errors that
  name file, row and column;
* :mod:`geomatch.io.schema` — column specifications and vectorised validation of the
  generic ``helpers.csv``, ``needs.csv`` and ``arcs.csv`` files;
* :mod:`geomatch.io.layers` — GeoPackage / GeoJSON / GeoParquet layers and the CRS
  contract (WGS84 at the edges);
* :mod:`geomatch.io.files` — all-or-nothing output folders, atomic writes, JSON, hashes,
  without pandas; :mod:`geomatch.io.output` — Excel-safe CSV.
"""

from __future__ import annotations

from geomatch.io.files import atomic_output_dir, file_sha256, write_json
from geomatch.io.output import write_csv
from geomatch.io.schema import (
    ARCS_SCHEMA,
    HELPERS_SCHEMA,
    NEEDS_SCHEMA,
    Column,
    TableSchema,
    read_arcs,
    read_helpers,
    read_needs,
    validate_table,
)
from geomatch.io.tables import read_table

__all__ = [
    "ARCS_SCHEMA",
    "HELPERS_SCHEMA",
    "NEEDS_SCHEMA",
    "Column",
    "TableSchema",
    "atomic_output_dir",
    "file_sha256",
    "read_arcs",
    "read_helpers",
    "read_needs",
    "read_table",
    "validate_table",
    "write_csv",
    "write_json",
]
