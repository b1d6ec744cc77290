"""Shortfall per county and kind, with one fix each: the ``unmet_summary`` table.

One aggregation, made in the coverage stage over every unmet row of a run — the
pairing's unmet needs and the tours' unscheduled museum visits and unreached caravan
needs (:func:`geomatch.render.run.add_coverage`); ``geomatch pair``, which has only the
pairing's rows, calls the same :func:`summarise_unmet`. Maps, exports and the province
report read the table from the run.

One row per province × county × kind (``kind`` the need's kind, ``need`` when the needs
file gives none, ``museum_visit`` or ``caravan_stop`` for the tours' rows), in code
order. The county is the need's ``adcode``; a need without one is placed by the
``province`` and ``county`` names of its file (a planner's register often has names
only), and the names of the file fill ``province`` and ``county`` where the run has no
dataset to name a code:

* ``needs_total`` — the county's needs of that kind (empty for the tours' kinds, which
  count visits and stops, not needs); ``unmet_needs`` and ``shortfall`` (capacity units
  missing, one per unmet row) the rows left unserved;
* ``reason`` — their most frequent reason code (ties: the first code);
* ``fix`` — the one action that answers it, in the planners' Chinese, e.g.
  "在 900 公里内增加 3 名医疗健康驻站专家": the count is the rows of that reason, the
  distance the farthest cheapest candidate that would take one of them (rounded up to
  100 km), the specialty their category — or, when they are of several, the split by
  category ("…增加 3 名驻站专家（其中医疗健康 2 名、种植 1 名）").
"""

from __future__ import annotations

import pandas as pd

from geomatch.model.categories import CATEGORY_ZH, NEED_KIND_ZH
from geomatch.model.run_tables import GENERIC_KIND, TOUR_KINDS, conform, empty_table
from geomatch.render.units import UnitNames

__all__ = ["summarise_unmet"]


def _text(values: pd.Series) -> pd.Series:
    """Stripped text, ``""`` for a missing cell."""
    return values.astype("str").where(values.notna(), "").str.strip()


def _county(needs: pd.DataFrame) -> pd.Series:
    """The 6-digit county code of each need ('' when shorter), as the pairing reads it."""
    if "adcode" not in needs.columns:
        return pd.Series([""] * len(needs), index=needs.index, dtype="str")
    code = _text(needs["adcode"])
    return code.str[:6].where(code.str.len() >= 6, "")


#: Where a row is counted: county code, then the names a needs file may give instead.
_PLACE = ["adcode", "province_name", "county_name"]


def _places(needs: pd.DataFrame) -> pd.DataFrame:
    """``need_id``, :data:`_PLACE` and ``kind`` of each need (names ``""`` when absent)."""
    own = pd.DataFrame({"need_id": _text(needs["need_id"])}, index=needs.index)
    own["adcode"] = _county(needs)
    for col, name in (("province", "province_name"), ("county", "county_name")):
        own[name] = _text(needs[col]) if col in needs.columns else ""
    own["kind"] = _text(needs["kind"]) if "kind" in needs.columns else ""
    own["kind"] = own["kind"].replace("", GENERIC_KIND)
    return own


