"""Settings of the pairing stage (the ``[pairing]`` table of a scenario).

Every cost is an integer in **cost units**; one cost unit is one kilometre of road
travel (great-circle distance × ``detour_factor`` × ``cost_per_km``). The cost model
itself is written out in :mod:`geomatch.candidates` and :mod:`geomatch.solve.pairing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from geomatch.model.pairing_defaults import DEFAULT_KIND_WEIGHTS, DEFAULT_PRIORITY_WEIGHTS

__all__ = ["DEFAULT_KIND_WEIGHTS", "DEFAULT_PRIORITY_WEIGHTS", "PairingSettings"]


class PairingSettings(BaseModel):
    """Pairing settings (the ``[pairing]`` table); see :mod:`geomatch.solve.pairing`.

    Every field is documented where it is declared. In short:

    * candidates — ``radius_km``, ``k_nearest``, ``k_relation``, ``k_per_province``,
      ``relation_mode``, ``enforce_min_level``, ``load_mode``, ``pool_helpers``,
      ``price_per_need``, ``exchange_neighbours``, ``neighbour_index``;
    * costs (integer cost units, 1 unit = 1 road km) — ``detour_factor``, ``cost_per_km``,
      ``fit_scale``, ``relation_bonus``, ``unmet_penalty``, ``priority_weights``, ``kind_weights``,
      ``deep_poverty_weight``, ``change_penalty``;
    * side constraints — ``one_station_per_expert``, ``max_needs_per_helper_county``,
      ``society_quota_per_province``, ``station_all_or_nothing``;
    * solver — ``solver``, ``time_limit_s``, ``max_rounds``, ``num_workers``, ``relative_gap``,
      ``use_hint``, ``cpsat_max_arcs``, ``equity``, ``equity_weight``,
      ``equity_tolerance``, ``equity_step_km``, ``equity_curve_points``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- candidates -----------------------------------------------------------------
    #: Wall-clock limit, seconds: CP-SAT's, and the column generation's — stopped before
    #: its proof, the pairing is ``feasible`` with a bound and gap.
    time_limit_s: float = Field(60.0, gt=0)
    #: Column generation: pricing rounds at most (``None`` = until the proof). A fixed
    #: amount of work, unlike the wall-clock limit: the same inputs give the same pairing
    #: on any machine and under any load (stopped before its proof, the pairing is
    #: ``feasible`` with a bound and gap, as with the time limit).
    max_rounds: int | None = Field(None, ge=1)
    #: Search radius around a need, great-circle km (0 = unlimited).
    radius_km: float = Field(3500.0, ge=0)
    #: Nearest compatible helpers kept per need.
    k_nearest: int = Field(8, ge=1, le=200)
    #: Nearest best-fitting hubs kept per need in every helper province (within the
    #: radius), so that capacity far away stays reachable when the nearest hubs are full.
    k_per_province: int = Field(0, ge=0, le=20)
    #: Column generation: most negative pairs added per need and pricing round (the
    #: optimum is proven over every compatible pair whatever this is; it trades the
    #: number of rounds against the size of each re-solve).
    price_per_need: int = Field(16, ge=1, le=200)
    #: Column generation: each round also offers every need the helpers that its
    #: ``exchange_neighbours`` nearest needs of the same category are paired with, where
    #: that pair's reduced cost is negative (0 = off). Exchanges between neighbours undo
    #: crossing pairs, which spatial pricing of one need at a time finds only slowly.
    exchange_neighbours: int = Field(16, ge=0, le=64)
    #: Haversine nearest-neighbour index: ``kdtree`` (scipy cKDTree on unit vectors, exact
    #: great-circle order, fast) or ``balltree`` (scikit-learn BallTree, haversine metric).
    neighbour_index: Literal["kdtree", "balltree"] = "kdtree"
    #: Treat helpers at the same place with the same attributes as one hub (summed
    #: capacity); candidates are the ``k_nearest`` distinct hubs. Exact: see
    #: :func:`geomatch.candidates.helper_hubs`.
    pool_helpers: bool = True
    #: Extra candidates per need from its officially paired eastern provinces.
    k_relation: int = Field(4, ge=0, le=200)
    #: How the 2016 east–west pairing table is used: a cost bonus, a hard rule, or not.
    relation_mode: Literal["preference", "hard", "ignore"] = "preference"
    #: Whether a station need with ``min_level = senior`` accepts only senior experts.
    enforce_min_level: bool = True
    #: ``unit``: a pair uses 1 of the helper's ``capacity`` (needs per year);
    #: ``days``: a pair uses ``ceil(size)`` of ``capacity_days`` (a GAP, solved by CP-SAT).
    load_mode: Literal["unit", "days"] = "unit"

    # --- costs ----------------------------------------------------------------------
    #: Road distance / great-circle distance.
    detour_factor: float = Field(1.3, ge=1.0)
    #: Cost units per road km.
    cost_per_km: float = Field(1.0, gt=0)
    #: Multiplier of the specialty fit penalties of ``SPECIALTY_FIT`` (0, 40, 60 units).
    fit_scale: float = Field(1.0, ge=0)
    #: Cost bonus of a pair inside the official east–west relation (applied as a
    #: surcharge of the same size on every other pair, so costs stay ≥ 0).
    relation_bonus: int = Field(300, ge=0)
    #: Base cost of leaving an ordinary need unpaired (cost units).
    unmet_penalty: int = Field(6000, ge=0)
    #: Multiplier of ``unmet_penalty`` per priority class.
    priority_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_WEIGHTS)
    )
    #: Multiplier of ``unmet_penalty`` per need kind (station, township_industry, …).
    kind_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS))
    #: Extra multiplier for needs in a deep-poverty area (三区三州).
    deep_poverty_weight: float = Field(1.5, ge=1.0)
    #: Re-planning: cost of changing a need's previous pair (or dropping it).
    change_penalty: int = Field(500, ge=0)

    # --- side constraints -----------------------------------------------------------
    #: An expert serves at most one county station.
    one_station_per_expert: bool = True
    #: At most this many needs per helper in one county (0 = no limit).
    max_needs_per_helper_county: int = Field(0, ge=0)
    #: A society (helper kind ``society``) takes at most this many needs per province
    #: (0 = no limit).
    society_quota_per_province: int = Field(0, ge=0)
    #: A county station is staffed with all of its roles (crop, livestock, health) or
    #: none (CP-SAT).
    station_all_or_nothing: bool = False

    # --- solver ---------------------------------------------------------------------
    #: ``auto``: min-cost flow when the model is a network, else CP-SAT.
    solver: Literal["auto", "flow", "cpsat"] = "auto"
    #: CP-SAT worker threads.
    num_workers: int = Field(2, ge=1, le=64)
    #: Largest number of candidate pairs given to CP-SAT (above it: an error that says why
    #: CP-SAT was needed; the min-cost-flow path has no limit).
    cpsat_max_arcs: int = Field(300_000, ge=1)
    #: CP-SAT stops when (objective − bound) / objective ≤ this.
    relative_gap: float = Field(0.0, ge=0.0, lt=1.0)
    #: Give CP-SAT the min-cost-flow solution of the network relaxation as a hint.
    use_hint: bool = True
    #: ``off``; ``minmax``: first minimise the longest trip at no loss of met priority,
    #: then the cost; ``weighted``: cost + ``equity_weight`` × longest trip (km).
    equity: Literal["off", "minmax", "weighted"] = "off"
    #: Cost units per km of the longest trip (``weighted``).
    equity_weight: float = Field(10.0, ge=0)
    #: ``minmax``: accept a longest trip whose unmet penalty is at most this fraction above
    #: the least possible one.
    equity_tolerance: float = Field(0.0, ge=0.0, le=1.0)
    #: ``minmax``: thresholds of the longest trip are multiples of this (km).
    equity_step_km: float = Field(1.0, ge=1.0, le=500.0)
    #: Points of the cost / longest-trip trade-off curve written to the summary (0 = none).
    equity_curve_points: int = Field(0, ge=0, le=50)

    @field_validator("kind_weights")
    @classmethod
    def _known_kinds(cls, v: dict[str, float]) -> dict[str, float]:
        return _weights(v, DEFAULT_KIND_WEIGHTS, "need kind")

    @field_validator("priority_weights")
    @classmethod
    def _known_priorities(cls, v: dict[str, float]) -> dict[str, float]:
        return _weights(v, DEFAULT_PRIORITY_WEIGHTS, "priority class")


def _weights(v: dict[str, float], defaults: Mapping[str, float], what: str) -> dict[str, float]:
    """Check a weight table's keys and signs; the defaults fill the keys not given."""
    unknown = set(v) - set(defaults)
    if unknown:
        raise ValueError(f"unknown {what} {sorted(unknown)[0]!r}; expected {', '.join(defaults)}")
    if any(w < 0 for w in v.values()):
        raise ValueError(f"{what} weights must be ≥ 0")
    return {**defaults, **v}
