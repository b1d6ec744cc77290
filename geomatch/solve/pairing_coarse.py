"""Warm start of the exact pairing: potentials of a cell-aggregated transportation problem.

Hubs with coordinates are summed per (``cell_deg`` grid cell, specialty) into *supply
cells* with their total capacity; needs with coordinates are counted per (grid cell,
category) into *demand cells* with their mean unmet penalty. Supply cell ``s`` may serve
demand cell ``t`` when the specialty fits the category
(:data:`geomatch.model.categories.SPECIALTY_FIT`) and the centroids lie within
``radius_km``; the cost is the travel between centroids plus the fit. The min-cost flow
of this small network (a few thousand nodes) and its residual potentials
(:mod:`geomatch.solve.pairing_duals`) give each supply cell a potential ``μ_s``; every
hub of the cell gets it as its estimate. Nothing here is part of the optimality proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geomatch.candidates.build import compatible_specialties
from geomatch.settings import EARTH_RADIUS_KM
from geomatch.solve.pairing_duals import UNREACHED, FlowNetwork, residual_potentials

if TYPE_CHECKING:
    from geomatch.candidates.pricing import Pricer

__all__ = ["CoarseStart", "cell_potentials"]


@dataclass(frozen=True)
class CoarseStart:
    """Estimated potential per helper and one disaggregated pair per unit of flow."""

    mu: np.ndarray
    need: np.ndarray
    helper: np.ndarray


def _cells(latlon: np.ndarray, key: np.ndarray, deg: float) -> tuple[np.ndarray, pd.DataFrame]:
    """Cell code per point and the cells' (lat, lon centroid, key, count)."""
    df = pd.DataFrame(
        {
            "i": np.floor(latlon[:, 0] / deg).astype(np.int64),
            "j": np.floor(latlon[:, 1] / deg).astype(np.int64),
            "key": key,
            "lat": latlon[:, 0],
            "lon": latlon[:, 1],
        }
    )
    code = df.groupby(["i", "j", "key"], sort=False).ngroup().to_numpy()
    cells = df.groupby(code).agg(lat=("lat", "mean"), lon=("lon", "mean"), key=("key", "first"))
    return code, cells


