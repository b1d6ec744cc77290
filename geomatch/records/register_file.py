"""The register file (名册): its columns, the import template, reading and validation.

A province files its helpers in a CSV or Excel (``.xlsx``) file with either the Chinese
headers of the template (``专家编号``, ``姓名`` …) or the English codes of
``helpers.csv`` (``helper_id``, ``name`` …) plus ``id_number`` and ``phone``. Values of
``kind``, ``specialty`` and ``level`` may be the codes or their Chinese labels
(``专家``, ``种植``, ``正高级`` …).

:func:`read_register_file` checks the whole file and raises one
:class:`RegisterFileError` listing **every** problem (up to :data:`MAX_ERRORS`) with
its file, row (header = row 1) and column; it uses the column checks of
:mod:`geomatch.io.schema` column by column, so each column's errors are found in one
pass per error, not one row at a time.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from geomatch.errors import InputError
from geomatch.io.csvtext import check_csv_structure, decode_csv_bytes
from geomatch.io.schema import HELPERS_SCHEMA, Column, TableSchema, validate_table
from geomatch.model.categories import (
    CATEGORIES,
    CATEGORY_ZH,
    HELPER_KIND_ZH,
    HELPER_KINDS,
    LEVELS,
)
from geomatch.records.identity import (
    CHECK_CHARACTERS,
    ID_WEIGHTS,
    id_number_problem,
    phone_problem,
)

__all__ = [
    "HELPER_COLUMNS",
    "LEVEL_ZH",
    "MAX_ERRORS",
    "REGISTER_COLUMNS",
    "REGISTER_HEADERS_ZH",
    "REGISTER_SCHEMA",
    "RegisterFileError",
    "parse_register_bytes",
    "read_any_table",
    "read_register_file",
    "table_errors",
    "write_register_template",
]

#: Errors listed at most in one report.
MAX_ERRORS: Final = 200

#: Chinese labels of the title levels.
LEVEL_ZH: Final = MappingProxyType(
    {"senior": "正高级", "intermediate": "副高级", "junior": "中级及以下"}
)

_REQUIRED = ("helper_id", "name", "capacity", "lon", "lat", "id_number", "phone")
#: The columns the register shares with ``helpers.csv``, in the template's order.
HELPER_COLUMNS: Final = (
    "helper_id",
    "name",
    "kind",
    "specialty",
    "level",
    "capacity",
    "languages",
    "province_adcode",
    "institution",
    "lon",
    "lat",
)


#: Descriptions the register gives where helpers.csv has none.
_DESCRIPTIONS: Final = MappingProxyType({"name": "姓名或机构名称"})


def _register_schema() -> TableSchema:
    """helpers.csv's contract, stricter (name, location, codes) plus the personal numbers."""
    cols: list[Column] = []
    for name in HELPER_COLUMNS:
        base = HELPERS_SCHEMA.column(name)
        required = name in _REQUIRED
        choices = {
            "kind": (*HELPER_KINDS, ""),
            "specialty": (*CATEGORIES, ""),
            "level": (*LEVELS, ""),
        }.get(name, base.choices)
        cols.append(
            Column(
                name,
                base.kind,
                required=required,
                nullable=not required,
                unique=base.unique,
                min=base.min,
                max=base.max,
                choices=choices,
                description=_DESCRIPTIONS.get(name, base.description),
            )
        )
    cols.append(Column("id_number", required=True, nullable=False, description="身份证号"))
    cols.append(Column("phone", required=True, nullable=False, description="手机号"))
    return TableSchema("register", tuple(cols), together=(("lon", "lat"),))


REGISTER_SCHEMA: Final = _register_schema()
REGISTER_COLUMNS: Final = tuple(c.name for c in REGISTER_SCHEMA.columns)

