"""Named exceptions of geomatch.

Every error a planner can meet is a :class:`GeomatchError` with a message that says
what to do, and each class has one meaning:

* :class:`InputError` (exit 2) — a file or value the user gave is wrong; names file, row
  and column; :class:`DatasetMissingError` (exit 2) — the data a run needs is not there;
* :class:`InfeasibleError` (exit 3) — *proved* infeasible as asked; names the binding
  constraint;
* :class:`SolverTimeoutError` (exit 4) — the time limit ran out before any solution was
  found; nothing is proved, a longer limit may succeed (status ``timeout``);
* :class:`AuthorizationError` — the caller may not see or change this (another province,
  a role without the right); the service answers 403. Not :class:`PermissionError`, which
  stays the operating system's "file not accessible";
* any other :class:`GeomatchError` → exit 1. A bug is not a ``GeomatchError``: it is
  raised as the built-in exception it is (``RuntimeError``, ``AssertionError``…), and the
  command line logs its traceback and exits 1.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AuthorizationError",
    "CRSError",
    "DatasetMissingError",
    "GeomatchError",
    "InfeasibleError",
    "InputError",
    "SolverTimeoutError",
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


class SolverTimeoutError(GeomatchError):
    """The solver's time limit ran out before it found any solution.

    Not a proof of infeasibility: the same model may be solved with a longer limit.
    Results that carry a status say ``timeout`` for this case.
    """

    exit_code = 4

    def __init__(self, message: str, *, time_limit_s: float | None = None) -> None:
        self.time_limit_s = time_limit_s
        super().__init__(message)


class AuthorizationError(GeomatchError):
    """The user may not read or change this resource (its province or role does not allow it).

    Parameters
    ----------
    message
        What was refused, in the planner's words.
    province
        The province scope that was refused (an adcode), if the refusal is about scope.
    """

    def __init__(self, message: str, *, province: str | None = None) -> None:
        self.province = province
        super().__init__(message)
