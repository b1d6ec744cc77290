"""VRPTW benchmark: Solomon 100 and Gehring & Homberger 200 against best known solutions.

The solvers run in the same process pool, on the same instances and time budget:

* ``ortools`` — geomatch's OR-Tools routing backend (:func:`geomatch.solve.vrptw.solve_vrptw`);
* ``pyvrp`` — the peer at its best: PyVRP used as its documentation has it for a
  fleet-first objective, called here directly (not through geomatch's backends) —
  ``pyvrp.minimise_fleet`` for the first 30 % of the budget, then ``pyvrp.solve``
  with the fleet it found and a dominant fixed cost per vehicle for the rest
  (:func:`run_pyvrp_peer`; the configuration was chosen by measurement, see
  ``solvers/BENCHMARKS.md``);
* ``pyvrp_fixedcost`` — ``pyvrp.solve`` with the dominant fixed cost alone for the whole
  budget (geomatch's ``pyvrp`` backend; the peer as measured before issue 14);
* ``vroom`` — pyvroom (exploration level 5, one thread, same timeout);
* ``portfolio`` — geomatch's combined backend (``geomatch tours vrptw``): pyvroom for a
  first fleet, route elimination with PyVRP, then PyVRP for distance.

Both PyVRP peers and the portfolio run with seed 0.

Every solver gets the same integer data: distances and travel times multiplied by 1000,
travel plus service rounded up, due dates rounded down, so an integer-feasible route is
feasible with the unrounded Euclidean distances the best known solutions use. The
routes each solver returns are re-checked by :func:`geomatch.solve.vrptw.check_routes`
and their distance recomputed in double precision.

Scoring follows the best known solutions' hierarchical objective: an instance *hits* the
best known vehicle count when ``vehicles == bks_vehicles`` (fewer would beat it); the
distance gap ``100 · (distance / bks_distance − 1)`` is averaged over the hits only.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geomatch.errors import InputError
from geomatch.progress import ProgressCallback
from geomatch.solve.vrptw import (
    VrptwProblem,
    check_routes,
    pyvrp_data,
    pyvrp_routes,
    read_solomon,
    route_distance,
    solve_vrptw,
)

from . import INSTANCES, SOLVERS_DIR

__all__ = [
    "BENCH_SETS",
    "SOLVERS",
    "BenchTask",
    "benchmark_dir",
    "list_instances",
    "markdown_report",
    "run_bench",
    "run_one",
    "run_pyvrp_peer",
    "summarise",
    "update_benchmarks_md",
]

log = logging.getLogger(__name__)

SOLVERS = ("ortools", "portfolio", "pyvrp", "pyvrp_fixedcost", "vroom")

#: Share of the budget the PyVRP peer gives ``pyvrp.minimise_fleet`` (the rest goes to
#: ``pyvrp.solve`` with the fleet found). 30 % measured best among 30, 50 and 70 % on the
#: twelve instances of issue 14; at 70 % the final search from scratch found no feasible
#: solution for C101 (solvers/BENCHMARKS.md).
PEER_FLEET_SHARE = 0.3

#: set name → (folder, BKS table, default seconds per instance)
BENCH_SETS: dict[str, tuple[str, str, float]] = {
    "solomon": ("solomon_100", "solomon_100_bks.csv", 10.0),
    "gh200": ("gehring_homberger_200", "gehring_homberger_200_bks.csv", 30.0),
}

RESULT_COLUMNS = [
    "set",
    "instance",
    "solver",
    "time_limit_s",
    "seconds",
    "vehicles",
    "distance",
    "feasible",
    "bks_vehicles",
    "bks_distance",
    "vehicles_hit",
    "gap_pct",
]


def benchmark_dir() -> Path:
    """Folder of the Solomon / G&H instances (``solvers/instances/solomon``).

    The environment variable ``GEOMATCH_VRPTW_DIR`` names another folder of the same layout.

    Raises
    ------
    InputError
        When the folder has no ``solomon_100_bks.csv``.
    """
    env = os.environ.get("GEOMATCH_VRPTW_DIR")
    folder = Path(env) if env else INSTANCES / "solomon"
    if not (folder / "solomon_100_bks.csv").is_file():
        raise InputError(
            f"VRPTW benchmark instances not found in {folder}: it needs solomon_100/, "
            "gehring_homberger_200/ and their *_bks.csv tables (GEOMATCH_VRPTW_DIR names "
            "another folder)"
        )
    return folder


@dataclass(frozen=True)
class BenchTask:
    """One (solver, instance) run."""

    set: str
    instance: str
    path: str
    solver: str
    time_limit_s: float
    bks_vehicles: int
    bks_distance: float


def list_instances(
    sets: Sequence[str], names: Sequence[str] | None = None, root: Path | None = None
) -> list[tuple[str, str, Path, int, float]]:
    """Instances of the named sets: ``(set, instance, path, bks_vehicles, bks_distance)``."""
    root = root or benchmark_dir()
    wanted = {n.lower() for n in names} if names else None
    out = []
    for s in sets:
        if s not in BENCH_SETS:
            raise InputError(f"unknown benchmark set {s!r}; use solomon, gh200 or all")
        _folder, table, _tl = BENCH_SETS[s]
        bks = pd.read_csv(root / table, dtype={"instance": str})
        for row in bks.itertuples(index=False):
            name = str(row.instance)
            if wanted is not None and name.lower() not in wanted:
                continue
            out.append(
                (
                    s,
                    name,
                    root / str(row.instance_file),
                    int(row.bks_vehicles),
                    float(row.bks_distance),
                )
            )
    if wanted is not None:
        found = {o[1].lower() for o in out}
        missing = sorted(wanted - found)
        if missing:
            raise InputError(f"unknown instance(s): {', '.join(missing)}")
    return out


def run_one(task: BenchTask) -> dict[str, object]:
    """Run one solver on one instance; returns a result row (see ``RESULT_COLUMNS``)."""
    problem = read_solomon(task.path)
    if task.solver not in SOLVERS:
        raise InputError(f"unknown solver {task.solver!r}; use {', '.join(SOLVERS)}")
    if task.solver == "pyvrp":
        routes, seconds = run_pyvrp_peer(problem, task.time_limit_s)
    else:
        backend = "pyvrp" if task.solver == "pyvrp_fixedcost" else task.solver
        sol = solve_vrptw(problem, time_limit_s=task.time_limit_s, backend=backend)  # type: ignore[arg-type]
        routes, seconds = [list(r) for r in sol.routes], sol.seconds
    # Every solver's routes are checked and measured here, the same way.
    ok = bool(routes) and not check_routes(problem, routes)
    vehicles = sum(1 for r in routes if r)
    distance = sum(route_distance(problem, r) for r in routes)
    hit = ok and vehicles == task.bks_vehicles
    return {
        "set": task.set,
        "instance": task.instance,
        "solver": task.solver,
        "time_limit_s": task.time_limit_s,
        "seconds": round(seconds, 2),
        "vehicles": vehicles if ok else "",
        "distance": round(distance, 4) if ok else "",
        "feasible": ok,
        "bks_vehicles": task.bks_vehicles,
        "bks_distance": task.bks_distance,
        "vehicles_hit": hit,
        "gap_pct": round(100.0 * (distance / task.bks_distance - 1.0), 4) if hit else "",
    }


def run_pyvrp_peer(
    problem: VrptwProblem,
    time_limit_s: float,
    *,
    seed: int = 0,
    fleet_share: float = PEER_FLEET_SHARE,
) -> tuple[list[list[int]], float]:
    """PyVRP at its best for vehicles first, then distance: ``(routes, seconds)``.

    On the integer data every solver gets (:func:`geomatch.solve.vrptw.pyvrp_data`: the
    instance's fleet, a fixed cost per vehicle above any total distance):
    ``pyvrp.minimise_fleet`` for ``fleet_share`` of the budget, then ``pyvrp.solve``
    with the smallest fleet found for the rest, default solver parameters. Empty routes
    when PyVRP ends without a feasible solution.
    """
    import time
    import warnings

    from pyvrp import minimise_fleet, solve
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.stop import MaxRuntime

    t0 = time.perf_counter()
    data = pyvrp_data(problem)
    with warnings.catch_warnings():
        # Expected while minimise_fleet tries fleets that are too small.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        if fleet_share > 0 and problem.skip_penalty is None:
            fleet = minimise_fleet(data, MaxRuntime(fleet_share * time_limit_s), seed=seed)
            data = data.replace(vehicle_types=[fleet])
        left = max(0.01, time_limit_s - (time.perf_counter() - t0))
        res = solve(data, stop=MaxRuntime(left), seed=seed, collect_stats=False, display=False)
    routes = pyvrp_routes(res.best) if res.best.is_feasible() else []
    return routes, time.perf_counter() - t0


def run_bench(
    sets: Sequence[str],
    *,
    solvers: Sequence[str] = SOLVERS,
    time_limit_s: float | None = None,
    instances: Sequence[str] | None = None,
    jobs: int = 1,
    results_csv: Path | None = None,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Run every solver on every instance of ``sets``.

    Parameters
    ----------
    sets
        ``solomon`` and/or ``gh200``.
    solvers
        Any of :data:`SOLVERS`.
    time_limit_s
        Seconds per instance and solver; default 10 for Solomon and 30 for G&H 200.
    instances
        Restrict to these instance names (case-insensitive).
    jobs
        Parallel processes (each solver is single-threaded; use at most the cores).
    results_csv
        Rows are appended here as they finish (a long run can be followed and kept).
    """
    for s in solvers:
        if s not in SOLVERS:
            raise InputError(f"unknown solver {s!r}; use {', '.join(SOLVERS)}")
    tasks = [
        BenchTask(
            s, name, str(path), solver, time_limit_s if time_limit_s else BENCH_SETS[s][2], bv, bd
        )
        for (s, name, path, bv, bd) in list_instances(sets, instances)
        for solver in solvers
    ]
    rows: list[dict[str, object]] = []
    writer = None
    fh = None
    if results_csv is not None:
        results_csv.parent.mkdir(parents=True, exist_ok=True)
        new = not results_csv.exists()
        fh = results_csv.open("a", newline="", encoding="utf-8")
        writer = csv.DictWriter(fh, fieldnames=RESULT_COLUMNS)
        if new:
            writer.writeheader()

    def done(row: dict[str, object]) -> None:
        rows.append(row)
        log.info(
            "%s %s: %s vehicles (bks %s), distance %s, gap %s %%",
            row["instance"],
            row["solver"],
            row["vehicles"],
            row["bks_vehicles"],
            row["distance"],
            row["gap_pct"],
        )
        if writer is not None and fh is not None:
            writer.writerow(row)
            fh.flush()
        if progress:
            progress(len(rows) / len(tasks), f"{row['instance']} {row['solver']}")

    try:
        if jobs <= 1:
            for t in tasks:
                done(run_one(t))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futs = [pool.submit(run_one, t) for t in tasks]
                for f in as_completed(futs):
                    done(f.result())
    finally:
        if fh is not None:
            fh.close()
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per set and solver: instances, feasible, BKS vehicle hits, mean gap on hits.

    ``mean_gap_pct_on_common_hits`` averages over the instances where *every* solver of
    the table hit the best known vehicle count (the like-for-like distance comparison).
    """
    out = []
    hit = results.assign(h=results["vehicles_hit"].astype(str) == "True")
    n_solvers = hit.groupby("set")["solver"].nunique()
    all_hit = hit.groupby(["set", "instance"])["h"].agg(["sum", "size"]).reset_index()
    all_hit = all_hit[all_hit["sum"] == all_hit["set"].map(n_solvers)]
    common = set(zip(all_hit["set"], all_hit["instance"], strict=True))
    for (s, solver), g in results.groupby(["set", "solver"], sort=True):
        hits = g[g["vehicles_hit"].astype(str) == "True"]
        gaps = pd.to_numeric(hits["gap_pct"], errors="coerce")
        in_common = [(s, i) in common for i in hits["instance"]]
        cg = gaps[in_common]
        veh = pd.to_numeric(g["vehicles"], errors="coerce")
        out.append(
            {
                "set": s,
                "solver": solver,
                "instances": len(g),
                "feasible": int((g["feasible"].astype(str) == "True").sum()),
                "bks_vehicles_hit": len(hits),
                "mean_gap_pct_on_hits": round(float(gaps.mean()), 3) if len(hits) else float("nan"),
                "common_hits": len(cg),
                "mean_gap_pct_on_common_hits": round(float(cg.mean()), 3)
                if len(cg)
                else float("nan"),
                "extra_vehicles": int((veh - g["bks_vehicles"]).clip(lower=0).sum()),
                "time_limit_s": float(g["time_limit_s"].iloc[0]),
            }
        )
    return pd.DataFrame(out)


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in r) + " |")
    return "\n".join(lines)


def _mem_gib() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kb = int(fh.readline().split()[1])
        return round(kb / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        return 0


def markdown_report(results: pd.DataFrame, *, note: str = "") -> str:
    """The VRPTW part of ``## Tours`` in BENCHMARKS.md: summary and per-instance table."""
    date = dt.date.today().isoformat()
    summ = summarise(results)
    per = results.pivot_table(
        index=["set", "instance", "bks_vehicles", "bks_distance"],
        columns="solver",
        values=["vehicles", "distance"],
        aggfunc="first",
    )
    per.columns = [f"{solver} {what}" for what, solver in per.columns]
    per = per.reset_index()
    ordered = ["set", "instance", "bks_vehicles", "bks_distance"] + [
        f"{s} {w}" for s in SOLVERS for w in ("vehicles", "distance") if f"{s} {w}" in per.columns
    ]
    per = per[ordered]
    for c in per.columns:
        if c.endswith(" vehicles"):
            per[c] = pd.to_numeric(per[c], errors="coerce").astype("Int64")
    machine = os.environ.get("GEOMATCH_MACHINE", "python-svc")
    head = (
        f"### VRPTW routing core ({date}, `{machine}`: {os.cpu_count()} cores, "
        f"{_mem_gib()} GiB)\n\n"
        "`geomatch bench vrptw`: unrounded Euclidean distances, hierarchical objective "
        "(vehicles, then distance); a *hit* is an instance solved with the best known "
        "vehicle count, the gap is averaged over hits. Every solver had the same instances "
        "and the same budget per instance.\n"
    )
    if note:
        head += "\n" + note.strip() + "\n"
    return (
        head
        + "\n"
        + _md_table(summ)
        + "\n\n<details><summary>Per instance</summary>\n\n"
        + _md_table(per)
        + "\n\n</details>\n"
    )


def update_benchmarks_md(
    section_body: str, *, path: Path | None = None, marker: str = "### VRPTW routing core"
) -> None:
    """Replace the VRPTW block inside ``## Tours`` of BENCHMARKS.md (other text is kept).

    The block runs from ``marker`` to the next ``### `` or ``## `` heading.
    """
    path = path or SOLVERS_DIR / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if "\n## Tours" not in text:
        text = text.rstrip("\n") + "\n\n## Tours\n\n"
    start = text.index("\n## Tours") + 1
    nxt = text.find("\n## ", start + 3)
    end = nxt + 1 if nxt >= 0 else len(text)
    tours = text[start:end]
    if marker in tours:
        a = tours.index(marker)
        rest = tours[a + len(marker) :]
        cut = [i for i in (rest.find("\n### "), rest.find("\n## ")) if i >= 0]
        b = a + len(marker) + (min(cut) + 1 if cut else len(rest))
        tours = tours[:a] + section_body.rstrip("\n") + "\n\n" + tours[b:]
    else:
        tours = tours.rstrip("\n") + "\n\n" + section_body.rstrip("\n") + "\n\n"
    path.write_text(text[:start] + tours + text[end:], encoding="utf-8")
