"""Candidate pairs between needs and helpers (sparse, haversine BallTree search).

See :mod:`geomatch.candidates.build` for the compatibility rules and the cost model.
"""

from geomatch.candidates.build import (
    ARC_COLUMNS,
    build_candidates,
    compatible_specialties,
    helper_hubs,
    isin_ids,
    normalise_helpers,
    normalise_needs,
    relation_provinces,
)

__all__ = [
    "ARC_COLUMNS",
    "build_candidates",
    "compatible_specialties",
    "helper_hubs",
    "isin_ids",
    "normalise_helpers",
    "normalise_needs",
    "relation_provinces",
]
