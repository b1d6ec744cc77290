"""Candidate pairs: the compatible helpers near each need, as a sparse arc table.

Which helpers are candidates for a need
---------------------------------------
A helper ``h`` is *compatible* with a need ``n`` when

* **specialty**: ``SPECIALTY_FIT[category(n)]`` lists ``specialty(h)``
  (:mod:`geomatch.model.categories`; a need or helper without a category/specialty is
  compatible with everything at fit 0, and so is a category the table does not know
  when the specialty equals it);
* **language**: the need's ``language`` (ISO 639-1; empty = none) is among the helper's
  ``;``-separated ``languages`` (a helper without languages speaks ``zh``);
* **level**: a need with ``min_level = senior`` takes only ``senior`` helpers
  (``enforce_min_level``);
* **relation** (``relation_mode = "hard"``): the helper's province is officially paired
  (2016 east–west table) with the need's county, its prefecture or its province.

Among the compatible helpers with a location, a need keeps the ``k_nearest`` cheapest by
``travel + fit`` within ``radius_km`` great-circle km, plus (``relation_mode =
"preference"``) the ``k_relation`` cheapest from its paired provinces at any distance,
plus the ``k_per_province`` nearest best-fitting hubs in *every* helper province within
the radius (so that capacity far away stays reachable when the nearest hubs are full).
Search is a haversine nearest-neighbour index per (specialty, language, seniority,
province set) group of helpers — ``neighbour_index = "kdtree"`` (default): scipy's
cKDTree on 3-D unit vectors, whose chord order is exactly the great-circle order, about
5× faster than ``"balltree"``: scikit-learn's BallTree with the haversine metric (the
tests check both give the same neighbours) — queried per compatible specialty so that the
``k`` cheapest by ``travel + fit`` are exact. Memory and time are O(needs × k): no dense
needs × helpers matrix is ever built.

Cost of a pair (integer cost units; 1 unit = 1 road km)
-------------------------------------------------------
::

    distance_km   = great-circle distance between need and helper (haversine, R = 6371.0088)
    travel_cost   = round(distance_km × detour_factor × cost_per_km)
    fit_cost      = round(SPECIALTY_FIT[category][specialty] × fit_scale)   (0, 40 or 60)
    relation_cost = 0 if the pair is in the east–west relation (or no relation table /
                    relation_mode = "ignore"), else relation_bonus
    cost          = travel_cost + fit_cost + relation_cost
    load          = 1 (load_mode "unit") or ceil(size) days (load_mode "days")

The relation bonus is applied as a surcharge on the pairs outside the relation, so every
cost is ≥ 0 and a paired helper is ``relation_bonus`` units cheaper than an unpaired one.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geomatch.candidates.select import keep_cheapest as _keep_cheapest
from geomatch.errors import InputError
from geomatch.model.categories import SPECIALTY_FIT
from geomatch.model.pairing_outputs import COST_COMPONENTS
from geomatch.model.pairing_settings import PairingSettings
from geomatch.progress import ProgressCallback, null_progress
from geomatch.settings import EARTH_RADIUS_KM

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

log = logging.getLogger(__name__)

#: Columns of the arc table, in order.
ARC_COLUMNS: tuple[str, ...] = (
    "helper_id",
    "need_id",
    "cost",
    "load",
    "distance_km",
    *COST_COMPONENTS,
    "relation",
    "hub_size",
)

_ANY = "*"


def helper_hubs(h: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Group interchangeable helpers into hubs.

    Helpers at the same point (to 1e-5°) with the same specialty, languages, level,
    province and kind get the same cost on every need and the same compatibility, so the
    pairing treats them as one *hub* whose capacity is their sum (candidates are searched
    among distinct hubs, which keeps ``k_nearest`` meaningful when many experts share a
    city). Helpers without a location are hubs of their own.

    Parameters
    ----------
    h
        A frame from :func:`normalise_helpers`.

    Returns
    -------
    (hub code per helper, member count per hub code)
    """
    lon = h["lon"].to_numpy(dtype=float)
    lat = h["lat"].to_numpy(dtype=float)
    langs = [";".join(sorted(set(x.split(";")))) if x else "" for x in h["languages"]]
    key = pd.DataFrame(
        {
            "lon": np.round(lon, 5),
            "lat": np.round(lat, 5),
            "specialty": h["specialty"].to_numpy(dtype=object),
            "languages": np.asarray(langs, dtype=object),
            "level": h["level"].to_numpy(dtype=object),
            "province": h["province_adcode"].to_numpy(dtype=object),
            "kind": h["kind"].to_numpy(dtype=object),
        }
    )
    missing = np.isnan(lon) | np.isnan(lat)
    key.loc[missing, "kind"] = h.loc[missing, "helper_id"].to_numpy(dtype=object)
    key = key.fillna({"lon": 999.0, "lat": 999.0})
    codes = key.groupby(list(key.columns), sort=False, dropna=False).ngroup().to_numpy()
    size = np.bincount(codes)
    return codes.astype(np.int64), size.astype(np.int64)


