"""Check administrative codes in user files against the dataset's code lists.

Counties are renamed and recoded (县→市/区, e.g. 旬阳县 610928 → 旬阳市 610981) and
spreadsheets carry stale codes. :func:`check_known_codes` lists every code that the
dataset does not know and says, where it can, which current code was meant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["as_text", "check_known_codes", "code_aliases", "county_of_code"]


def as_text(s: pd.Series) -> pd.Series:
    """``s`` as stripped strings: how codes and ids of run tables and the dataset compare."""
    return s.astype("str").str.strip()


def county_of_code(codes: pd.Series) -> pd.Series:
    """The 6-digit county adcode of township (9) or village (12) codes, or of adcodes."""
    return as_text(codes).str[:6]


def code_aliases(poor_counties: pd.DataFrame) -> dict[str, str]:
    """Old or source codes → current NBS code, from the poor-county list's code columns.

    Uses ``adcode_source`` and ``adcode_cnmaps`` where the table has them (see
    ``data/README.md``: e.g. 532600 → 532601 文山市, 610928 → 610981 旬阳市).
    """
    aliases: dict[str, str] = {}
    for col in ("adcode_source", "adcode_cnmaps"):
        if col in poor_counties.columns:
            pairs = poor_counties[[col, "adcode"]].astype(str)
            for old, new in pairs.itertuples(index=False):
                if old and old != new:
                    aliases.setdefault(old, new)
    return aliases


def check_known_codes(
    df: pd.DataFrame,
    column: str,
    known: Iterable[str],
    *,
    file: str | Path | None = None,
    what: str = "administrative code",
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`InputError` listing every code in ``df[column]`` not in ``known``.

    Empty cells are skipped (a need may come with lon/lat only). Each line names the
    row and suggests the current code when ``aliases`` knows the old one; the first
    line's place is the error's (up to :data:`geomatch.io.schema.MAX_ERRORS` lines).
    """
    from geomatch.io.schema import Problems

    if column not in df.columns:
        return
    values = df[column].astype(str).str.strip()
    unknown = (values != "") & ~values.isin(pd.Index(list(known)))
    problems = Problems(file if file is not None else df.attrs.get("source"), "needs")
    for pos in np.flatnonzero(unknown.to_numpy()):
        code = values.iloc[pos]
        hint = ""
        if aliases and code in aliases:
            hint = f"; it was renamed or recoded: use {aliases[code]}"
        elif len(code) in (9, 12):
            hint = "; check the township/village code against the NBS 2023 list"
        problems.add(
            f"unknown {what} {code!r}: not in the dataset's code list{hint}",
            row=int(pos) + 2,
            column=column,
        )
    problems.raise_any()
