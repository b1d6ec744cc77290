"""Writing results: all-or-nothing output folders, Excel-safe CSV, JSON, manifests.

Every command that writes a result folder stages the files in a hidden sibling folder
and moves them into place only when all of them are written (:func:`atomic_output_dir`).
A failed run therefore leaves no half-written output, and files already in the target
folder that the run does not rewrite are left as they were.

CSV files are written for Excel (UTF-8 with BOM) and are safe against formula
injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
gets a leading apostrophe (OWASP's recommendation). Numeric columns are untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "atomic_output_dir",
    "atomic_write_bytes",
    "file_sha256",
    "mask_personal_numbers",
    "neutralise_formulas",
    "write_csv",
    "write_json",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# 18-digit resident ID (last may be X) and 11-digit mainland mobile numbers.
_ID_RE = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{3}[\dXx])(?!\d)")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


@contextlib.contextmanager
def atomic_output_dir(out: str | Path) -> Iterator[Path]:
    """Stage a result folder and publish it only if the block succeeds.

    Parameters
    ----------
    out
        The folder the user asked for. Created if missing.

    Yields
    ------
    pathlib.Path
        A staging folder to write into. On success its files replace those of the same
        name in ``out``; on any exception it is removed and ``out`` is untouched.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    stage.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; results are for the team to read
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if not out.exists():
        os.replace(stage, out)
        return
    for src in sorted(stage.rglob("*")):
        rel = src.relative_to(stage)
        dst = out / rel
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    shutil.rmtree(stage, ignore_errors=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file through a temporary sibling and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process umask (read without changing it for longer than a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
        risky = txt.str.startswith(_FORMULA_START).fillna(False)
        if risky.any():
            out[col] = s.where(~risky, "'" + txt)
    return out


def mask_personal_numbers(df: pd.DataFrame) -> pd.DataFrame:
    """Mask resident ID numbers (``6201**********1234``) and mobile numbers in text cells."""
    out = df.copy()
    for col, s, txt in _text_columns(out):
        has = txt.str.contains(r"\d{11}", regex=True).fillna(False)
        if has.any():
            masked = txt.str.replace(
                _ID_RE, lambda m: m.group(1) + "*" * 10 + m.group(2), regex=True
            ).str.replace(_PHONE_RE, lambda m: m.group(1) + "****" + m.group(2), regex=True)
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


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset | tuple):
        return sorted(obj) if isinstance(obj, set | frozenset) else list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_json(obj: Any, path: str | Path) -> Path:
    """Write UTF-8 JSON (Chinese kept readable, keys sorted) atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=_json_default)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))
    return Path(path)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