def _km(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Great-circle km between every row of ``a`` and every row of ``b``."""
    la, lo = np.radians(a["lat"].to_numpy())[:, None], np.radians(a["lon"].to_numpy())[:, None]
    lb, lob = np.radians(b["lat"].to_numpy())[None, :], np.radians(b["lon"].to_numpy())[None, :]
    h = np.sin((lb - la) / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin((lob - lo) / 2) ** 2
    km: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    return km


def cell_potentials(
    pricer: Pricer, capacity: np.ndarray, penalty: np.ndarray, *, cell_deg: float
) -> CoarseStart:
    """Estimated potential per helper position (0 where nothing is known) and pairs."""
    from ortools.graph.python import min_cost_flow

    s = pricer.settings
    hs = np.flatnonzero(pricer.h_search)
    ns = np.flatnonzero(pricer.n_ok)
    mu = np.zeros(pricer.n_helpers, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    if len(hs) == 0 or len(ns) == 0:
        return CoarseStart(mu, none, none)
    h_code, sup = _cells(pricer.h_ll[hs], pricer.h_spec[hs], cell_deg)
    n_code, dem = _cells(pricer.n_ll[ns], pricer.n_cat[ns], cell_deg)
    sup_cap = np.bincount(h_code, weights=capacity[hs]).astype(np.int64)
    dem_cnt = np.bincount(n_code).astype(np.int64)
    dem_pen = np.rint(np.bincount(n_code, weights=penalty[ns]) / dem_cnt).astype(np.int64)
    km = _km(dem, sup)
    fit = np.full(km.shape, -1, dtype=np.int64)
    specs = sup["key"].to_numpy(dtype=object)
    for t, cat in enumerate(dem["key"].to_numpy(dtype=object)):
        for spec, f in compatible_specialties(str(cat), set(specs)).items():
            fit[t, specs == spec] = round(f * s.fit_scale)
    radius = s.radius_km if s.radius_km > 0 else np.inf
    t_idx, s_idx = np.nonzero((fit >= 0) & (km <= radius))
    S, T = len(sup), len(dem)
    cost = np.rint(km[t_idx, s_idx] * s.detour_factor * s.cost_per_km) + fit[t_idx, s_idx]
    net = FlowNetwork(
        1 + S + T,
        np.concatenate([np.zeros(S), 1 + s_idx, np.zeros(T)]).astype(np.int64),
        np.concatenate([1 + np.arange(S), 1 + S + t_idx, 1 + S + np.arange(T)]).astype(np.int64),
        np.concatenate([sup_cap, dem_cnt[t_idx], dem_cnt]).astype(np.int64),
        np.concatenate([np.zeros(S), cost, dem_pen]).astype(np.int64),
    )
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, net.capacity, net.cost)
    supplies = np.r_[dem_cnt.sum(), np.zeros(S, dtype=np.int64), -dem_cnt]
    smcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int64), supplies.astype(np.int64))
    if smcf.solve() != smcf.OPTIMAL:
        return CoarseStart(mu, none, none)
    flows = smcf.flows(np.arange(len(net.tail), dtype=np.int64))
    d = residual_potentials(net, flows)
    pi_t = np.where(d[1 + S :] >= UNREACHED, dem_pen, d[1 + S :]).astype(float)
    mu[hs] = _c_transform(pricer, hs, dem, pi_t)
    f = flows[S : S + len(t_idx)]
    pairs = _disaggregate(hs[np.argsort(h_code, kind="stable")], np.sort(h_code), capacity,
                          ns, n_code, t_idx[f > 0], s_idx[f > 0], f[f > 0])  # fmt: skip
    return CoarseStart(mu, pairs[0], pairs[1])


def _disaggregate(
    hubs_by_cell: np.ndarray,
    cell_of_hub: np.ndarray,
    capacity: np.ndarray,
    ns: np.ndarray,
    n_code: np.ndarray,
    t: np.ndarray,
    s: np.ndarray,
    f: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One (need, hub) pair per unit of coarse flow: needs of demand cell ``t`` go to the
    capacity slots of supply cell ``s``, slots filled hub by hub."""
    order = np.argsort(n_code, kind="stable")
    n_start = np.searchsorted(n_code[order], np.arange(n_code.max() + 2))
    # needs of each demand cell, handed out along its flows
    k = np.argsort(t, kind="stable")
    t, s, f = t[k], s[k], f[k]
    reps = np.repeat(np.arange(len(t)), f)
    unit_t = t[reps]
    rank_t = np.arange(len(reps)) - np.searchsorted(unit_t, unit_t)
    need = ns[order[n_start[unit_t] + rank_t]]
    cell = s[reps]
    # slots of each supply cell, in hub order
    slots_hub = np.repeat(hubs_by_cell, capacity[hubs_by_cell])
    slots_cell = np.repeat(cell_of_hub, capacity[hubs_by_cell])
    c_order = np.argsort(cell, kind="stable")
    first_slot = np.searchsorted(slots_cell, cell[c_order])
    rank = np.arange(len(cell)) - np.searchsorted(cell[c_order], cell[c_order])
    ok = first_slot + rank < len(slots_hub)
    helper = np.full(len(cell), -1, dtype=np.int64)
    helper[c_order[ok]] = slots_hub[(first_slot + rank)[ok]]
    keep = helper >= 0
    return need[keep], helper[keep]


def _c_transform(pricer: Pricer, hs: np.ndarray, dem: pd.DataFrame, pi_t: np.ndarray) -> np.ndarray:
    """``μ_h = max(0, max_t π_t − c(t, h))`` over compatible demand cells, per hub.

    The transform gives each hub its own estimate from its exact position (a cell's
    single potential would make every need prefer the same hubs of each cell).
    """
    s = pricer.settings
    out = np.zeros(len(hs))
    cats = dem["key"].to_numpy(dtype=object)
    radius = s.radius_km if s.radius_km > 0 else np.inf
    hubs = pd.DataFrame({"lat": pricer.h_ll[hs, 0], "lon": pricer.h_ll[hs, 1]})
    spec = pricer.h_spec[hs]
    for sp in np.unique(spec):
        rows = np.flatnonzero(spec == sp)
        fit = np.array(
            [compatible_specialties(str(c), {sp}).get(sp, -1) for c in cats], dtype=float
        )
        cols = np.flatnonzero(fit >= 0)
        if len(cols) == 0:
            continue
        for chunk in np.array_split(rows, max(1, len(rows) * len(cols) // 4_000_000 + 1)):
            km = _km(hubs.iloc[chunk], dem.iloc[cols])
            c = np.rint(km * s.detour_factor * s.cost_per_km) + np.round(fit[cols] * s.fit_scale)
            gain = np.where(km <= radius, pi_t[cols][None, :] - c, -np.inf)
            out[chunk] = np.maximum(gain.max(axis=1), 0.0)
    return np.rint(out).astype(np.int64)
