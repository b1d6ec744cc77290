"""Read a reference CSV of ``data/raw`` (all columns text), naming the file when it is missing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geomatch.errors import GeomatchError

__all__ = ["read_reference_csv"]


def read_reference_csv(reference: Path, name: str) -> pd.DataFrame:
    """``reference/name`` as text columns (UTF-8, empty cells as ``''``).

    Raises
    ------
    GeomatchError
        If the file is missing, naming it and where the reference files live.
    """
    path = reference / name
    if not path.is_file():
        raise GeomatchError(
            f"reference file {path} not found: give --reference the folder with the "
            "reference CSVs (data/raw in the repository)"
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
