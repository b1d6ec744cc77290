"""National-scale pairing benchmark and peer solvers (raw OR-Tools, networkx, HiGHS).

The instance (issue 11's shape, a fresh seed per run unless given): ``needs`` needs
(default 128,000) all in the west (lon 75–105°E) and ``helpers`` helpers (default
100,000, capacity 2) all in the east (lon 106–122°E) at distinct points — or, with
``pooled``, on 200 eastern city points — in six categories written in Chinese (种植,
养殖, 医疗健康, 电商, 光伏, 休闲农业), a few minority-language needs and priority
classes, no arcs file. The nearest helpers of every need are then the same few on the
eastern edge. Measured:

* **end to end**: ``geomatch pair --helpers … --needs … --out DIR`` in a fresh process
  (CLI start-up, reading and validating the files, candidate search, the exact solve with
  pricing, explanations, writing): wall time and peak resident memory;
* **raw solve** in the same run: OR-Tools' ``SimpleMinCostFlow.solve`` on a network of
  the same size — the same needs and helpers, 20 nearest compatible arcs per need — the
  target is end to end ≤ 3 × raw solve and ≤ 2 GiB. Its pairs and objective are
  reported: on this shape the 20 nearest helpers of every need are the same few on the
  eastern edge, so that network leaves most needs unmet and is a far easier problem
  than the one proven (at 128,000 needs it pairs about 4 %); the last round's solve of
  ``geomatch pair`` (one solve of a network that holds the optimum) is reported beside
  it as a second yardstick;
* **near-optimal** in the same run: the same command with ``--gap 0.001`` (stop once the
  plan is proven within 0.1 % of the optimum by the warm start's bound): wall time, gap,
  unmet needs;
* **peers on a subsample** (default 2,500 needs and their candidate arcs, as
  ``arcs.csv``): ``geomatch pair --arcs`` end to end against a networkx
  ``network_simplex`` script end to end (fresh processes reading the same files), and
  HiGHS (``scipy.optimize.linprog``, the LP is integral) — same optimum required.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geomatch.progress import ProgressCallback, null_progress

__all__ = [
    "CATEGORIES_ZH",
    "highs_pair",
    "make_instance",
    "networkx_pair",
    "raw_flow_seconds",
    "run_national_bench",
    "run_process",
]

log = logging.getLogger(__name__)


#: ``--time-limit`` of the full runs (seconds; ``--proof-limit`` of the bench).
PROOF_LIMIT_S = 1800.0

#: ``--gap`` of the near-optimal run beside each proof: a plan proven within 0.1 %.
NEAR_GAP = 0.001

#: The six categories of the instance, as a planner writes them.
CATEGORIES_ZH = ("种植", "养殖", "医疗健康", "电商", "光伏", "休闲农业")


def make_instance(
    folder: Path,
    *,
    needs: int = 128_000,
    helpers: int = 100_000,
    capacity: int = 2,
    seed: int = 20161207,
    pooled: bool = False,
) -> tuple[Path, Path]:
    """Write an instance (``helpers.csv``, ``needs.csv``) into ``folder``.

    Needs uniform over lon 75–105°E, lat 24–42°N; helpers over lon 106–122°E, lat
    22–41°N (distinct points, 4 decimals), or with ``pooled`` on 200 such city points.
    3 % of needs require Tibetan or Uyghur, spoken by 5 % of helpers; priorities 10 %
    remaining, 10 % newly poor, 5 % returned, the rest ordinary.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cats = np.array(CATEGORIES_ZH)
    langs = rng.choice(["zh", "zh;bo", "zh;ug"], helpers, p=[0.95, 0.025, 0.025])
    lon, lat = rng.uniform(106, 122, helpers), rng.uniform(22, 41, helpers)
    if pooled:
        city = rng.integers(0, 200, helpers)
        lon, lat = rng.uniform(106, 122, 200)[city], rng.uniform(22, 41, 200)[city]
    h = pd.DataFrame(
        {
            "helper_id": [f"H{i:06d}" for i in range(helpers)],
            "capacity": capacity,
            "lon": lon.round(4),
            "lat": lat.round(4),
            "specialty": rng.choice(cats, helpers),
            "languages": langs,
        }
    )
    n = pd.DataFrame(
        {
            "need_id": [f"N{i:06d}" for i in range(needs)],
            "lon": rng.uniform(75, 105, needs).round(4),
            "lat": rng.uniform(24, 42, needs).round(4),
            "category": rng.choice(cats, needs),
            "priority": rng.choice(
                ["remaining", "newly_poor", "returned", "ordinary"], needs, p=[0.1, 0.1, 0.05, 0.75]
            ),
            "language": rng.choice(["", "bo", "ug"], needs, p=[0.97, 0.015, 0.015]),
        }
    )
    hp, np_ = folder / "helpers.csv", folder / "needs.csv"
    h.to_csv(hp, index=False)
    n.to_csv(np_, index=False)
    return hp, np_