#: Chinese header of each register column (the template's first row).
REGISTER_HEADERS_ZH: Final = MappingProxyType(
    {
        "helper_id": "专家编号",
        "name": "姓名",
        "kind": "类型",
        "specialty": "专业领域",
        "level": "职称级别",
        "capacity": "年度可承接需求数",
        "languages": "工作语言",
        "province_adcode": "所在省份代码",
        "institution": "工作单位",
        "lon": "经度",
        "lat": "纬度",
        "id_number": "身份证号",
        "phone": "手机号",
    }
)
_HEADER_ALIASES: Final = MappingProxyType(
    {
        **{zh: code for code, zh in REGISTER_HEADERS_ZH.items()},
        "编号": "helper_id",
        "职称": "level",
        "专业": "specialty",
        "承接能力": "capacity",
        "单位": "institution",
        "省份代码": "province_adcode",
        "身份证号码": "id_number",
        "联系电话": "phone",
        "电话": "phone",
        "手机": "phone",
    }
)
_VALUE_ALIASES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "kind": {zh: code for code, zh in HELPER_KIND_ZH.items()},
        "specialty": {
            **{zh: code for code, zh in CATEGORY_ZH.items()},
            **{part: code for code, zh in CATEGORY_ZH.items() for part in zh.split("/")},
        },
        "level": {
            **{zh: code for code, zh in LEVEL_ZH.items()},
            "正高": "senior",
            "副高": "intermediate",
            "中级": "junior",
            "初级": "junior",
        },
    }
)


class RegisterFileError(InputError):
    """A register file with one or more errors; :attr:`errors` lists every one."""

    def __init__(self, errors: list[InputError], *, file: str | Path | None = None) -> None:
        self.errors = tuple(errors[:MAX_ERRORS])
        first = self.errors[0]
        more = "" if len(errors) <= MAX_ERRORS else f" (first {MAX_ERRORS} shown)"
        lines = [f"{len(errors)} error(s) in the register file; nothing was stored{more}:"]
        lines += [f"  {e}" for e in self.errors]
        super().__init__("\n".join(lines), file=None)
        self.file = str(file) if file is not None else first.file
        self.row, self.column = first.row, first.column


@dataclass(frozen=True)
class RegisterTable:
    """A valid register file: typed rows with normalised personal numbers."""

    frame: pd.DataFrame
    source: str


def _xlsx_frame(data: bytes, name: str) -> pd.DataFrame:
    """The first sheet of an ``.xlsx`` file as a frame of strings (header = row 1)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError alike
        raise InputError(f"not a readable Excel (.xlsx) file ({exc})", file=name) from None
    sheet = book.worksheets[0]
    rows = [[_cell_text(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    book.close()
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("the sheet is empty; expected a header row", file=name, row=1)
    header = [h.strip() for h in rows[0]]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=object)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_frame(data: bytes, name: str) -> pd.DataFrame:
    text, _ = decode_csv_bytes(data, name)
    if not text.strip():
        raise InputError("the file is empty; expected a header row", file=name, row=1)
    check_csv_structure(text, Path(name), ",")
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _frame_of_bytes(data: bytes, name: str) -> pd.DataFrame:
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_frame(data, name)
    if suffix in (".csv", ".txt"):
        return _csv_frame(data, name)
    raise InputError(f"unsupported table format {suffix!r}; expected .csv or .xlsx", file=name)


def read_any_table(path: str | Path) -> pd.DataFrame:
    """A ``.csv`` or ``.xlsx`` file as a frame of strings (header = row 1)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    return _frame_of_bytes(path.read_bytes(), str(path))


def parse_register_bytes(data: bytes, name: str) -> RegisterTable:
    """Read and check a register file given as bytes (``.csv`` or ``.xlsx``).

    Raises
    ------
    InputError
        An unreadable file; :class:`RegisterFileError` listing every bad cell.
    """
    return RegisterTable(_validate(_frame_of_bytes(data, name), name), name)


