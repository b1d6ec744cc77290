"""Decoding and structure checks of CSV text, without pandas.

CSV files from Chinese offices come as UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8")
or GB18030/GBK (Excel's default on a Chinese Windows). :func:`decode_csv_bytes` detects
which, never guesses silently between two that both decode, and reports undecodable
bytes with their row; :func:`check_csv_structure` finds unterminated quotes, ragged rows
and duplicated headers. Both are shared by :func:`geomatch.io.tables.read_table` and the
pandas-free quick pairing path (:mod:`geomatch.solve.pairing_quick`), which takes the
parsed rows from the same pass, so the two see a file's text and structure alike.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from geomatch.errors import InputError

__all__ = ["check_csv_structure", "decode_csv_bytes"]

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


def check_csv_structure(
    text: str, path: Path, sep: str, *, keep_rows: bool = False
) -> list[list[str]]:
    """Find unterminated quotes, ragged rows and duplicated headers, with their row.

    Returns the parsed rows, header first, when ``keep_rows`` (else ``[]``: a national
    file need not be held twice, as text and as rows).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    kept: list[list[str]] = []
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
    if keep_rows:
        kept.append(header)
    row_no = 1
    try:
        for row_no, row in enumerate(reader, start=2):
            if keep_rows:
                kept.append(row)
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
    return kept


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
