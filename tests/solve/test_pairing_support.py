"""Small random pairing instances and an independent MILP (scipy/HiGHS) reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import coo_matrix


def random_instance(
    seed: int,
    n_helpers: int = 4,
    n_needs: int = 7,
    density: float = 0.6,
    max_load: int = 1,
    max_cap: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """helpers, needs (with unmet_penalty), arcs with random costs and loads."""
    rng = np.random.default_rng(seed)
    helpers = pd.DataFrame(
        {
            "helper_id": [f"H{i}" for i in range(n_helpers)],
            "capacity": rng.integers(0, max_cap + 1, n_helpers),
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": [f"N{j}" for j in range(n_needs)],
            "unmet_penalty": rng.integers(20, 120, n_needs),
        }
    )
    rows = []
    for i in range(n_helpers):
        for j in range(n_needs):
            if rng.random() < density:
                rows.append(
                    (
                        f"H{i}",
                        f"N{j}",
                        int(rng.integers(0, 100)),
                        int(rng.integers(1, max_load + 1)),
                        float(rng.uniform(1, 900)),
                    )
                )
    arcs = pd.DataFrame(rows, columns=["helper_id", "need_id", "cost", "load", "distance_km"])
    return helpers, needs, arcs


def milp_optimum(
    helpers: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    *,
    require_all: bool = False,
    groups: list[tuple[list[int], int]] | None = None,
) -> float | None:
    """Optimal Σ c x + Σ p u by HiGHS MILP; ``None`` when infeasible.

    ``groups``: extra constraints Σ_{a ∈ arcs} x_a ≤ cap (arc row positions).
    """
    hid = pd.Index(helpers["helper_id"])
    nid = pd.Index(needs["need_id"])
    A, N, H = len(arcs), len(nid), len(hid)
    ah = hid.get_indexer(arcs["helper_id"])
    an = nid.get_indexer(arcs["need_id"])
    load = arcs["load"].to_numpy(float) if "load" in arcs else np.ones(A)
    eq = coo_matrix((np.ones(A), (an, np.arange(A))), shape=(N, A)).tocsr()
    u = np.eye(N) if not require_all else np.zeros((N, N))
    from scipy.sparse import csr_matrix, hstack

    cons = [LinearConstraint(hstack([eq, csr_matrix(u)]), 1, 1)]
    cap = coo_matrix((load, (ah, np.arange(A))), shape=(H, A))
    cons.append(
        LinearConstraint(
            hstack([cap, csr_matrix((H, N))]), -np.inf, helpers["capacity"].to_numpy(float)
        )
    )
    for members, q in groups or []:
        row = np.zeros(A + N)
        row[members] = 1
        cons.append(LinearConstraint(row[None, :], -np.inf, q))
    c = np.r_[arcs["cost"].to_numpy(float), needs["unmet_penalty"].to_numpy(float)]
    ub = np.r_[np.ones(A), np.zeros(N) if require_all else np.ones(N)]
    from scipy.optimize import Bounds

    res = milp(c, constraints=cons, integrality=np.ones(A + N), bounds=Bounds(0, ub))
    if res.status != 0:
        return None
    return float(res.fun)


def check_invariants(result, helpers: pd.DataFrame, arcs: pd.DataFrame) -> None:
    """Each need at most once, capacities held, pairs only along arcs, unmet = the rest."""
    p = result.pairings
    assert not p["need_id"].duplicated().any()
    load = p.groupby("helper_id")["load"].sum()
    cap = helpers.set_index("helper_id")["capacity"]
    assert (load <= cap.reindex(load.index)).all()
    key = set(zip(arcs["helper_id"], arcs["need_id"], strict=True))
    assert all((h, n) in key for h, n in zip(p["helper_id"], p["need_id"], strict=True))
    assert set(p["need_id"]).isdisjoint(set(result.unmet["need_id"]))


__all__ = ["check_invariants", "milp_optimum", "random_instance"]


def test_milp_reference_on_a_hand_case() -> None:
    helpers = pd.DataFrame({"helper_id": ["A"], "capacity": [1]})
    needs = pd.DataFrame({"need_id": ["x", "y"], "unmet_penalty": [50, 80]})
    arcs = pd.DataFrame(
        {"helper_id": ["A", "A"], "need_id": ["x", "y"], "cost": [10, 30], "load": [1, 1]}
    )
    # pair y (30) and leave x (50): 80 < 10 + 80
    assert milp_optimum(helpers, needs, arcs) == 80
    assert milp_optimum(helpers, needs, arcs, require_all=True) is None
