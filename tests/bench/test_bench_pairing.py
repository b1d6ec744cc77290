"""Benchmark harness pieces on small inputs (the real runs are `geomatch bench …`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from geomatch.candidates import build_candidates
from geomatch.io import read_helpers, read_needs
from geomatch.model.pairing_settings import PairingSettings
from geomatch.solve.pairing import solve_pairing, unmet_penalties
from solvers.bench.assign import read_assign_file, solve_assignment
from solvers.bench.gap import gap_instances, summarise_gap
from solvers.bench.national import highs_pair, make_instance, networkx_pair


def test_assignment_by_flow_equals_scipy() -> None:
    rng = np.random.default_rng(3)
    for n in (5, 17, 40):
        cost = rng.integers(1, 100, (n, n))
        obj, col, _ = solve_assignment(cost)
        r, c = linear_sum_assignment(cost)
        assert obj == cost[r, c].sum()
        assert sorted(col) == list(range(n)) and cost[np.arange(n), col].sum() == obj


def test_read_assign_file(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("2\n1 2\n3 4\n")
    assert read_assign_file(p).tolist() == [[1, 2], [3, 4]]


def test_shipped_gap_sets_parse() -> None:
    orlib = gap_instances("orlib")
    abcd = gap_instances("abcd")
    assert len(orlib) == 60 and len(abcd) == 24
    assert abcd[-1][1].name == "d20200" and (abcd[-1][1].m, abcd[-1][1].n) == (20, 200)
    df = pd.DataFrame(
        {
            "set": ["A", "A"],
            "sense": ["min", "min"],
            "status": ["optimal", "x"],
            "gap_pct": [0.0, 1.0],
            "seconds": [1.0, 2.0],
        }
    )
    s = summarise_gap(df)
    assert int(s.at[0, "proved_optimal"]) == 1 and float(s.at[0, "mean_gap_pct"]) == 0.5


def test_peers_reach_the_same_optimum(tmp_path: Path) -> None:
    hp, np_ = make_instance(tmp_path, needs=150, helpers=60, seed=5)
    s = PairingSettings(relation_mode="ignore")
    h, n = read_helpers(hp), read_needs(np_)
    arcs = build_candidates(h, n, s)[["helper_id", "need_id", "cost", "load"]]
    n["unmet_penalty"] = unmet_penalties(n, s)
    h[["helper_id", "capacity"]].to_csv(tmp_path / "h.csv", index=False)
    n[["need_id", "unmet_penalty"]].to_csv(tmp_path / "n.csv", index=False)
    arcs.to_csv(tmp_path / "a.csv", index=False)
    ours = solve_pairing(h, n, arcs, s).summary["objective"]
    nx_cost = networkx_pair(
        tmp_path / "h.csv", tmp_path / "n.csv", tmp_path / "a.csv", tmp_path / "nx.csv"
    )
    assert ours == nx_cost == round(highs_pair(h, n, arcs))


def test_national_bench_subsample_runs_all_three_peers(tmp_path: Path) -> None:
    from solvers.bench.national import run_national_bench

    res = run_national_bench(
        tmp_path, needs=300, helpers=200, sub_needs=120, skip_full=True, repeats=1
    )
    sub = res["subsample"]
    assert sub["equal"]
    assert sub["geomatch_cost"] == sub["networkx_cost"]
    assert all(len(v) == 1 for v in sub["walls_seconds"].values())
    assert isinstance(res["seed"], int)


def test_instance_shape_and_raw_peer(tmp_path: Path) -> None:
    from solvers.bench.national import CATEGORIES_ZH, raw_flow_seconds

    hp, np_ = make_instance(tmp_path, needs=200, helpers=80, seed=9, pooled=True)
    h, n = pd.read_csv(hp), pd.read_csv(np_)
    assert h["lon"].min() > n["lon"].max()  # all helpers east of all needs
    assert set(n["category"]) <= set(CATEGORIES_ZH)
    assert len(h[["lon", "lat"]].drop_duplicates()) <= 200
    raw = raw_flow_seconds(hp, np_, arcs_per_need=5)
    assert raw["arcs"] <= 5 * len(n) and raw["raw_solve_seconds"] >= 0
    assert 0 < raw["pairs"] <= min(len(n), int(h["capacity"].sum()))
    assert raw["objective"] > 0


def test_final_solve_yardstick_reads_the_last_round() -> None:
    from solvers.bench.national import _final_solve

    rounds = [{"arcs": 10, "solve_seconds": 1.0}, {"arcs": 12, "solve_seconds": 2.0}]
    got = _final_solve({"pricing_rounds": rounds}, wall=9.0)
    assert got == {
        "final_model_arcs": 12,
        "final_model_solve_seconds": 2.0,
        "ratio_end_to_end_over_final_model_solve": 4.5,
    }
    assert _final_solve({}, wall=9.0) == {}


def test_full_run_reports_the_proof_and_the_near_optimal_plan(tmp_path: Path) -> None:
    # both fresh `geomatch pair` processes on a small instance of the bench's shape: the
    # near-optimal run (--gap 0.001) is within 0.1 % of the proven optimum
    from solvers.bench.national import NEAR_GAP, _full_run, _geomatch_exe

    hp, np_ = make_instance(tmp_path, needs=600, helpers=400, seed=11)
    got = _full_run(_geomatch_exe(), hp, np_, tmp_path / "full", 120.0)
    assert got["status"] == "optimal"
    assert got["near_status"] in ("optimal", "feasible")
    assert got["objective"] <= got["near_objective"] <= got["objective"] * (1 + NEAR_GAP)
    assert got["near_bound"] <= got["objective"]
    assert got["near_pricing_rounds"] <= got["pricing_rounds"]
