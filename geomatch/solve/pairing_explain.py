"""Why a need stayed unmet, and the cheapest fix.

Reason codes (``unmet.csv`` column ``reason``), checked in this order:

``no_location``
    The need has no lon/lat and no candidate arcs were given.
``no_candidate``
    An arcs file was given and it lists no helper for the need.
``no_specialty_match``
    No helper anywhere has a specialty that serves the need's category.
``language``
    Helpers of a fitting specialty exist, but none speaks the need's language.
``level``
    The need asks for a senior expert and no fitting senior expert exists.
``relation``
    ``relation_mode = "hard"`` and no fitting helper lives in a province officially
    paired with the need's county.
``no_candidate_in_radius``
    Fitting helpers exist, but none within ``radius_km``; the fix names the nearest one.
``capacity_taken``
    Every candidate helper's capacity is used by other needs (the detail lists them with
    their priority); the fix names the cheapest candidate, which could take the need with
    one more unit of capacity.
``cost_above_penalty``
    A candidate has room, but pairing costs at least as much as leaving the need unmet
    (raise the need's penalty or its priority).
``side_constraint``
    A candidate has room, but a side constraint (one station per expert, per-county
    limit, society quota, complete station teams) stops the pair.
``stopped_early``
    Checked first, for an exact run that stopped before its proof (time limit or round
    budget): its last pricing round found pairs of the need that would lower the total
    cost, so the plan may leave it unmet only because the search stopped (the other
    reasons look at the pairs already in the plan's model, not at all compatible pairs).
    The detail names the best of them (a helper with room when there is one); the fix
    is to run longer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geomatch.candidates.build import isin_ids
from geomatch.model.pairing_settings import PairingSettings
from geomatch.model.run_tables import GENERIC_KIND, unmet_columns

__all__ = ["REASONS", "REASON_ZH", "OpenPairs", "explain_unmet"]

REASONS: tuple[str, ...] = (
    "no_location",
    "no_candidate",
    "no_specialty_match",
    "language",
    "level",
    "relation",
    "no_candidate_in_radius",
    "capacity_taken",
    "cost_above_penalty",
    "side_constraint",
    "stopped_early",
)


#: ``reason_zh`` of ``unmet.csv``: the reason code in the planners' words.
REASON_ZH: dict[str, str] = {
    "no_location": "需求没有经纬度",
    "no_candidate": "候选对文件没有为该需求列出任何专家",
    "no_specialty_match": "没有任何专家的专长能服务这一类别",
    "language": "专长合适的专家都不会该需求要求的语言",
    "level": "没有专长合适的高级职称专家",
    "relation": "对口协作省份没有专长合适的专家",
    "no_candidate_in_radius": "搜索半径内没有专长合适的专家",
    "capacity_taken": "所有可配对专家的帮扶能力已被其他需求占满",
    "cost_above_penalty": "有空余能力的专家配对成本高于未满足代价",
    "side_constraint": "专家有空余能力，但附加约束（每位专家只驻一个站等）不允许",
    "stopped_early": "求解在证明最优前停止，仍有能降低总成本的配对：延长求解时间后可能配上",
}

#: The pairing's columns of ``unmet`` (declared in :mod:`geomatch.model.run_tables`).
_COLUMNS: tuple[str, ...] = unmet_columns("pairing")


@dataclass(frozen=True)
class OpenPairs:
    """What an exact run that stopped before its proof left open.

    ``pairs``: ``need_id, helper_id, cost, distance_km, reduced_cost`` — the last pricing
    round's pairs of negative reduced cost whose need is unmet; ``why``: the stop (time
    limit or round budget).
    """

    pairs: pd.DataFrame
    why: str


def _fmt_int(values: np.ndarray) -> np.ndarray:
    """Whole numbers as text ('' for NaN), as an object array for string arithmetic."""
    return np.array(["" if v != v else str(round(v)) for v in values.tolist()], dtype=object)


def _nearest_without_arcs(
    helpers: pd.DataFrame,
    needs: pd.DataFrame,
    settings: PairingSettings,
    relations: pd.DataFrame | None,
) -> pd.DataFrame:
    """Reason and nearest fitting helper for needs that have no candidate arc."""
    from geomatch.candidates import build_candidates

    out = pd.DataFrame({"need_id": needs["need_id"].to_numpy(dtype=object)})
    out["reason"] = ""
    out["fix_helper_id"] = ""
    out["fix_distance_km"] = np.nan
    loc = needs["lon"].notna() & needs["lat"].notna()
    out.loc[~loc.to_numpy(), "reason"] = "no_location"
    todo = needs[loc.to_numpy()]
    if todo.empty or helpers["lon"].notna().sum() == 0:
        out.loc[out["reason"] == "", "reason"] = "no_candidate"
        return out
    wide = settings.model_copy(update={"radius_km": 0.0, "k_nearest": 1, "k_relation": 0})
    relaxations: list[tuple[str, PairingSettings, dict[str, object]]] = [
        ("no_candidate_in_radius", wide, {}),
        ("language", wide, {"language": ""}),
        ("level", wide.model_copy(update={"enforce_min_level": False}), {"language": ""}),
        (
            "relation",
            wide.model_copy(update={"enforce_min_level": False, "relation_mode": "ignore"}),
            {"language": ""},
        ),
    ]
    pending = todo
    for reason, s, overrides in relaxations:
        if pending.empty:
            break
        probe = pending.assign(**overrides) if overrides else pending
        if s.relation_mode == "hard" and relations is None:
            continue
        arcs = build_candidates(helpers, probe, s, relations=relations)
        if arcs.empty:
            continue
        best = arcs.sort_values(["need_id", "distance_km"]).drop_duplicates("need_id")
        pos = isin_ids(out["need_id"], best["need_id"]) & (out["reason"] == "").to_numpy()
        found = best.set_index("need_id")
        ids = out.loc[pos, "need_id"]
        out.loc[pos, "reason"] = reason
        out.loc[pos, "fix_helper_id"] = found.loc[ids, "helper_id"].to_numpy()
        out.loc[pos, "fix_distance_km"] = found.loc[ids, "distance_km"].to_numpy()
        pending = pending[~isin_ids(pending["need_id"], best["need_id"])]
    out.loc[out["reason"] == "", "reason"] = "no_specialty_match"
    return out


def explain_unmet(
    unmet_need_ids: np.ndarray,
    *,
    helpers: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    pairings: pd.DataFrame,
    penalties: pd.Series,
    settings: PairingSettings,
    relations: pd.DataFrame | None,
    arcs_given: bool,
    open_pairs: OpenPairs | None = None,
) -> pd.DataFrame:
    """Reason code, detail and cheapest fix of every unmet need.

    Parameters
    ----------
    unmet_need_ids
        Needs left unmet.
    helpers, needs
        Normalised frames (:func:`geomatch.candidates.normalise_helpers` / ``_needs``).
    arcs
        Candidate arcs (``helper_id, need_id, cost, load, distance_km``).
    pairings
        The chosen pairs (``helper_id, need_id, load``).
    penalties
        Unmet penalty per need id (cost units).
    arcs_given
        The arcs came from a file: needs without arcs are ``no_candidate``.
    open_pairs
        An exact run stopped before its proof: the pairs it left open
        (``stopped_early``).

    Returns
    -------
    pandas.DataFrame
        The pairing's columns of ``unmet`` (``need_id, reason, reason_zh, stage`` = ``pairing``,
        ``priority, category, adcode, penalty, detail, fix_helper_id, fix_distance_km,
        fix, kind``) in the order of ``unmet_need_ids``.
    """
    if len(unmet_need_ids) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS})
    nidx = needs.set_index("need_id")
    base = pd.DataFrame({"need_id": np.asarray(unmet_need_ids, dtype=object)})
    info = nidx.loc[base["need_id"]]
    base["priority"] = info["priority"].to_numpy()
    base["kind"] = info["kind"].replace("", GENERIC_KIND).to_numpy()
    base["category"] = info["category"].to_numpy()
    base["adcode"] = info["adcode"].to_numpy()
    base["penalty"] = penalties.loc[base["need_id"]].to_numpy()
    base["reason"] = ""
    base["detail"] = ""
    base["fix_helper_id"] = ""
    base["fix_distance_km"] = np.nan
    base["fix"] = ""

    if open_pairs is not None:  # first: the other reasons need not be looked for
        _explain_stopped(base, open_pairs, helpers, pairings)
    todo = (base["reason"] == "").to_numpy()
    cand = arcs[isin_ids(arcs["need_id"], base["need_id"][todo])]
    has_arcs = isin_ids(base["need_id"], cand["need_id"])
    with_arcs, without = todo & has_arcs, todo & ~has_arcs

    if without.any():
        _explain_without_arcs(base, without, nidx, helpers, settings, relations, arcs_given)
    if with_arcs.any():
        choice = _cheapest_choice(base, with_arcs, cand, helpers, pairings)
        _explain_with_arcs(base, with_arcs, choice, pairings, nidx)
    base["reason_zh"] = base["reason"].map(REASON_ZH).fillna("")
    base["stage"] = "pairing"
    return base[list(_COLUMNS)]


def _explain_without_arcs(
    base: pd.DataFrame,
    without: np.ndarray,
    nidx: pd.DataFrame,
    helpers: pd.DataFrame,
    settings: PairingSettings,
    relations: pd.DataFrame | None,
    arcs_given: bool,
) -> None:
    """Reason, detail and nearest fitting helper of the unmet needs without a candidate."""
    sub = nidx.loc[base.loc[without, "need_id"]].reset_index()
    if arcs_given:
        r = pd.DataFrame(
            {
                "need_id": sub["need_id"],
                "reason": "no_candidate",
                "fix_helper_id": "",
                "fix_distance_km": np.nan,
            }
        )
    else:
        r = _nearest_without_arcs(helpers, sub, settings, relations)
    r = r.set_index("need_id")
    ids = base.loc[without, "need_id"]
    base.loc[without, "reason"] = r.loc[ids, "reason"].to_numpy()
    base.loc[without, "fix_helper_id"] = r.loc[ids, "fix_helper_id"].to_numpy()
    base.loc[without, "fix_distance_km"] = r.loc[ids, "fix_distance_km"].to_numpy()
    details = {
        "no_location": "the need has no lon/lat",
        "no_candidate": "the arcs file lists no helper for this need",
        "no_specialty_match": "no helper has a specialty that serves this category",
        "language": "no helper of a fitting specialty speaks the need's language",
        "level": "no fitting senior expert",
        "relation": "no fitting helper in the officially paired eastern provinces",
        "no_candidate_in_radius": f"no fitting helper within {settings.radius_km:g} km",
    }
    fixes = {
        "no_candidate_in_radius": "widen radius_km or recruit nearer: nearest fitting helper",
        "language": "recruit a helper who speaks the language; nearest fitting helper",
        "level": "accept a non-senior expert (enforce_min_level); nearest fitting one",
        "relation": "use relation_mode = preference; nearest fitting helper",
    }
    m = without
    base.loc[m, "detail"] = base.loc[m, "reason"].map(details).fillna("")
    fx = base.loc[m, "reason"].map(fixes)
    has_fix = fx.notna() & (base.loc[m, "fix_helper_id"] != "")
    fx_text = (
        fx.fillna("")
        + " "
        + base.loc[m, "fix_helper_id"].astype(str)
        + " at "
        + _fmt_int(base.loc[m, "fix_distance_km"].to_numpy(dtype=float))
        + " km"
    )
    base.loc[m, "fix"] = np.where(has_fix, fx_text, "")


@dataclass(frozen=True)
class _Choice:
    """Per unmet need with candidates: the pair a fix would use, and why it is unmet."""

    ids: pd.Series
    pick: pd.DataFrame
    full: pd.DataFrame
    n_cand: pd.Series
    pen_i: np.ndarray
    room_cost: np.ndarray
    reason: np.ndarray


def _cheapest_choice(
    base: pd.DataFrame,
    with_arcs: np.ndarray,
    cand: pd.DataFrame,
    helpers: pd.DataFrame,
    pairings: pd.DataFrame,
) -> _Choice:
    """The cheapest candidate with room (else the cheapest) and the reason code."""
    c = cand.copy()
    c["room"] = _room(helpers, pairings, c["helper_id"])
    c["fits"] = c["room"] >= c["load"]
    c = c.sort_values(["need_id", "cost"])
    best = c.drop_duplicates("need_id").set_index("need_id")
    best_room = c[c["fits"]].drop_duplicates("need_id").set_index("need_id")
    n_cand = c.groupby("need_id").size()
    ids = base.loc[with_arcs, "need_id"]
    has_room = isin_ids(ids, best_room.index)
    room = best_room.reindex(ids)
    full = best.reindex(ids)
    pick = full.copy()
    for col in ("helper_id", "distance_km", "load"):
        pick[col] = np.where(
            has_room, room[col].to_numpy(dtype=object), full[col].to_numpy(dtype=object)
        )
    pen_i = base.loc[with_arcs, "penalty"].to_numpy(dtype=float)
    room_cost = room["cost"].to_numpy(dtype=float)
    too_costly = has_room & (room_cost >= pen_i)
    reason = np.where(
        has_room,
        np.where(too_costly, "cost_above_penalty", "side_constraint"),
        "capacity_taken",
    )
    return _Choice(ids, pick, full, n_cand, pen_i, room_cost, reason)


def _explain_with_arcs(
    base: pd.DataFrame,
    with_arcs: np.ndarray,
    choice: _Choice,
    pairings: pd.DataFrame,
    nidx: pd.DataFrame,
) -> None:
    """Detail and fix texts of the unmet needs with candidates."""
    ids, pick, full, n_cand = choice.ids, choice.pick, choice.full, choice.n_cand
    pen_i, room_cost, reason = choice.pen_i, choice.room_cost, choice.reason
    hid = pick["helper_id"].astype(str).to_numpy()
    dkm = pick["distance_km"].to_numpy(dtype=float)
    # who holds the cheapest full helper: its needs and their priority
    holders = pairings[isin_ids(pairings["helper_id"], full["helper_id"])]
    holders = holders.assign(
        tag=holders["need_id"].astype(str)
        + " ("
        + holders["need_id"].map(nidx["priority"]).fillna("").astype(str)
        + ")"
    )
    shown = holders.groupby("helper_id")["tag"].agg(
        lambda t: ", ".join(t.iloc[:5]) + (f" and {len(t) - 5} more" if len(t) > 5 else "")
    )
    shown_d = shown.to_dict()
    held = np.array([shown_d.get(x, "no one") for x in hid.tolist()], dtype=object)
    cnt = _fmt_int(n_cand.reindex(ids).to_numpy(dtype=float))
    hid = hid.astype(object)
    cost_txt = _fmt_int(room_cost)
    load_txt = _fmt_int(pick["load"].to_numpy(dtype=float))
    km_txt = _fmt_int(dkm)
    km_part = np.where(km_txt == "", "", " (" + km_txt + " km)")
    detail = np.where(
        reason == "capacity_taken",
        np.where(
            cnt == "1",
            "its only candidate helper, " + hid + ", is full; it serves " + held,
            "all " + cnt + " candidate helpers are full; the cheapest, " + hid + ", serves " + held,
        ),
        np.where(
            reason == "cost_above_penalty",
            "cheapest pair with room costs " + cost_txt + " ≥ unmet penalty " + _fmt_int(pen_i),
            "helper " + hid + " has room but a side constraint (one station per expert, "
            "per-county limit, society quota or a complete station team) stops the pair",
        ),
    )
    fix = np.where(
        reason == "capacity_taken",
        "give helper " + hid + km_part + " " + load_txt + " more unit(s) of capacity",
        np.where(
            reason == "cost_above_penalty",
            "raise the need's priority or unmet_penalty above " + cost_txt,
            "relax the side constraint or recruit a helper",
        ),
    )
    base.loc[with_arcs, "reason"] = reason
    base.loc[with_arcs, "detail"] = detail
    base.loc[with_arcs, "fix_helper_id"] = hid
    base.loc[with_arcs, "fix_distance_km"] = dkm
    base.loc[with_arcs, "fix"] = fix


def _room(helpers: pd.DataFrame, pairings: pd.DataFrame, helper_ids: pd.Series) -> np.ndarray:
    """Capacity left per helper of ``helper_ids`` after the plan's pairs."""
    cap = helpers.set_index("helper_id")["capacity"]
    used = (
        pairings.groupby("helper_id")["load"].sum() if len(pairings) else pd.Series(dtype="int64")
    )
    left = cap.reindex(helper_ids).to_numpy(dtype=float)
    room: np.ndarray = left - used.reindex(helper_ids).fillna(0).to_numpy(dtype=float)
    return room


