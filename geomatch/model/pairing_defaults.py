"""Default weight tables of the unmet penalty (plain data, read by
:class:`geomatch.model.pairing_settings.PairingSettings`, which documents every field)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["DEFAULT_KIND_WEIGHTS", "DEFAULT_PRIORITY_WEIGHTS"]

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
