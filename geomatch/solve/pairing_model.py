"""The pairing problem in index form, shared by the min-cost-flow and CP-SAT solvers.

Formulation (all costs integer cost units)
-----------------------------------------
Helpers ``h`` with capacity ``b_h``; needs ``n``; candidate arcs ``a = (h, n)`` with
cost ``c_a`` and load ``w_a``; ``x_a ∈ {0, 1}`` pairs ``n`` with ``h``; ``u_n ∈ {0, 1}``
leaves ``n`` unmet at penalty ``p_n``::

    minimise   Σ_a c_a x_a + Σ_n p_n u_n  (+ equity term)
    subject to Σ_{a ∋ n} x_a + u_n = 1                     every need once (u_n ≡ 0 with
                                                              require_all)
               Σ_{a ∋ h} w_a x_a ≤ b_h                      helper capacity
               Σ_{a ∈ g} x_a ≤ q_g                          side-constraint groups g
                                                              (one station per expert, per
                                                              county, per province quota)
               u_n = u_m  for n, m in the same station team (all-or-nothing, optional)

With uniform loads per helper and at most one family of groups nested in each helper
this is a min-cost flow (totally unimodular; the LP optimum is integral); otherwise a
generalised assignment problem with side constraints solved by CP-SAT.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

__all__ = ["ArcModel", "GroupCaps", "ModelSolution"]


@dataclass(frozen=True)
class GroupCaps:
    """One family of side constraints ``Σ_{a ∈ g} x_a ≤ cap[g]``.

    ``arc_group[a]`` is the group of arc ``a`` (−1: not in this family); each group lies
    inside one helper (``group_helper``).
    """

    name: str
    arc_group: np.ndarray
    group_cap: np.ndarray
    group_helper: np.ndarray


@dataclass(frozen=True)
class ArcModel:
    """Index form of a pairing problem (see the module docstring)."""

    helper_cap: np.ndarray
    arc_helper: np.ndarray
    arc_need: np.ndarray
    arc_cost: np.ndarray
    arc_load: np.ndarray
    arc_dist: np.ndarray
    n_needs: int
    #: Penalty of leaving each need unmet; ``None`` = every need must be paired.
    unmet_cost: np.ndarray | None
    groups: tuple[GroupCaps, ...] = ()
    #: Needs with the same id ≥ 0 are all met or all unmet.
    same_fate: np.ndarray | None = None

    @property
    def n_helpers(self) -> int:
        return len(self.helper_cap)

    def capacity_relaxation(self, *, keep_unmet: bool = True) -> ArcModel:
        """The same arcs and capacities without the side constraints (groups, same fate).

        With ``keep_unmet=False`` every need must be paired (no unmet penalty arcs).
        """
        return replace(
            self,
            groups=(),
            same_fate=None,
            unmet_cost=self.unmet_cost if keep_unmet else None,
        )

    @property
    def n_arcs(self) -> int:
        return len(self.arc_helper)

    def uniform_loads(self) -> bool:
        """Whether every arc of a helper has the same load."""
        if self.n_arcs == 0:
            return True
        lo = np.full(self.n_helpers, np.iinfo(np.int64).max)
        hi = np.zeros(self.n_helpers, dtype=np.int64)
        np.minimum.at(lo, self.arc_helper, self.arc_load)
        np.maximum.at(hi, self.arc_helper, self.arc_load)
        used = np.bincount(self.arc_helper, minlength=self.n_helpers) > 0
        return bool(np.all(lo[used] == hi[used]))

    def is_network(self) -> bool:
        """Whether min-cost flow solves this model exactly."""
        if self.same_fate is not None and np.any(self.same_fate >= 0):
            return False
        if not self.uniform_loads():
            return False
        if len(self.groups) <= 1:
            return True
        # several families: fine as long as no arc is in two of them and no helper has
        # arcs in two families (then each helper has at most one layer of groups)
        fam_of_helper = np.full(self.n_helpers, -1)
        for f, g in enumerate(self.groups):
            hs = np.unique(self.arc_helper[g.arc_group >= 0])
            if np.any(fam_of_helper[hs] >= 0):
                return False
            fam_of_helper[hs] = f
        return True

    def subset(self, keep: np.ndarray) -> ArcModel:
        """The same model restricted to the arcs where ``keep`` is true."""
        groups = tuple(
            GroupCaps(g.name, g.arc_group[keep], g.group_cap, g.group_helper) for g in self.groups
        )
        return ArcModel(
            helper_cap=self.helper_cap,
            arc_helper=self.arc_helper[keep],
            arc_need=self.arc_need[keep],
            arc_cost=self.arc_cost[keep],
            arc_load=self.arc_load[keep],
            arc_dist=self.arc_dist[keep],
            n_needs=self.n_needs,
            unmet_cost=self.unmet_cost,
            groups=groups,
            same_fate=self.same_fate,
        )

    def with_costs(self, arc_cost: np.ndarray) -> ArcModel:
        """The same model with other arc costs."""
        return ArcModel(
            self.helper_cap,
            self.arc_helper,
            self.arc_need,
            arc_cost,
            self.arc_load,
            self.arc_dist,
            self.n_needs,
            self.unmet_cost,
            self.groups,
            self.same_fate,
        )

    def objective(self, x: np.ndarray) -> int:
        """Σ c x + Σ p u of a selection ``x`` (bool per arc)."""
        total = int(self.arc_cost[x].sum())
        if self.unmet_cost is not None:
            met = np.zeros(self.n_needs, dtype=bool)
            met[self.arc_need[x]] = True
            total += int(self.unmet_cost[~met].sum())
        return total


@dataclass(frozen=True)
class ModelSolution:
    """A solver's answer on an :class:`ArcModel`."""

    x: np.ndarray
    status: str  # optimal | feasible | infeasible
    objective: int
    bound: float
    seconds: float
    solver: str
    extra: dict[str, object] = field(default_factory=dict)
    #: Node potentials of an optimal flow (:mod:`geomatch.solve.pairing_duals`):
    #: ``π_n`` per need and, per helper, the smallest potential of the helper's node and
    #: its side-constraint group nodes (a lower bound of the tail potential of any arc
    #: from the helper). ``None`` unless asked for.
    need_potential: np.ndarray | None = None
    helper_potential: np.ndarray | None = None