def raw_flow_seconds(helpers_csv: Path, needs_csv: Path, arcs_per_need: int = 20) -> dict[str, Any]:
    """OR-Tools min-cost flow on the same needs and helpers with ``arcs_per_need`` nearest
    compatible arcs each: the raw solve time (``solve()`` only), the network's size and
    what its optimum pairs.

    The pairs matter for reading the ratio: when the nearest helpers of every need are the
    same few on the eastern edge, this network leaves most needs unmet (an easy problem:
    few arcs can carry flow), while ``geomatch pair`` proves the optimum over every
    compatible pair, where all of them are paired.
    """
    from ortools.graph.python import min_cost_flow

    from geomatch.candidates import build_candidates
    from geomatch.io import read_helpers, read_needs
    from geomatch.model.pairing_settings import PairingSettings
    from geomatch.solve.pairing import unmet_penalties

    s = PairingSettings(
        relation_mode="ignore", k_nearest=arcs_per_need, k_relation=0, pool_helpers=False
    )
    h, n = read_helpers(helpers_csv), read_needs(needs_csv)
    arcs = build_candidates(h, n, s)
    hid, nid = pd.Index(h["helper_id"]), pd.Index(n["need_id"])
    H, N = len(h), len(n)
    ah = hid.get_indexer(arcs["helper_id"]).astype(np.int64)
    an = nid.get_indexer(arcs["need_id"]).astype(np.int64)
    tails = np.r_[np.zeros(H, np.int64), 1 + ah, np.zeros(N, np.int64)]
    heads = np.r_[1 + np.arange(H), 1 + H + an, 1 + H + np.arange(N)]
    caps = np.r_[h["capacity"].to_numpy(np.int64), np.ones(len(arcs) + N, np.int64)]
    costs = np.r_[np.zeros(H, np.int64), arcs["cost"].to_numpy(np.int64), unmet_penalties(n, s)]
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.r_[N, np.zeros(H, np.int64), -np.ones(N, np.int64)].astype(np.int64)
    smcf.set_nodes_supplies(np.arange(1 + H + N, dtype=np.int64), supplies)
    t0 = time.perf_counter()
    smcf.solve()
    seconds = time.perf_counter() - t0
    flows = smcf.flows(np.arange(H, H + len(arcs), dtype=np.int64))
    return {
        "arcs": len(arcs),
        "raw_solve_seconds": round(seconds, 3),
        "pairs": int(flows.sum()),
        "objective": int(smcf.optimal_cost()),
    }


def run_process(
    args: list[str], *, env: dict[str, str] | None = None
) -> tuple[float, int, int, str]:
    """Run a command; return (wall seconds, its peak RSS in MiB, exit code, output tail).

    ``env`` adds variables to this process's environment for the command.
    """
    import tempfile

    full_env = None if env is None else {**os.environ, **env}
    with tempfile.TemporaryFile("w+") as log_fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args, stdout=log_fh, stderr=subprocess.STDOUT, text=True, env=full_env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        log_fh.seek(0)
        tail = log_fh.read()[-2000:]
    return wall, int(usage.ru_maxrss) // 1024, proc.returncode, tail


def _geomatch_exe() -> str:
    exe = Path(sys.executable).with_name("geomatch")
    return str(exe) if exe.exists() else "geomatch"