def _explain_stopped(
    base: pd.DataFrame, open_pairs: OpenPairs, helpers: pd.DataFrame, pairings: pd.DataFrame
) -> None:
    """``stopped_early`` for the unmet needs that the stopped run's last round priced out.

    The pair named is the cheapest one with a helper that has room (it alone would pair
    the need), else the one of least reduced cost (a re-arrangement would).
    """
    op = open_pairs.pairs[isin_ids(open_pairs.pairs["need_id"], base["need_id"])]
    if op.empty:
        return
    op = op.assign(room=_room(helpers, pairings, op["helper_id"]) >= 1)
    op = op.sort_values(
        ["need_id", "room", "cost", "reduced_cost"], ascending=[True, False, True, True]
    )
    best = op.drop_duplicates("need_id").set_index("need_id")
    count = op.groupby("need_id").size()
    m = isin_ids(base["need_id"], best.index)
    ids = base.loc[m, "need_id"]
    pick = best.loc[ids]
    hid = pick["helper_id"].astype(str).to_numpy(dtype=object)
    km = _fmt_int(pick["distance_km"].to_numpy(dtype=float))
    room = pick["room"].to_numpy(dtype=bool)
    has = np.where(room, ", which has room", ", full: re-arranging its pairs lowers the cost")
    base.loc[m, "reason"] = "stopped_early"
    base.loc[m, "detail"] = (
        f"the solve stopped before its proof ({open_pairs.why}); its last pricing round "
        "found " + _fmt_int(count.loc[ids].to_numpy(dtype=float)) + " pair(s) of this need "
        "that lower the total cost, the best with helper " + hid + " (" + km + " km" + has + ")"
    )
    base.loc[m, "fix_helper_id"] = np.where(room, hid, "")
    base.loc[m, "fix_distance_km"] = np.where(
        room, np.round(pick["distance_km"].to_numpy(dtype=float), 1), np.nan
    )
    base.loc[m, "fix"] = np.where(
        room,
        "raise --time-limit (or --rounds) and pair again: helper "
        + hid
        + " ("
        + km
        + " km) has room",
        "raise --time-limit (or --rounds) and pair again",
    )
