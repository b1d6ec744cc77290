"""Pricing: the compatible pairs whose reduced cost is negative, found by spatial search.

Given node potentials of an optimal restricted pairing (``π_n`` per need, ``μ_h`` per
helper hub, :mod:`geomatch.solve.pairing_duals`), a compatible pair ``(h, n)`` outside
the restricted network *violates* dual feasibility when

    (P1)  rc(h, n) = c(h, n) + e_n + μ_h − π_n < 0,

with ``c = travel + fit + relation`` (:mod:`geomatch.candidates.build`) and ``e_n`` the
change penalty of a re-planned need. Since ``travel ≥ α·d − ½`` (``α = detour_factor ×
cost_per_km``, ``d`` great-circle km, ``travel`` rounded) and ``relation ≥ 0``, a
violator from a set of hubs whose potentials are at least ``μ_lo`` lies within

    (P2)  d < R_n = (π_n − e_n − fit − μ_lo + ½) / α        (and d ≤ radius_km)

of the need; more sharply, a set of hubs inside a box at least ``d_lo`` km away holds no
violator of ``n`` when ``α·d_lo − ½ + fit + μ_lo ≥ π_n``. :meth:`Pricer.price` searches
each compatible hub pool with that test as a branch and bound over a KD-tree whose nodes
carry their least ``μ`` (:mod:`geomatch.candidates.hubsearch`): per need it returns the
``per_need`` most negative pairs of the pool, and none only when (P1) holds for every
compatible pair of the pool — never needs × helpers. Relation pools (``relation_mode =
"preference"``, ``k_relation > 0``) are searched without the radius limit, matching the
candidate pairs the builder may add from them.

Between rounds only what may have changed is searched (``since``, :class:`Since`). The
costs do not change, so for potentials ``(μ', π')`` of the previous round

    (P3)  rc(h, n) = rc'(h, n) + (μ_h − μ'_h) − (π_n − π'_n).

A need *certified* by the previous round (it returned no violator, so ``rc' ≥ 0`` on
every compatible pair) can only violate now with a hub whose ``μ`` fell by more than its
own ``π`` rose: ``Δμ_h < Δπ_n``. Certified needs are therefore priced in bands of
``Δπ_n`` (edges :data:`_BAND_EDGES`) against the hubs with ``Δμ_h`` below the band's top
only; the other needs against every hub. "No violator returned" is then a proof of (P1)
exactly as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geomatch.candidates.build import (
    _unit_vectors,
    compatible_specialties,
    helper_hubs,
    relation_provinces,
)
from geomatch.candidates.select import keep_cheapest
from geomatch.model.pairing_settings import PairingSettings
from geomatch.settings import EARTH_RADIUS_KM

if TYPE_CHECKING:
    from geomatch.candidates.hubsearch import HubTree
    from geomatch.solve.pairing_coarse import CoarseStart

__all__ = ["PricedArcs", "Pricer", "Since", "first_of_each_pair", "in_sorted", "pair_keys"]

log = logging.getLogger(__name__)

_ANY = "*"
_HUGE = 1e15
#: Pairs found per need and ``per_need`` beyond which pricing keeps only the best.
_COMPACT_AT = 2.5
#: Tops of the bands of ``Δπ`` in which certified needs are priced (P3); the last band,
#: and every need the previous round did not certify, is priced against every hub.
_BAND_EDGES = (0, 1, 4, 16, 64)


@dataclass(frozen=True)
class PricedArcs:
    """Arcs found by :meth:`Pricer.price` (need and helper positions, cost parts)."""

    need: np.ndarray
    helper: np.ndarray
    distance_km: np.ndarray
    travel: np.ndarray
    fit: np.ndarray
    relation: np.ndarray
    relation_cost: np.ndarray
    reduced_cost: np.ndarray
    #: Per need, a lower bound of ``c + e + μ`` over every compatible pair that (P2)
    #: does not exclude (``inf`` when none): ``min(π_n, lower_n)`` is dual feasible.
    lower: np.ndarray
    pairs_checked: int = 0

    def __len__(self) -> int:
        return len(self.need)

    @property
    def cost(self) -> np.ndarray:
        """``travel + fit + relation_cost`` per pair."""
        out: np.ndarray = self.travel + self.fit + self.relation_cost
        return out

    def take(self, keep: np.ndarray) -> PricedArcs:
        """The pairs where ``keep`` holds (``lower`` unchanged)."""
        arrays = {f: getattr(self, f)[keep] for f in _ARC_FIELDS}
        return PricedArcs(**arrays, lower=self.lower, pairs_checked=self.pairs_checked)

    def narrowed(self) -> PricedArcs:
        """The same pairs with each integer field in ``int32`` where its values fit.

        What a restricted model keeps of the pairs it adds, round after round: at 128,000
        needs some 3 M pairs, half the bytes of ``int64``.
        """
        arrays = {f: _narrow(getattr(self, f)) for f in _ARC_FIELDS}
        return PricedArcs(**arrays, lower=self.lower, pairs_checked=self.pairs_checked)

    @staticmethod
    def concat(parts: list[PricedArcs]) -> PricedArcs:
        """One set of pairs from several (``lower`` of the last)."""
        arrays = {f: np.concatenate([getattr(x, f) for x in parts]) for f in _ARC_FIELDS}
        checked = sum(x.pairs_checked for x in parts)
        return PricedArcs(**arrays, lower=parts[-1].lower, pairs_checked=checked)


def _narrow(a: np.ndarray) -> np.ndarray:
    """``a`` as ``int32`` when it is an integer array whose values fit, else ``a``."""
    if a.dtype.kind != "i" or a.dtype.itemsize <= 4 or len(a) == 0:
        return a
    lim = np.iinfo(np.int32)
    return a.astype(np.int32) if lim.min <= a.min() and a.max() <= lim.max else a


_ARC_FIELDS = (
    "need",
    "helper",
    "distance_km",
    "travel",
    "fit",
    "relation",
    "relation_cost",
    "reduced_cost",
)


@dataclass(frozen=True)
class _Task:
    """Needs of one compatibility class and the hub pool of one fitting specialty."""

    needs: np.ndarray
    pool: tuple[str, str, bool, str]
    fit: int
    within_radius: bool


@dataclass(frozen=True)
class Since:
    """The previous pricing round: its potentials and the needs it certified (P3)."""

    mu: np.ndarray
    pi: np.ndarray
    certified: np.ndarray

    @staticmethod
    def after(mu: np.ndarray, pi: np.ndarray, priced: PricedArcs) -> Since:
        """The round that priced ``(mu, pi)`` and returned ``priced``: every need without a
        returned violator is certified."""
        certified = np.ones(len(pi), dtype=bool)
        certified[priced.need] = False
        return Since(mu, pi, certified)


@dataclass(frozen=True)
class _Round:
    """The potentials of one pricing round."""

    mu: np.ndarray
    pi: np.ndarray
    extra: np.ndarray
    prev: np.ndarray
    scores: bool
    #: Sorted keys (need × helpers + hub) of the pairs in the restricted model.
    inside: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def reduced(self, need: np.ndarray, helper: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """(P1): ``c + e + μ − π``, the change penalty ``e`` waived on a previous pair."""
        e = np.where(self.prev[need] == helper, 0, self.extra[need])
        out: np.ndarray = cost + e + self.mu[helper] - self.pi[need]
        return out

    def score(self, need: np.ndarray, helper: np.ndarray, cost: np.ndarray) -> np.ndarray:
        """What a need's pairs are ranked by: ``c + μ`` (``scores``), else (P1)."""
        if self.scores:
            out: np.ndarray = cost + self.mu[helper]
            return out
        return self.reduced(need, helper, cost)