def _one_place_per_code(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the names blanked where a county code is given: a coded county is
    one place whatever names its rows carry."""
    frame.loc[frame["adcode"] != "", ["province_name", "county_name"]] = ""
    return frame


def _unmet_rows(unmet: pd.DataFrame, places: pd.DataFrame | None) -> pd.DataFrame:
    """``need_id``, :data:`_PLACE`, ``kind, reason, category, fix_distance_km`` of each
    unmet row: county and kind from the row, else from its need (``places``, from
    :func:`_places`), else (tours) from its stage; the names from its need."""
    n = len(unmet)

    def text(col: str) -> pd.Series:
        if col not in unmet.columns:
            return pd.Series([""] * n, index=unmet.index, dtype="str")
        return _text(unmet[col])

    rows = pd.DataFrame(
        {
            "need_id": text("need_id"),
            "adcode": text("adcode"),
            "kind": text("kind"),
            "reason": text("reason"),
            "category": text("category"),
            "fix_distance_km": (
                pd.to_numeric(unmet["fix_distance_km"], errors="coerce")
                if "fix_distance_km" in unmet.columns
                else pd.Series(float("nan"), index=unmet.index)
            ),
        },
        index=unmet.index,
    )
    rows["province_name"], rows["county_name"] = "", ""
    if places is not None:
        own = places.drop_duplicates("need_id").set_index("need_id")
        for col in ("adcode", "kind"):
            rows[col] = rows[col].where(rows[col] != "", rows["need_id"].map(own[col]))
        for col in ("province_name", "county_name"):
            rows[col] = rows["need_id"].map(own[col]).fillna("")
    stage_kind = text("stage").map(TOUR_KINDS)
    rows["kind"] = rows["kind"].fillna("").where(rows["kind"].fillna("") != "", stage_kind)
    rows["kind"] = rows["kind"].fillna("").replace("", GENERIC_KIND)
    rows["adcode"] = rows["adcode"].fillna("")
    return _one_place_per_code(rows)


def _needs_totals(places: pd.DataFrame | None) -> pd.Series:
    """Needs per place (:data:`_PLACE`) and kind — ``GENERIC_KIND`` for a need without one."""
    if places is None:
        return pd.Series(dtype="int64")
    return _one_place_per_code(places[[*_PLACE, "kind"]].copy()).value_counts()


def _own_names(places: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """County code → (province, county) names as the needs file writes them (first)."""
    if places is None:
        return {}
    own = places[(places["adcode"] != "") & (places["county_name"] != "")]
    own = own.drop_duplicates("adcode")
    return {a: (p, c) for a, p, c in own[_PLACE].itertuples(index=False)}


#: Categories named one by one in a fix whose rows are of several (the rest: "等").
_SPLIT_AT_MOST = 4


def _split_zh(cats: pd.Series) -> tuple[str, str]:
    """(the specialty to name, the split by category) of a fix's rows' categories.

    One category: its Chinese name and no split. Several: no single name, and the split
    "医疗健康 2 名、种植 1 名" by count, then by name — a fix that named only the most
    frequent one would send a planner looking for the wrong experts.
    """
    counts = cats.value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    if len(counts) <= 1:
        cat = str(counts.index[0]) if len(counts) else ""
        return CATEGORY_ZH.get(cat, cat or "相应专长"), ""
    parts = [f"{CATEGORY_ZH.get(str(c), str(c) or '其他')} {n} 名" for c, n in counts.items()]
    more = "等" if len(parts) > _SPLIT_AT_MOST else ""
    return "", f"{'、'.join(parts[:_SPLIT_AT_MOST])}{more}"


def _fix_zh(
    reason: str, k: int, cats: pd.Series, kind: str, km: float, radius: float | None
) -> str:
    """The one fix for ``k`` unmet rows of one county and kind (planners' Chinese);
    ``cats``: the rows' categories."""
    what, listing = _split_zh(cats)
    split = f"（其中{listing}）" if listing else ""
    role = "驻站专家" if kind == "station" else "专家"
    where = f"在 {int(-(-km // 100) * 100)} 公里内" if km == km and km > 0 else ""
    within = f"在 {radius:g} 公里内" if radius is not None else ""
    tours = {"museum_visit": f"这 {k} 次巡展", "caravan_stop": f"这 {k} 项大篷车到站需求"}
    these = tours.get(kind, f"这 {k} 项需求")
    no_such = (
        f"{role}（其中{listing}；目前没有这些专长）"
        if listing
        else f"{what}专长的{role}（目前没有这一专长）"
    )
    fixes = {
        "capacity_taken": f"{where}增加 {k} 名{what}{role}{split}",
        "no_candidate_in_radius": f"{within}增加 {k} 名{what}{role}{split}，或扩大搜索半径",
        "no_specialty_match": f"增加 {k} 名{no_such}",
        "language": f"增加 {k} 名会当地语言的{what}{role}{split}",
        "level": f"增加 {k} 名{what}高级职称{role}{split}",
        "relation": f"在对口协作省份增加 {k} 名{what}{role}{split}",
        "cost_above_penalty": f"提高这 {k} 项{NEED_KIND_ZH.get(kind, '需求')}的优先级或未满足代价",
        "side_constraint": f"放宽附加约束或增加 {k} 名{what}{role}{split}",
        "stopped_early": f"延长求解时间（--time-limit）或增加轮数后重算：{these}可能配上",
        "no_location": f"补充这 {k} 项需求的经纬度",
        "no_candidate": f"在候选对文件中为这 {k} 项需求增加候选专家",
        "no_set_capacity": f"增加展品套或延长巡展季，排上{these}",
        "season_closed": f"把{these}的日期移出封闭季节",
        "unreachable_in_day": f"为{these}安排过夜或从更近的地点出发",
        "no_trip_days": f"增加大篷车出车天数或车辆，到达{these}",
    }
    return fixes.get(reason, "")


def summarise_unmet(
    unmet: pd.DataFrame,
    needs: pd.DataFrame | None,
    *,
    names: UnitNames | None = None,
    radius_km: float | None = None,
) -> pd.DataFrame:
    """The ``unmet_summary`` table of a run's unmet rows (see the module docstring).

    Parameters
    ----------
    unmet
        The run's ``unmet`` rows: the pairing's, and the tours' when they ran.
    needs
        The run's needs (``need_id, adcode, kind`` and optionally ``province, county``
        names): the totals, and the county and kind of a row that lacks them; ``None``
        when unknown.
    names
        Province and county names (:func:`geomatch.render.units.unit_names`); ``None``
        (a bring-your-own run without a dataset) takes them from the needs' ``province``
        and ``county`` columns, or leaves them empty.
    radius_km
        The pairing's search radius in km, named by the fix of ``no_candidate_in_radius``.
    """
    if not len(unmet):
        return empty_table("unmet_summary")
    places = _places(needs) if needs is not None and len(needs) else None
    rows = _unmet_rows(unmet, places)
    totals, own = _needs_totals(places), _own_names(places)
    out = []
    for (adcode, prov_name, county_name, kind), g in rows.groupby([*_PLACE, "kind"], sort=True):
        reason = str(g["reason"].mode().iloc[0])
        r = g[g["reason"] == reason]
        province = f"{adcode[:2]}0000" if adcode else ""
        given = own.get(adcode, (prov_name, county_name))
        tour = kind in TOUR_KINDS.values()
        total = totals.get((adcode, prov_name, county_name, kind), len(g))
        out.append(
            {
                "province_adcode": province,
                "province": names.province.get(province, "") if names and province else given[0],
                "adcode": adcode,
                "county": names.county.get(adcode, "") if names and adcode else given[1],
                "kind": kind,
                "needs_total": None if tour else int(total),
                "unmet_needs": len(g),
                "shortfall": len(g),
                "reason": reason,
                "fix": _fix_zh(
                    reason,
                    len(r),
                    r["category"],
                    str(kind),
                    float(r["fix_distance_km"].max()),
                    radius_km,
                ),
            }
        )
    return conform(pd.DataFrame(out), "unmet_summary")
