"""The commendation rules of ``solvers/commendation.toml`` as a typed object."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geomatch.errors import InputError

__all__ = ["DEFAULT_RULES_FILE", "CommendRules", "load_rules"]

#: solvers/commendation.toml beside the package in a source checkout.
DEFAULT_RULES_FILE = Path(__file__).resolve().parents[2] / "solvers" / "commendation.toml"


@dataclass(frozen=True)
class CommendRules:
    """Unit stage, national stage and publicity rules (see the TOML file's comments)."""

    deadline: dt.date
    publicity_days: int
    teams_total: int
    individuals_total: int
    categories: tuple[str, ...]
    deep_poverty_individuals_min: int
    max_teams_per_unit: int
    max_individuals_per_unit: int
    merit_decimals: int
    time_limit_s: float
    key_provinces: frozenset[str]
    key_teams: tuple[int, int]
    key_individuals: tuple[int, int]
    other_teams: tuple[int, int]
    other_individuals: tuple[int, int]

    def for_year(self, year: int) -> CommendRules:
        """The same rules with the deadline moved to ``year`` (same day and month)."""
        return dataclasses.replace(self, deadline=self.deadline.replace(year=year))

    def unit_range(self, unit: str, kind: str) -> tuple[int, int]:
        """(min, max) candidates of ``kind`` that ``unit`` recommends."""
        key = unit in self.key_provinces
        if kind == "team":
            return self.key_teams if key else self.other_teams
        return self.key_individuals if key else self.other_individuals


def _pair(raw: Any, name: str, file: Path) -> tuple[int, int]:
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int) for v in raw)):
        raise InputError(f"expected [min, max] integers, got {raw!r}", file=file, column=name)
    lo, hi = int(raw[0]), int(raw[1])
    if not 0 <= lo <= hi:
        raise InputError(f"expected 0 ≤ min ≤ max, got {raw!r}", file=file, column=name)
    return lo, hi


def load_rules(path: str | Path | None = None) -> CommendRules:
    """Read the rules (default ``solvers/commendation.toml``)."""
    file = Path(path) if path is not None else DEFAULT_RULES_FILE
    if not file.is_file():
        raise InputError("rules file not found", file=file)
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))["commendation"]
        unit = doc["unit_stage"]
        deadline = doc["deadline"]
        if isinstance(deadline, str):
            deadline = dt.date.fromisoformat(deadline)
        return CommendRules(
            deadline=deadline,
            publicity_days=int(doc["publicity_days"]),
            teams_total=int(doc["teams_total"]),
            individuals_total=int(doc["individuals_total"]),
            categories=tuple(str(c) for c in doc["categories"]),
            deep_poverty_individuals_min=int(doc["deep_poverty_individuals_min"]),
            max_teams_per_unit=int(doc["max_teams_per_unit"]),
            max_individuals_per_unit=int(doc["max_individuals_per_unit"]),
            merit_decimals=int(doc.get("merit_decimals", 2)),
            time_limit_s=float(doc.get("time_limit_s", 30.0)),
            key_provinces=frozenset(str(p) for p in unit["key_provinces"]),
            key_teams=_pair(unit["key_teams"], "key_teams", file),
            key_individuals=_pair(unit["key_individuals"], "key_individuals", file),
            other_teams=_pair(unit["other_teams"], "other_teams", file),
            other_individuals=_pair(unit["other_individuals"], "other_individuals", file),
        )
    except (KeyError, tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
        raise InputError(f"not a valid commendation rules file ({exc})", file=file) from None
