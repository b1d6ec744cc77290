"""Candidate pairs between needs and helpers (sparse, haversine BallTree search).

See :mod:`geomatch.candidates.build` for the compatibility rules and the cost model;
the package exports that module's public names (its ``__all__``).
"""

from geomatch.candidates.build import ARC_COLUMNS as ARC_COLUMNS
from geomatch.candidates.build import __all__ as __all__
from geomatch.candidates.build import build_candidates as build_candidates
from geomatch.candidates.build import compatible_specialties as compatible_specialties
from geomatch.candidates.build import helper_hubs as helper_hubs
from geomatch.candidates.build import isin_ids as isin_ids
from geomatch.candidates.build import normalise_helpers as normalise_helpers
from geomatch.candidates.build import normalise_needs as normalise_needs
from geomatch.candidates.build import relation_provinces as relation_provinces
