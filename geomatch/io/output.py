"""Writing results: Excel-safe CSV from tables (and, re-exported from
:mod:`geomatch.io.files`, all-or-nothing output folders, atomic writes and JSON).

CSV files are written for Excel (UTF-8 with BOM) and are safe against formula
injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
gets a leading apostrophe (OWASP's recommendation). Numeric columns are untouched.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from pathlib import Path

import pandas as pd

from geomatch.io.files import (
    FORMULA_START,
    ID_RE,
    PERSONAL_NUMBER_HINT,
    PHONE_RE,
    atomic_output_dir,
    atomic_write_bytes,
    file_sha256,
    write_json,
)

__all__ = [
    "atomic_output_dir",
    "atomic_write_bytes",
    "file_sha256",
    "mask_personal_numbers",
    "neutralise_formulas",
    "write_csv",
    "write_json",
]


def _text_columns(df: pd.DataFrame) -> Iterator[tuple[Hashable, pd.Series, pd.Series]]:
    """The text columns of ``df``: name, values, and values as pandas strings."""
    for col in df.columns:
        s = df[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            yield col, s, s.astype("string")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with ``'``.

    Numbers (including negative numbers stored as numbers) are left alone; only text
    cells are changed. Returns a copy.
    """
    out = df.copy()
    for col, s, txt in _text_columns(out):
        risky = txt.str.startswith(FORMULA_START).fillna(False)
        if risky.any():
            out[col] = s.where(~risky, "'" + txt)
    return out


def mask_personal_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """Mask resident ID numbers (``6201**********1234``) and mobile numbers in text cells."""
    out = df.copy()
    for col, s, txt in _text_columns(out):
        has = txt.str.contains(PERSONAL_NUMBER_HINT.pattern, regex=True).fillna(False)
        if has.any():
            masked = txt.str.replace(
                ID_RE, lambda m: m.group(1) + "*" * 10 + m.group(2), regex=True
            ).str.replace(PHONE_RE, lambda m: m.group(1) + "****" + m.group(2), regex=True)
            out[col] = s.where(~has, masked)
    return out


def write_csv(df: pd.DataFrame, path: str | Path, *, excel: bool = True) -> Path:
    """Write a table as CSV.

    Parameters
    ----------
    df
        The table.
    path
        Target file; written atomically.
    excel
        UTF-8 with BOM, formulas neutralised and personal numbers masked (default). With
        ``False`` plain UTF-8, values as they are (for machine-to-machine files).
    """
    if excel:
        df = mask_personal_numbers(neutralise_formulas(df))
    text = df.to_csv(index=False, lineterminator="\n")
    data = ("\ufeff" + text if excel else text).encode("utf-8")
    atomic_write_bytes(path, data)
    return Path(path)
