"""Column specifications and vectorised validation of input tables.

A :class:`TableSchema` lists :class:`Column` specs. :func:`validate_table` checks a text
frame from :func:`geomatch.io.tables.read_table` column by column with vectorised pandas
operations (fast on 128,000-row national files) and raises an :class:`InputError` that
names the file, the first offending row (header = row 1) and the column, says what was
expected and quotes the bad value. It returns a typed copy; the input frame is untouched.

The generic pairing files (docs/ARCHITECTURE.md §0):

================ ============================== ==========================================
file             required columns               optional columns (typed when present)
================ ============================== ==========================================
``helpers.csv``  ``helper_id`` (unique),        ``name``, ``kind``, ``lon``, ``lat`` (deg),
                 ``capacity`` (int ≥ 0)         ``specialty``, ``level``, ``languages``,
                                                ``province_adcode``, ``institution``, …
``needs.csv``    ``need_id`` (unique)           ``adcode``, ``lon``, ``lat``, ``category``,
                                                ``size``, ``priority``, ``unmet_penalty``
                                                (int ≥ 0), ``language``, …
``arcs.csv``     ``helper_id``, ``need_id``,    ``load`` (int ≥ 1, default 1)
                 ``cost`` (int)
================ ============================== ==========================================

Columns not in a schema are kept as text, so nothing the user gave is lost.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from geomatch.errors import InputError
from geomatch.io.tables import read_table
from geomatch.model.categories import PRIORITIES
from geomatch.settings import CHINA_EXTENT

__all__ = [
    "ARCS_SCHEMA",
    "HELPERS_SCHEMA",
    "NEEDS_SCHEMA",
    "PRIORITIES",
    "TRUE_TEXT",
    "Column",
    "Problems",
    "TableSchema",
    "read_arcs",
    "read_helpers",
    "read_needs",
    "validate_table",
]

Kind = Literal["str", "int", "float", "lon", "lat", "adcode", "bool", "date"]


_INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Column:
    """One column's contract.

    Parameters
    ----------
    name
        Column name in the file.
    kind
        ``str``; ``int`` (whole number); ``float``; ``lon``/``lat`` (WGS84 degrees, checked
        against China's extent); ``adcode`` (6, 9 or 12 digits, GB/T 2260 / NBS);
        ``bool`` (``1/0``, ``true/false``, ``yes/no``, ``是/否``); ``date`` (ISO 8601
        ``YYYY-MM-DD``, kept as that text).
    required
        The column must exist.
    nullable
        Empty cells are allowed (they become ``NA``; ``default`` fills them when given).
    unique
        No two rows may share a value.
    min, max
        Inclusive numeric bounds.
    choices
        Allowed values of a text column.
    default
        Value for an absent column or an empty cell.
    description
        Meaning and unit, shown in errors and docs.
    label
        The Chinese label planners read (export headers with ``--labels zh``).
    """

    name: str
    kind: Kind = "str"
    required: bool = False
    nullable: bool = True
    unique: bool = False
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    default: object | None = None
    description: str = ""
    label: str = ""
    #: ``"category"``: values are read through the category vocabulary
    #: (:func:`geomatch.model.categories.canonical_category`) and stored as codes.
    vocabulary: str | None = None


@dataclass(frozen=True)
class TableSchema:
    """A named list of column contracts."""

    name: str
    columns: tuple[Column, ...]
    #: Columns that must be filled together (both or neither), e.g. ``("lon", "lat")``.
    together: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    #: Other headers accepted for a column (Chinese headers): alias → column name.
    aliases: Mapping[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


HELPERS_SCHEMA = TableSchema(
    "helpers",
    (
        Column(
            "helper_id", required=True, nullable=False, unique=True, description="unique helper id"
        ),
        Column(
            "capacity",
            "int",
            required=True,
            nullable=False,
            min=0,
            description="how many needs (loads) the helper can take, int ≥ 0",
        ),
        Column("name"),
        Column("kind", description="expert | society | association | university | enterprise"),
        Column("lon", "lon", description="longitude of the home location, WGS84 degrees"),
        Column("lat", "lat", description="latitude of the home location, WGS84 degrees"),
        Column("specialty", vocabulary="category"),
        Column("level", choices=("senior", "intermediate", "junior", "")),
        Column("languages", description="';'-separated ISO 639-1 codes, e.g. 'zh;bo'"),
        Column("province_adcode", "adcode"),
        Column("institution"),
    ),
    together=(("lon", "lat"),),
    aliases={
        "专家编号": "helper_id",
        "帮扶方编号": "helper_id",
        "编号": "helper_id",
        "容量": "capacity",
        "可帮扶数": "capacity",
        "姓名": "name",
        "名称": "name",
        "类型": "kind",
        "经度": "lon",
        "纬度": "lat",
        "专长": "specialty",
        "专业": "specialty",
        "职称": "level",
        "语言": "languages",
        "省份代码": "province_adcode",
        "单位": "institution",
    },
)

NEEDS_SCHEMA = TableSchema(
    "needs",
    (
        Column("need_id", required=True, nullable=False, unique=True, description="unique need id"),
        Column("adcode", "adcode", description="county (6-digit) code of the need"),
        Column("lon", "lon", description="longitude, WGS84 degrees"),
        Column("lat", "lat", description="latitude, WGS84 degrees"),
        Column("category", vocabulary="category"),
        Column("size", "float", min=0, description="size of the need (days or head-count)"),
        Column("priority", choices=(*PRIORITIES, "")),
        Column(
            "unmet_penalty", "int", min=0, description="cost of leaving the need unpaired, int ≥ 0"
        ),
        Column("language", description="ISO 639-1 code a helper must speak, e.g. 'bo'"),
        Column(
            "province",
            description="province name, e.g. 甘肃省 (groups the shortfall where adcode is empty)",
        ),
        Column("county", description="county name, e.g. 东乡族自治县 (as province)"),
    ),
    together=(("lon", "lat"),),
    aliases={
        "省": "province",
        "省份": "province",
        "省名": "province",
        "省份名称": "province",
        "所在省": "province",
        "县": "county",
        "县名": "county",
        "县区": "county",
        "区县": "county",
        "县名称": "county",
        "所在县": "county",
        "县(市、区)": "county",
        "县（市、区）": "county",
        "需求编号": "need_id",
        "编号": "need_id",
        "县代码": "adcode",
        "区划代码": "adcode",
        "行政区划代码": "adcode",
        "经度": "lon",
        "纬度": "lat",
        "类别": "category",
        "产业类别": "category",
        "规模": "size",
        "优先级": "priority",
        "未满足罚金": "unmet_penalty",
        "语言": "language",
    },
)

ARCS_SCHEMA = TableSchema(
    "arcs",
    (
        Column("helper_id", required=True, nullable=False),
        Column("need_id", required=True, nullable=False),
        Column(
            "cost", "int", required=True, nullable=False, description="integer cost of the pair"
        ),
        Column(
            "load",
            "int",
            min=1,
            default=1,
            description="capacity the pair uses, int ≥ 1 (default 1)",
        ),
    ),
    aliases={"专家编号": "helper_id", "需求编号": "need_id", "成本": "cost", "负荷": "load"},
)

#: At most this many problems are listed in one :class:`InputError` (per file).
MAX_ERRORS = 50
#: At most this many rows are listed per column and check.
_MAX_ROWS_PER_CHECK = 10

#: Cell texts read as "yes" (lower case); every other text of a yes/no column is "no".
TRUE_TEXT = frozenset({"1", "true", "yes", "y", "t", "是", "true."})
_FALSE = {"0", "false", "no", "n", "f", "否", ""}


def _first_bad(mask: pd.Series | np.ndarray, index: pd.Index) -> int | None:
    arr = np.asarray(mask, dtype=bool)
    if not arr.any():
        return None
    pos = int(np.argmax(arr))
    return int(index[pos])


def _row_of(pos_label: int) -> int:
    """Spreadsheet row of a 0-based data row (header is row 1)."""
    return pos_label + 2


class _ColumnCheckError(Exception):
    """A check of one column failed (its rows are recorded); move to the next column."""


class Problems:
    """Every problem found in one file, reported together (up to :data:`MAX_ERRORS`)."""

    def __init__(self, file: str | Path | None, what: str) -> None:
        self.file, self.what = file, what
        self.items: list[InputError] = []
        self.more = 0

    def add(self, message: str, *, row: int | None, column: str | None) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(InputError(message, file=self.file, row=row, column=column))
        else:
            self.more += 1

    def raise_any(self) -> None:
        """Raise one :class:`InputError` listing them all in row order (the first names
        the place)."""
        if not self.items:
            return
        self.items.sort(key=lambda e: e.row if e.row is not None else 0)
        first = self.items[0]
        if len(self.items) == 1:
            raise first
        lines = "\n".join(f"  row {e.row}, column {e.column!r}: {e.detail}" for e in self.items)
        more = f"\n  … and {self.more} more" if self.more else ""
        raise InputError(
            f"{len(self.items) + self.more} problems in the {self.what} file:\n{lines}{more}",
            file=self.file,
            row=first.row,
            column=first.column,
        )


def _rename_aliases(df: pd.DataFrame, schema: TableSchema, problems: Problems) -> pd.DataFrame:
    """Chinese (alias) headers to column names; an alias beside its column is an error."""
    names = {c.name for c in schema.columns}
    rename: dict[str, str] = {}
    for header in df.columns:
        key = str(header).strip()
        target = schema.aliases.get(key, key if key in names else None)
        if target is None or target == header:
            continue
        if target in df.columns or target in rename.values():
            problems.add(
                f"header {header!r} means {target!r}, which is given already",
                row=1,
                column=str(header),
            )
            continue
        rename[header] = target
    return df.rename(columns=rename) if rename else df


def _header_hint(missing: str, headers: Iterable[object], schema: TableSchema) -> str:
    """ "; did you mean …" for a missing column: the headers that are neither a column nor
    an alias of the schema and look like its name or one of its aliases (a typo such as
    ``经读`` for ``经度``); ``""`` when none does."""
    spellings = [missing, *(a for a, target in schema.aliases.items() if target == missing)]
    known = {c.name for c in schema.columns} | set(schema.aliases)
    near = [
        f"{h!r} for {close[0]!r}"
        for h in map(str, headers)
        if h.strip() not in known
        and (close := difflib.get_close_matches(h.strip(), spellings, n=1, cutoff=0.5))
    ]
    return f"; did you mean {' or '.join(near)}?" if near else ""


def validate_table(
    df: pd.DataFrame,
    schema: TableSchema,
    *,
    file: str | Path | None = None,
    allow_unknown: bool = False,
) -> pd.DataFrame:
    """Check a text table against a schema and return a typed copy.

    Parameters
    ----------
    df
        A frame of strings as :func:`read_table` returns (a default ``RangeIndex``).
        Headers may be the schema's aliases (Chinese headers, :attr:`TableSchema.aliases`).
    schema
        The contract.
    file
        Name used in error messages (defaults to ``df.attrs["source"]``).
    allow_unknown
        A value the category vocabulary does not know is kept as its own class (it
        matches only itself) instead of being an error.

    Returns
    -------
    pandas.DataFrame
        Same rows; columns renamed from aliases; schema columns converted (``Int64``,
        ``float64``, ``boolean``, stripped text, category codes); absent optional columns
        with a default added.

    Raises
    ------
    InputError
        Listing every problem found (up to :data:`MAX_ERRORS`; the first names file, row
        and column): a missing required column, an empty required cell, a value of the
        wrong type, out of bounds or not among the choices or the vocabulary (with the
        known values and a "did you mean"), a duplicate id, a lon/lat outside China's
        extent or given without its partner.
    """
    file = file if file is not None else df.attrs.get("source")
    problems = Problems(file, schema.name)
    out = _rename_aliases(df.copy(), schema, problems)
    out.index = pd.RangeIndex(len(out))
    for name in [c.name for c in schema.columns if c.required and c.name not in out.columns]:
        problems.add(
            f"required column missing; the {schema.name} file needs columns "
            f"{', '.join(c.name for c in schema.columns if c.required)} "
            f"(found: {', '.join(map(str, out.columns)) or 'none'})"
            f"{_header_hint(name, out.columns, schema)}",
            row=1,
            column=name,
        )
    for col in schema.columns:
        if col.name not in out.columns:
            if col.default is not None:
                out[col.name] = col.default
            continue
        try:
            out[col.name] = _convert(out[col.name], col, problems, allow_unknown)
        except _ColumnCheckError:
            continue
    _check_together(out, schema, problems)
    problems.raise_any()
    out.attrs.update(df.attrs)
    return out


def _check_together(out: pd.DataFrame, schema: TableSchema, problems: Problems) -> None:
    for group in schema.together:
        present = [c for c in group if c in out.columns]
        if len(present) == len(group):
            filled = pd.concat([out[c].notna() for c in group], axis=1)
            partial = (filled.any(axis=1) & ~filled.all(axis=1)).to_numpy()
            for bad in np.flatnonzero(partial)[:_MAX_ROWS_PER_CHECK].tolist():
                empty = next(c for c in group if not filled.iat[bad, group.index(c)])
                problems.add(
                    f"{' and '.join(group)} must be given together; this row has only some",
                    row=_row_of(bad),
                    column=empty,
                )
        elif present:
            absent = [c for c in group if c not in present]
            hints = "".join(_header_hint(c, out.columns, schema) for c in absent)
            problems.add(
                f"column {present[0]!r} needs its partner(s) {', '.join(absent)}{hints}",
                row=1,
                column=present[0],
            )


def _known_categories() -> str:
    from geomatch.model.categories import CATEGORY_ZH

    return ", ".join(f"{code} ({zh})" for code, zh in CATEGORY_ZH.items())


def _vocabulary(out: pd.Series, allow_unknown: bool, reject: _Reject) -> pd.Series:
    """Category words (codes, Chinese labels, synonyms) to codes."""
    from geomatch.model.categories import canonical_category, category_suggestions

    uniq = pd.unique(out.to_numpy(dtype=object))
    codes = {v: canonical_category(str(v)) for v in uniq}
    mapped = out.map(codes)
    unknown = mapped.isna()
    if allow_unknown:
        return mapped.where(~unknown, out).astype(object)

    def message(i: int) -> str:
        hint = category_suggestions(str(out.iloc[i]))
        mean = f"; did you mean {' or '.join(hint)}?" if hint else ""
        return (
            f"unknown value {out.iloc[i]!r}{mean} Known values: {_known_categories()} "
            "and their synonyms (README, Vocabularies); --allow-unknown keeps it as its "
            "own class"
        )

    reject(unknown.to_numpy(), message)
    return mapped.astype(object)


def _convert(
    s: pd.Series, col: Column, problems: Problems, allow_unknown: bool = False
) -> pd.Series:
    def reject(mask: pd.Series | np.ndarray, message: Callable[[int], str]) -> None:
        """Record the rows where ``mask`` holds and stop checking this column."""
        arr = np.asarray(mask, dtype=bool)
        if not arr.any():
            return
        for pos in np.flatnonzero(arr)[:_MAX_ROWS_PER_CHECK].tolist():
            label = int(s.index[pos])
            problems.add(message(label), row=_row_of(label), column=col.name)
        raise _ColumnCheckError

    text = s.astype(str).str.strip()
    empty = text.eq("") | text.str.lower().isin({"nan", "na", "null", "none"})
    if not col.nullable:
        reject(empty, lambda _: f"empty cell; expected {col.description or col.kind}")
    if col.kind == "str":
        out: pd.Series = text.where(~empty, "")
        if col.choices is not None:
            choices = col.choices
            reject(
                ~out.isin(choices),
                lambda i: (
                    f"unknown value {out.iloc[i]!r}; expected one of "
                    f"{', '.join(repr(c) for c in choices if c)}"
                ),
            )
        if col.vocabulary == "category":
            out = _vocabulary(out, allow_unknown, reject)
    elif col.kind == "bool":
        low = text.str.lower()
        reject(
            ~(low.isin(TRUE_TEXT) | low.isin(_FALSE)),
            lambda i: f"value {text.iloc[i]!r} is not a yes/no value; expected 1/0 or true/false",
        )
        out = low.isin(TRUE_TEXT).astype("boolean")
    elif col.kind == "adcode":
        ok = text.str.fullmatch(r"\d{6}|\d{9}|\d{12}") | empty
        # Excel turns codes into numbers: accept '130631.0'.
        fixed = text.str.replace(r"^(\d{6}|\d{9}|\d{12})\.0+$", r"\1", regex=True)
        ok = ok | fixed.str.fullmatch(r"\d{6}|\d{9}|\d{12}")
        reject(
            ~ok,
            lambda i: (
                f"value {text.iloc[i]!r} is not an administrative code; expected 6 digits "
                "(county, GB/T 2260), 9 (township) or 12 (village)"
            ),
        )
        out = fixed.where(~empty, "")
    elif col.kind == "date":
        dates = pd.to_datetime(text.where(~empty, None), format="%Y-%m-%d", errors="coerce")
        reject(
            dates.isna() & ~empty,
            lambda i: f"value {text.iloc[i]!r} is not a date; expected YYYY-MM-DD",
        )
        out = text.where(~empty, "")
    else:
        out = _convert_number(text, empty, col, reject)
    if col.unique:

        def duplicate(i: int) -> str:
            first = int(np.flatnonzero((out == out.iloc[i]).to_numpy())[0])
            return (
                f"duplicate id {out.iloc[i]!r} (first seen in row {_row_of(first)}); "
                f"ids in {col.name!r} must be unique"
            )

        reject(out.duplicated(keep="first") & ~empty, duplicate)
    return out


#: ``reject(mask, message)``: record the rows where ``mask`` holds and stop the column.
_Reject = Callable[[pd.Series | np.ndarray, Callable[[int], str]], None]


def _convert_number(text: pd.Series, empty: pd.Series, col: Column, reject: _Reject) -> pd.Series:
    """An ``int``, ``float``, ``lon`` or ``lat`` column: parsed, range-checked, typed."""
    num = pd.to_numeric(text.where(~empty, None), errors="coerce")
    expected = "a whole number" if col.kind == "int" else "a number"
    reject(num.isna() & ~empty, lambda i: f"value {text.iloc[i]!r} is not {expected}")
    if col.kind == "int":
        # Fractions first, then magnitudes: the first fraction is reported if any.
        for outside in ((num % 1 != 0) & num.notna(), num.abs() > _INT64_MAX / 4):
            reject(outside, lambda i: f"value {text.iloc[i]!r} is not a whole number in range")
    lo, hi = col.min, col.max
    if col.kind == "lon":
        lo, hi = CHINA_EXTENT.min_lon, CHINA_EXTENT.max_lon
    elif col.kind == "lat":
        lo, hi = CHINA_EXTENT.min_lat, CHINA_EXTENT.max_lat
    hint = (
        " (outside China's extent; are lon and lat swapped?)" if col.kind in ("lon", "lat") else ""
    )
    if lo is not None:
        reject(num < lo, lambda i: f"value {text.iloc[i]!r} is below {lo:g}{hint}")
    if hi is not None:
        reject(num > hi, lambda i: f"value {text.iloc[i]!r} is above {hi:g}{hint}")
    if col.default is not None:
        num = num.fillna(col.default)
    return num.astype("Int64") if col.kind == "int" else num.astype("float64")


def _read(path: str | Path, schema: TableSchema, *, allow_unknown: bool = False) -> pd.DataFrame:
    return validate_table(read_table(path), schema, file=path, allow_unknown=allow_unknown)


def read_helpers(path: str | Path, *, allow_unknown: bool = False) -> pd.DataFrame:
    """Read and validate a ``helpers.csv`` (see :data:`HELPERS_SCHEMA`)."""
    return _read(path, HELPERS_SCHEMA, allow_unknown=allow_unknown)


def read_needs(path: str | Path, *, allow_unknown: bool = False) -> pd.DataFrame:
    """Read and validate a ``needs.csv`` (see :data:`NEEDS_SCHEMA`)."""
    return _read(path, NEEDS_SCHEMA, allow_unknown=allow_unknown)


def read_arcs(
    path: str | Path,
    *,
    helper_ids: Sequence[str] | pd.Index | None = None,
    need_ids: Sequence[str] | pd.Index | None = None,
) -> pd.DataFrame:
    """Read and validate an ``arcs.csv``; check its ids against the other two files.

    Raises
    ------
    InputError
        Also for an arc whose ``helper_id`` or ``need_id`` is not in the helpers or needs
        file, and for a (helper, need) pair listed twice.
    """
    arcs = _read(path, ARCS_SCHEMA)
    for col, known in (("helper_id", helper_ids), ("need_id", need_ids)):
        if known is None:
            continue
        unknown = ~arcs[col].isin(pd.Index(known))
        bad = _first_bad(unknown, arcs.index)
        if bad is not None:
            other = "helpers" if col == "helper_id" else "needs"
            raise InputError(
                f"unknown id {arcs.at[bad, col]!r}: not in the {other} file",
                file=path,
                row=_row_of(bad),
                column=col,
            )
    dup = arcs.duplicated(["helper_id", "need_id"], keep="first")
    bad = _first_bad(dup, arcs.index)
    if bad is not None:
        raise InputError(
            f"the pair ({arcs.at[bad, 'helper_id']!r}, {arcs.at[bad, 'need_id']!r}) is listed "
            "twice; give each helper–need pair once",
            file=path,
            row=_row_of(bad),
            column="need_id",
        )
    return arcs
