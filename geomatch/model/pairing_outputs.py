"""The pairing stage's view of the run tables (``pairings.csv``) and the one-line report
``geomatch pair`` prints. The tables are declared in :mod:`geomatch.model.run_tables`
(the pairing's columns of ``unmet.csv``: ``unmet_columns("pairing")`` there); this module
re-exports the pairing's part.

One definition for the pairing (:mod:`geomatch.solve.pairing`), its explanations
(:mod:`geomatch.solve.pairing_explain`) and the candidate arcs
(:mod:`geomatch.candidates.build`). Costs are integer cost units (1 unit = 1 road km).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from geomatch.model.run_tables import COST_COMPONENTS, run_table

__all__ = ["COST_COMPONENTS", "PAIRING_COLUMNS", "summary_line"]

#: ``pairings.csv``, one row per pair: the contract of
#: :mod:`geomatch.model.run_tables` (declared there once).
PAIRING_COLUMNS: Final[tuple[str, ...]] = run_table("pairings").columns


def summary_line(summary: Mapping[str, Any], out: Path) -> str:
    """What ``geomatch pair`` prints when it is done."""
    s = summary
    line = (
        f"{s['status']}: {s['n_pairings']} pairs, {s['n_unmet']} unmet, objective "
        f"{s['objective']} ({s['solver']}, {s['seconds']:.1f} s); written to {out}"
    )
    stopped = s.get("unmet_by_reason", {}).get("stopped_early", 0)
    if s["status"] == "feasible" and "proof" in s:
        gap = s.get("gap")
        at = f", gap ≤ {gap:.2%}" if isinstance(gap, float) and gap == gap else ""
        open_ = f"; {stopped} unmet needs may still be paired" if stopped else ""
        why = str(s["proof"])
        more = "raise --time-limit"
        if why.startswith("round budget"):
            more = "raise --rounds"
        elif why.startswith("within relative_gap"):
            more = "lower --gap"
        line += f"\nnot proven optimal ({why}{at}){open_}: {more} to go on"
    return line
