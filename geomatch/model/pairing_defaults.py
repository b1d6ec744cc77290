"""The default pairing settings as plain data, for code that must not load pydantic.

:class:`geomatch.model.pairing_settings.PairingSettings` is the source of truth (types,
bounds, documentation of every field). The quick pairing path
(:mod:`geomatch.solve.pairing_quick`) answers a small ``geomatch pair`` in a third of a
second, a third of which would go to importing pydantic; it reads the same defaults
from :data:`PAIRING_DEFAULTS` instead. ``tests/model/test_pairing_defaults.py`` checks
that the two agree, so a default changed in one place and not the other fails the
tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

__all__ = ["DEFAULT_KIND_WEIGHTS", "DEFAULT_PRIORITY_WEIGHTS", "PAIRING_DEFAULTS"]

#: Multiplier of the unmet penalty per priority class (2020 priorities, docs/ARCHITECTURE.md).
DEFAULT_PRIORITY_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"remaining": 4.0, "newly_poor": 3.0, "returned": 3.0, "ordinary": 1.0}
)

#: Multiplier of the unmet penalty per need kind: the county station (one per poor county
#: by policy) comes before township industries, which come before single villages and
#: training sessions when capacity runs short. Kinds not listed weigh 1.
DEFAULT_KIND_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"station": 3.0, "township_industry": 1.5, "village_product": 1.0, "training": 1.0}
)

#: ``PairingSettings().model_dump()``, field by field.
PAIRING_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "change_penalty": 500,
        "cost_per_km": 1.0,
        "cpsat_max_arcs": 300000,
        "deep_poverty_weight": 1.5,
        "detour_factor": 1.3,
        "enforce_min_level": True,
        "equity": "off",
        "equity_curve_points": 0,
        "equity_step_km": 1.0,
        "equity_tolerance": 0.0,
        "equity_weight": 10.0,
        "fit_scale": 1.0,
        "k_nearest": 8,
        "k_per_province": 0,
        "k_relation": 4,
        "kind_weights": DEFAULT_KIND_WEIGHTS,
        "load_mode": "unit",
        "max_needs_per_helper_county": 0,
        "neighbour_index": "kdtree",
        "num_workers": 2,
        "one_station_per_expert": True,
        "pool_helpers": True,
        "price_per_need": 8,
        "priority_weights": DEFAULT_PRIORITY_WEIGHTS,
        "radius_km": 3500.0,
        "relation_bonus": 300,
        "relation_mode": "preference",
        "relative_gap": 0.0,
        "society_quota_per_province": 0,
        "solver": "auto",
        "station_all_or_nothing": False,
        "time_limit_s": 60.0,
        "unmet_penalty": 6000,
        "use_hint": True,
    }
)
