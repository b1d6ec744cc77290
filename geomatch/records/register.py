"""The expert register (名册) in the database: import, duplicates, export, run helpers.

A province files its register as a whole (:func:`import_register`): the file is checked
first (:mod:`geomatch.records.register_file`), then the province's previous entries
are replaced in one transaction, so the database holds either the old or the new
register, never a mix. Each entry keeps ``filed_by_province`` and ``filed_at``; the ID
and phone numbers only as HMAC hashes and masked tails (:mod:`geomatch.records.identity`).

The same person filed by two provinces is **reported, never merged**
(:func:`find_duplicates`) by three rules: the same ID-number hash; the same name and
phone hash; the same name and institution.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geomatch.errors import InputError
from geomatch.records.identity import RegisterKey, mask_tail
from geomatch.records.orm import RegisterEntry, RegisterImport
from geomatch.records.register_file import (
    HELPER_COLUMNS,
    REGISTER_HEADERS_ZH,
    RegisterFileError,
    RegisterTable,
    parse_register_bytes,
)

__all__ = [
    "EXPORT_COLUMNS",
    "Duplicate",
    "RegisterImportResult",
    "export_register",
    "find_duplicates",
    "import_register",
    "import_register_bytes",
    "register_frame",
    "register_helpers",
]

log = logging.getLogger(__name__)

_PROVINCE = re.compile(r"\d{2}0000")
DuplicateRule = Literal["id_number", "name_phone", "name_institution"]
#: Chinese names of the duplicate rules.
RULE_ZH = {
    "id_number": "身份证号相同",
    "name_phone": "姓名与手机号相同",
    "name_institution": "姓名与单位相同",
}

#: Columns of the exported (masked) register.
EXPORT_COLUMNS = (
    *HELPER_COLUMNS,
    "id_masked",
    "phone_masked",
    "filed_by_province",
    "filed_at",
)
EXPORT_HEADERS_ZH = {
    **REGISTER_HEADERS_ZH,
    "id_masked": "身份证号（脱敏）",
    "phone_masked": "手机号（脱敏）",
    "filed_by_province": "备案省份",
    "filed_at": "备案时间",
}


@dataclass(frozen=True)
class Duplicate:
    """Two entries of different provinces that look like the same person."""

    rule: DuplicateRule
    helper_id: str
    province: str
    name: str
    other_helper_id: str
    other_province: str

    @property
    def rule_zh(self) -> str:
        return RULE_ZH[self.rule]


@dataclass(frozen=True)
class RegisterImportResult:
    """What an accepted register file did."""

    import_id: int
    province: str
    rows: int
    replaced: int
    duplicates: tuple[Duplicate, ...]


def check_province(province: str) -> str:
    """A province code (``620000``) or an :class:`InputError` naming ``--province``."""
    if not _PROVINCE.fullmatch(province or ""):
        raise InputError(
            f"province {province!r} is not a province code; expected 6 digits ending in 0000 "
            "(e.g. 620000 for 甘肃省)",
            column="province",
        )
    return province


def _id_clashes(session: Session, table: RegisterTable, province: str) -> list[InputError]:
    """helper_ids of the file already filed by another province (ids are national)."""
    ids = table.frame["helper_id"].astype(str).tolist()
    taken = dict(
        session.execute(
            sa.select(RegisterEntry.helper_id, RegisterEntry.filed_by_province).where(
                RegisterEntry.helper_id.in_(ids), RegisterEntry.filed_by_province != province
            )
        ).all()
    )
    return [
        InputError(
            f"编号 {hid!r} 已由省份 {taken[hid]} 备案 / id already filed by province {taken[hid]}; "
            "helper ids are national, use your province's prefix",
            file=table.source,
            row=i + 2,
            column="helper_id",
        )
        for i, hid in enumerate(ids)
        if hid in taken
    ]


def _entries(
    table: RegisterTable, province: str, key: RegisterKey, import_id: int
) -> list[dict[str, object]]:
    rows = []
    for i, r in enumerate(table.frame.to_dict("records")):
        idn, phone, name = str(r["id_number"]), str(r["phone"]), str(r["name"])
        rows.append(
            {
                "helper_id": str(r["helper_id"]),
                "filed_by_province": province,
                "import_id": import_id,
                "row_no": i + 2,
                "name": name,
                "kind": str(r.get("kind") or "expert"),
                "specialty": str(r.get("specialty") or ""),
                "level": str(r.get("level") or ""),
                "capacity": int(r["capacity"]),
                "languages": str(r.get("languages") or ""),
                "province_adcode": str(r.get("province_adcode") or "") or province,
                "institution": str(r.get("institution") or ""),
                "lon": float(r["lon"]),
                "lat": float(r["lat"]),
                "id_hash": key.digest("id", idn),
                "id_masked": mask_tail(idn),
                "phone_hash": key.digest("phone", phone),
                "phone_masked": mask_tail(phone),
                "name_phone_hash": key.digest("name+phone", name, phone),
            }
        )
    return rows


def import_register(
    session: Session,
    table: RegisterTable,
    province: str,
    key: RegisterKey,
    *,
    user_name: str = "",
    sha256: str = "",
) -> RegisterImportResult:
    """Replace a province's register by a checked file (the caller commits).

    Raises
    ------
    InputError
        A bad province code; :class:`RegisterFileError` for helper ids another province
        filed. Nothing is changed then.
    """
    check_province(province)
    clashes = _id_clashes(session, table, province)
    if clashes:
        raise RegisterFileError(clashes, file=table.source)
    old = session.execute(
        sa.delete(RegisterEntry).where(RegisterEntry.filed_by_province == province)
    )
    batch = RegisterImport(
        province_adcode=province,
        filename=Path(table.source).name[:256],
        sha256=sha256,
        n_rows=len(table.frame),
        user_name=user_name[:64],
    )
    session.add(batch)
    session.flush()
    session.execute(sa.insert(RegisterEntry), _entries(table, province, key, batch.id))
    session.flush()
    dups = tuple(d for d in find_duplicates(session, province) if d.province == province)
    for d in dups:
        log.warning(
            "register %s: %s (%s) looks like %s of province %s (%s)",
            province,
            d.helper_id,
            d.name,
            d.other_helper_id,
            d.other_province,
            d.rule_zh,
        )
    return RegisterImportResult(batch.id, province, len(table.frame), int(old.rowcount or 0), dups)  # type: ignore[attr-defined]


def import_register_bytes(
    session: Session,
    data: bytes,
    filename: str,
    province: str,
    key: RegisterKey,
    *,
    user_name: str = "",
) -> RegisterImportResult:
    """Check and import a register file given as bytes (the API's upload)."""
    check_province(province)
    table = parse_register_bytes(data, filename)
    return import_register(
        session, table, province, key, user_name=user_name, sha256=hashlib.sha256(data).hexdigest()
    )


#: The duplicate rules: the columns two entries of different provinces share.
_RULES: tuple[tuple[DuplicateRule, tuple[str, ...]], ...] = (
    ("id_number", ("id_hash",)),
    ("name_phone", ("name_phone_hash",)),
    ("name_institution", ("name", "institution")),
)


def find_duplicates(session: Session, province: str | None = None) -> list[Duplicate]:
    """Pairs of entries of different provinces that look like one person.

    Hash joins of the register with itself on each rule's columns (linear in the
    register's size; an empty institution matches nothing).

    Parameters
    ----------
    province
        Only pairs with one side in this province (listed from that side first);
        ``None``: every pair, once per direction.
    """
    cols = ("helper_id", "filed_by_province", "name", "institution", "id_hash", "name_phone_hash")
    q = sa.select(*(getattr(RegisterEntry, c) for c in cols))
    frame = pd.DataFrame(session.execute(q).all(), columns=list(cols))
    left = frame if province is None else frame[frame["filed_by_province"] == province]
    right = frame.rename(columns={"helper_id": "other", "filed_by_province": "other_province"})
    found: dict[tuple[str, str], Duplicate] = {}
    for rule, keys in _RULES:
        lhs = left[left["institution"] != ""] if "institution" in keys else left
        pairs = lhs[["helper_id", "filed_by_province", "name", *[k for k in keys if k != "name"]]]
        pairs = pairs.merge(right[[*keys, "other", "other_province"]], on=list(keys))
        pairs = pairs[pairs["filed_by_province"] != pairs["other_province"]]
        for hid, prov, name, other, other_prov in pairs[
            ["helper_id", "filed_by_province", "name", "other", "other_province"]
        ].itertuples(index=False):
            found.setdefault((hid, other), Duplicate(rule, hid, prov, name, other, other_prov))
    return sorted(found.values(), key=lambda d: (d.province, d.helper_id, d.other_helper_id))


def register_frame(session: Session, province: str | None = None) -> pd.DataFrame:
    """The register, masked (:data:`EXPORT_COLUMNS`); one province's or all."""
    q = sa.select(*(getattr(RegisterEntry, c) for c in EXPORT_COLUMNS)).order_by(
        RegisterEntry.filed_by_province, RegisterEntry.helper_id
    )
    if province is not None:
        q = q.where(RegisterEntry.filed_by_province == province)
    frame = pd.DataFrame(session.execute(q).all(), columns=list(EXPORT_COLUMNS))
    frame["filed_at"] = frame["filed_at"].astype(str)
    return frame


def export_register(
    session: Session, path: str | Path, province: str | None = None, *, chinese: bool = True
) -> Path:
    """Write the masked register as CSV (Excel-ready) or ``.xlsx``; Chinese headers."""
    from geomatch.io.output import write_csv

    frame = register_frame(session, province)
    if chinese:
        frame = frame.rename(columns=EXPORT_HEADERS_ZH)
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_excel(path, index=False, sheet_name="名册")
        return path
    return write_csv(frame, path)


def register_helpers(session: Session) -> pd.DataFrame:
    """The national register as a ``helpers.csv`` table (what a run pairs from)."""
    cols = (*HELPER_COLUMNS, "filed_by_province")
    q = sa.select(*(getattr(RegisterEntry, c) for c in cols)).order_by(RegisterEntry.helper_id)
    frame = pd.DataFrame(session.execute(q).all(), columns=list(cols))
    frame["source"] = "register " + frame.pop("filed_by_province").astype(str)
    return frame
