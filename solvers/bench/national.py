"""National-scale pairing benchmark and peer solvers (networkx, HiGHS).

The instance (fixed seed): ``needs`` western needs (default 128,000) and ``helpers``
helpers (default 100,000, capacity 2 each), with categories/specialties, a few minority
language requirements and priority classes, written as the generic ``helpers.csv`` and
``needs.csv``. Measured:

* **end to end**: ``geomatch pair --helpers … --needs … --out DIR`` in a fresh process
  (CLI start-up, reading and validating the files, candidate search, solve, explanations,
  writing ``pairings.csv``): wall time and peak resident memory of that process;
* **raw solve**: OR-Tools' min-cost-flow time on the same arcs (``solve_seconds`` in
  ``summary.json``); the target is end to end ≤ 3 × raw solve and ≤ 2 GiB;
* **peers on a subsample** (default 2,500 needs and their candidate arcs, as
  ``arcs.csv``): ``geomatch pair --arcs`` end to end — on its quick path and, with
  ``GEOMATCH_QUICK=0``, on the full path — against a networkx ``network_simplex`` script
  end to end (all fresh processes reading the same files), and HiGHS
  (``scipy.optimize.linprog``, the LP is integral) — same optimum required.
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

from geomatch.model.categories import CATEGORIES
from geomatch.progress import ProgressCallback, null_progress

__all__ = [
    "highs_pair",
    "make_instance",
    "networkx_pair",
    "run_national_bench",
    "run_process",
]

log = logging.getLogger(__name__)


def make_instance(
    folder: Path,
    *,
    needs: int = 128_000,
    helpers: int = 100_000,
    capacity: int = 2,
    seed: int = 20161207,
) -> tuple[Path, Path]:
    """Write a synthetic national instance (``helpers.csv``, ``needs.csv``) into ``folder``.

    Helpers live in eastern, central and south-western China (lon 98–122°E, lat
    22–42°N), needs in the central and western provinces (lon 95–118°E, lat 22–42°N), so
    that candidate sets overlap and capacity (2 × helpers) binds locally; 3 % of needs
    require Tibetan or Uyghur, spoken by 5 % of helpers; priorities 10 % remaining,
    10 % newly poor, 5 % returned, the rest ordinary.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    specs = np.array(CATEGORIES)
    langs = rng.choice(["zh", "zh;bo", "zh;ug"], helpers, p=[0.95, 0.025, 0.025])
    h = pd.DataFrame(
        {
            "helper_id": [f"H{i:06d}" for i in range(helpers)],
            "capacity": capacity,
            "lon": rng.uniform(98, 122, helpers).round(4),
            "lat": rng.uniform(22, 42, helpers).round(4),
            "specialty": rng.choice(specs, helpers),
            "languages": langs,
        }
    )
    n = pd.DataFrame(
        {
            "need_id": [f"N{i:06d}" for i in range(needs)],
            "lon": rng.uniform(95, 118, needs).round(4),
            "lat": rng.uniform(22, 42, needs).round(4),
            "category": rng.choice(specs, needs),
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


def _export_arcs(helpers_csv: Path, needs_csv: Path, arcs_csv: Path) -> int:
    """Write the first-round candidate arcs (default settings) as an ``arcs.csv``."""
    from geomatch.candidates import build_candidates
    from geomatch.io import read_helpers, read_needs
    from geomatch.model.pairing_settings import PairingSettings

    s = PairingSettings(relation_mode="ignore")
    arcs = build_candidates(read_helpers(helpers_csv), read_needs(needs_csv), s)
    arcs[["helper_id", "need_id", "cost", "distance_km"]].to_csv(arcs_csv, index=False)
    return len(arcs)


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


def run_national_bench(
    work: Path,
    *,
    needs: int = 128_000,
    helpers: int = 100_000,
    sub_needs: int = 2_500,
    skip_full: bool = False,
    repeats: int = 5,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Run the national-scale benchmark in ``work`` (instance files are kept there).

    The subsample runs ``repeats`` times each, interleaved: ``geomatch pair --arcs`` on
    its quick path (the default), the same command on the full path
    (``GEOMATCH_QUICK=0``) and the networkx script; medians are reported.
    """
    progress = progress or null_progress
    exe = _geomatch_exe()
    res: dict[str, Any] = {"needs": needs, "helpers": helpers, "capacity": 2}
    hp, np_ = make_instance(work / "instance", needs=needs, helpers=helpers)
    progress(0.1, "instance written")
    if not skip_full:
        out = work / "full"
        wall, peak, rc, tail = run_process(
            [exe, "-q", "pair", "--helpers", str(hp), "--needs", str(np_), "--out", str(out)]
        )
        if rc != 0:
            raise RuntimeError(f"geomatch pair failed ({rc}): {tail}")
        s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        raw_all = float(s.get("solve_seconds_all_rounds", s["solve_seconds"]))
        res.update(
            {
                "end_to_end_seconds": round(wall, 2),
                "peak_mib": peak,
                "raw_solve_seconds_final": s["solve_seconds"],
                "raw_solve_seconds_all_rounds": raw_all,
                "candidate_seconds": s.get("candidate_seconds"),
                "rounds": len(s.get("expansion_rounds", [])),
                "arcs": s["n_arcs"],
                "pairings": s["n_pairings"],
                "unmet": s["n_unmet"],
                "objective": s["objective"],
                "ratio_end_to_end_over_raw_all_rounds": round(wall / max(raw_all, 1e-9), 2),
            }
        )
        # first-round arcs through --arcs: files → pairings.csv with one solve
        arcs_csv = work / "full_arcs.csv"
        n_arcs = _export_arcs(hp, np_, arcs_csv)
        wall2, peak2, rc, tail = run_process(
            [
                exe,
                "-q",
                "pair",
                "--helpers",
                str(hp),
                "--needs",
                str(np_),
                "--arcs",
                str(arcs_csv),
                "--out",
                str(work / "full_arcs"),
            ]
        )
        if rc != 0:
            raise RuntimeError(f"geomatch pair --arcs failed ({rc}): {tail}")
        s2 = json.loads((work / "full_arcs" / "summary.json").read_text(encoding="utf-8"))
        res["same_arcs_via_file"] = {
            "arcs": n_arcs,
            "end_to_end_seconds": round(wall2, 2),
            "peak_mib": peak2,
            "raw_solve_seconds": s2["solve_seconds"],
            "objective": s2["objective"],
            "ratio_end_to_end_over_raw": round(wall2 / max(s2["solve_seconds"], 1e-9), 2),
        }
    progress(0.6, "full instance done")

    # subsample: the first sub_needs needs with their candidate arcs, shared by all peers
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
    pair_args = [
        exe,
        "-q",
        "pair",
        "--helpers",
        str(sub / "helpers.csv"),
        "--needs",
        str(sub / "needs.csv"),
        "--arcs",
        str(sub / "arcs.csv"),
        "--out",
    ]
    nx_args = [
        sys.executable,
        str(Path(__file__).resolve()),
        "networkx",
        str(sub / "helpers.csv"),
        str(sub / "needs.csv"),
        str(sub / "arcs.csv"),
        str(sub / "networkx.csv"),
    ]
    # interleaved repeats, so that a busy moment on the machine hits all three alike
    walls: dict[str, list[float]] = {"quick": [], "full": [], "networkx": []}
    for _ in range(repeats):
        for name, args, env in (
            ("quick", [*pair_args, str(sub / "geomatch")], None),
            ("full", [*pair_args, str(sub / "geomatch-full")], {"GEOMATCH_QUICK": "0"}),
            ("networkx", nx_args, None),
        ):
            wall, _peak, rc, tail = run_process(args, env=env)
            if rc != 0:
                raise RuntimeError(f"{name} run failed ({rc}): {tail}")
            walls[name].append(wall)
    g_sum = json.loads((sub / "geomatch" / "summary.json").read_text(encoding="utf-8"))
    f_sum = json.loads((sub / "geomatch-full" / "summary.json").read_text(encoding="utf-8"))
    same_files = all(
        (sub / "geomatch" / f).read_bytes() == (sub / "geomatch-full" / f).read_bytes()
        for f in ("pairings.csv", "unmet.csv")
    )
    nx_cost = int((sub / "networkx.csv.cost").read_text().strip())
    med = {k: float(np.median(v)) for k, v in walls.items()}
    progress(0.9, "networkx done")
    t0 = time.perf_counter()
    hi_cost = highs_pair(used, nf, arcs)
    hi_sec = time.perf_counter() - t0
    res["subsample"] = {
        "needs": len(nf),
        "helpers": len(used),
        "arcs": len(arcs),
        "geomatch_cost": g_sum["objective"],
        "geomatch_full_path_cost": f_sum["objective"],
        "networkx_cost": nx_cost,
        "highs_cost": round(hi_cost, 3),
        "equal": g_sum["objective"] == f_sum["objective"] == nx_cost == round(hi_cost),
        "quick_and_full_files_identical": same_files,
        "repeats": repeats,
        "geomatch_end_to_end_seconds": round(med["quick"], 3),
        "geomatch_full_path_end_to_end_seconds": round(med["full"], 3),
        "geomatch_raw_solve_seconds": g_sum["solve_seconds"],
        "networkx_end_to_end_seconds": round(med["networkx"], 3),
        "highs_seconds_in_process": round(hi_sec, 2),
        "speedup_vs_networkx": round(med["networkx"] / med["quick"], 2),
        "full_path_speedup_vs_networkx": round(med["networkx"] / med["full"], 2),
        "walls_seconds": {k: [round(w, 3) for w in v] for k, v in walls.items()},
    }
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
