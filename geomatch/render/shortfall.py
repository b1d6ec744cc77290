"""Shortfall per county and need kind, with one fix each (the ``unmet_summary`` table).

A run of the pairing writes ``unmet_summary.csv`` (:mod:`geomatch.model.run_tables`); a run
without it (an older or bring-your-own run) gets it here, from ``unmet.csv``, by
:func:`summarise_unmet` — the one place this aggregation is made for maps, exports and the
province report. One row per county × kind: the unmet needs (or unscheduled museum visits
and caravan stops, kinds ``museum_visit`` / ``caravan_stop``), the most frequent reason and
its cheapest fix (:func:`~geomatch.render.labels.fix_zh`, naming the helper whose capacity
or nearness fixes most of them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pandas as pd

from geomatch.model.run_tables import conform
from geomatch.render.labels import fix_zh
from geomatch.render.run import RunTables, as_text
from geomatch.render.units import unit_names

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = ["TOUR_KINDS", "county_shortfall", "summarise_unmet"]

#: The kind of an unmet row of the tours (it has no need kind).
TOUR_KINDS: Final = {"museum": "museum_visit", "caravan": "caravan_stop"}


def county_shortfall(run: RunTables, dataset: Dataset) -> pd.DataFrame:
    """The run's ``unmet_summary`` when it has one, else :func:`summarise_unmet`."""
    if "unmet_summary" in run.present:
        return run.unmet_summary.copy()
    return summarise_unmet(run.unmet, dataset)


def _unmet_rows(unmet: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """Unmet rows with their county and kind (from the need when the row lacks them)."""
    n = pd.DataFrame({"need_id": as_text(needs["need_id"]), "_a": as_text(needs["adcode"])})
    n["_k"] = needs["kind"].astype("str").to_numpy() if "kind" in needs.columns else ""
    um = unmet.assign(need_id=as_text(unmet["need_id"])).merge(
        n.drop_duplicates("need_id"), on="need_id", how="left"
    )
    adcode = as_text(um["adcode"]).where(as_text(um["adcode"]) != "", um["_a"])
    stage = um["stage"].astype("str") if "stage" in um.columns else pd.Series("", index=um.index)
    kind = um["kind"].astype("str") if "kind" in um.columns else pd.Series("", index=um.index)
    kind = kind.where(kind != "", um["_k"]).fillna("")
    kind = kind.where(kind != "", stage.map(TOUR_KINDS)).fillna("")
    museum = um["need_id"].str.startswith("museum")  # museum:<adcode>:<n> rows
    kind = kind.where((kind != "") | ~museum, TOUR_KINDS["museum"])
    return um.assign(adcode=adcode.fillna(""), kind=kind)


def _fix(g: pd.DataFrame, reason: str) -> str:
    """The fix of the most frequent reason: its most often named helper, if any."""
    r = g[g["reason"].astype("str") == reason]
    helper, km = "", ""
    if "fix_helper_id" in r.columns:
        named = r[as_text(r["fix_helper_id"]).ne("")]
        if len(named):
            helper = str(named["fix_helper_id"].astype("str").mode().iloc[0])
            km = named.loc[named["fix_helper_id"].astype("str") == helper, "fix_distance_km"].iloc[
                0
            ]
    return fix_zh(reason, helper, km)


def summarise_unmet(unmet: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """``unmet_summary`` from ``unmet.csv``: one row per county × kind (no total rows).

    Parameters
    ----------
    unmet
        The run's unmet rows (pairing and tours).
    dataset
        The run's dataset (its needs give each row's county and kind; its units the names).
    """
    rows = _unmet_rows(unmet, dataset.needs)
    rows = rows[rows["adcode"] != ""]
    names = unit_names(dataset)
    needs = dataset.needs
    totals = (
        pd.DataFrame({"a": as_text(needs["adcode"]), "k": needs["kind"].astype("str")})
        .value_counts()
        .to_dict()
        if "kind" in needs.columns
        else {}
    )
    out = []
    for (adcode, kind), g in rows.groupby(["adcode", "kind"], sort=True):
        reason = str(g["reason"].astype("str").mode().iloc[0])
        pa = str(adcode)[:2] + "0000"
        total = totals.get((adcode, kind))
        out.append(
            {
                "province_adcode": pa,
                "province": names.province.get(pa, ""),
                "adcode": adcode,
                "county": names.county.get(str(adcode), ""),
                "kind": kind,
                "needs_total": int(total) if total is not None else None,
                "unmet_needs": len(g),
                "shortfall": len(g),
                "reason": reason,
                "fix": _fix(g, reason),
            }
        )
    return conform(pd.DataFrame(out, columns=_COLUMNS), "unmet_summary")


_COLUMNS = (
    "province_adcode",
    "province",
    "adcode",
    "county",
    "kind",
    "needs_total",
    "unmet_needs",
    "shortfall",
    "reason",
    "fix",
)
