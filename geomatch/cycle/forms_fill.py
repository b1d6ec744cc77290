"""Fill the recommendation forms' empty cells from the programme's records.

A candidate with a ``helper_id`` that is in the service database gets, where its own
row leaves the cell empty:

* 工作单位 (``institution``): the register entry's, else the scenario helper's;
* 服务地区 省市县 (``served_province``, ``served_prefecture``, ``served_county``): the
  county of the helper's latest agreement (latest ``start_date``), and 乡/村
  (``served_township``/``served_village``) from that need's unit when it is a township
  (``TI-``/``TR-``) or village (``VP-``) need;
* 服务累计天数 (``service_days``): Σ ``service_days`` of every report of the helper's
  agreements;
* 带动脱贫贫困人口数 (``people_lifted``): Σ ``households_helped`` ×
  :data:`geomatch.records.ledger.PERSONS_PER_HOUSEHOLD` (the ledger's own rule).

Cells the candidates file fills are never overwritten.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["fill_from_records"]

log = logging.getLogger(__name__)


def _records(session: Session, helpers: list[str]) -> dict[str, dict[str, Any]]:
    import sqlalchemy as sa

    from geomatch.records.ledger import PERSONS_PER_HOUSEHOLD
    from geomatch.records.orm import Agreement, ProgressReport, RegisterEntry
    from geomatch.service.models import Helper, Need, Unit

    out: dict[str, dict[str, Any]] = {h: {} for h in helpers}
    for model in (Helper, RegisterEntry):  # the register wins
        q = sa.select(model.helper_id, model.institution).where(model.helper_id.in_(helpers))
        for hid, inst in session.execute(q):
            if inst:
                out[hid]["institution"] = inst
    latest = (
        sa.select(
            Agreement.helper_id, Agreement.need_id, Agreement.need_adcode, Agreement.start_date
        )
        .where(Agreement.helper_id.in_(helpers))
        .order_by(Agreement.start_date, Agreement.id)
    )
    for hid, need_id, adcode, _ in session.execute(latest):
        out[hid]["_need"] = (need_id, adcode)  # the last row is the latest agreement
    totals = (
        sa.select(
            Agreement.helper_id,
            sa.func.sum(ProgressReport.service_days),
            sa.func.sum(ProgressReport.households_helped),
        )
        .join(ProgressReport, ProgressReport.agreement_id == Agreement.id)
        .where(Agreement.helper_id.in_(helpers))
        .group_by(Agreement.helper_id)
    )
    for hid, days, households in session.execute(totals):
        out[hid]["service_days"] = round(float(days or 0), 1)
        out[hid]["people_lifted"] = int(households or 0) * PERSONS_PER_HOUSEHOLD
    for values in out.values():
        need = values.pop("_need", None)
        if need is None:
            continue
        unit = session.get(Unit, need[1])
        if unit is not None:
            values.update(served_province=unit.province, served_prefecture=unit.prefecture,
                          served_county=unit.name)  # fmt: skip
        row = session.get(Need, need[0])
        if row is not None and str(need[0])[:3] in ("TI-", "TR-", "VP-"):
            key = "served_village" if str(need[0]).startswith("VP-") else "served_township"
            values[key] = row.unit_name
    return out


def fill_from_records(candidates: pd.DataFrame, session: Session) -> pd.DataFrame:
    """``candidates`` with empty form cells filled from the records (see the module doc)."""
    helpers = sorted({str(h) for h in candidates["helper_id"] if str(h).strip()})
    if not helpers:
        return candidates
    found = _records(session, helpers)
    out = candidates.copy()
    for col in (
        "institution",
        "service_days",
        "people_lifted",
        "served_province",
        "served_prefecture",
        "served_county",
        "served_township",
        "served_village",
    ):
        if col not in out.columns:
            out[col] = ""
    filled = 0
    for i, hid in out["helper_id"].items():
        for col, value in found.get(str(hid), {}).items():
            current = out.at[i, col]
            if current is None or str(current).strip() in ("", "nan"):
                out.at[i, col] = str(value)
                filled += 1
    log.info("forms: %d empty cells filled from the records", filled)
    return out