def read_register_file(path: str | Path) -> RegisterTable:
    """Read and check a register file (see :func:`parse_register_bytes`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    return parse_register_bytes(path.read_bytes(), str(path))


def _rename_headers(raw: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[InputError]]:
    errors: list[InputError] = []
    renamed = [_HEADER_ALIASES.get(str(c), str(c).lower()) for c in raw.columns]
    seen: dict[str, str] = {}
    for original, code in zip(raw.columns, renamed, strict=True):
        if code in seen:
            errors.append(
                InputError(
                    f"column {original!r} repeats {seen[code]!r} (both mean {code})",
                    file=name,
                    row=1,
                    column=str(original),
                )
            )
        seen.setdefault(code, str(original))
    out = raw.copy()
    out.columns = renamed
    out = out.loc[:, ~pd.Index(renamed).duplicated()]
    return out, errors


def _map_values(df: pd.DataFrame) -> pd.DataFrame:
    """Codes for Chinese labels (lower-case codes otherwise); numbers normalised."""
    out = df.copy()
    for col, aliases in _VALUE_ALIASES.items():
        if col in out.columns:
            text = out[col].astype(str).str.strip()
            out[col] = text.map(aliases).fillna(text.str.lower())
    if "id_number" in out.columns:
        out["id_number"] = out["id_number"].astype(str).str.replace(r"\s+", "", regex=True)
        out["id_number"] = out["id_number"].str.upper()
    if "phone" in out.columns:
        digits = out["phone"].astype(str).str.replace(r"[\s\-()（）]", "", regex=True)
        out["phone"] = digits.str.replace(r"^(\+86|0086)", "", regex=True)
    if "kind" in out.columns:
        out["kind"] = out["kind"].where(out["kind"] != "", "expert")
    return out


def table_errors(
    df: pd.DataFrame, schema: TableSchema, name: str, budget: int = MAX_ERRORS + 1
) -> list[InputError]:
    """Every error of the schema's checks on ``df``: one validation pass per error found."""
    errors: list[InputError] = []
    groups: list[tuple[str, ...]] = [g for g in schema.together]
    grouped = {c for g in groups for c in g}
    groups += [(c.name,) for c in schema.columns if c.name not in grouped]
    for group in groups:
        present = [c for c in group if c in df.columns]
        specs = tuple(schema.column(c) for c in group)
        sub_schema = TableSchema(schema.name, specs, together=(group,) if len(group) > 1 else ())
        if not present and not any(s.required for s in specs):
            continue
        errors += _errors_of(df[present], sub_schema, name, budget - len(errors))
        if len(errors) >= budget:
            break
    return errors


#: Rows per block when a column with errors is searched block by block.
_BLOCK = 1024


def _errors_of(sub: pd.DataFrame, schema: TableSchema, name: str, budget: int) -> list[InputError]:
    """Every error of ``schema`` in ``sub``: one pass when clean, else block by block.

    :func:`validate_table` stops at the first error; the row is set aside and the rest
    checked again. A column with a uniqueness rule is searched whole (duplicates span
    blocks); the others in blocks of :data:`_BLOCK` rows, so each repeat is small.
    """
    rows = np.arange(len(sub))
    whole = any(c.unique for c in schema.columns)
    blocks = [rows] if whole else [rows[i : i + _BLOCK] for i in range(0, len(rows), _BLOCK)]
    if not whole and len(blocks) > 1 and not _errors_in(sub, rows, schema, name, 1):
        return []
    found: list[InputError] = []
    for block in blocks:
        found += _errors_in(sub, block, schema, name, budget - len(found))
        if len(found) >= budget or any((e.row or 0) < 2 for e in found):
            break
    return found


def _errors_in(
    sub: pd.DataFrame, rows: np.ndarray, schema: TableSchema, name: str, budget: int
) -> list[InputError]:
    found: list[InputError] = []
    while len(found) < budget:
        try:
            validate_table(sub.iloc[rows], schema, file=name)
            return found
        except InputError as exc:
            if exc.row is None or exc.row < 2:
                return [*found, exc]
            pos = exc.row - 2
            found.append(
                InputError(exc.detail, file=name, row=int(rows[pos]) + 2, column=exc.column)
            )
            rows = np.delete(rows, pos)
    return found


def _check_digits_ok(ids: pd.Series) -> np.ndarray:
    """GB 11643 check digits of 18-character ID numbers (vectorised)."""
    digits = np.array([list(v[:17]) for v in ids], dtype=np.int64).reshape(len(ids), 17)
    total = digits @ np.array(ID_WEIGHTS, dtype=np.int64)
    expected = np.array(list(CHECK_CHARACTERS))[total % 11]
    ok: np.ndarray = expected == ids.str[17].to_numpy()
    return ok


