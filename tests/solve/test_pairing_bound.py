"""The Lagrangian bound of a budget-stopped pairing (``pairing_flow.lagrangian_bound``)
is ≤ the optimum over every arc, with and without side-constraint groups — checked
against HiGHS (``scipy.optimize.milp``) on the full model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import coo_matrix, hstack, identity

from geomatch.solve.pairing_flow import lagrangian_bound, solve_flow
from geomatch.solve.pairing_model import ArcModel, GroupCaps


def _full_model(seed: int, groups: bool) -> ArcModel:
    rng = np.random.default_rng(seed)
    H, N = 6, 14
    helper, need = np.nonzero(rng.random((H, N)) < 0.6)
    fams: tuple[GroupCaps, ...] = ()
    if groups:  # two groups per helper by need parity, one pair each at most
        arc_group = 2 * helper + (need % 2)
        fams = (
            GroupCaps("g", arc_group, np.ones(2 * H, dtype=np.int64), np.repeat(np.arange(H), 2)),
        )
    return ArcModel(
        helper_cap=rng.integers(1, 4, H),
        arc_helper=helper,
        arc_need=need,
        arc_cost=rng.integers(10, 300, len(helper)),
        arc_load=np.ones(len(helper), dtype=np.int64),
        arc_dist=np.zeros(len(helper)),
        n_needs=N,
        unmet_cost=rng.integers(200, 400, N),
        groups=fams,
    )


def _restrict(m: ArcModel, keep: np.ndarray) -> ArcModel:
    fams = tuple(
        GroupCaps(f.name, f.arc_group[keep], f.group_cap, f.group_helper) for f in m.groups
    )
    return ArcModel(
        m.helper_cap, m.arc_helper[keep], m.arc_need[keep], m.arc_cost[keep],
        m.arc_load[keep], m.arc_dist[keep], m.n_needs, m.unmet_cost, fams,
    )  # fmt: skip


def _highs(m: ArcModel) -> float:
    A, N, H = m.n_arcs, m.n_needs, m.n_helpers
    assert m.unmet_cost is not None
    cols = np.arange(A)
    need_rows = hstack([coo_matrix((np.ones(A), (m.arc_need, cols)), shape=(N, A)), identity(N)])
    cap_rows = hstack([coo_matrix((np.ones(A), (m.arc_helper, cols)), shape=(H, A)),
                       coo_matrix((H, N))])  # fmt: skip
    rows = [LinearConstraint(need_rows, 1, 1), LinearConstraint(cap_rows, 0, m.helper_cap)]
    for f in m.groups:
        g = f.arc_group >= 0
        mat = coo_matrix((np.ones(g.sum()), (f.arc_group[g], cols[g])), shape=(len(f.group_cap), A))
        rows.append(
            LinearConstraint(hstack([mat, coo_matrix((len(f.group_cap), N))]), 0, f.group_cap)
        )
    c = np.r_[m.arc_cost, m.unmet_cost].astype(float)
    res = milp(c, constraints=rows, integrality=np.ones(A + N), bounds=(0, 1))
    assert res.success
    return float(res.fun)


@pytest.mark.parametrize("groups", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_bound_of_a_restricted_flow_is_below_the_full_optimum(seed: int, groups: bool) -> None:
    full = _full_model(seed, groups)
    rng = np.random.default_rng(100 + seed)
    keep = rng.random(full.n_arcs) < 0.5
    part = _restrict(full, keep)
    sol = solve_flow(part, potentials=True)
    assert sol.need_potential is not None and sol.helper_potential is not None
    # ℓ_n: the least c + μ over the arcs of n left out (what the pricer bounds from below)
    lower = np.full(full.n_needs, np.inf)
    out = ~keep
    np.minimum.at(lower, full.arc_need[out],
                  full.arc_cost[out] + sol.helper_potential[full.arc_helper[out]])  # fmt: skip
    bound = lagrangian_bound(part, sol.x, lower)
    optimum = _highs(full)
    assert np.isfinite(bound)
    assert bound <= optimum + 1e-6 <= sol.objective + 1e-6
    # with nothing left out the bound is the restricted optimum itself (strong duality)
    assert lagrangian_bound(part, sol.x, np.full(full.n_needs, np.inf)) == pytest.approx(
        sol.objective
    )
