"""Commendation national stage: CP-SAT (geomatch) against HiGHS (scipy.optimize.milp).

Instances: the seeded synthetic candidates of the embedded scenario
(:func:`geomatch.cycle.synth.synthetic_candidates`), seeds 1–N, after the unit stage
(about 150 recommended), and the same without the unit stage's caps (every eligible
candidate enters the national stage, about 220) — a harder variant. Both solvers solve
the same model (rules (1)–(6) of :mod:`geomatch.cycle.national`) to proven optimality;
the table reports wall-clock seconds (model building included) and whether the optima
agree. Run from the repository root::

    python -m solvers.bench.cycle [--seeds 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
import sys
import time

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from geomatch.cycle.commend import national_problem, unit_stage
from geomatch.cycle.national import NationalProblem, select
from geomatch.cycle.rules import CommendRules, load_rules
from geomatch.cycle.synth import synthetic_candidates

__all__ = ["highs_select", "main"]

log = logging.getLogger(__name__)


def highs_select(p: NationalProblem, r: CommendRules) -> float:
    """The optimum of the national stage by HiGHS (the peer)."""
    n = len(p)
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(mask: list[bool], a: float, b: float) -> None:
        rows.append(np.array(mask, dtype=float))
        lo.append(a)
        hi.append(b)

    kinds, units, cats = np.array(p.kinds), np.array(p.units), np.array(p.categories)
    add(list(kinds == "team"), r.teams_total, r.teams_total)
    add(list(kinds == "individual"), r.individuals_total, r.individuals_total)
    for u in sorted(set(p.units)):
        add(list((kinds == "team") & (units == u)), 0, r.max_teams_per_unit)
        add(list((kinds == "individual") & (units == u)), 0, r.max_individuals_per_unit)
    for c in r.categories:
        for k in ("team", "individual"):
            add(list((kinds == k) & (cats == c)), 1, n)
    add(list((kinds == "individual") & np.array(p.deep)), r.deep_poverty_individuals_min, n)
    res = milp(
        -np.array(p.merit, dtype=float),
        constraints=LinearConstraint(np.vstack(rows), lo, hi),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    return float(-res.fun)


def _instances(seeds: int, rules: CommendRules) -> list[tuple[str, NationalProblem]]:
    from geomatch.dataset import load_dataset

    ds = load_dataset()
    out = []
    for seed in range(1, seeds + 1):
        cands = synthetic_candidates(ds, rules.key_provinces, seed=seed)
        stage = unit_stage(cands, rules).recommended
        out.append((f"unit-stage s{seed}", national_problem(stage, rules)))
        eligible = cands[cands["registered"] & cands["praised_since_2016"]]
        out.append(
            (f"all-eligible s{seed}", national_problem(eligible.reset_index(drop=True), rules))
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    rules = dataclasses.replace(load_rules(), time_limit_s=60.0)
    rows = []
    for name, p in _instances(args.seeds, rules):
        t0 = time.perf_counter()
        ours = select(p, rules)
        t1 = time.perf_counter()
        peer = highs_select(p, rules)
        t2 = time.perf_counter()
        rows.append(
            {"instance": name, "candidates": len(p), "cpsat_s": t1 - t0, "highs_s": t2 - t1,
             "same_optimum": ours.merit == round(peer)}
        )  # fmt: skip
    df = pd.DataFrame(rows)
    out = [df.to_string(index=False, float_format=lambda v: f"{v:.3f}")]
    for kind in ("unit-stage", "all-eligible"):
        part = df[df["instance"].str.startswith(kind)]
        out.append(
            f"{kind}: median CP-SAT {statistics.median(part['cpsat_s']):.3f} s, "
            f"HiGHS {statistics.median(part['highs_s']):.3f} s, same optimum "
            f"{int(part['same_optimum'].sum())}/{len(part)}"
        )
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
