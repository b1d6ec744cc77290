"""Unmet reason codes and fixes on hand-built cases (candidates from locations)."""

from __future__ import annotations

import pandas as pd

from geomatch.candidates import build_candidates
from geomatch.model.pairing_settings import PairingSettings
from geomatch.solve.pairing import solve_pairing


def _run(helpers: pd.DataFrame, needs: pd.DataFrame, **kw: object) -> pd.DataFrame:
    s = PairingSettings(relation_mode="ignore", **kw)  # type: ignore[arg-type]
    arcs = build_candidates(helpers, needs, s)
    return solve_pairing(helpers, needs, arcs, s).unmet.set_index("need_id")


HELPERS = pd.DataFrame(
    {
        "helper_id": ["kunming_crop", "chengdu_health", "lhasa_vet"],
        "capacity": [1, 1, 1],
        "lon": [102.71, 104.07, 91.13],
        "lat": [25.04, 30.67, 29.65],
        "specialty": ["crop", "health", "livestock"],
        "languages": ["zh", "zh", "zh"],
        "level": ["senior", "junior", "senior"],
    }
)


def test_capacity_taken_names_the_holder_and_the_fix() -> None:
    needs = pd.DataFrame(
        {
            "need_id": ["urgent", "normal"],
            "lon": [102.8, 102.9],
            "lat": [25.1, 25.0],
            "category": ["crop", "crop"],
            "priority": ["remaining", "ordinary"],
        }
    )
    un = _run(HELPERS, needs)
    assert list(un.index) == ["normal"]
    row = un.loc["normal"]
    assert row["reason"] == "capacity_taken"
    assert "urgent (remaining)" in row["detail"]
    assert row["fix_helper_id"] == "kunming_crop" and 0 < row["fix_distance_km"] < 50
    assert "1 more unit" in row["fix"]


def test_no_specialty_language_level_radius() -> None:
    needs = pd.DataFrame(
        {
            "need_id": ["solar", "tibetan", "senior_health", "far_crop"],
            "lon": [100.0, 91.2, 104.1, 87.6],
            "lat": [30.0, 29.6, 30.7, 43.8],
            "category": ["solar", "livestock", "health", "crop"],
            "language": ["", "bo", "", ""],
            "min_level": ["", "", "senior", ""],
        }
    )
    un = _run(HELPERS, needs, radius_km=1500.0)
    assert un.loc["solar", "reason"] == "no_specialty_match"
    assert un.loc["tibetan", "reason"] == "language"
    assert un.loc["tibetan", "fix_helper_id"] == "lhasa_vet"
    assert un.loc["senior_health", "reason"] == "level"
    far = un.loc["far_crop"]
    assert far["reason"] == "no_candidate_in_radius"
    assert far["fix_helper_id"] == "kunming_crop" and far["fix_distance_km"] > 1500


def test_cost_above_penalty() -> None:
    needs = pd.DataFrame(
        {
            "need_id": ["cheap"],
            "lon": [87.6],
            "lat": [43.8],
            "category": ["crop"],
            "unmet_penalty": [10],
        }
    )
    un = _run(HELPERS, needs)
    assert un.loc["cheap", "reason"] == "cost_above_penalty"
    assert "raise" in un.loc["cheap", "fix"]


def test_arcs_file_without_candidates_is_no_candidate() -> None:
    helpers = pd.DataFrame({"helper_id": ["A"], "capacity": [1]})
    needs = pd.DataFrame({"need_id": ["x", "y"]})
    arcs = pd.DataFrame({"helper_id": ["A"], "need_id": ["x"], "cost": [5]})
    r = solve_pairing(
        helpers, needs, arcs, PairingSettings(relation_mode="ignore"), arcs_given=True
    )
    assert r.unmet.set_index("need_id").loc["y", "reason"] == "no_candidate"


