"""Uploads of helpers and needs tables: size limits, safe zip handling, validation.

An upload is a CSV (UTF-8, UTF-8 with BOM or GB18030/GBK), a GeoPackage with point
features, or a zip holding exactly one of those. It is validated exactly as the command
line validates ``helpers.csv`` / ``needs.csv`` (:data:`geomatch.io.HELPERS_SCHEMA`,
:data:`geomatch.io.NEEDS_SCHEMA`), and an error names the uploaded file (``a.zip:needs.csv``
for a zip member), the spreadsheet row and the column.

Hostile files are refused before anything is written: an upload larger than the limit
(read in chunks, never whole), a zip whose members would unpack past the size limit or
compress better than ``max_zip_ratio`` (zip bombs; sizes are enforced while reading,
whatever the headers claim), members with absolute paths, ``..`` or symbolic links, and
nested archives. Malformed archives (a bad CRC, a size header that lies, corrupt deflate
data, a compression method Python cannot read such as deflate64) are bad input, never a
server error. A CSV inside a zip goes through the same streaming shape check
(:class:`~geomatch.service.limits.CsvShapeGuard`) as a plain one while it is unpacked.
Files are only ever written under a fresh temporary folder with sanitised names.
"""

from __future__ import annotations

import io
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

import pandas as pd

from geomatch.errors import InputError
from geomatch.io.schema import HELPERS_SCHEMA, NEEDS_SCHEMA, TableSchema, validate_table
from geomatch.io.tables import read_table
from geomatch.service.limits import CsvShapeGuard

__all__ = [
    "DATA_SUFFIXES",
    "UploadKind",
    "UploadTooLargeError",
    "ValidatedUpload",
    "safe_name",
    "validate_upload",
]

UploadKind = Literal["helpers", "needs"]
#: Table formats accepted inside an upload.
DATA_SUFFIXES = (".csv", ".gpkg")
_SCHEMAS: dict[str, TableSchema] = {"helpers": HELPERS_SCHEMA, "needs": NEEDS_SCHEMA}
_MAX_MEMBERS = 50
#: What reading a damaged zip member raises (bad CRC, short data, corrupt deflate, an
#: unsupported method such as deflate64).
_ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError)
#: A streaming check for the named member (``None``: none).
GuardFactory = Callable[[str], CsvShapeGuard | None]


class UploadTooLargeError(InputError):
    """The upload (or what a zip unpacks to) is over the size limit."""


@dataclass(frozen=True)
class ValidatedUpload:
    """A validated table and where it came from."""

    kind: str
    display_name: str
    table: pd.DataFrame