def isin_ids(values: object, known: object) -> np.ndarray:
    """``values ∈ known`` for id columns, fast (hash table on object arrays; pandas' string
    ``isin`` is an order of magnitude slower on large id columns)."""
    v = pd.Series(np.asarray(values, dtype=object), dtype=object)
    k = pd.Series(np.asarray(known, dtype=object), dtype=object)
    found: np.ndarray = v.isin(k).to_numpy(dtype=bool)
    return found


def _text(df: pd.DataFrame, col: str, default: str = "") -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), default, dtype=object)
    s = df[col].astype("string").fillna(default).str.strip()
    text: np.ndarray = s.to_numpy(dtype=object)
    return text


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    num: np.ndarray = pd.to_numeric(df[col], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    return num


def normalise_helpers(helpers: pd.DataFrame, settings: PairingSettings) -> pd.DataFrame:
    """A compact typed copy of the helper columns the pairing uses.

    Returns columns ``helper_id, capacity (int64, in load units), kind, specialty, level,
    languages, province_adcode, lon, lat``.
    """
    if "helper_id" not in helpers.columns:
        raise InputError("helpers need a 'helper_id' column", column="helper_id")
    cap_col = "capacity_days" if settings.load_mode == "days" else "capacity"
    if cap_col not in helpers.columns:
        raise InputError(
            f"helpers need a {cap_col!r} column (load_mode = {settings.load_mode!r})",
            column=cap_col,
        )
    cap = pd.to_numeric(helpers[cap_col], errors="coerce")
    if cap.isna().any() or (cap < 0).any():
        bad = int(np.flatnonzero((cap.isna() | (cap < 0)).to_numpy())[0])
        raise InputError(
            f"capacity must be a whole number ≥ 0 (helper {helpers['helper_id'].iloc[bad]!r})",
            row=bad + 2,
            column=cap_col,
        )
    prov = _text(helpers, "province_adcode")
    prov = np.array([p[:2] + "0000" if len(p) >= 2 else "" for p in prov], dtype=object)
    return pd.DataFrame(
        {
            "helper_id": helpers["helper_id"].astype(str).to_numpy(dtype=object),
            "capacity": np.floor(cap.to_numpy(dtype="float64")).astype(np.int64),
            "kind": _text(helpers, "kind"),
            "specialty": _text(helpers, "specialty"),
            "level": _text(helpers, "level"),
            "languages": _text(helpers, "languages"),
            "province_adcode": prov,
            "lon": _num(helpers, "lon"),
            "lat": _num(helpers, "lat"),
        }
    )


def normalise_needs(needs: pd.DataFrame) -> pd.DataFrame:
    """A compact typed copy of the need columns the pairing uses.

    Returns columns ``need_id, kind, adcode (6-digit county or ''), category, language,
    min_level, station_role, priority, deep_poverty_area, size, lon, lat`` and
    ``unmet_penalty`` (float, NaN when not given).
    """
    if "need_id" not in needs.columns:
        raise InputError("needs need a 'need_id' column", column="need_id")
    adcode = _text(needs, "adcode")
    adcode = np.array([a[:6] if len(a) >= 6 else "" for a in adcode], dtype=object)
    lang = _text(needs, "language")
    lang = np.where(lang == "zh", "", lang)
    size = _num(needs, "size")
    return pd.DataFrame(
        {
            "need_id": needs["need_id"].astype(str).to_numpy(dtype=object),
            "kind": _text(needs, "kind"),
            "adcode": adcode,
            "category": _text(needs, "category"),
            "language": lang,
            "min_level": _text(needs, "min_level"),
            "station_role": _text(needs, "station_role"),
            "priority": _text(needs, "priority", "ordinary"),
            "deep_poverty_area": _text(needs, "deep_poverty_area"),
            "size": np.where(np.isnan(size), 1.0, size),
            "lon": _num(needs, "lon"),
            "lat": _num(needs, "lat"),
            "unmet_penalty": _num(needs, "unmet_penalty"),
        }
    )


def compatible_specialties(category: str, specialties: Iterable[str]) -> dict[str, int]:
    """Specialties that may serve ``category`` with their fit penalty (cost units).

    A need without a category accepts every specialty at 0; a category missing from
    :data:`SPECIALTY_FIT` accepts its own name and the empty specialty. The empty
    specialty (a helper with no stated specialty) serves anything at 0.
    """
    specs = set(specialties)
    if not category:
        return dict.fromkeys(specs, 0)
    table = SPECIALTY_FIT.get(category)
    out: dict[str, int] = {}
    if table is None:
        if category in specs:
            out[category] = 0
    else:
        out.update({s: int(v) for s, v in table.items() if s in specs})
    if "" in specs:
        out[""] = 0
    return out


def relation_provinces(adcodes: Iterable[str], relations: pd.DataFrame | None) -> dict[str, str]:
    """East province adcodes paired with each western county (pairing relations).

    The most specific row wins (data/README.md): the rows naming the county ``c``; if
    none, those naming its prefecture ``c[:4]00``; if none, those naming its province
    ``c[:2]0000``.

    Returns
    -------
    dict
        county adcode → ``;``-joined sorted east province adcodes ('' when none).
    """
    out: dict[str, str] = {}
    if relations is None or len(relations) == 0:
        return {a: "" for a in adcodes}
    west = relations["west_adcode"].astype(str).str.strip().to_numpy()
    east = relations["east_province_adcode"].astype(str).str.strip().to_numpy()
    by_west: dict[str, set[str]] = {}
    for w, e in zip(west, east, strict=True):
        by_west.setdefault(w[:6], set()).add(e[:2] + "0000")
    for a in set(adcodes):
        if not a:
            out[a] = ""
            continue
        levels = (by_west.get(a), by_west.get(a[:4] + "00"), by_west.get(a[:2] + "0000"))
        provs = next((p for p in levels if p), set())
        out[a] = ";".join(sorted(provs))
    return out


class _Index(abc.ABC):
    """k-nearest great-circle neighbours of points given as (lat, lon) radians."""

    @abc.abstractmethod
    def __init__(self, latlon: np.ndarray) -> None: ...

    @abc.abstractmethod
    def query(self, latlon: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(great-circle angle in radians, position) of the ``k`` nearest, shape (q, k)."""


class _BallTreeIndex(_Index):
    """scikit-learn's BallTree with the haversine metric."""

    def __init__(self, latlon: np.ndarray) -> None:
        from sklearn.neighbors import BallTree

        self.tree = BallTree(latlon, metric="haversine")

    def query(self, latlon: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        dist, pos = self.tree.query(latlon, k=k)
        return dist, pos


def _unit_vectors(latlon: np.ndarray) -> np.ndarray:
    lat, lon = latlon[:, 0], latlon[:, 1]
    unit: np.ndarray = np.c_[np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
    return unit


class _NeighbourIndex(_Index):
    """scipy's cKDTree on unit vectors: the chord 2·sin(θ/2) grows with the great-circle
    angle θ, so the k nearest are exactly the haversine ones; θ = 2·asin(chord / 2)."""

    def __init__(self, latlon: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.tree = cKDTree(_unit_vectors(latlon))

    def query(self, latlon: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        chord, pos = self.tree.query(_unit_vectors(latlon), k=k, workers=-1)
        if k == 1:
            chord, pos = chord[:, None], pos[:, None]
        return 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)), pos


def build_candidates(
    helpers: pd.DataFrame,
    needs: pd.DataFrame,
    settings: PairingSettings,
    *,
    relations: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """Sparse candidate arcs between needs and the compatible helpers near them.

    Parameters
    ----------
    helpers
        ``helper_id``, ``capacity`` (or ``capacity_days``), ``lon``, ``lat`` (WGS84
        degrees) and optionally ``specialty``, ``level``, ``languages``,
        ``province_adcode``, ``kind``.
    needs
        ``need_id``, ``lon``, ``lat`` and optionally ``adcode``, ``category``,
        ``language``, ``min_level``, ``size``.
    settings
        Radius, k, cost scale and relation mode (:class:`PairingSettings`).
    relations
        The 2016 east–west pairing table (``east_province_adcode``, ``west_adcode``).
        Needed for ``relation_mode = "hard"``; without it the preference gives no bonus.
    progress
        ``(fraction, message)`` callback.

    Returns
    -------
    pandas.DataFrame
        One row per candidate pair, sorted by ``need_id`` then ``cost``: ``helper_id,
        need_id, cost (int64), load (int64), distance_km (float, great-circle),
        travel_cost, fit_cost, relation_cost (int64), relation (bool), hub_size``.
        With ``pool_helpers`` (default) ``helper_id`` is the first helper of a *hub* of
        interchangeable helpers (:func:`helper_hubs`) and ``hub_size`` its member count;
        :func:`geomatch.solve.pairing.solve_pairing` gives the hub their summed capacity
        and splits its pairs over the members.

    Raises
    ------
    InputError
        When helpers or needs have no coordinates at all, or ``relation_mode = "hard"``
        without a relation table.
    """
    progress = progress or null_progress
    h = normalise_helpers(helpers, settings)
    n = normalise_needs(needs)
    _check_inputs(h, n, settings, relations)
    use_relation = settings.relation_mode != "ignore" and relations is not None
    rel_map = relation_provinces(n["adcode"], relations) if use_relation else {}
    need_rel = np.array([rel_map.get(a, "") for a in n["adcode"]], dtype=object)
    pools = _HelperPools.of(h, settings)
    found = _search(pools, n, need_rel, settings, use_relation, progress)
    arcs = found.cheapest_per_pool(settings).without_duplicates(len(h))
    relation = _relation(arcs, need_rel, pools.prov, settings, use_relation)
    out = _arc_table(h, n, arcs, relation, pools, settings)
    progress(1.0, f"{len(out):,} candidate pairs for {len(n):,} needs")
    log.info(
        "candidates: %d arcs for %d needs (%d without any) and %d helpers",
        len(out),
        len(n),
        len(n) - len(np.unique(arcs.need)),
        len(h),
    )
    return out


def _check_inputs(
    h: pd.DataFrame, n: pd.DataFrame, settings: PairingSettings, relations: pd.DataFrame | None
) -> None:
    """Helpers and needs with coordinates; a relation table for ``relation_mode = "hard"``."""
    for name, df in (("helpers", h), ("needs", n)):
        if len(df) and np.isnan(df["lon"].to_numpy()).all():
            raise InputError(
                f"the {name} have no lon/lat: give coordinates or an arcs file "
                "with the candidate pairs and their costs",
                column="lon",
            )
    if settings.relation_mode == "hard" and relations is None:
        raise InputError(
            "relation_mode = 'hard' needs the east–west pairing table (pairing relations)",
            column="relation_mode",
        )


#: A pool of helpers: (specialty, language, senior only, ``;``-joined provinces or ``*``).
_PoolKey = tuple[str, str, bool, str]


@dataclass
class _HelperPools:
    """The helpers the search may find, grouped into pools with a neighbour index each.

    One representative per hub (its first member, :func:`helper_hubs`) with a location is
    searched (``search``); a pool keeps the searched helpers of one specialty that speak a
    language, are senior (when asked) and live in the given provinces.
    """

    search: np.ndarray
    xy: np.ndarray
    spec: np.ndarray
    lang: list[set[str]]
    senior: np.ndarray
    prov: np.ndarray
    hub: np.ndarray
    hub_size: np.ndarray
    index_cls: type[_Index]
    all_specs: list[str]
    provinces: list[str]
    trees: dict[_PoolKey, tuple[_Index, np.ndarray] | None]
    lang_mask: dict[str, np.ndarray]

    @classmethod
    def of(cls, h: pd.DataFrame, settings: PairingSettings) -> _HelperPools:
        """The pools of the normalised helpers ``h`` (indexes are built when first asked)."""
        h_ok = ~(np.isnan(h["lon"].to_numpy()) | np.isnan(h["lat"].to_numpy()))
        hub, hub_size = (
            helper_hubs(h)
            if settings.pool_helpers
            else (np.arange(len(h)), np.ones(len(h), dtype=np.int64))
        )
        # one representative per hub carries the hub's arcs (the first member)
        is_rep = np.zeros(len(h), dtype=bool)
        is_rep[np.unique(hub, return_index=True)[1]] = True
        search = h_ok & is_rep
        spec = h["specialty"].to_numpy(dtype=object)
        prov = h["province_adcode"].to_numpy(dtype=object)
        return cls(
            search=search,
            xy=np.radians(np.c_[h["lat"].to_numpy(), h["lon"].to_numpy()]),
            spec=spec,
            lang=[set(s.split(";")) if s else {"zh"} for s in h["languages"]],
            senior=h["level"].to_numpy(dtype=object) == "senior",
            prov=prov,
            hub=hub,
            hub_size=hub_size,
            index_cls=_NeighbourIndex if settings.neighbour_index == "kdtree" else _BallTreeIndex,
            all_specs=sorted(set(spec[h_ok])),
            provinces=sorted({p for p in prov[search] if p}),
            trees={},
            lang_mask={},
        )

    def pool(self, key: _PoolKey) -> tuple[_Index, np.ndarray] | None:
        """The neighbour index of pool ``key`` and its helper positions (``None``: empty)."""
        if key in self.trees:
            return self.trees[key]
        spec, lang, senior, provs = key
        m = self.search & (self.spec == spec)
        if lang:
            if lang not in self.lang_mask:
                self.lang_mask[lang] = np.array([lang in s for s in self.lang], dtype=bool)
            m &= self.lang_mask[lang]
        if senior:
            m &= self.senior
        if provs != _ANY:
            m &= np.isin(self.prov, provs.split(";") if provs else [])
        idx = np.flatnonzero(m)
        self.trees[key] = (self.index_cls(self.xy[idx]), idx) if len(idx) else None
        return self.trees[key]


@dataclass(frozen=True)
class _ArcArrays:
    """Candidate arcs as parallel arrays: need and helper positions, great-circle km,
    fit cost and travel cost (cost units)."""

    need: np.ndarray
    helper: np.ndarray
    dist_km: np.ndarray
    fit: np.ndarray
    travel: np.ndarray

    def select(self, which: np.ndarray) -> _ArcArrays:
        """The arcs at ``which`` (a mask or positions)."""
        return _ArcArrays(
            self.need[which],
            self.helper[which],
            self.dist_km[which],
            self.fit[which],
            self.travel[which],
        )

    def without_duplicates(self, n_helpers: int) -> _ArcArrays:
        """Each (need, helper) once (a helper found by several pools), in key order."""
        key = self.need.astype(np.int64) * max(n_helpers, 1) + self.helper
        _, first = np.unique(key, return_index=True)
        return self.select(first)


@dataclass
class _Found:
    """Arcs found by the searches, with the pool each came from (0 nearest, 1 relation,
    2 per province)."""

    need: list[np.ndarray]
    helper: list[np.ndarray]
    dist_rad: list[np.ndarray]
    fit: list[np.ndarray]
    source: list[np.ndarray]

    def add(
        self, need: np.ndarray, helper: np.ndarray, dist: np.ndarray, fit: int, source: int
    ) -> None:
        self.need.append(need)
        self.helper.append(helper)
        self.dist_rad.append(dist)
        self.fit.append(np.full(len(need), fit, dtype=np.int64))
        self.source.append(np.full(len(need), source, dtype=np.int8))

    def cheapest_per_pool(self, settings: PairingSettings) -> _ArcArrays:
        """The ``k`` cheapest by travel + fit of each need, separately in each pool, then
        the union (travel in cost units: km × detour × cost per km)."""
        if self.need:
            need = np.concatenate(self.need)
            helper = np.concatenate(self.helper)
            dist_km = np.concatenate(self.dist_rad) * EARTH_RADIUS_KM
            fit = np.concatenate(self.fit)
            source = np.concatenate(self.source)
        else:
            need = helper = fit = np.zeros(0, dtype=np.int64)
            dist_km = np.zeros(0)
            source = np.zeros(0, dtype=np.int8)
        travel = np.rint(dist_km * settings.detour_factor * settings.cost_per_km).astype(np.int64)
        keep = np.zeros(len(need), dtype=bool)
        for pid, k in ((0, settings.k_nearest), (1, settings.k_relation), (2, 1 << 30)):
            m = np.flatnonzero(source == pid)
            keep[m[_keep_cheapest(need[m], travel[m] + fit[m], k)]] = True
        return _ArcArrays(need, helper, dist_km, fit, travel).select(keep)


@dataclass
class _Search:
    """The nearest-neighbour queries of the needs (positions ``xy``) against the pools."""

    pools: _HelperPools
    xy: np.ndarray
    radius: float
    found: _Found

    def add_nearest(
        self,
        key: _PoolKey,
        sub: np.ndarray,
        k_max: int,
        fit_cost: int,
        source: int,
        *,
        within_radius: bool = True,
    ) -> None:
        """Add arcs from needs ``sub`` to their ``k_max`` nearest helpers of pool ``key``."""
        p = self.pools.pool(key)
        if p is None:
            return
        tree, idx = p
        k = min(k_max, len(idx))
        dist, pos = tree.query(self.xy[sub], k)
        ok = dist <= self.radius if within_radius else np.ones(dist.shape, dtype=bool)
        self.found.add(np.repeat(sub, k)[ok.ravel()], idx[pos[ok]], dist[ok], fit_cost, source)


def _need_classes(
    n: pd.DataFrame, n_ok: np.ndarray, need_rel: np.ndarray, settings: PairingSettings
) -> dict[tuple[str, str, bool, str], np.ndarray]:
    """Needs with a location grouped by (category, language, senior asked, relation
    provinces under ``relation_mode = "hard"``): row positions among the located needs."""
    hard = settings.relation_mode == "hard"
    senior_req = (n["min_level"].to_numpy(dtype=object) == "senior") & settings.enforce_min_level
    classes = pd.DataFrame(
        {
            "category": n["category"],
            "language": n["language"],
            "senior": senior_req,
            "rel": need_rel if hard else _ANY,
        }
    )[n_ok]
    groups: dict[tuple[str, str, bool, str], np.ndarray] = classes.groupby(
        ["category", "language", "senior", "rel"], sort=True
    ).indices
    return groups


def _search(
    pools: _HelperPools,
    n: pd.DataFrame,
    need_rel: np.ndarray,
    settings: PairingSettings,
    use_relation: bool,
    progress: ProgressCallback,
) -> _Found:
    """For each class of needs and each specialty that serves it: the ``k_nearest``
    within the radius, the ``k_relation`` nearest of the paired provinces (preference)
    and the ``k_per_province`` nearest best-fitting hubs of every province."""
    hard = settings.relation_mode == "hard"
    n_ok = ~(np.isnan(n["lon"].to_numpy()) | np.isnan(n["lat"].to_numpy()))
    groups = _need_classes(n, n_ok, need_rel, settings)
    radius = settings.radius_km / EARTH_RADIUS_KM if settings.radius_km > 0 else np.inf
    search = _Search(
        pools,
        np.radians(np.c_[n["lat"].to_numpy(), n["lon"].to_numpy()]),
        radius,
        _Found([], [], [], [], []),
    )
    n_idx_ok = np.flatnonzero(n_ok)
    total = max(len(groups), 1)
    for gi, ((cat, lang, senior, rel), rows) in enumerate(groups.items()):
        members = n_idx_ok[rows]
        fits = compatible_specialties(str(cat), pools.all_specs)
        for spec, fit in fits.items():
            fit_cost = round(fit * settings.fit_scale)
            base = (spec, str(lang), bool(senior))
            search.add_nearest((*base, str(rel)), members, settings.k_nearest, fit_cost, 0)
            if use_relation and not hard and settings.k_relation > 0:
                rel_of = need_rel[members]
                for provs in np.unique(rel_of):
                    if provs:
                        search.add_nearest(
                            (*base, str(provs)),
                            members[rel_of == provs],
                            settings.k_relation,
                            fit_cost,
                            1,
                            within_radius=False,
                        )
            if settings.k_per_province > 0 and not hard and fit == min(fits.values()):
                for prov in pools.provinces:
                    search.add_nearest((*base, prov), members, settings.k_per_province, fit_cost, 2)
        progress(0.9 * (gi + 1) / total, f"candidates {gi + 1}/{total} need classes")
    return search.found


@dataclass(frozen=True)
class _Relation:
    """Per arc: inside the east–west relation, and its relation cost (cost units)."""

    flag: np.ndarray
    cost: np.ndarray


def _relation(
    arcs: _ArcArrays,
    need_rel: np.ndarray,
    h_prov: np.ndarray,
    settings: PairingSettings,
    use_relation: bool,
) -> _Relation:
    """Relation flag (the helper's province among the need's paired provinces) and the
    ``relation_bonus`` surcharge outside it."""
    if not use_relation:
        zeros = np.zeros(len(arcs.need), dtype=np.int64)
        return _Relation(np.zeros(len(arcs.need), dtype=bool), zeros)
    rel_sets = need_rel[arcs.need]
    hp = h_prov[arcs.helper]
    uniq_sets, set_id = np.unique(rel_sets.astype(str), return_inverse=True)
    flag = np.zeros(len(arcs.need), dtype=bool)
    for sid, provs in enumerate(uniq_sets):
        if provs:
            m = set_id == sid
            flag[m] = np.isin(hp[m], provs.split(";"))
    return _Relation(flag, np.where(flag, 0, settings.relation_bonus).astype(np.int64))


def _arc_table(
    h: pd.DataFrame,
    n: pd.DataFrame,
    arcs: _ArcArrays,
    relation: _Relation,
    pools: _HelperPools,
    settings: PairingSettings,
) -> pd.DataFrame:
    """The arc table (:data:`ARC_COLUMNS`), sorted by need then cost."""
    if settings.load_mode == "days":
        load = np.maximum(1, np.ceil(n["size"].to_numpy()[arcs.need])).astype(np.int64)
    else:
        load = np.ones(len(arcs.need), dtype=np.int64)
    cost = arcs.travel + arcs.fit + relation.cost
    out = pd.DataFrame(
        {
            "helper_id": h["helper_id"].to_numpy(dtype=object)[arcs.helper],
            "need_id": n["need_id"].to_numpy(dtype=object)[arcs.need],
            "cost": cost,
            "load": load,
            "distance_km": np.round(arcs.dist_km, 1),
            "travel_cost": arcs.travel,
            "fit_cost": arcs.fit,
            "relation_cost": relation.cost,
            "relation": relation.flag,
            "hub_size": pools.hub_size[pools.hub[arcs.helper]],
        }
    )
    order = np.lexsort((cost, arcs.need))
    return out.iloc[order].reset_index(drop=True)
