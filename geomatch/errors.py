"""Named exceptions of geomatch.

Every error a planner can meet is a :class:`GeomatchError` with a message that says
what to do. The command line maps them to exit codes: ``InputError`` → 2,
``InfeasibleError`` → 3, any other ``GeomatchError`` → 1.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CRSError",
    "DatasetMissingError",
    "GeomatchError",
    "InfeasibleError",
    "InputError",
]


class GeomatchError(Exception):
    """Base class of every error geomatch raises on purpose."""

    exit_code: int = 1


class InputError(GeomatchError):
    """A file or value given by the user is not what geomatch expects.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    file
        The file that holds the bad value (``None`` for values given on the command line).
    row
        Spreadsheet-style row number in ``file``: the header is row 1, the first data
        row is row 2. ``None`` when the problem is not tied to a row.
    column
        The column (or field / layer attribute) that holds the bad value.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.detail}" if where else self.detail


class CRSError(InputError):
    """A geographic layer has no CRS, or one geomatch cannot transform to WGS84."""


class InfeasibleError(GeomatchError):
    """The request cannot be met as asked; the message names the binding constraint."""

    exit_code = 3

    def __init__(self, message: str, *, constraint: str | None = None) -> None:
        self.constraint = constraint
        super().__init__(message)


class DatasetMissingError(GeomatchError):
    """The dataset folder (``data/`` or one the user named) is absent or incomplete.

    Exit code 2: the input the run needs is not there.
    """

    exit_code = 2