def safe_name(name: str) -> str:
    """A harmless file name from a client-supplied one (no folders, no odd characters)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\-]", "_", base, flags=re.UNICODE).lstrip(".")
    return base[:120] or "upload"


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return f"member {name!r} has a path outside the archive (absolute or '..')"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"member {name!r} is a symbolic link"
    if info.flag_bits & 0x1:
        return f"member {name!r} is encrypted"
    return None


def _read_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: int,
    ratio: float,
    display: str,
    guard: CsvShapeGuard | None = None,
) -> bytes:
    try:
        return _read_checked(zf, info, budget, ratio, display, guard)
    except _ZIP_DAMAGE as exc:
        raise InputError(
            f"压缩包成员 {info.filename!r} 已损坏或无法读取 (damaged zip member: "
            f"{type(exc).__name__}: {exc})",
            file=display,
        ) from None


def _read_checked(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: int,
    ratio: float,
    display: str,
    guard: CsvShapeGuard | None,
) -> bytes:
    if info.file_size > budget:
        raise UploadTooLargeError(
            f"member {info.filename!r} unpacks to {info.file_size} bytes, over the limit",
            file=display,
        )
    if info.compress_size and info.file_size / info.compress_size > ratio:
        raise UploadTooLargeError(
            f"member {info.filename!r} is compressed {info.file_size / info.compress_size:.0f}"
            f"×, more than {ratio:.0f}× (a zip bomb?)",
            file=display,
        )
    out = bytearray()
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 16):
            if guard is not None:
                guard.feed(chunk)
            out += chunk
            # Headers can lie: enforce the limits on what is actually read.
            if len(out) > budget or (
                info.compress_size
                and len(out) / max(info.compress_size, 1) > ratio
                and len(out) > 1 << 20
            ):
                raise UploadTooLargeError(
                    f"member {info.filename!r} unpacks past the size limit (a zip bomb?)",
                    file=display,
                )
    return bytes(out)


def _unzip(
    data: bytes,
    display: str,
    max_unzipped: int,
    ratio: float,
    kind: str,
    guard_for: GuardFactory | None = None,
) -> tuple[str, bytes]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_DAMAGE as exc:
        raise InputError(f"not a readable zip archive ({exc})", file=display) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise InputError(
                f"the zip holds {len(infos)} members; at most {_MAX_MEMBERS}", file=display
            )
        for info in infos:
            problem = _member_problem(info)
            if problem:
                raise InputError(problem + "; the upload is refused", file=display)
        declared = sum(i.file_size for i in infos)
        if declared > max_unzipped:
            raise UploadTooLargeError(
                f"the zip unpacks to {declared} bytes, more than {max_unzipped}", file=display
            )
        tables = [
            i
            for i in infos
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and PurePosixPath(i.filename).suffix.lower() in DATA_SUFFIXES
        ]
        nested = [i.filename for i in infos if i.filename.lower().endswith(".zip")]
        if nested:
            raise InputError(f"nested archive {nested[0]!r}; upload the table itself", file=display)
        if len(tables) > 1:
            named = [i for i in tables if PurePosixPath(i.filename).stem.lower() == kind]
            if len(named) != 1:
                raise InputError(
                    "the zip holds several tables ("
                    + ", ".join(i.filename for i in tables[:5])
                    + f"); put one {kind}.csv or .gpkg in it",
                    file=display,
                )
            tables = named
        if not tables:
            raise InputError("the zip holds no .csv or .gpkg table", file=display)
        info = tables[0]
        member = f"{display}:{safe_name(info.filename)}"
        guard = guard_for(member) if guard_for is not None else None
        return info.filename, _read_member(zf, info, max_unzipped, ratio, display, guard)


def _layer_to_text(path: Path, display: str) -> pd.DataFrame:
    from geomatch.io.layers import read_layer

    gdf = read_layer(path)
    geoms = gdf.geometry
    if not (geoms.geom_type == "Point").all():
        bad = int((geoms.geom_type != "Point").to_numpy().argmax())
        raise InputError(
            f"feature is a {geoms.iloc[bad].geom_type}; helpers and needs are points",
            file=display,
            row=bad + 2,
            column="geometry",
        )
    df = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name, "outside_china"]))
    out = df.astype("string").fillna("").astype(object)
    if "lon" not in out.columns:
        out["lon"] = [f"{x:.7f}" for x in geoms.x]
    if "lat" not in out.columns:
        out["lat"] = [f"{y:.7f}" for y in geoms.y]
    return out


def validate_upload(
    data: bytes,
    filename: str,
    kind: str,
    *,
    max_unzipped_bytes: int,
    max_zip_ratio: float,
    guard_for: GuardFactory | None = None,
) -> ValidatedUpload:
    """Validate an uploaded helpers or needs table.

    Parameters
    ----------
    data
        The uploaded bytes (already within the upload size limit).
    filename
        The client's file name (only its sanitised base name is used).
    kind
        ``helpers`` or ``needs``.
    guard_for
        The streaming shape check of a CSV unpacked from a zip (by display name).

    Raises
    ------
    InputError
        Anything wrong, with the uploaded file name, row and column.
    UploadTooLargeError
        A zip unpacks past the limits.
    """
    if kind not in _SCHEMAS:
        raise InputError(f"unknown kind {kind!r}; expected helpers or needs", column="kind")
    display = safe_name(filename)
    suffix = Path(display).suffix.lower()
    if suffix not in (*DATA_SUFFIXES, ".zip"):
        raise InputError(
            f"unsupported file type {suffix or '(none)'!r}; upload .csv, .gpkg "
            "or a .zip holding one of them",
            file=display,
        )
    if not data:
        raise InputError("the upload is empty", file=display)
    if suffix == ".zip":
        member, data = _unzip(data, display, max_unzipped_bytes, max_zip_ratio, kind, guard_for)
        display = f"{display}:{safe_name(member)}"
        suffix = Path(member).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="geomatch-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            text = _layer_to_text(path, display) if suffix == ".gpkg" else read_table(path)
            table = validate_table(text, _SCHEMAS[kind], file=display)
        except InputError as exc:
            if exc.file is None or exc.file == str(path):
                raise type(exc)(exc.detail, file=display, row=exc.row, column=exc.column) from None
            raise
    if table.empty:
        raise InputError("the table has a header but no rows", file=display, row=2)
    return ValidatedUpload(kind=kind, display_name=display, table=table)