def pair_keys(need: np.ndarray, helper: np.ndarray, n_helpers: int) -> np.ndarray:
    """One int64 per (need, helper) pair: ``need × n_helpers + helper``."""
    out: np.ndarray = need.astype(np.int64) * max(n_helpers, 1) + helper
    return out


def in_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in the ascending array ``sorted_keys``."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    out: np.ndarray = sorted_keys[at] == keys
    return out


def first_of_each_pair(need: np.ndarray, helper: np.ndarray, n_helpers: int) -> np.ndarray:
    """Ascending positions of the first row of each distinct (need, helper) pair."""
    return np.sort(np.unique(pair_keys(need, helper, n_helpers), return_index=True)[1])


@dataclass
class _Found:
    need: list[np.ndarray] = field(default_factory=list)
    helper: list[np.ndarray] = field(default_factory=list)
    dist: list[np.ndarray] = field(default_factory=list)
    fit: list[np.ndarray] = field(default_factory=list)
    lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    checked: int = 0
    #: Pairs held in the lists (kept up to date: summing the lists' lengths after every
    #: task was measured at 1 s a round on the national scenario's 1,095 tasks).
    held: int = 0

    def add(self, need: np.ndarray, helper: np.ndarray, dist: np.ndarray, fit: np.ndarray) -> None:
        """Record found pairs."""
        self.need.append(need)
        self.helper.append(helper)
        self.dist.append(dist)
        self.fit.append(fit)
        self.held += len(need)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(need, helper, distance km, fit) of every pair found so far."""
        if not self.need:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0), empty
        return (
            np.concatenate(self.need),
            np.concatenate(self.helper),
            np.concatenate(self.dist),
            np.concatenate(self.fit),
        )


class Pricer:
    """Spatial pricing over every compatible (helper hub, need) pair.

    Parameters
    ----------
    h, n
        Frames from :func:`~geomatch.candidates.build.normalise_helpers` /
        :func:`~geomatch.candidates.build.normalise_needs`, in the order of the model.
    settings
        Radius, cost scale, relation mode, pooling (as for the candidate builder).
    relations
        The east–west table (relation flag and cost, relation pools).
    """

    def __init__(
        self,
        h: pd.DataFrame,
        n: pd.DataFrame,
        settings: PairingSettings,
        relations: pd.DataFrame | None = None,
    ) -> None:
        self.settings = settings
        self.alpha = settings.detour_factor * settings.cost_per_km
        self.radius = settings.radius_km if settings.radius_km > 0 else np.inf
        h_ok = ~(np.isnan(h["lon"].to_numpy()) | np.isnan(h["lat"].to_numpy()))
        self.n_ok = ~(np.isnan(n["lon"].to_numpy()) | np.isnan(n["lat"].to_numpy()))
        hub, _ = helper_hubs(h) if settings.pool_helpers else (np.arange(len(h)), None)
        is_rep = np.zeros(len(h), dtype=bool)
        is_rep[np.unique(hub, return_index=True)[1]] = True
        self.h_search = h_ok & is_rep
        self.h_xyz = _unit_vectors(np.radians(np.c_[h["lat"].to_numpy(), h["lon"].to_numpy()]))
        self.n_xyz = _unit_vectors(np.radians(np.c_[n["lat"].to_numpy(), n["lon"].to_numpy()]))
        self.n_helpers = len(h)
        self.h_ll = np.c_[h["lat"].to_numpy(), h["lon"].to_numpy()]
        self.n_ll = np.c_[n["lat"].to_numpy(), n["lon"].to_numpy()]
        self.n_cat = n["category"].to_numpy(dtype=object)
        self._pool_masks(h)
        self._relations(h, n, relations)
        self.tasks = self._tasks(n)
        self._nbr = np.zeros((0, 0), dtype=np.int64)
        self._trees: dict[tuple[str, str, bool, str], tuple[HubTree, np.ndarray, np.ndarray]] = {}

    def _pool_masks(self, h: pd.DataFrame) -> None:
        self.h_spec = h["specialty"].to_numpy(dtype=object)
        self.h_lang = [set(s.split(";")) if s else {"zh"} for s in h["languages"]]
        self.h_senior = h["level"].to_numpy(dtype=object) == "senior"
        self.h_prov = h["province_adcode"].to_numpy(dtype=object)
        self._pools: dict[tuple[str, str, bool, str], np.ndarray] = {}

    def pool(self, key: tuple[str, str, bool, str]) -> np.ndarray:
        """Positions of the searchable hubs of a (specialty, language, senior, provinces)."""
        if key not in self._pools:
            spec, lang, senior, provs = key
            m = self.h_search & (self.h_spec == spec)
            if lang:
                m &= np.array([lang in s for s in self.h_lang], dtype=bool)
            if senior:
                m &= self.h_senior
            if provs != _ANY:
                m &= np.isin(self.h_prov, provs.split(";") if provs else [])
            self._pools[key] = np.flatnonzero(m)
        return self._pools[key]

    def _relations(self, h: pd.DataFrame, n: pd.DataFrame, relations: pd.DataFrame | None) -> None:
        s = self.settings
        self.use_relation = s.relation_mode != "ignore" and relations is not None
        rel_map = relation_provinces(n["adcode"], relations) if self.use_relation else {}
        self.need_rel = np.array([rel_map.get(a, "") for a in n["adcode"]], dtype=object)
        provs = sorted({p for p in self.h_prov if p})
        code = {p: i for i, p in enumerate(provs)}
        self.h_prov_bit = np.array([code.get(p, -1) for p in self.h_prov], dtype=np.int64)
        masks = {
            r: sum(1 << code[p] for p in r.split(";") if p in code) if r else 0
            for r in set(self.need_rel)
        }
        self.need_rel_mask = np.array([masks[r] for r in self.need_rel], dtype=np.int64)

    def _tasks(self, n: pd.DataFrame) -> list[_Task]:
        s = self.settings
        hard = s.relation_mode == "hard"
        senior = (n["min_level"].to_numpy(dtype=object) == "senior") & s.enforce_min_level
        self.n_senior = np.asarray(senior, dtype=bool)
        self.n_lang = n["language"].to_numpy(dtype=object)
        classes = pd.DataFrame(
            {
                "category": n["category"],
                "language": n["language"],
                "senior": senior,
                "rel": self.need_rel if hard else _ANY,
            }
        )[self.n_ok]
        groups = classes.groupby(["category", "language", "senior", "rel"], sort=True).indices
        all_specs = sorted(set(self.h_spec[self.h_search]))
        ok_idx = np.flatnonzero(self.n_ok)
        tasks: list[_Task] = []
        for (cat, lang, sen, rel), rows in groups.items():
            members = ok_idx[rows]
            for spec, fit in compatible_specialties(str(cat), all_specs).items():
                fit_cost = round(fit * s.fit_scale)
                base = (spec, str(lang), bool(sen))
                tasks.append(_Task(members, (*base, str(rel)), fit_cost, True))
                if self.use_relation and not hard and s.k_relation > 0:
                    rel_of = self.need_rel[members]
                    for provs in np.unique(rel_of):
                        if provs:
                            sub = members[rel_of == provs]
                            tasks.append(_Task(sub, (*base, str(provs)), fit_cost, False))
        return tasks

    def price(
        self,
        mu: np.ndarray,
        pi: np.ndarray,
        extra: np.ndarray,
        *,
        skip: np.ndarray,
        prev: np.ndarray | None = None,
        per_need: int = 8,
        scores: bool = False,
        since: Since | None = None,
        inside: np.ndarray | None = None,
    ) -> PricedArcs:
        """Compatible pairs with negative reduced cost (P1), at most ``per_need`` a need.

        Parameters
        ----------
        mu
            Potential per helper position (only hub representatives are read).
        pi
            Potential per need.
        extra
            Change penalty of the arcs of a re-planned need, ≥ 0 …
        prev
            … except the arc to its previous helper (position per need, −1: none).
        skip
            Needs not priced (locked needs).
        per_need
            Most negative arcs kept per need (the best of every hub pool, then the best
            of those).
        scores
            Instead of the most negative, return the ``per_need`` pairs of least
            ``c + μ`` with ``c + e + μ < π`` (candidate generation from estimated
            potentials). Either way a call that returns no pair proves (P1) for every
            compatible pair.
        since
            The previous round of violator pricing (same ``extra``, ``prev``, ``skip``):
            only the pairs that (P3) leaves open are searched. ``lower`` of a need priced
            against some hubs only is at most its ``π``.
        inside
            Sorted keys ``need × n_helpers + hub`` of the pairs already in the restricted
            model. They are never returned, and a search goes on past them: a model
            pair may price below zero (it carries flow, or — with side-constraint
            groups — ``μ`` is the least of the hub's potentials, so its reduced cost is
            underestimated), and stopping at it once hid a violator outside the model
            behind it (and let a wrong proof through). "No violator returned" then
            proves (P1) for every compatible pair outside the model.
        """
        found = _Found(lower=np.full(len(pi), np.inf))
        prev = np.full(len(pi), -1, dtype=np.int64) if prev is None else prev
        inside = np.zeros(0, dtype=np.int64) if inside is None else inside
        rnd = _Round(mu, pi, extra, prev, scores, inside)
        for band_skip, hubs in self._bands(mu, pi, skip, since):
            floors: dict[tuple[str, str, bool, str], tuple[np.ndarray, np.ndarray]] = {}
            for task in self.tasks:
                self._price_task(task, rnd, band_skip, per_need, found, floors, hubs)
                if found.held > _COMPACT_AT * max(per_need, 1) * len(pi):
                    self._compact(found, rnd, 2 * per_need)
            if hubs is not None:  # the other hubs' pairs have rc ≥ 0: c + e + μ ≥ π
                part = ~band_skip
                found.lower[part] = np.minimum(found.lower[part], pi[part])
        return self._select(found, rnd, per_need)

    @staticmethod
    def _bands(
        mu: np.ndarray, pi: np.ndarray, skip: np.ndarray, since: Since | None
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(needs skipped, hubs searched or ``None`` for all) per band of (P3)."""
        if since is None:
            return [(skip, None)]
        rise = np.where(since.certified, pi - since.pi, np.inf)
        fall = mu - since.mu
        out: list[tuple[np.ndarray, np.ndarray | None]] = []
        low = -np.inf
        for top in (*_BAND_EDGES, np.inf):
            band = (rise > low) & (rise <= top) & ~skip
            low = top
            if band.any():
                out.append((~band, None if top == np.inf else fall < top))
        return out

    def _compact(self, found: _Found, rnd: _Round, keep: int) -> None:
        """Keep each need's ``keep`` best pairs found so far (what :meth:`_select` can still
        choose), so that memory stays proportional to the needs, not to the pools."""
        need, helper, dist, fit = found.arrays()
        cost = self._costs(need, helper, dist, fit)[-1]
        sel = keep_cheapest(need, rnd.score(need, helper, cost), keep)
        found.need, found.helper, found.dist, found.fit, found.held = [], [], [], [], 0
        found.add(need[sel], helper[sel], dist[sel], fit[sel])

    def _tree(self, key: tuple[str, str, bool, str]) -> tuple[HubTree, np.ndarray, np.ndarray]:
        """The search tree of a pool, its hub positions and their province bits in leaf
        order (built once)."""
        from geomatch.candidates.hubsearch import build_tree  # numba: only when pricing

        if key not in self._trees:
            idx = self.pool(key)
            tree = build_tree(self.h_xyz[idx])
            members = idx[tree.order]
            self._trees[key] = (tree, members, self.h_prov_bit[members])
        return self._trees[key]

    def _floor(
        self,
        key: tuple[str, str, bool, str],
        mu: np.ndarray,
        floors: dict[tuple[str, str, bool, str], tuple[np.ndarray, np.ndarray]],
        hubs: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(least ``μ`` per node, ``μ`` per hub in leaf order) of a pool for one round and
        band: hubs left out by ``hubs`` weigh ``∞`` (once per round and band)."""
        from geomatch.candidates.hubsearch import node_floor

        if key not in floors:
            tree, members, _ = self._tree(key)
            weight = mu[members].astype(np.float64)
            if hubs is not None:
                weight[~hubs[members]] = np.inf
            floors[key] = (node_floor(tree, weight), weight)
        return floors[key]

    def _price_task(
        self,
        task: _Task,
        rnd: _Round,
        skip: np.ndarray,
        per_need: int,
        found: _Found,
        floors: dict[tuple[str, str, bool, str], tuple[np.ndarray, np.ndarray]],
        hubs: np.ndarray | None = None,
    ) -> None:
        """Each need's ``per_need`` best pairs (S1) in the task's hub pool."""
        from geomatch.candidates.hubsearch import SearchCosts, search

        needs = task.needs[~skip[task.needs]]
        if len(needs) == 0 or len(self.pool(task.pool)) == 0:
            return
        tree, members, bits = self._tree(task.pool)
        floor, weight = self._floor(task.pool, rnd.mu, floors, hubs)
        s = self.settings
        costs = SearchCosts(
            detour=s.detour_factor,
            per_km=s.cost_per_km,
            fit=task.fit,
            radius_km=self.radius if task.within_radius else np.inf,
            relation_bonus=s.relation_bonus,
            use_relation=self.use_relation,
        )
        need = {
            "xyz": self.n_xyz[needs],
            "pi": np.minimum(rnd.pi[needs], _HUGE),
            "e": rnd.extra[needs],
            "prev": rnd.prev[needs],
            "rel": self.need_rel_mask[needs],
            "id": needs,
        }
        rows, hub, km, lower, checked = search(
            tree, floor, weight, members, bits, need, costs, rnd.inside,
            self.n_helpers, scores=rnd.scores, k=per_need,
        )  # fmt: skip
        found.add(needs[rows], hub, km, np.full(len(rows), task.fit, dtype=np.int64))
        found.checked += checked
        found.lower[needs] = np.minimum(found.lower[needs], lower)

    def _costs(
        self, need: np.ndarray, helper: np.ndarray, dist_km: np.ndarray, fit: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(travel, relation flag, relation cost, cost) of pairs, as the builder prices them."""
        s = self.settings
        travel = np.rint(dist_km * s.detour_factor * s.cost_per_km).astype(np.int64)
        if self.use_relation:
            bit = self.h_prov_bit[helper]
            rel = (bit >= 0) & ((self.need_rel_mask[need] >> np.maximum(bit, 0)) & 1 == 1)
            rel_cost = np.where(rel, 0, s.relation_bonus).astype(np.int64)
        else:
            rel = np.zeros(len(need), dtype=bool)
            rel_cost = np.zeros(len(need), dtype=np.int64)
        return travel, rel, rel_cost, travel + fit + rel_cost

    def _select(self, found: _Found, rnd: _Round, per_need: int) -> PricedArcs:
        need, helper, dist, fit = found.arrays()
        travel, rel, rel_cost, cost = self._costs(need, helper, dist, fit)
        rc = rnd.reduced(need, helper, cost)
        score = rnd.score(need, helper, cost)
        if not self.use_relation:
            sel = np.flatnonzero(keep_cheapest(need, score, per_need))
        else:
            # a relation pool's pair found by the radius search as well (same score): of
            # each need's best 2 × per_need rows,
            # one per pair, then the best per_need of those
            sel = np.flatnonzero(keep_cheapest(need, score, 2 * per_need))
            sel = sel[first_of_each_pair(need[sel], helper[sel], self.n_helpers)]
            sel = sel[keep_cheapest(need[sel], score[sel], per_need)]
        return PricedArcs(
            need=need[sel],
            helper=helper[sel],
            distance_km=dist[sel],
            travel=travel[sel],
            fit=fit[sel],
            relation=rel[sel],
            relation_cost=rel_cost[sel],
            reduced_cost=rc[sel],
            lower=found.lower,
            pairs_checked=found.checked,
        )

    def arcs_for(self, need: np.ndarray, helper: np.ndarray) -> PricedArcs:
        """The given pairs that are compatible, with their costs (reduced cost 0)."""
        s = self.settings
        km = (
            2.0
            * np.arcsin(
                np.clip(np.linalg.norm(self.n_xyz[need] - self.h_xyz[helper], axis=1) / 2, 0, 1)
            )
            * EARTH_RADIUS_KM
        )
        fit = np.full(len(need), -1, dtype=np.int64)
        keys = pd.DataFrame({"c": self.n_cat[need], "s": self.h_spec[helper]})
        for (cat, spec), rows in keys.groupby(["c", "s"]).indices.items():
            f = compatible_specialties(str(cat), {str(spec)}).get(str(spec))
            if f is not None:
                fit[rows] = round(f * s.fit_scale)
        lang = self.n_lang[need]
        speaks = np.ones(len(need), dtype=bool)
        asks = np.flatnonzero(lang != "")  # few needs ask for a language other than zh
        speaks[asks] = [lang[i] in self.h_lang[helper[i]] for i in asks]
        ok = (
            (fit >= 0)
            & speaks
            & (km <= self.radius)
            & (~self.n_senior[need] | self.h_senior[helper])
        )
        if s.relation_mode == "hard":
            ok &= False
        need, helper, km, fit = need[ok], helper[ok], km[ok], fit[ok]
        travel, rel, rel_cost, _ = self._costs(need, helper, km, fit)
        zero = np.zeros(len(need), dtype=np.int64)
        return PricedArcs(need, helper, km, travel, fit, rel, rel_cost, zero, np.zeros(0))

    def exchange(
        self,
        paired: np.ndarray,
        mu: np.ndarray,
        pi: np.ndarray,
        extra: np.ndarray,
        *,
        skip: np.ndarray,
        prev: np.ndarray,
        k: int,
    ) -> PricedArcs:
        """Violators (P1) among the hubs that each need's ``k`` nearest needs are paired with.

        ``paired`` is the hub position per need (−1: unmet). In an optimal pairing of
        needs spread over a region, neighbours are served from neighbouring hubs; a
        restricted optimum far from it has crossing pairs, and the pair of a neighbour
        is the exchange that uncrosses them. Nothing here is part of the proof: these
        pairs only join the violators that :meth:`price` finds.
        """
        nbr = self._neighbours(k)
        need = np.repeat(np.arange(len(pi)), nbr.shape[1])
        other = nbr.ravel()
        hub = np.where(other >= 0, paired[np.maximum(other, 0)], -1)
        ok = (hub >= 0) & ~skip[need]
        key = np.unique(pair_keys(need[ok], hub[ok], self.n_helpers))  # neighbours share hubs
        arcs = self.arcs_for(key // max(self.n_helpers, 1), key % max(self.n_helpers, 1))
        rc = _Round(mu, pi, extra, prev, False).reduced(arcs.need, arcs.helper, arcs.cost)
        neg = rc < 0
        return replace(arcs.take(neg), reduced_cost=rc[neg])

    def _neighbours(self, k: int) -> np.ndarray:
        """The ``k`` nearest needs of the same category per need (−1 where fewer), cached."""
        from scipy.spatial import cKDTree

        if self._nbr.shape[1:] != (k,):
            nbr = np.full((len(self.n_cat), k), -1, dtype=np.int64)
            for cat in np.unique(self.n_cat[self.n_ok]):
                idx = np.flatnonzero((self.n_cat == cat) & self.n_ok)
                kk = min(k + 1, len(idx))
                _, pos = cKDTree(self.n_xyz[idx]).query(self.n_xyz[idx], k=kk)
                pos = pos.reshape(len(idx), kk)
                nbr[idx, : kk - 1] = idx[pos[:, 1:]]  # the first is the need itself
            self._nbr = nbr
        return self._nbr

    def coarse_potentials(
        self, capacity: np.ndarray, penalty: np.ndarray, *, cell_deg: float = 1.0
    ) -> CoarseStart:
        """Estimated helper potentials from an aggregated transportation problem.

        Hubs are summed per (grid cell, specialty) and needs counted per (grid cell,
        category); the cells are paired along compatible specialties at the cost between
        cell centroids (language, level and relation rules left out). The helper-cell
        potentials of its optimal flow estimate ``μ_h``; the first restricted problem takes
        each need's cheapest pairs by ``c + μ_est`` (:meth:`price` with ``scores``), which
        spreads western needs over the capacity that the whole country leaves them
        instead of the few hubs nearest to all of them. Only a warm start: the proof is
        the pricing of :mod:`geomatch.solve.pairing_exact`.

        ``cell_deg`` (degrees): 1° cells against 2° cost about 4 s more on the national
        scenario (a coarse network four times larger) and buy a round or more: 12,800
        needs proven in 8 rounds instead of 11; the national scenario's 5-round plan 0.06 %
        above the optimum instead of 0.12 %; at 128,000 × 100,000 the objective of round 5
        is reached about 2.5 rounds earlier (``solvers/BENCHMARKS.md``). 0.5° costs more
        than it saves (a 40 s warm start at 12,800 needs).
        """
        from geomatch.solve.pairing_coarse import cell_potentials

        return cell_potentials(self, capacity, penalty, cell_deg=cell_deg)
