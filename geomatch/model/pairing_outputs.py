"""The columns of the pairing results (``pairings.csv``, ``unmet.csv``; DESIGN.md).

One definition for the full pairing path (:mod:`geomatch.solve.pairing`), its
explanations (:mod:`geomatch.solve.pairing_explain`), the quick path
(:mod:`geomatch.solve.pairing_quick`) and the candidate arcs
(:mod:`geomatch.candidates.build`). Costs are integer cost units (1 unit = 1 road km).
"""

from __future__ import annotations

from typing import Final

__all__ = ["COST_COMPONENTS", "PAIRING_COLUMNS", "UNMET_COLUMNS"]

#: Parts of a pair's cost: travel (km × detour × cost per km), specialty fit, and the
#: bonus lost outside the east–west relation.
COST_COMPONENTS: Final[tuple[str, ...]] = ("travel_cost", "fit_cost", "relation_cost")

#: ``pairings.csv``, one row per pair.
PAIRING_COLUMNS: Final[tuple[str, ...]] = (
    "need_id",
    "helper_id",
    "cost",
    "load",
    "distance_km",
    *COST_COMPONENTS,
    "change_cost",
    "relation",
    "locked",
    "changed",
    "kind",
    "category",
    "specialty",
    "priority",
    "adcode",
    "reason",
)

#: ``unmet.csv``, one row per unmet need (reason codes in
#: :mod:`geomatch.solve.pairing_explain`).
UNMET_COLUMNS: Final[tuple[str, ...]] = (
    "need_id",
    "priority",
    "category",
    "adcode",
    "penalty",
    "reason",
    "detail",
    "fix_helper_id",
    "fix_distance_km",
    "fix",
)