def networkx_pair(helpers_csv: Path, needs_csv: Path, arcs_csv: Path, out_csv: Path) -> int:
    """Solve the pairing of the given files with networkx ``network_simplex``.

    Same model as geomatch (unmet arcs at ``unmet_penalty``); writes the pairs and
    returns the optimal cost.
    """
    import networkx as nx

    h = pd.read_csv(helpers_csv, dtype={"helper_id": str})
    n = pd.read_csv(needs_csv, dtype={"need_id": str})
    a = pd.read_csv(arcs_csv, dtype={"helper_id": str, "need_id": str})
    g = nx.DiGraph()
    g.add_node("S", demand=-len(n))
    for nid in n["need_id"]:
        g.add_node(("n", nid), demand=1)
    g.add_edges_from(
        ("S", ("h", hid), {"capacity": int(c), "weight": 0})
        for hid, c in zip(h["helper_id"], h["capacity"], strict=True)
    )
    g.add_edges_from(
        (("h", hid), ("n", nid), {"capacity": 1, "weight": int(c)})
        for hid, nid, c in zip(a["helper_id"], a["need_id"], a["cost"], strict=True)
    )
    # unmet arcs through a per-need dummy node (DiGraph allows one S → n edge only)
    g.add_edges_from(
        ("S", ("u", nid), {"capacity": 1, "weight": int(p)})
        for nid, p in zip(n["need_id"], n["unmet_penalty"], strict=True)
    )
    g.add_edges_from((("u", nid), ("n", nid), {"capacity": 1, "weight": 0}) for nid in n["need_id"])
    cost, flow = nx.network_simplex(g)
    pairs = [
        (k[1], v[1])
        for k, d in flow.items()
        if k != "S" and k[0] == "h"
        for v, f in d.items()
        if f > 0
    ]
    pd.DataFrame(pairs, columns=["helper_id", "need_id"]).to_csv(out_csv, index=False)
    return int(cost)


