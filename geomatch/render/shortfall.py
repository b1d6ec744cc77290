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
from geomatch.render.run import as_text
from geomatch.render.units import unit_names
from geomatch.run_result import RunResult

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = ["TOUR_KINDS", "county_shortfall", "summarise_unmet"]

#: The kind of an unmet row of the tours (it has no need kind).
TOUR_KINDS: Final = {"museum": "museum_visit", "caravan": "caravan_stop"}


def county_shortfall(run: RunResult, dataset: Dataset) -> pd.DataFrame:
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


def _main_reasons(rows: pd.DataFrame) -> pd.DataFrame:
    """Per county × kind: unmet rows, the most frequent reason (ties: first by code) and
    the helper most often named by its fix (ties: first by id) with that fix's distance."""
    keys = ["adcode", "kind"]
    counts = rows.groupby(keys).size().rename("unmet_needs")
    by_reason = rows.groupby([*keys, "reason"]).size().rename("n").reset_index()
    main = by_reason.sort_values([*keys, "n", "reason"], ascending=[True, True, False, True])
    main = main.drop_duplicates(keys).drop(columns="n")
    named = rows[as_text(rows["fix_helper_id"]) != ""] if "fix_helper_id" in rows else rows[:0]
    if len(named):
        helpers = (
            named.groupby([*keys, "reason", "fix_helper_id"])
            .agg(n=("need_id", "size"), km=("fix_distance_km", "first"))
            .reset_index()
            .sort_values(
                [*keys, "reason", "n", "fix_helper_id"], ascending=[*[True] * 3, False, True]
            )
            .drop_duplicates([*keys, "reason"])
        )
        main = main.merge(helpers.drop(columns="n"), on=[*keys, "reason"], how="left")
    else:
        main = main.assign(fix_helper_id="", km=None)
    return main.merge(counts.reset_index(), on=keys, how="left")


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
    rows = rows[rows["adcode"] != ""].assign(reason=lambda d: d["reason"].astype("str"))
    names = unit_names(dataset)
    needs = dataset.needs
    main = _main_reasons(rows)
    if "kind" in needs.columns:
        totals = (
            pd.DataFrame({"adcode": as_text(needs["adcode"]), "kind": needs["kind"].astype("str")})
            .value_counts()
            .rename("needs_total")
            .reset_index()
        )
        main = main.merge(totals, on=["adcode", "kind"], how="left")
    province = main["adcode"].str[:2] + "0000"
    out = pd.DataFrame(
        {
            "province_adcode": province,
            "province": province.map(names.province).fillna(""),
            "adcode": main["adcode"],
            "county": main["adcode"].map(names.county).fillna(""),
            "kind": main["kind"],
            "needs_total": main.get("needs_total"),
            "unmet_needs": main["unmet_needs"],
            "shortfall": main["unmet_needs"],
            "reason": main["reason"],
            "fix": [
                fix_zh(r, "" if pd.isna(h) else h, k)
                for r, h, k in zip(main["reason"], main["fix_helper_id"], main["km"], strict=True)
            ],
        },
        columns=_COLUMNS,
    )
    return conform(out, "unmet_summary")


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
