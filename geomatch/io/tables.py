"""Read tabular input (CSV, Parquet) as text columns with precise error locations.

CSV files from Chinese offices come as UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8")
or GB18030/GBK (Excel's default on a Chinese Windows). :func:`read_table` detects which,
never guesses silently between two that both decode, and reports undecodable bytes with
their row. Values are read as strings (``""`` for an empty cell) so that validation, not
the parser, decides what a cell means: an ``adcode`` such as ``010101`` keeps its zero.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from geomatch.errors import InputError
from geomatch.io.csvtext import check_csv_structure, decode_csv_bytes

__all__ = ["decode_csv_bytes", "read_table"]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet table with every column as text.

    Parameters
    ----------
    path
        ``.csv`` (any of the encodings above, comma separated, ``"`` quoting) or
        ``.parquet``.

    Returns
    -------
    pandas.DataFrame
        String columns (``""`` for empty cells). Header names are stripped of spaces.
        ``df.attrs["source"]`` holds the path and ``df.attrs["encoding"]`` the encoding.

    Raises
    ------
    InputError
        Missing or unreadable file, wrong encoding, an unterminated quote, a row with more
        fields than the header, or duplicated header names.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many kinds
            raise InputError(f"not a readable Parquet file ({exc})", file=path) from None
        df = df.astype("string").fillna("").astype(object)
        df.attrs.update(source=str(path), encoding="parquet")
        return df
    if suffix not in {".csv", ".txt", ".tsv"}:
        raise InputError(
            f"unsupported table format {suffix!r}; expected .csv or .parquet", file=path
        )
    text, encoding = decode_csv_bytes(path.read_bytes(), path)
    if not text.strip():
        raise InputError("the file is empty; expected a header row", file=path, row=1)
    sep = "\t" if suffix == ".tsv" else ","
    check_csv_structure(text, path, sep)
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:  # pragma: no cover - pre-checked
        raise InputError(f"not a readable CSV file ({exc})", file=path) from None
    df.columns = [str(c).strip() for c in df.columns]
    df.attrs.update(source=str(path), encoding=encoding)
    return df