def _number_errors(df: pd.DataFrame, name: str) -> list[InputError]:
    """Bad or repeated ID numbers and bad phone numbers (the row-wise loop only on them)."""
    ids, phones = df["id_number"].astype(str), df["phone"].astype(str)
    shaped = ids.str.fullmatch(r"\d{17}[\dX]").to_numpy()
    valid = shaped.copy()
    valid[shaped] = _check_digits_ok(ids[shaped])
    repeated = ids.duplicated(keep="first").to_numpy() & valid
    phone_ok = phones.str.fullmatch(r"1[3-9]\d{9}|0\d{9,11}").to_numpy()
    errors: list[InputError] = []
    for i in np.flatnonzero((~valid | repeated) & (ids != "").to_numpy()):
        problem = id_number_problem(ids.iloc[i])
        if problem is None:
            first = int(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0]) + 2
            problem = f"同一身份证号已在第 {first} 行 / same ID number as row {first}"
        errors.append(InputError(problem, file=name, row=int(i) + 2, column="id_number"))
    for i in np.flatnonzero(~phone_ok & (phones != "").to_numpy()):
        problem = phone_problem(phones.iloc[i]) or "bad phone number"
        errors.append(InputError(problem, file=name, row=int(i) + 2, column="phone"))
    return errors


def _in_file_terms(errors: list[InputError], raw: pd.DataFrame, name: str) -> list[InputError]:
    """Errors sorted by row, each naming the column by the file's own header."""
    header = {_HEADER_ALIASES.get(str(c), str(c).lower()): str(c) for c in raw.columns}

    def order(e: InputError) -> tuple[int, int]:
        col = e.column or ""
        return (e.row or 0, REGISTER_COLUMNS.index(col) if col in REGISTER_COLUMNS else 99)

    out = []
    for e in sorted(errors, key=order):
        col = e.column
        if col is not None and header.get(col, col) != col:
            col = f"{header[col]} ({col})"
        elif col is not None and col not in header and col in REGISTER_HEADERS_ZH:
            col = f"{REGISTER_HEADERS_ZH[col]} ({col})"
        out.append(InputError(e.detail, file=name, row=e.row, column=col))
    return out


def _validate(raw: pd.DataFrame, name: str) -> pd.DataFrame:
    df, errors = _rename_headers(raw, name)
    if len(df) == 0:
        errors.append(InputError("the register has no rows", file=name, row=2))
    df = _map_values(df)
    errors += table_errors(df, REGISTER_SCHEMA, name)
    if not any(e.column in ("id_number", "phone") and e.row == 1 for e in errors):
        errors += _number_errors(df, name)
    if errors:
        raise RegisterFileError(_in_file_terms(errors, raw, name), file=name)
    typed = validate_table(df, REGISTER_SCHEMA, file=name)
    return typed[[c for c in REGISTER_COLUMNS if c in typed.columns]]


def write_register_template(path: str | Path) -> Path:
    """Write the import template: 名册 sheet (Chinese headers, one example row) and the
    allowed values (类型、专业领域、职称级别) with the column notes."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "名册"
    sheet.append([REGISTER_HEADERS_ZH[c] for c in REGISTER_COLUMNS])
    sheet.append(
        [
            "GS-E0001",
            "张明",
            "专家",
            "种植",
            "正高级",
            3,
            "zh",
            "620000",
            "甘肃农业大学",
            103.8343,
            36.0611,
            "620102198001010017",
            "13800001234",
        ]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for col in ("L", "M"):  # ID and phone as text: Excel must not round them
        for cell in sheet[col]:
            cell.number_format = "@"
    values = book.create_sheet("取值说明")
    values.append(["字段", "代码", "中文"])
    for field, table in (
        ("类型 kind", HELPER_KIND_ZH),
        ("专业领域 specialty", CATEGORY_ZH),
        ("职称级别 level", LEVEL_ZH),
    ):
        for code, zh in table.items():
            values.append([field, code, zh])
    notes = book.create_sheet("字段说明")
    notes.append(["表头", "英文代码", "必填", "说明"])
    for c in REGISTER_SCHEMA.columns:
        notes.append(
            [REGISTER_HEADERS_ZH[c.name], c.name, "是" if c.required else "否", c.description]
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
