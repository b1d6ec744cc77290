"""Read tabular input (CSV, Parquet) as text columns with precise error locations.

CSV files from Chinese offices come as UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8")
or GB18030/GBK (Excel's default on a Chinese Windows). :func:`read_table` detects which,
never guesses silently between two that both decode, and reports undecodable bytes with
their row. Values are read as strings (``""`` for an empty cell) so that validation, not
the parser, decides what a cell means: an ``adcode`` such as ``010101`` keeps its zero.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import pandas as pd

from geomatch.errors import InputError

__all__ = ["decode_csv_bytes", "read_table"]

log = logging.getLogger(__name__)

_BOMS = (("utf-8-sig", b"\xef\xbb\xbf"),)


def decode_csv_bytes(raw: bytes, file: str | Path) -> tuple[str, str]:
    """Decode the bytes of a CSV file.

    Parameters
    ----------
    raw
        The whole file.
    file
        Its name, for error messages.

    Returns
    -------
    text, encoding
        The decoded text and the encoding used (``utf-8-sig``, ``utf-8`` or ``gb18030``).

    Raises
    ------
    InputError
        When the bytes are neither UTF-8 nor GB18030; the message gives the row of the
        first bad byte.
    """
    if b"\x00" in raw:
        raise InputError(
            "this is not a text CSV file (it contains NUL bytes: a binary file, or UTF-16 "
            "'Unicode text' from Excel); save it as CSV UTF-8 (or GBK) and try again",
            file=file,
            row=raw[: raw.index(b"\x00")].count(b"\n") + 1,
        )
    for name, bom in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(name), name
            except UnicodeDecodeError as exc:
                raise _decode_error(raw, exc, file, name) from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_exc:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise _decode_error(raw, utf8_exc, file, "UTF-8 or GB18030/GBK") from None
        log.info("%s: read as GB18030/GBK (not UTF-8)", file)
        return text, "gb18030"


def _decode_error(
    raw: bytes, exc: UnicodeDecodeError, file: str | Path, expected: str
) -> InputError:
    row = raw[: exc.start].count(b"\n") + 1
    return InputError(
        f"bytes {raw[exc.start : exc.start + 4]!r} at byte {exc.start} are not valid "
        f"{expected} text; save the file as CSV UTF-8 (or GBK) and try again",
        file=file,
        row=row,
    )


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
    _check_csv_structure(text, path, sep)
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


def _check_csv_structure(text: str, path: Path, sep: str) -> None:
    """Find unterminated quotes, ragged rows and duplicated headers, with their row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"the header row is not valid CSV ({exc})", file=path, row=1) from None
    names = [h.strip() for h in header]
    seen: set[str] = set()
    for name in names:
        if name == "":
            raise InputError("the header has an empty column name", file=path, row=1)
        if name in seen:
            raise InputError(
                "the header names this column twice; column names must be unique",
                file=path,
                row=1,
                column=name,
            )
        seen.add(name)
    width = len(header)
    row_no = 1
    try:
        for row_no, row in enumerate(reader, start=2):
            if len(row) > width and any(cell.strip() for cell in row[width:]):
                raise InputError(
                    f"this row has {len(row)} fields but the header has {width}; "
                    "check for an unquoted comma",
                    file=path,
                    row=row_no,
                )
    except csv.Error as exc:
        # The csv module reports the line where it gave up; an unterminated quote
        # runs to the end of the file, so name the row where the quote opened.
        opened = _row_of_open_quote(text, sep)
        raise InputError(
            f"unterminated quote ({exc}); a field opened with '\"' never closes",
            file=path,
            row=opened if opened is not None else row_no + 1,
        ) from None
    opened = _row_of_open_quote(text, sep)
    if opened is not None:
        raise InputError(
            "unterminated quote: a field opened with '\"' never closes", file=path, row=opened
        )


def _row_of_open_quote(text: str, sep: str) -> int | None:
    """Row (1-based line of the file) where a quote opens and never closes, if any."""
    in_quote = False
    start_line = 0
    line = 1
    prev = sep
    i = 0
    n = len(text)
    # Fast path: an even number of quotes cannot leave one open.
    if text.count('"') % 2 == 0:
        return None
    while i < n:
        ch = text[i]
        if in_quote:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    in_quote = False
            elif ch == "\n":
                line += 1
        else:
            if ch == '"' and prev in (sep, "\n", "\r"):
                in_quote = True
                start_line = line
            elif ch == "\n":
                line += 1
        prev = ch
        i += 1
    return start_line if in_quote else None