def test_unmet_rows_have_kind_reason_zh_and_a_county_summary() -> None:
    from geomatch.render.shortfall import summarise_unmet
    from geomatch.solve.pairing import pair_from_locations
    from geomatch.solve.pairing_explain import REASON_ZH

    h = pd.DataFrame(
        {
            "helper_id": ["H1", "H2"],
            "capacity": [1, 1],
            "lon": [104.0, 116.4],
            "lat": [30.0, 39.9],
            "specialty": ["health", "crop"],
        }
    )
    n = pd.DataFrame(
        {
            "need_id": ["a", "b", "c", "d"],
            "kind": ["station", "station", "station", ""],
            "adcode": ["510104", "510104", "510104", "620102"],
            "lon": [104.1, 104.2, 104.3, 103.8],
            "lat": [30.0, 30.1, 30.2, 36.0],
            "category": ["health", "health", "health", "solar"],
        }
    )
    settings = PairingSettings(relation_mode="ignore")
    r = pair_from_locations(h, n, settings)
    assert (r.unmet["kind"] != "").all() and (r.unmet["stage"] == "pairing").all()
    assert r.unmet["reason_zh"].tolist() == [REASON_ZH[c] for c in r.unmet["reason"]]
    s = summarise_unmet(r.unmet, n, radius_km=settings.radius_km).set_index("adcode")
    assert s.loc["510104", "unmet_needs"] == 2 and s.loc["510104", "needs_total"] == 3
    assert s.loc["510104", "fix"] == "在 100 公里内增加 2 名医疗健康驻站专家"
    assert s.loc["620102", "province_adcode"] == "620000"
    assert "光伏" in s.loc["620102", "fix"]


def test_a_stopped_run_names_the_pair_it_left_open() -> None:
    # an exact run that stopped before its proof: its last round priced out a pair of
    # each of these unmet needs; the need is not "capacity_taken" when a helper has room
    from geomatch.solve.pairing_explain import OpenPairs, explain_unmet

    helpers = HELPERS.assign(capacity=[1, 2, 1])
    needs = pd.DataFrame(
        {
            "need_id": ["held", "roomy", "full", "closed"],
            "kind": "",
            "adcode": "",
            "priority": "ordinary",
            "category": ["crop", "health", "crop", "livestock"],
        }
    )
    pairings = pd.DataFrame(
        {"helper_id": ["kunming_crop", "chengdu_health"], "need_id": ["held", "x"], "load": 1}
    )
    open_pairs = pd.DataFrame(
        {
            "need_id": ["roomy", "roomy", "full"],
            "helper_id": ["kunming_crop", "chengdu_health", "kunming_crop"],
            "cost": [900, 1200, 700],
            "distance_km": [812.34, 1100.0, 640.0],
            "reduced_cost": [-300, -100, -50],
        }
    )
    un = explain_unmet(
        needs["need_id"].to_numpy()[1:],
        helpers=helpers,
        needs=needs,
        arcs=pd.DataFrame(columns=["helper_id", "need_id", "cost", "load", "distance_km"]),
        pairings=pairings,
        penalties=pd.Series(2000, index=needs["need_id"]),
        settings=PairingSettings(relation_mode="ignore"),
        relations=None,
        arcs_given=True,
        open_pairs=OpenPairs(open_pairs, "time limit before proof"),
    ).set_index("need_id")
    roomy, full = un.loc["roomy"], un.loc["full"]
    # the helper with room is named, though another pair has a lower reduced cost
    assert roomy["reason"] == "stopped_early" and roomy["fix_helper_id"] == "chengdu_health"
    assert roomy["fix_distance_km"] == 1100.0 and "has room" in roomy["fix"]
    assert "time limit before proof" in roomy["detail"] and "2 pair(s)" in roomy["detail"]
    assert "求解在证明最优前停止" in roomy["reason_zh"]
    # only full helpers priced out: no helper to name, the detail says why
    assert full["reason"] == "stopped_early" and full["fix_helper_id"] == ""
    assert "kunming_crop" in full["detail"] and "full" in full["detail"]
    assert full["fix"] == "raise --time-limit (or --rounds) and pair again"
    # a need the last round did not price out keeps its own reason
    assert un.loc["closed", "reason"] == "no_candidate"
