"""Input checks shared by the cycle's readers: every bad cell is collected and all of
them are reported in one :class:`~geomatch.errors.InputError` (file, row, column)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geomatch.errors import InputError

__all__ = ["ErrorList", "read_checked_table"]

#: At most this many errors are listed in one message.
ERROR_LIMIT = 50

TRUE = {"1", "true", "yes", "y", "是", "t"}
FALSE = {"0", "false", "no", "n", "否", "f", ""}


@dataclass
class ErrorList:
    """Collects the errors of one file; :meth:`raise_if_any` raises them together."""

    file: str | Path
    errors: list[InputError] = field(default_factory=list)

    def add(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        self.errors.append(InputError(message, file=self.file, row=row, column=column))

    def number(self, raw: object, *, row: int, column: str, minimum: float = 0.0) -> float:
        """``raw`` as a finite number ≥ ``minimum`` (records an error and returns 0)."""
        try:
            value = float(str(raw).strip())
        except ValueError:
            value = float("nan")
        if not value >= minimum or value == float("inf"):
            self.add(f"expected a number ≥ {minimum:g}, got {raw!r}", row=row, column=column)
            return 0.0
        return value

    def boolean(self, raw: object, *, row: int, column: str) -> bool:
        text = str(raw).strip().lower()
        if text in TRUE:
            return True
        if text not in FALSE:
            self.add(f"expected true/false (是/否), got {raw!r}", row=row, column=column)
        return False

    def choice(self, raw: object, allowed: tuple[str, ...], *, row: int, column: str) -> str:
        text = str(raw).strip()
        if text not in allowed:
            self.add(f"expected one of {', '.join(allowed)}, got {raw!r}", row=row, column=column)
        return text

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        if len(self.errors) == 1:
            raise self.errors[0]
        lines = [str(e) for e in self.errors[:ERROR_LIMIT]]
        if len(self.errors) > ERROR_LIMIT:
            lines.append(f"… and {len(self.errors) - ERROR_LIMIT} more")
        raise InputError(f"{len(self.errors)} errors:\n" + "\n".join(lines), file=self.file)


def read_checked_table(path: str | Path, required: tuple[str, ...]) -> pd.DataFrame:
    """A CSV/Parquet table as text columns, with the ``required`` columns present."""
    from geomatch.io.tables import read_table

    df = read_table(path)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, row=1)
    return df
