"""Pairing solver: invariants, optimum equal to an independent MILP, locks, re-planning,
side constraints, equity, reason codes."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geomatch.errors import InfeasibleError
from geomatch.model.pairing_settings import PairingSettings
from geomatch.solve.pairing import solve_pairing
from tests.solve.test_pairing_support import check_invariants, milp_optimum, random_instance

FLOW = PairingSettings(relation_mode="ignore", solver="flow")
CPSAT = PairingSettings(relation_mode="ignore", solver="cpsat", time_limit_s=10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), require_all=st.booleans())
def test_flow_optimum_equals_milp(seed: int, require_all: bool) -> None:
    helpers, needs, arcs = random_instance(seed, n_helpers=4, n_needs=7)
    ref = milp_optimum(helpers, needs, arcs, require_all=require_all)
    if ref is None:
        with pytest.raises(InfeasibleError):
            solve_pairing(helpers, needs, arcs, FLOW, require_all=require_all)
        return
    r = solve_pairing(helpers, needs, arcs, FLOW, require_all=require_all)
    assert r.summary["status"] == "optimal"
    assert r.summary["objective"] == pytest.approx(ref)
    check_invariants(r, helpers, arcs)
    # objective is what the tables say
    pen = needs.set_index("need_id")["unmet_penalty"]
    assert r.pairings["cost"].sum() + pen[r.unmet["need_id"]].sum() == r.summary["objective"]
    assert len(r.pairings) + len(r.unmet) == len(needs)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_gap_loads_cpsat_equals_milp(seed: int) -> None:
    helpers, needs, arcs = random_instance(seed, n_helpers=3, n_needs=6, max_load=3, max_cap=5)
    ref = milp_optimum(helpers, needs, arcs)
    r = solve_pairing(helpers, needs, arcs, PairingSettings(relation_mode="ignore"))
    # per-pair loads make a GAP (CP-SAT) unless each helper's loads happen to be equal,
    # which is still a network (capacity in pairs) for the min-cost flow
    uniform = arcs.groupby("helper_id")["load"].nunique().le(1).all()
    assert r.summary["solver"] == ("ortools-min-cost-flow" if uniform else "ortools-cp-sat")
    assert r.summary["status"] == "optimal"
    assert r.summary["objective"] == pytest.approx(ref)
    check_invariants(r, helpers, arcs)


def test_cpsat_and_flow_agree_on_a_network() -> None:
    helpers, needs, arcs = random_instance(7, n_helpers=5, n_needs=12)
    a = solve_pairing(helpers, needs, arcs, FLOW)
    b = solve_pairing(helpers, needs, arcs, CPSAT)
    assert a.summary["objective"] == b.summary["objective"]
    assert b.summary["bound"] == pytest.approx(b.summary["objective"])


def _station_case() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    helpers = pd.DataFrame(
        {"helper_id": ["E1", "E2"], "capacity": [2, 2], "kind": ["expert", "expert"]}
    )
    needs = pd.DataFrame(
        {
            "need_id": ["S1", "S2", "V1"],
            "kind": ["station", "station", "village_product"],
            "adcode": ["530102", "530103", "530102"],
            "unmet_penalty": [1000, 1000, 1000],
        }
    )
    arcs = pd.DataFrame(
        {
            "helper_id": ["E1", "E1", "E1", "E2"],
            "need_id": ["S1", "S2", "V1", "V1"],
            "cost": [10, 10, 50, 10],
            "load": [1, 1, 1, 1],
        }
    )
    return helpers, needs, arcs


def test_one_station_per_expert_in_flow_and_cpsat() -> None:
    helpers, needs, arcs = _station_case()
    for solver in ("flow", "cpsat"):
        s = PairingSettings(relation_mode="ignore", solver=solver)  # type: ignore[arg-type]
        r = solve_pairing(helpers, needs, arcs, s)
        stations = r.pairings[r.pairings["kind"] == "station"]
        assert stations.groupby("helper_id").size().max() == 1
        # MILP with the same group constraint (arcs 0 and 1 share expert E1)
        ref = milp_optimum(helpers, needs, arcs, groups=[([0, 1], 1)])
        assert r.summary["objective"] == pytest.approx(ref)
        assert set(r.unmet["reason"]) <= {"side_constraint"}
    off = PairingSettings(relation_mode="ignore", one_station_per_expert=False)
    assert solve_pairing(helpers, needs, arcs, off).summary["n_unmet"] == 0


def test_per_county_limit_and_station_all_or_nothing_use_cpsat() -> None:
    helpers = pd.DataFrame(
        {"helper_id": ["C", "L"], "capacity": [5, 5], "kind": ["expert", "expert"]}
    )
    needs = pd.DataFrame(
        {
            "need_id": ["crop", "live", "health"],
            "kind": ["station"] * 3,
            "adcode": ["530102"] * 3,
            "unmet_penalty": [100, 100, 100],
        }
    )
    # nobody can take the health role: with all-or-nothing the whole team stays unmet
    arcs = pd.DataFrame(
        {"helper_id": ["C", "L"], "need_id": ["crop", "live"], "cost": [1, 1], "load": [1, 1]}
    )
    s = PairingSettings(relation_mode="ignore", station_all_or_nothing=True)
    r = solve_pairing(helpers, needs, arcs, s)
    assert r.summary["solver"] == "ortools-cp-sat"
    assert r.summary["n_pairings"] == 0 and r.summary["objective"] == 300
    # per-county limit of 1: a helper takes one need of the county
    helpers2 = pd.DataFrame({"helper_id": ["X"], "capacity": [3], "kind": ["society"]})
    needs2 = pd.DataFrame(
        {
            "need_id": ["a", "b", "c"],
            "adcode": ["530102", "530102", "530103"],
            "unmet_penalty": [100, 100, 100],
        }
    )
    arcs2 = pd.DataFrame(
        {"helper_id": ["X"] * 3, "need_id": ["a", "b", "c"], "cost": [1, 2, 3], "load": [1, 1, 1]}
    )
    r2 = solve_pairing(
        helpers2,
        needs2,
        arcs2,
        PairingSettings(relation_mode="ignore", max_needs_per_helper_county=1),
    )
    assert sorted(r2.pairings["need_id"]) == ["a", "c"]
    r3 = solve_pairing(
        helpers2,
        needs2,
        arcs2,
        PairingSettings(relation_mode="ignore", society_quota_per_province=2),
    )
    assert r3.summary["n_pairings"] == 2  # all three in province 53


def test_locks_are_kept_even_when_costly() -> None:
    helpers, needs, arcs = random_instance(3, n_helpers=4, n_needs=8, density=0.9)
    free = solve_pairing(helpers, needs, arcs, FLOW)
    # lock the most expensive arc of a need to its helper
    worst = arcs.sort_values("cost").iloc[-1]
    cap = helpers.set_index("helper_id")["capacity"]
    if cap[worst["helper_id"]] == 0:
        helpers.loc[helpers["helper_id"] == worst["helper_id"], "capacity"] = 1
        free = solve_pairing(helpers, needs, arcs, FLOW)
    locks = pd.DataFrame({"need_id": [worst["need_id"]], "helper_id": [worst["helper_id"]]})
    r = solve_pairing(helpers, needs, arcs, FLOW, locks=locks)
    row = r.pairings.set_index("need_id").loc[worst["need_id"]]
    assert row["helper_id"] == worst["helper_id"] and bool(row["locked"])
    assert r.summary["objective"] >= free.summary["objective"]
    check_invariants(r, helpers, arcs)


def test_locks_over_capacity_are_infeasible() -> None:
    helpers = pd.DataFrame({"helper_id": ["A"], "capacity": [1]})
    needs = pd.DataFrame({"need_id": ["x", "y"]})
    arcs = pd.DataFrame({"helper_id": ["A", "A"], "need_id": ["x", "y"], "cost": [1, 1]})
    locks = pd.DataFrame({"need_id": ["x", "y"], "helper_id": ["A", "A"]})
    with pytest.raises(InfeasibleError, match="capacity is 1"):
        solve_pairing(helpers, needs, arcs, FLOW, locks=locks)


def test_previous_plan_is_kept_for_small_gains() -> None:
    helpers = pd.DataFrame({"helper_id": ["old", "new"], "capacity": [1, 1]})
    needs = pd.DataFrame({"need_id": ["n"], "unmet_penalty": [10_000]})
    arcs = pd.DataFrame({"helper_id": ["old", "new"], "need_id": ["n", "n"], "cost": [110, 100]})
    prev = pd.DataFrame({"need_id": ["n"], "helper_id": ["old"]})
    r = solve_pairing(
        helpers, needs, arcs, FLOW.model_copy(update={"change_penalty": 50}), previous=prev
    )
    assert r.pairings.at[0, "helper_id"] == "old" and not r.pairings.at[0, "changed"]
    r2 = solve_pairing(
        helpers, needs, arcs, FLOW.model_copy(update={"change_penalty": 5}), previous=prev
    )
    assert r2.pairings.at[0, "helper_id"] == "new" and bool(r2.pairings.at[0, "changed"])
    assert r2.summary["n_changed"] == 1 and r2.summary["change_penalty_total"] == 5


def test_require_all_names_the_binding_constraint() -> None:
    helpers = pd.DataFrame({"helper_id": ["A", "B"], "capacity": [1, 1]})
    needs = pd.DataFrame({"need_id": ["x", "y", "z"]})
    arcs = pd.DataFrame(
        {"helper_id": ["A", "A", "A", "B"], "need_id": ["x", "y", "z", "z"], "cost": [1, 1, 1, 1]}
    )
    with pytest.raises(InfeasibleError, match=r"total demand 2 > total capacity 1"):
        solve_pairing(helpers, needs, arcs, FLOW, require_all=True)
    arcs2 = arcs[arcs["need_id"] != "y"]
    with pytest.raises(InfeasibleError, match="need y has no candidate helper"):
        solve_pairing(helpers, needs, arcs2, FLOW, require_all=True)


def test_equity_minmax_matches_brute_force() -> None:
    helpers, needs, arcs = random_instance(11, n_helpers=3, n_needs=5, density=0.8)
    s = FLOW.model_copy(update={"equity": "minmax", "equity_curve_points": 3})
    r = solve_pairing(helpers, needs, arcs, s)
    # brute force: the minimal unmet penalty, then the smallest longest trip among those
    pen = needs.set_index("need_id")["unmet_penalty"]
    cap = helpers.set_index("helper_id")["capacity"]
    options = [[None, *arcs.index[arcs["need_id"] == n]] for n in needs["need_id"]]
    best: tuple[float, float, float] | None = None
    for choice in itertools.product(*options):
        used = [c for c in choice if c is not None]
        load = arcs.loc[used].groupby("helper_id").size()
        if (load > cap.reindex(load.index)).any():
            continue
        unmet = sum(pen[n] for n, c in zip(needs["need_id"], choice, strict=True) if c is None)
        longest = float(np.ceil(arcs.loc[used, "distance_km"]).max()) if used else 0.0
        cost = arcs.loc[used, "cost"].sum() + unmet
        key = (unmet, longest, cost)
        best = key if best is None or key < best else best
    assert best is not None
    assert r.summary["unmet_penalty_total"] == best[0]
    assert r.summary["longest_trip_km_allowed"] == best[1]
    assert r.summary["objective"] == best[2]
    assert len(r.summary["equity_curve"]) >= 1


def test_equity_weighted_cpsat_trades_cost_for_the_longest_trip() -> None:
    helpers = pd.DataFrame({"helper_id": ["near", "far"], "capacity": [1, 1]})
    needs = pd.DataFrame({"need_id": ["a", "b"], "unmet_penalty": [10**6, 10**6]})
    arcs = pd.DataFrame(
        {
            "helper_id": ["near", "far", "near", "far"],
            "need_id": ["a", "a", "b", "b"],
            "cost": [0, 100, 0, 60],
            "distance_km": [10.0, 900.0, 10.0, 500.0],
        }
    )
    plain = solve_pairing(helpers, needs, arcs, FLOW)
    assert plain.summary["longest_trip_km"] == 500.0
    w = solve_pairing(
        helpers, needs, arcs, CPSAT.model_copy(update={"equity": "weighted", "equity_weight": 1.0})
    )
    assert w.summary["longest_trip_km"] == 500.0  # 60 + 500 < 100 + 900
    assert w.summary["status"] == "optimal"


def test_result_tables_are_in_the_run_contract(tmp_path) -> None:
    """The pairing returns its run tables (it writes nothing); the one writer of a run
    folder writes them and reads them back unchanged."""
    from geomatch.model.run_tables import run_table, unmet_columns
    from geomatch.run_result import RunResult, read_run, write_run

    helpers, needs, arcs = random_instance(5)
    r = solve_pairing(helpers, needs, arcs, FLOW)
    assert len(r.unmet) > 0
    assert tuple(r.pairings.columns[:5]) == run_table("pairings").columns[:5]
    assert tuple(r.unmet.columns) == unmet_columns("pairing")
    assert (r.unmet["stage"] == "pairing").all()
    run = RunResult.of(
        {"pairings": r.pairings, "unmet": r.unmet}, summary=r.summary, manifest={"x": 1}
    )
    write_run(run, tmp_path / "run")
    assert sorted(f.name for f in (tmp_path / "run").iterdir()) == [
        "manifest.json",
        "pairings.csv",
        "summary.json",
        "unmet.csv",
    ]
    back = read_run(tmp_path / "run")
    assert back.same_as(run)
    assert back.summary["status"] == "optimal" and back.summary["n_pairings"] == len(r.pairings)


def test_cpsat_size_guard_names_the_reason() -> None:
    from geomatch.errors import InputError

    helpers, needs, arcs = random_instance(2, n_helpers=3, n_needs=6, max_load=3, max_cap=5)
    s = PairingSettings(relation_mode="ignore", cpsat_max_arcs=2)
    with pytest.raises(InputError, match="per-pair loads"):
        solve_pairing(helpers, needs, arcs, s)


def test_pricing_reaches_helpers_with_room() -> None:
    from geomatch.solve.pairing import pair_from_locations

    # two needs next to a helper of capacity 1; a second helper far away has room
    helpers = pd.DataFrame(
        {
            "helper_id": ["near", "far"],
            "capacity": [1, 1],
            "lon": [104.0, 116.4],
            "lat": [30.0, 39.9],
        }
    )
    needs = pd.DataFrame({"need_id": ["a", "b"], "lon": [104.1, 104.2], "lat": [30.0, 30.1]})
    s = PairingSettings(relation_mode="ignore", k_nearest=1)
    r = pair_from_locations(helpers, needs, s)
    assert r.summary["n_unmet"] == 0
    assert r.summary["status"] == "optimal"
    assert set(r.pairings["helper_id"]) == {"near", "far"}


def test_pooled_hub_splits_stations_over_its_experts() -> None:
    from geomatch.solve.pairing import pair_from_locations

    # three experts at one place (one hub of capacity 6) and three county stations
    helpers = pd.DataFrame(
        {
            "helper_id": ["e1", "e2", "e3"],
            "capacity": [2, 2, 2],
            "kind": "expert",
            "specialty": "crop",
            "lon": [104.0] * 3,
            "lat": [30.0] * 3,
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": ["s1", "s2", "s3", "s4", "v1"],
            "kind": ["station"] * 4 + ["village_product"],
            "adcode": ["510101", "510102", "510103", "510104", "510101"],
            "category": "crop",
            "lon": 104.5,
            "lat": 30.5,
        }
    )
    r = pair_from_locations(helpers, needs, PairingSettings(relation_mode="ignore"))
    st_pairs = r.pairings[r.pairings["kind"] == "station"]
    assert len(st_pairs) == 3 and st_pairs["helper_id"].is_unique  # one station each
    assert r.summary["n_pairings"] == 4
    assert r.unmet.set_index("need_id").loc[:, "reason"].iloc[0] == "side_constraint"
    check_invariants(r, helpers, r.pairings.assign(load=1)[["helper_id", "need_id"]])


def test_require_all_with_side_constraints_names_them() -> None:
    helpers, needs, arcs = _station_case()
    # E1 could take both stations by capacity, but one station per expert forbids it
    arcs = arcs[arcs["need_id"] != "V1"]
    needs = needs[needs["need_id"] != "V1"]
    s = PairingSettings(relation_mode="ignore", solver="cpsat")
    with pytest.raises(InfeasibleError, match="one_station_per_expert"):
        solve_pairing(helpers, needs, arcs, s, require_all=True)
    # and on the flow path the Hall violator is named
    with pytest.raises(InfeasibleError, match="cannot pair every need"):
        solve_pairing(helpers, needs, arcs, FLOW, require_all=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_pooled_hubs_are_exact(seed: int) -> None:
    from geomatch.solve.pairing import pair_from_locations

    rng = np.random.default_rng(seed)
    spots = np.array([[104.0, 30.0], [108.9, 34.3], [116.4, 39.9]])
    where = rng.integers(0, 3, 12)
    helpers = pd.DataFrame(
        {
            "helper_id": [f"H{i}" for i in range(12)],
            "capacity": rng.integers(0, 3, 12),
            "kind": "expert",
            "specialty": rng.choice(["crop", "health"], 12),
            "lon": spots[where, 0],
            "lat": spots[where, 1],
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": [f"N{j}" for j in range(14)],
            "kind": rng.choice(["station", "village_product"], 14),
            "adcode": rng.choice(["620102", "620103"], 14),
            "category": rng.choice(["crop", "health"], 14),
            "priority": rng.choice(["remaining", "ordinary"], 14),
            "lon": rng.uniform(95, 110, 14),
            "lat": rng.uniform(25, 40, 14),
        }
    )
    base = PairingSettings(relation_mode="ignore", k_nearest=12)
    pooled = pair_from_locations(helpers, needs, base)
    single = pair_from_locations(helpers, needs, base.model_copy(update={"pool_helpers": False}))
    assert pooled.summary["objective"] == single.summary["objective"]
    p = pooled.pairings
    cap = helpers.set_index("helper_id")["capacity"]
    used = p.groupby("helper_id").size()
    assert (used.to_numpy() <= cap.reindex(used.index).to_numpy()).all()
    st_per_expert = p[p["kind"] == "station"].groupby("helper_id").size()
    assert (st_per_expert <= 1).all()
