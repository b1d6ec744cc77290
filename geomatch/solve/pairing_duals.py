"""Node potentials (LP duals) of an optimal min-cost flow, from its residual network.

OR-Tools' ``SimpleMinCostFlow`` returns an optimal flow but not the node potentials
that prove it optimal. They follow from the flow: a flow ``f`` is optimal if and only if
its residual network ``R(f)`` has no negative cycle, and then the shortest-path
distances ``d`` from the source ``S`` in ``R(f)`` satisfy, for every residual arc
``(i, j)`` of cost ``c_ij``,

    (D1)  c_ij + d(i) − d(j) ≥ 0          (reduced cost ≥ 0; complementary slackness),

so ``d`` is an optimal dual solution (the node potentials). An arc ``(i, j)`` *not* in
the network, added with zero flow, keeps the flow optimal exactly when it satisfies
(D1) as well — this is the pricing test of :mod:`geomatch.solve.pairing_exact`.

The distances are computed by a vectorised label-correcting (Bellman–Ford) method: each
pass relaxes only the arcs leaving the nodes whose distance fell in the previous pass
(``numpy.minimum.at`` over a CSR layout). It ends in at most ``|V|`` passes because
``R(f)`` has no negative cycle; in practice the number of passes is the depth of the
shortest-path tree (tens). Costs are integers, so the distances are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["UNREACHED", "FlowNetwork", "residual_potentials"]

#: Distance of a node that the source cannot reach in the residual network.
UNREACHED: int = 1 << 60


@dataclass(frozen=True)
class FlowNetwork:
    """A min-cost-flow network as arc arrays (tails, heads, capacities, unit costs)."""

    n_nodes: int
    tail: np.ndarray
    head: np.ndarray
    capacity: np.ndarray
    cost: np.ndarray


def residual_potentials(net: FlowNetwork, flow: np.ndarray, source: int = 0) -> np.ndarray:
    """Shortest-path distances from ``source`` in the residual network of ``flow``.

    Returns
    -------
    numpy.ndarray
        int64 distance per node; :data:`UNREACHED` for nodes the source cannot reach.

    Raises
    ------
    RuntimeError
        When the residual network has a negative cycle (``flow`` is not optimal: a bug).
    """
    fw = flow < net.capacity
    bw = flow > 0
    tail = np.concatenate([net.tail[fw], net.head[bw]]).astype(np.int64)
    head = np.concatenate([net.head[fw], net.tail[bw]]).astype(np.int64)
    cost = np.concatenate([net.cost[fw], -net.cost[bw]]).astype(np.int64)
    order = np.argsort(tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    start = np.searchsorted(tail, np.arange(net.n_nodes + 1))
    dist = np.full(net.n_nodes, UNREACHED, dtype=np.int64)
    dist[source] = 0
    front = np.array([source], dtype=np.int64)
    passes = 0
    while len(front):
        passes += 1
        if passes > net.n_nodes + 1:
            raise RuntimeError("negative cycle in the residual network of an optimal flow (a bug)")
        first = start[front]
        count = start[front + 1] - first
        total = int(count.sum())
        if total == 0:
            break
        arcs = np.repeat(first - np.cumsum(count) + count, count) + np.arange(total)
        heads = head[arcs]
        before = dist[heads]
        np.minimum.at(dist, heads, dist[tail[arcs]] + cost[arcs])
        front = np.unique(heads[dist[heads] < before])
    return dist