def highs_pair(helpers: pd.DataFrame, needs: pd.DataFrame, arcs: pd.DataFrame) -> float:
    """The same model as an LP for HiGHS (``scipy.optimize.linprog``); optimal cost."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, hstack, identity

    hid = pd.Index(helpers["helper_id"].astype(str))
    nid = pd.Index(needs["need_id"].astype(str))
    ah = hid.get_indexer(arcs["helper_id"].astype(str))
    an = nid.get_indexer(arcs["need_id"].astype(str))
    A, N, H = len(arcs), len(nid), len(hid)
    eq = hstack([coo_matrix((np.ones(A), (an, np.arange(A))), shape=(N, A)), identity(N)])
    ub = hstack([coo_matrix((np.ones(A), (ah, np.arange(A))), shape=(H, A)), coo_matrix((H, N))])
    c = np.r_[arcs["cost"].to_numpy(float), needs["unmet_penalty"].to_numpy(float)]
    res = linprog(
        c,
        A_ub=ub.tocsr(),
        b_ub=helpers["capacity"].to_numpy(float),
        A_eq=eq.tocsr(),
        b_eq=np.ones(N),
        bounds=(0, 1),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"HiGHS: {res.message}")
    return float(res.fun)


def _timed_pair(
    exe: str, hp: Path, np_: Path, out: Path, *options: str
) -> tuple[float, int, dict[str, Any]]:
    """``geomatch pair`` on the whole instance in a fresh process: (wall seconds, peak
    MiB, its ``summary.json``)."""
    args = [exe, "-q", "pair", "--helpers", str(hp), "--needs", str(np_), "--out", str(out)]
    wall, peak, rc, tail = run_process([*args, *options])
    if rc != 0:
        raise RuntimeError(f"geomatch pair {' '.join(options)} failed ({rc}): {tail}")
    return wall, peak, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _full_run(exe: str, hp: Path, np_: Path, out: Path, limit_s: float) -> dict[str, Any]:
    """``geomatch pair`` on the whole instance in a fresh process, with the raw peer."""
    # a time limit meant for the proof: the status says whether it was reached
    wall, peak, s = _timed_pair(exe, hp, np_, out, "--time-limit", str(limit_s))
    raw = raw_flow_seconds(hp, np_)
    near_out = out.with_name(out.name + "-near")
    near = _near_run(exe, hp, np_, near_out, limit_s, raw["raw_solve_seconds"])
    return {
        "end_to_end_seconds": round(wall, 2),
        "peak_mib": peak,
        "status": s["status"],
        "optimal_over": s.get("optimal_over"),
        "objective": s["objective"],
        "bound": s.get("bound"),
        "gap": s.get("gap"),
        "pairings": s["n_pairings"],
        "unmet": s["n_unmet"],
        "arcs_final": s["n_arcs"],
        "pricing_rounds": len(s.get("pricing_rounds", [])),
        "solve_seconds_all_rounds": s.get("solve_seconds_all_rounds"),
        "pricing_seconds": s.get("pricing_seconds"),
        "candidate_seconds": s.get("candidate_seconds"),
        "raw_peer_arcs": raw["arcs"],
        "raw_peer_solve_seconds": raw["raw_solve_seconds"],
        "raw_peer_pairs": raw["pairs"],
        "raw_peer_objective": raw["objective"],
        "ratio_end_to_end_over_raw_peer": round(wall / max(raw["raw_solve_seconds"], 1e-9), 2),
        **_final_solve(s, wall),
        **near,
    }


def _near_run(
    exe: str, hp: Path, np_: Path, out: Path, limit_s: float, raw_s: float
) -> dict[str, Any]:
    """The same command with ``--gap NEAR_GAP``: the time to a plan proven within 0.1 %
    of the optimum (what a planner who does not need the last 0.1 % waits)."""
    limits = ("--time-limit", str(limit_s), "--gap", str(NEAR_GAP))
    wall, peak, s = _timed_pair(exe, hp, np_, out, *limits)
    return {
        "near_gap": NEAR_GAP,
        "near_end_to_end_seconds": round(wall, 2),
        "near_peak_mib": peak,
        "near_status": s["status"],
        "near_objective": s["objective"],
        "near_bound": s.get("bound"),
        "near_gap_proven": s.get("gap"),
        "near_unmet": s["n_unmet"],
        "near_pricing_rounds": len(s.get("pricing_rounds", [])),
        "ratio_near_over_raw_peer": round(wall / max(raw_s, 1e-9), 2),
    }


def _final_solve(summary: dict[str, Any], wall: float) -> dict[str, Any]:
    """The last round's OR-Tools solve: one solve of a network that holds the optimum (when
    proven) — the least a method that re-solves from scratch pays, the second yardstick
    beside the raw peer (whose 20 nearest arcs leave most needs unmet on this shape)."""
    rounds = summary.get("pricing_rounds") or []
    if not rounds:
        return {}
    last = float(rounds[-1]["solve_seconds"])
    return {
        "final_model_arcs": rounds[-1]["arcs"],
        "final_model_solve_seconds": last,
        "ratio_end_to_end_over_final_model_solve": round(wall / max(last, 1e-9), 2),
    }


def _compile_bytecode() -> None:
    """Byte-compile geomatch once, as an installed package is (PYTHONDONTWRITEBYTECODE
    would otherwise make every timed ``geomatch`` start compile its own sources again,
    while the peer's libraries come compiled from their wheels)."""
    import compileall

    import geomatch
    from geomatch.candidates.hubsearch import compile_kernels

    for folder in geomatch.__path__:
        compileall.compile_dir(folder, quiet=1)
    compile_kernels()  # the pricing's numba kernels, compiled once per installation


def _subsample_peers(
    exe: str, work: Path, hp: Path, np_: Path, sub_needs: int, repeats: int
) -> dict[str, Any]:
    """``geomatch pair --arcs`` against networkx and HiGHS on a subsample's files."""
    from geomatch.candidates import build_candidates
    from geomatch.io import read_helpers, read_needs
    from geomatch.model.pairing_settings import PairingSettings
    from geomatch.solve.pairing import unmet_penalties

    settings = PairingSettings(relation_mode="ignore")
    hf = read_helpers(hp)
    nf = read_needs(np_).iloc[:sub_needs].copy()
    arcs = build_candidates(hf, nf, settings)[["helper_id", "need_id", "cost", "load"]]
    nf["unmet_penalty"] = unmet_penalties(nf, settings)
    used = hf[hf["helper_id"].isin(arcs["helper_id"])]
    sub = work / "sub"
    sub.mkdir(parents=True, exist_ok=True)
    used[["helper_id", "capacity"]].to_csv(sub / "helpers.csv", index=False)
    nf[["need_id", "unmet_penalty"]].to_csv(sub / "needs.csv", index=False)
    arcs.to_csv(sub / "arcs.csv", index=False)
    files = [str(sub / f) for f in ("helpers.csv", "needs.csv", "arcs.csv")]
    pair_args = [exe, "-q", "pair", "--helpers", files[0], "--needs", files[1]]
    pair_args += ["--arcs", files[2], "--out", str(sub / "geomatch")]
    nx_args = [sys.executable, str(Path(__file__).resolve()), "networkx", *files]
    nx_args.append(str(sub / "networkx.csv"))
    # interleaved repeats, so that a busy moment on the machine hits both alike
    walls: dict[str, list[float]] = {"geomatch": [], "networkx": []}
    for _ in range(repeats):
        for name, args in (("geomatch", pair_args), ("networkx", nx_args)):
            wall, _peak, rc, tail = run_process(args)
            if rc != 0:
                raise RuntimeError(f"{name} run failed ({rc}): {tail}")
            walls[name].append(wall)
    g_sum = json.loads((sub / "geomatch" / "summary.json").read_text(encoding="utf-8"))
    nx_cost = int((sub / "networkx.csv.cost").read_text().strip())
    med = {k: float(np.median(v)) for k, v in walls.items()}
    t0 = time.perf_counter()
    hi_cost = highs_pair(used, nf, arcs)
    return {
        "needs": len(nf),
        "helpers": len(used),
        "arcs": len(arcs),
        "geomatch_cost": g_sum["objective"],
        "networkx_cost": nx_cost,
        "highs_cost": round(hi_cost, 3),
        "equal": g_sum["objective"] == nx_cost == round(hi_cost),
        "repeats": repeats,
        "geomatch_end_to_end_seconds": round(med["geomatch"], 3),
        "geomatch_raw_solve_seconds": g_sum["solve_seconds"],
        "networkx_end_to_end_seconds": round(med["networkx"], 3),
        "highs_seconds_in_process": round(time.perf_counter() - t0, 2),
        "speedup_vs_networkx": round(med["networkx"] / med["geomatch"], 2),
        "walls_seconds": {k: [round(w, 3) for w in v] for k, v in walls.items()},
    }


def run_national_bench(
    work: Path,
    *,
    needs: int = 128_000,
    helpers: int = 100_000,
    sub_needs: int = 2_500,
    skip_full: bool = False,
    repeats: int = 5,
    seed: int | None = None,
    proof_limit_s: float = PROOF_LIMIT_S,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Run the benchmark in ``work`` (instance files are kept there).

    A fresh instance (``seed`` drawn at random unless given, and reported) with helpers
    at distinct points, then the same with helpers pooled at city points, each against
    the raw OR-Tools solve of the same size (``geomatch pair --time-limit
    proof_limit_s``); then the subsample peers.
    """
    progress = progress or null_progress
    exe = _geomatch_exe()
    seed = int.from_bytes(os.urandom(4), "little") if seed is None else seed
    res: dict[str, Any] = {"needs": needs, "helpers": helpers, "capacity": 2, "seed": seed}
    _compile_bytecode()  # before any timed run
    hp, np_ = make_instance(work / "instance", needs=needs, helpers=helpers, seed=seed)
    progress(0.1, "instance written")
    if not skip_full:
        res["distinct_points"] = _full_run(exe, hp, np_, work / "full", proof_limit_s)
        progress(0.4, "distinct points done")
        php, pnp = make_instance(
            work / "instance-pooled", needs=needs, helpers=helpers, seed=seed, pooled=True
        )
        res["city_points"] = _full_run(exe, php, pnp, work / "full-pooled", proof_limit_s)
    progress(0.7, "full instances done")
    res["subsample"] = _subsample_peers(exe, work, hp, np_, sub_needs, repeats)
    progress(1.0, "done")
    return res


def _main(argv: list[str]) -> int:
    """``python solvers/bench/national.py networkx H N A OUT`` (peer process)."""
    if len(argv) == 5 and argv[0] == "networkx":
        cost = networkx_pair(Path(argv[1]), Path(argv[2]), Path(argv[3]), Path(argv[4]))
        Path(argv[4] + ".cost").write_text(str(cost))
        return 0
    sys.stderr.write("usage: python solvers/bench/national.py networkx H N A OUT\n")
    return 2


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(_main(sys.argv[1:]))
