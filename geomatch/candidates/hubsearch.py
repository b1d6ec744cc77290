"""Weighted nearest-hub search: each need's pairs of least ``c + e + μ`` below ``π``.

The pricing of :mod:`geomatch.candidates.pricing` asks, for every need ``n`` of a task
(one compatibility class and one fitting hub pool), for the ``K`` pairs of least key
``c + e + μ_h`` among those with reduced cost ``c + e + μ_h − π_n < 0`` — a nearest-
neighbour query in which every hub carries its own additive weight ``μ_h``. A plain
KD-tree cannot answer it without enumerating every hub within the reach that the
*least* weight allows (``(π_n − μ_lo)/α``), which on a degenerate optimum (hundreds of
near-tied hubs per need) is most of the work of a proof.

Here a KD-tree over the hubs' unit vectors keeps, per node, its bounding box and the
least weight ``μ`` of its hubs (recomputed per pricing round, :func:`node_floor`). A
branch-and-bound search visits a node only if

    (S1)  lb(node) = α·d_lo − ½ + fit + μ_lo(node) < min(π_n, κ_K)

where ``d_lo`` is the great-circle km from the need to the node's box (a lower bound of
the distance to each of its hubs: the chord to the box is at most the chord to any point
in it, and ``km = 2R·asin(chord/2)`` is increasing), ``α = detour_factor × cost_per_km``
(``travel = rint(α·d) ≥ α·d − ½``), ``fit`` the task's specialty fit, ``relation ≥ 0`` and
``e ≥ 0`` left out, and ``κ_K`` the ``K``-th least key kept so far (``∞`` until ``K`` are
kept). Every hub of a visited leaf is priced exactly. A pruned node therefore holds no
pair with ``rc < 0`` whose key beats those kept: the ``K`` pairs returned are the ``K``
best violators of the pool, and *none returned proves* ``rc ≥ 0`` for every pair of the
pool outside the restricted model. Per need, ``lower`` is the least of the exact
``c + e + μ`` of the hubs priced and of ``lb`` of the nodes pruned: a lower bound of
``c + e + μ`` over every pair of the pool (within the radius), the Lagrangian bound's
``ℓ_n`` (:func:`geomatch.solve.pairing_flow.lagrangian_bound`).

Pairs already in the restricted model (``inside``, sorted ``need × n_helpers + hub``
keys) are skipped and the search goes on past them (see :meth:`Pricer.price`).

The kernels are compiled with numba (cached on disk after the first run); the search
runs one need after the other, the needs of a call in parallel over the cores that
``OMP_NUM_THREADS`` allows.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange

from geomatch.settings import EARTH_RADIUS_KM

__all__ = ["HubTree", "SearchCosts", "build_tree", "node_floor", "search"]

log = logging.getLogger(__name__)

#: Hubs per leaf of the tree.
LEAF_SIZE = 16
#: Depth of the search stack (a balanced tree of 2^60 leaves fits).
_STACK = 128
#: One parallel search at a time per process: numba's default thread pool must not be
#: entered from two threads at once (the service's thread pool, a threaded Dask worker);
#: each search uses every core it may anyway.
_ONE_AT_A_TIME = threading.Lock()
_COMPILE_NOTED = threading.Event()


@dataclass(frozen=True)
class HubTree:
    """A KD-tree over hub unit vectors (``order``: hub positions in leaf order)."""

    order: np.ndarray
    xyz: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    start: np.ndarray
    end: np.ndarray
    left: np.ndarray
    right: np.ndarray


@dataclass(frozen=True)
class SearchCosts:
    """How a pair is priced: ``travel = rint(km × detour × per_km)``, plus ``fit``,
    plus ``relation_bonus`` unless the hub's province bit is in the need's mask."""

    detour: float
    per_km: float
    fit: int
    radius_km: float
    relation_bonus: int
    use_relation: bool


@njit(cache=True)
def _build(xyz: np.ndarray, leaf: int) -> tuple[np.ndarray, ...]:  # pragma: no cover - compiled
    m = xyz.shape[0]
    order = np.arange(m)
    cap = 4 * (m // leaf + 2)
    lo = np.empty((cap, 3))
    hi = np.empty((cap, 3))
    start = np.zeros(cap, dtype=np.int64)
    end = np.zeros(cap, dtype=np.int64)
    left = np.full(cap, -1, dtype=np.int64)
    right = np.full(cap, -1, dtype=np.int64)
    end[0] = m
    n_nodes = 1
    stack = np.empty(cap, dtype=np.int64)
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        nd = stack[top]
        s, e = start[nd], end[nd]
        for d in range(3):
            lo[nd, d] = np.inf
            hi[nd, d] = -np.inf
        for j in range(s, e):
            for d in range(3):
                v = xyz[order[j], d]
                lo[nd, d] = min(lo[nd, d], v)
                hi[nd, d] = max(hi[nd, d], v)
        if e - s <= leaf:
            continue
        dim = 0
        for d in range(1, 3):
            if hi[nd, d] - lo[nd, d] > hi[nd, dim] - lo[nd, dim]:
                dim = d
        sub = order[s:e].copy()
        order[s:e] = sub[np.argsort(xyz[sub, dim], kind="mergesort")]
        mid = s + (e - s) // 2
        a, b = n_nodes, n_nodes + 1
        n_nodes += 2
        start[a], end[a], start[b], end[b] = s, mid, mid, e
        left[nd], right[nd] = a, b
        stack[top] = a
        stack[top + 1] = b
        top += 2
    return order, lo[:n_nodes], hi[:n_nodes], start[:n_nodes], end[:n_nodes], \
        left[:n_nodes], right[:n_nodes]  # fmt: skip


def build_tree(xyz: np.ndarray) -> HubTree:
    """The tree of the hubs at unit vectors ``xyz`` (m × 3)."""
    order, lo, hi, start, end, left, right = _build(np.ascontiguousarray(xyz), LEAF_SIZE)
    return HubTree(order, np.ascontiguousarray(xyz[order]), lo, hi, start, end, left, right)


@njit(cache=True)
def _floor(mu: np.ndarray, start: np.ndarray, end: np.ndarray, left: np.ndarray,
           right: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled  # fmt: skip
    out = np.empty(len(start))
    for nd in range(len(start) - 1, -1, -1):  # children come after their parent
        if left[nd] < 0:
            least = np.inf
            for j in range(start[nd], end[nd]):
                least = min(least, mu[j])
            out[nd] = least
        else:
            out[nd] = min(out[left[nd]], out[right[nd]])
    return out


def _c(a: np.ndarray, dtype: type[np.generic]) -> np.ndarray:
    """``a`` as a contiguous array of ``dtype`` for a kernel, copied only if it is not one
    (a pool's arrays are passed once per task and band: no copy each time)."""
    return np.ascontiguousarray(a, dtype=dtype)


def node_floor(tree: HubTree, mu: np.ndarray) -> np.ndarray:
    """Least ``mu`` (given in leaf order, ``inf`` for hubs left out) per node."""
    return _floor(_c(mu, np.float64), tree.start, tree.end, tree.left, tree.right)


@njit(cache=True, inline="always")
def _box_chord(q: np.ndarray, lo: np.ndarray, hi: np.ndarray, nd: int) -> float:
    d2 = 0.0
    for d in range(3):
        v = q[d]
        t = lo[nd, d] - v if v < lo[nd, d] else (v - hi[nd, d] if v > hi[nd, d] else 0.0)
        d2 += t * t
    return math.sqrt(d2)


@njit(cache=True, inline="always")
def _km(chord: float) -> float:
    return 2.0 * math.asin(min(max(chord / 2.0, 0.0), 1.0)) * EARTH_RADIUS_KM


@njit(cache=True, parallel=True)
def _search(
    q_xyz: np.ndarray,
    q_pi: np.ndarray,
    q_e: np.ndarray,
    q_prev: np.ndarray,
    q_rel: np.ndarray,
    q_id: np.ndarray,
    p_xyz: np.ndarray,
    p_mu: np.ndarray,
    p_id: np.ndarray,
    p_bit: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    floor: np.ndarray,
    inside: np.ndarray,
    n_helpers: int,
    detour: float,
    per_km: float,
    fit: float,
    radius: float,
    bonus: float,
    use_rel: bool,
    scores: bool,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Per need (in parallel): the ``k`` best keys (S1) by branch and bound."""
    n = len(q_pi)
    out_j = np.full((n, k), -1, dtype=np.int64)
    out_km = np.zeros((n, k))
    lower = np.full(n, np.inf)
    checked = np.zeros(n, dtype=np.int64)
    max_chord = 2.0 * math.sin(min(radius / EARTH_RADIUS_KM, math.pi) / 2.0) * (1 + 1e-12)
    for i in prange(n):
        q = q_xyz[i]
        pi = q_pi[i]
        keys = np.full(k, np.inf)
        count = 0
        worst = np.inf
        stack = np.empty(_STACK, dtype=np.int64)
        stack[0] = 0
        top = 1
        while top > 0:
            top -= 1
            nd = stack[top]
            chord = _box_chord(q, lo, hi, nd)
            if chord > max_chord:
                continue
            lb = _km(chord) * detour * per_km - 0.5 + fit + floor[nd]
            if lb >= pi or lb >= worst:
                lower[i] = min(lower[i], lb)
                continue
            if left[nd] >= 0:
                a, b = left[nd], right[nd]
                if _box_chord(q, lo, hi, a) <= _box_chord(q, lo, hi, b):
                    a, b = b, a
                stack[top] = a  # the farther child waits
                stack[top + 1] = b
                top += 2
                continue
            for j in range(start[nd], end[nd]):
                checked[i] += 1
                d0 = p_xyz[j, 0] - q[0]
                d1 = p_xyz[j, 1] - q[1]
                d2 = p_xyz[j, 2] - q[2]
                km = _km(math.sqrt(d0 * d0 + d1 * d1 + d2 * d2))
                if km > radius:
                    continue
                c = np.rint(km * detour * per_km) + fit
                if use_rel:
                    bit = p_bit[j]
                    if bit < 0 or (q_rel[i] >> max(bit, 0)) & 1 == 0:
                        c += bonus
                e = 0.0 if q_prev[i] == p_id[j] else q_e[i]
                value = c + e + p_mu[j]
                lower[i] = min(lower[i], value)
                if value >= pi:
                    continue
                key = c + p_mu[j] if scores else value
                if key >= worst:
                    continue
                if len(inside):
                    want = q_id[i] * n_helpers + p_id[j]
                    at = min(np.searchsorted(inside, want), len(inside) - 1)
                    if inside[at] == want:
                        continue
                slot = count if count < k else np.argmax(keys)
                keys[slot] = key
                out_j[i, slot] = j
                out_km[i, slot] = km
                count = min(count + 1, k)
                if count == k:
                    worst = keys.max()
    return out_j, out_km, lower, checked


def search(
    tree: HubTree,
    floor: np.ndarray,
    hub_mu: np.ndarray,
    hub_id: np.ndarray,
    hub_bit: np.ndarray,
    need: dict[str, np.ndarray],
    costs: SearchCosts,
    inside: np.ndarray,
    n_helpers: int,
    *,
    scores: bool,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The ``k`` best violators (S1) of each need in one hub pool.

    ``hub_mu``, ``hub_id``, ``hub_bit`` are in the tree's leaf order; ``need`` holds the
    needs' ``xyz``, ``pi``, ``e`` (change penalty), ``prev`` (previous hub, −1),
    ``rel`` (relation province mask) and ``id`` (position). Keys are ``c + e + μ``, or
    ``c + μ`` with ``scores``. Returns (row of the need, hub position, km, lower per need,
    pairs priced).
    """
    radius = costs.radius_km if np.isfinite(costs.radius_km) else 4 * EARTH_RADIUS_KM
    t0 = time.perf_counter()
    with _ONE_AT_A_TIME:
        numba.set_num_threads(_threads())
        out_j, out_km, lower, checked = _search(
            _c(need["xyz"], np.float64), _c(need["pi"], np.float64),
            _c(need["e"], np.float64), _c(need["prev"], np.int64), _c(need["rel"], np.int64),
            _c(need["id"], np.int64), tree.xyz, _c(hub_mu, np.float64),
            _c(hub_id, np.int64), _c(hub_bit, np.int64), tree.lo, tree.hi, tree.start,
            tree.end, tree.left, tree.right, floor, inside, n_helpers, costs.detour,
            costs.per_km, float(costs.fit), radius, float(costs.relation_bonus),
            costs.use_relation, scores, k,
        )  # fmt: skip
    _note_compile(time.perf_counter() - t0)
    rows, cols = np.nonzero(out_j >= 0)
    hubs = hub_id[out_j[rows, cols]]
    return rows, hubs, out_km[rows, cols], lower, int(checked.sum())


def _note_compile(seconds: float) -> None:
    """Say so when a search had to compile the kernel (a pause of ~10 s, once)."""
    if sum(_search.stats.cache_misses.values()) and not _COMPILE_NOTED.is_set():
        _COMPILE_NOTED.set()
        log.info("pricing: compiled the search kernel in %.1f s (once; numba caches it)", seconds)


def _threads() -> int:
    """Threads of a search: ``OMP_NUM_THREADS`` when set (a Dask worker's nanny sets 1, so
    a sweep's scenarios keep to their own core), else every core numba may use."""
    most = int(getattr(numba.config, "NUMBA_NUM_THREADS", 1))
    value = os.environ.get("OMP_NUM_THREADS", "")
    return min(int(value), most) if value.isdigit() and int(value) > 0 else most


def compile_kernels() -> None:
    """Compile (or load from numba's on-disk cache) the kernels on a tiny instance.

    The first search of an installation compiles them (about 10 s on 2 cores, once);
    ``make`` and the benchmarks call this first, as they byte-compile the package.
    """
    rng = np.random.default_rng(0)
    xyz = rng.normal(size=(40, 3))
    xyz /= np.linalg.norm(xyz, axis=1)[:, None]
    tree = build_tree(xyz)
    weight = np.zeros(len(xyz))
    floor = node_floor(tree, weight)
    ids = np.arange(len(xyz))
    need = {"xyz": xyz[:3], "pi": np.full(3, 1e6), "e": np.zeros(3), "prev": np.full(3, -1),
            "rel": np.zeros(3, dtype=np.int64), "id": np.arange(3)}  # fmt: skip
    costs = SearchCosts(1.3, 1.0, 0, 3000.0, 0, False)
    inside = np.zeros(0, dtype=np.int64)
    search(tree, floor, weight, ids, ids, need, costs, inside, len(xyz), scores=False, k=2)
