"""GAP benchmark: :func:`~solvers.bench.gap_search.solve_gap` on OR-Library, A–D, Yagiura E.

Senses: gap1–12 are maximisation problems in OR-Library and are run in **both** senses
(reference values for both); A–D and E are minimisation. Each instance gets the same
time limit; a result is *optimal* when CP-SAT proves it, and its gap to the reference is
``(objective − reference) / reference`` (for ``max``: ``(reference − objective) /
reference``). The time limit covers everything :func:`~solvers.bench.gap_search.solve_gap`
does (Lagrangian heuristic, LNS or CP-SAT); reading the file is outside it.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from geomatch.errors import DatasetMissingError
from geomatch.progress import ProgressCallback, null_progress

from . import INSTANCES, instances
from .gap_search import GapInstance, read_gap_file, solve_gap

__all__ = ["gap_instances", "run_gap_bench", "summarise_gap"]

log = logging.getLogger(__name__)

SETS = ("orlib", "abcd", "e")


def _reference() -> dict[tuple[str, str], tuple[float, str]]:
    ref: dict[tuple[str, str], tuple[float, str]] = {}
    with open(INSTANCES / "gap" / "gap_reference_values.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            ref[(r["instance"], r["sense"])] = (float(r["value"]), r["status"])
    return ref


def gap_instances(which: str) -> list[tuple[str, GapInstance]]:
    """``(set name, instance)`` pairs of a set: ``orlib`` (gap1–12), ``abcd``, ``e``."""
    out: list[tuple[str, GapInstance]] = []
    if which == "orlib":
        for k in range(1, 13):
            out += [("gap1-12", i) for i in read_gap_file(INSTANCES / "gap" / f"gap{k}.txt")]
    elif which == "abcd":
        sizes = ("05100", "05200", "10100", "10200", "20100", "20200")
        for t in "abcd":
            for i, inst in enumerate(read_gap_file(INSTANCES / "gap" / f"gap{t}.txt")):
                out.append(
                    (
                        t.upper(),
                        GapInstance(f"{t}{sizes[i]}", inst.cost, inst.weight, inst.capacity),
                    )
                )
    elif which == "e":
        folder = instances("gap/yagiura")
        for p in sorted(folder.glob("e*")):
            out += [("E", i) for i in read_gap_file(p, single=True)]
    else:
        raise ValueError(f"unknown GAP set {which!r}; expected one of {SETS}")
    return out


def run_gap_bench(
    sets: tuple[str, ...] = SETS,
    *,
    time_limit_s: float = 5.0,
    num_workers: int = 2,
    max_size: int | None = None,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Solve every instance of ``sets`` and compare with the reference values.

    Parameters
    ----------
    max_size
        Skip instances with more than this many jobs × agents (a quick run).

    Returns
    -------
    pandas.DataFrame
        ``set, instance, m, n, sense, reference, reference_status, objective, bound,
        lagrangian_bound, status, gap_pct, seconds`` (bounds in the instance's sense).
    """
    progress = progress or null_progress
    ref = _reference()
    todo: list[tuple[str, GapInstance, str]] = []
    for s in sets:
        try:
            instances = gap_instances(s)
        except DatasetMissingError as exc:
            log.warning("skipping GAP set %s: %s", s, exc)
            continue
        for set_name, inst in instances:
            if max_size is not None and inst.m * inst.n > max_size:
                continue
            senses = ("min", "max") if set_name == "gap1-12" else ("min",)
            todo += [(set_name, inst, sense) for sense in senses]
    rows: list[dict[str, Any]] = []
    for k, (set_name, inst, sense) in enumerate(todo):
        r = solve_gap(
            inst,
            sense="max" if sense == "max" else "min",
            time_limit_s=time_limit_s,
            num_workers=num_workers,
        )
        value, rstatus = ref.get((inst.name, sense), (float("nan"), ""))
        gap = None
        if r.objective is not None and value == value:
            diff = r.objective - value if sense == "min" else value - r.objective
            gap = 100.0 * diff / abs(value)
        rows.append(
            {
                "set": set_name,
                "instance": inst.name,
                "m": inst.m,
                "n": inst.n,
                "sense": sense,
                "reference": value,
                "reference_status": rstatus,
                "objective": r.objective,
                "bound": round(r.bound, 1),
                "lagrangian_bound": round(r.lagrangian_bound, 1),
                "status": r.status,
                "gap_pct": None if gap is None else round(gap, 3),
                "seconds": round(r.seconds, 2),
            }
        )
        progress((k + 1) / len(todo), f"{inst.name} {sense}: {r.status} {r.objective}")
        log.info(
            "%s %s: %s %s (ref %s) %.1fs", inst.name, sense, r.status, r.objective, value, r.seconds
        )
    return pd.DataFrame(rows)


def summarise_gap(df: pd.DataFrame) -> pd.DataFrame:
    """Per set and sense: instances, optimal (proved), equal to reference, mean/max gap, time."""
    if df.empty:
        return pd.DataFrame(
            columns=[
                "set",
                "sense",
                "instances",
                "proved_optimal",
                "equal_reference",
                "mean_gap_pct",
                "max_gap_pct",
                "max_seconds",
            ]
        )
    g = df.groupby(["set", "sense"], sort=False)
    return pd.DataFrame(
        {
            "instances": g.size(),
            "proved_optimal": g["status"].apply(lambda s: int((s == "optimal").sum())),
            "equal_reference": g["gap_pct"].apply(lambda s: int((s.abs() < 1e-9).sum())),
            "mean_gap_pct": g["gap_pct"].mean().round(3),
            "max_gap_pct": g["gap_pct"].max().round(3),
            "max_seconds": g["seconds"].max(),
        }
    ).reset_index()


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write the per-instance results as CSV."""
    from geomatch.io.output import write_csv

    write_csv(df, path, excel=False)
