"""The "两数" ledger: per province and per national society (全国学会) and year, targets
against what the agreements and progress reports show.

Achievements of a unit in year *Y* (agreements ``signed``/``filed``/``active``/
``completed`` whose period overlaps *Y*; reports of the quarters of *Y*):

* a **province** counts the agreements it takes part in, as the need's province or the
  helper's; a **society** counts the agreements whose helper it is;
* ``associations_achieved`` = Σ ``associations_supported`` of the reports;
* ``experts_mobilised`` = distinct experts (helper kind ``expert``) in the agreements +
  Σ ``visits`` reported by organisations (society, association, university, enterprise:
  each on-site visit sends at least one expert);
* ``people_lifted`` = Σ ``households_helped`` × :data:`PERSONS_PER_HOUSEHOLD`.

Targets come from a targets file (:func:`import_targets`). A unit and year without one
gets the **synthetic default** (``target_source`` says so): the sums of its agreements'
own targets — Σ ``associations_target``; experts as above with ``visits_per_year`` for
organisations; Σ ``households_target`` × :data:`PERSONS_PER_HOUSEHOLD`.

The 自查 view (:func:`self_check`) lists the units that fall short and by how much.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geomatch.errors import InputError
from geomatch.io.schema import Column, TableSchema, validate_table
from geomatch.records.orm import Agreement, LedgerTarget, ProgressReport
from geomatch.records.register_file import RegisterFileError, read_any_table, table_errors
from geomatch.service.models import Province

__all__ = [
    "LEDGER_COLUMNS",
    "LEDGER_HEADERS_ZH",
    "PERSONS_PER_HOUSEHOLD",
    "TARGETS_SCHEMA",
    "import_targets",
    "ledger",
    "self_check",
    "unit_figures",
]

#: Persons per poor household used to turn households helped into people lifted (an
#: assumption of the ledger, not an official figure).
PERSONS_PER_HOUSEHOLD: Final = 3
_IN_FORCE = ("signed", "filed", "active", "completed")
_ORGANISATIONS = ("society", "association", "university", "enterprise")
SYNTHETIC = "合成默认：协议目标之和 (synthetic default: sum of the agreements' targets)"

LEDGER_COLUMNS: Final = (
    "unit_type",
    "unit",
    "unit_name",
    "year",
    "associations_target",
    "associations_achieved",
    "experts_target",
    "experts_mobilised",
    "people_target",
    "people_lifted",
    "target_source",
)
LEDGER_HEADERS_ZH: Final = {
    "unit_type": "单位类型",
    "unit": "单位代码",
    "unit_name": "单位",
    "year": "年度",
    "associations_target": "帮扶农技协目标",
    "associations_achieved": "帮扶农技协完成",
    "experts_target": "动员专家目标",
    "experts_mobilised": "动员专家完成",
    "people_target": "带动脱贫人数目标",
    "people_lifted": "带动脱贫人数完成",
    "target_source": "目标来源",
}
_TARGET_ALIASES = {
    "单位类型": "unit_type",
    "单位代码": "unit_code",
    "单位名称": "unit_name",
    "年度": "year",
    "帮扶农技协目标": "associations_target",
    "动员专家目标": "experts_target",
    "带动脱贫人数目标": "people_target",
}
TARGETS_SCHEMA: Final = TableSchema(
    "ledger targets",
    (
        Column("unit_type", required=True, nullable=False, choices=("province", "society")),
        Column(
            "unit_code", required=True, nullable=False, description="province code or society id"
        ),
        Column("unit_name"),
        Column("year", "int", required=True, nullable=False, min=2013, max=2035),
        Column("associations_target", "int", required=True, nullable=False, min=0),
        Column("experts_target", "int", required=True, nullable=False, min=0),
        Column("people_target", "int", required=True, nullable=False, min=0),
    ),
)


def import_targets(session: Session, path: str | Path) -> int:
    """Store the targets of a file (CSV or XLSX; Chinese or English headers).

    Rows replace the stored targets of the same unit and year. Every error is listed
    and nothing is stored unless the whole file is valid.

    Returns
    -------
    int
        Rows stored.
    """
    raw = read_any_table(path).rename(columns=_TARGET_ALIASES)
    errors = table_errors(raw, TARGETS_SCHEMA, str(path))
    if errors:
        raise RegisterFileError(errors, file=path)
    typed = validate_table(raw, TARGETS_SCHEMA, file=path)
    dup = typed.duplicated(["unit_type", "unit_code", "year"])
    if dup.any():
        row = int(dup.to_numpy().argmax()) + 2
        raise InputError("unit and year listed twice", file=path, row=row, column="year")
    for r in typed.to_dict("records"):
        session.merge(
            LedgerTarget(
                unit_type=r["unit_type"],
                unit_code=str(r["unit_code"]),
                year=int(r["year"]),
                unit_name=str(r.get("unit_name") or ""),
                associations_target=int(r["associations_target"]),
                experts_target=int(r["experts_target"]),
                people_target=int(r["people_target"]),
                source=f"file {Path(path).name}",
            )
        )
    session.flush()
    return len(typed)


def _agreements_in(session: Session, year: int) -> pd.DataFrame:
    cols = (
        Agreement.id,
        Agreement.helper_id,
        Agreement.helper_name,
        Agreement.helper_kind,
        Agreement.need_province,
        Agreement.helper_province,
        Agreement.associations_target,
        Agreement.households_target,
        Agreement.visits_per_year,
    )
    q = sa.select(*cols).where(
        Agreement.status.in_(_IN_FORCE),
        Agreement.start_date <= dt.date(year, 12, 31),
        Agreement.end_date >= dt.date(year, 1, 1),
    )
    frame = pd.DataFrame(session.execute(q).all(), columns=[c.key for c in cols])
    reports = pd.DataFrame(
        session.execute(
            sa.select(
                ProgressReport.agreement_id,
                sa.func.sum(ProgressReport.associations_supported),
                sa.func.sum(ProgressReport.visits),
                sa.func.sum(ProgressReport.households_helped),
            )
            .where(ProgressReport.period.like(f"{year}Q%"))
            .group_by(ProgressReport.agreement_id)
        ).all(),
        columns=["id", "associations", "visits", "households"],
    )
    out = frame.merge(reports, on="id", how="left")
    for c in ("associations", "visits", "households"):
        out[c] = out[c].fillna(0).astype(int)
    return out


def _figures(part: pd.DataFrame) -> dict[str, int]:
    org = part["helper_kind"].isin(_ORGANISATIONS)
    experts = int(part.loc[part["helper_kind"] == "expert", "helper_id"].nunique())
    return {
        "associations_target": int(part["associations_target"].sum()),
        "associations_achieved": int(part["associations"].sum()),
        "experts_target": experts + int(part.loc[org, "visits_per_year"].sum()),
        "experts_mobilised": experts + int(part.loc[org, "visits"].sum()),
        "people_target": int(part["households_target"].sum()) * PERSONS_PER_HOUSEHOLD,
        "people_lifted": int(part["households"].sum()) * PERSONS_PER_HOUSEHOLD,
    }


def _units(frame: pd.DataFrame, names: dict[str, str]) -> list[tuple[str, str, str, pd.DataFrame]]:
    units = []
    provinces = sorted(set(frame["need_province"]) | set(frame["helper_province"]) - {""})
    for p in provinces:
        part = frame[(frame["need_province"] == p) | (frame["helper_province"] == p)]
        units.append(("province", p, names.get(p, ""), part))
    societies = frame[frame["helper_kind"] == "society"]
    for hid, part in societies.groupby("helper_id", sort=True):
        units.append(("society", str(hid), str(part["helper_name"].iloc[0]), part))
    return units


def unit_figures(frame: pd.DataFrame, names: dict[str, str], year: int) -> pd.DataFrame:
    """Ledger figures of every unit from agreements in force (one row per agreement).

    ``frame`` has ``helper_id, helper_name, helper_kind, need_province, helper_province,
    associations_target, households_target, visits_per_year`` and the year's reported
    ``associations, visits, households`` (0 where nothing was reported). The targets are
    the synthetic default rule of the module docstring.
    """
    rows = [
        {
            "unit_type": t,
            "unit": code,
            "unit_name": name,
            "year": year,
            **_figures(part),
            "target_source": SYNTHETIC,
        }
        for t, code, name, part in _units(frame, names)
    ]
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))


def ledger(session: Session, year: int, province: str | None = None) -> pd.DataFrame:
    """The ledger rows (:data:`LEDGER_COLUMNS`) of a year; one province's row if asked."""
    frame = _agreements_in(session, year)
    names = dict(session.execute(sa.select(Province.adcode, Province.name)).all())
    targets = {
        (t.unit_type, t.unit_code): t
        for t in session.execute(sa.select(LedgerTarget).where(LedgerTarget.year == year)).scalars()
    }
    rows = unit_figures(frame, names, year)
    if province is not None:
        rows = rows[(rows["unit_type"] == "province") & (rows["unit"] == province)]
    for i, r in rows.iterrows():
        target = targets.get((str(r["unit_type"]), str(r["unit"])))
        if target is not None:
            rows.loc[i, "associations_target"] = target.associations_target
            rows.loc[i, "experts_target"] = target.experts_target
            rows.loc[i, "people_target"] = target.people_target
            rows.loc[i, "target_source"] = target.source
            rows.loc[i, "unit_name"] = r["unit_name"] or target.unit_name
    return rows.reset_index(drop=True)


def self_check(rows: pd.DataFrame) -> pd.DataFrame:
    """自查: the ledger rows that fall short, with the shortfall of each figure."""
    out = rows.copy()
    for target, done, gap in (
        ("associations_target", "associations_achieved", "associations_short"),
        ("experts_target", "experts_mobilised", "experts_short"),
        ("people_target", "people_lifted", "people_short"),
    ):
        out[gap] = (out[target] - out[done]).clip(lower=0).astype(int)
    short = out[["associations_short", "experts_short", "people_short"]].sum(axis=1) > 0
    return out[short].reset_index(drop=True)
