"""Result files without pandas: all-or-nothing folders, atomic writes, JSON, hashes.

Every command that writes a result folder stages the files in a hidden sibling folder
and moves them into place only when all of them are written (:func:`atomic_output_dir`).
A failed run therefore leaves no half-written output, and files already in the target
folder that the run does not rewrite are left as they were.

The spreadsheet-safety rules of :mod:`geomatch.io.output` are defined here
(:data:`FORMULA_START`, :data:`PERSONAL_NUMBER_HINT`, :data:`ID_RE`, :data:`PHONE_RE`)
so that the pandas writer and the pandas-free quick pairing path apply the same ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "FORMULA_START",
    "ID_RE",
    "PERSONAL_NUMBER_HINT",
    "PHONE_RE",
    "atomic_output_dir",
    "atomic_write_bytes",
    "file_sha256",
    "json_ready",
    "write_json",
]

#: A text cell starting with one of these is run as a formula by a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A text cell with a run of 11 digits may hold a personal number and is masked with:
PERSONAL_NUMBER_HINT = re.compile(r"\d{11}")
#: 18-digit resident ID (last may be X) and 11-digit mainland mobile numbers.
ID_RE = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{3}[\dXx])(?!\d)")
PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


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


def _json_default(obj: Any) -> Any:
    if type(obj).__module__ == "numpy" and hasattr(obj, "item"):
        return obj.item()  # numpy scalars (numpy is not imported here)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset | tuple):
        return sorted(obj) if isinstance(obj, set | frozenset) else list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def json_ready(obj: Any) -> Any:
    """``obj`` as :func:`write_json` stores it and ``json.loads`` gives it back (numpy
    scalars as numbers, tuples as lists, paths as text)."""
    return json.loads(json.dumps(obj, ensure_ascii=False, default=_json_default))


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
