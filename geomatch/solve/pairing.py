"""Pairing eastern helpers with western needs: exact at national scale, with explanations.

Cost model (integer cost units; 1 unit = 1 km of road travel)
-------------------------------------------------------------
A pair ``(h, n)`` costs ``travel + fit + relation`` (:mod:`geomatch.candidates.build`):
``travel = round(great-circle km × detour_factor × cost_per_km)``, ``fit`` from the
specialty table (0 exact, 40 close discipline, 60 a training need served by another
field), ``relation = relation_bonus`` unless the pair is in the 2016 east–west relation.
Leaving a need unmet costs::

    p_n = round(unmet_penalty × priority_weights[priority(n)] × kind_weights[kind(n)]
                × (deep_poverty_weight if n is in a deep-poverty area else 1))

unless the needs file gives ``unmet_penalty`` explicitly. Re-planning against a
``previous`` plan adds ``change_penalty`` to every arc of a need other than its previous
helper and to its unmet arc.

Formulation
-----------
::

    minimise   Σ_a c_a x_a + Σ_n p_n u_n
    subject to Σ_{a ∋ n} x_a + u_n = 1            (u_n ≡ 0 with require_all)
               Σ_{a ∋ h} w_a x_a ≤ b_h            helper capacity (w_a: load)
               Σ_{a ∈ g} x_a ≤ q_g                side constraints: an expert serves at most
                                                   one station (q = 1); at most N needs per
                                                   helper and county; a society takes at most
                                                   Q needs per province
               u_n = u_m                          (station_all_or_nothing) within a station
               x_a = 1                            for locked pairs

Solvers: with uniform loads per helper and side-constraint groups that nest inside
helpers this is a min-cost flow (:mod:`geomatch.solve.pairing_flow`, exact, the
national path); from locations the optimum is proven over every compatible pair by
column generation with node potentials (:mod:`geomatch.solve.pairing_exact`, which
writes out the argument); otherwise a generalised assignment problem with side constraints for
CP-SAT (:mod:`geomatch.solve.pairing_cpsat`, time limit, hint from the flow relaxation,
bound and gap reported). Equity ``minmax`` on a network finds by bisection the smallest
longest trip ``D*`` at which the unmet penalty is still minimal, then the cheapest pairing
with arcs ≤ ``D*``; ``weighted`` (and ``minmax`` off the network) uses CP-SAT.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geomatch.candidates import (
    build_candidates,
    helper_hubs,
    isin_ids,
    normalise_helpers,
    normalise_needs,
)
from geomatch.candidates.pricing import PricedArcs, Pricer
from geomatch.errors import InfeasibleError, InputError, SolverTimeoutError
from geomatch.model.pairing_outputs import PAIRING_COLUMNS
from geomatch.model.pairing_settings import PairingSettings
from geomatch.model.run_tables import GENERIC_KIND
from geomatch.progress import ProgressCallback, null_progress, scaled
from geomatch.solve.pairing_cpsat import solve_cpsat
from geomatch.solve.pairing_explain import OpenPairs, explain_unmet
from geomatch.solve.pairing_flow import solve_flow
from geomatch.solve.pairing_model import ArcModel, GroupCaps, ModelSolution

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = [
    "PairingResult",
    "pair_from_locations",
    "run_pairing_scenario",
    "solve_pairing",
    "unmet_penalties",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PairingResult:
    """The answer of :func:`solve_pairing`.

    Attributes
    ----------
    pairings
        One row per pair: ``need_id, helper_id, cost, load, distance_km`` and the cost
        components ``travel_cost, fit_cost, relation_cost, change_cost``, flags
        ``relation, locked, changed``, the need's ``kind, category, priority, adcode``,
        the helper's ``specialty`` and a readable ``reason``.
    unmet
        The pairing's rows of the run's ``unmet`` (``stage`` = ``pairing``), one per
        unmet need: ``need_id, reason, reason_zh, priority, category, adcode, penalty,
        detail, fix_helper_id, fix_distance_km, fix, kind``
        (see :mod:`geomatch.solve.pairing_explain`). The shortfall per county
        (``unmet_summary``) is the coverage stage's (:mod:`geomatch.render.shortfall`).
    summary
        ``status`` (optimal | feasible), ``objective``, ``bound``, ``gap``,
        ``n_pairings``, ``n_unmet``, ``seconds`` (whole call), ``solve_seconds`` (raw
        solver), ``solver`` and KPIs.
    """

    pairings: pd.DataFrame
    unmet: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def unmet_penalties(needs: pd.DataFrame, settings: PairingSettings) -> np.ndarray:
    """Penalty (cost units) of leaving each need unmet; see the module docstring."""
    cols = {"priority", "deep_poverty_area", "unmet_penalty", "station_role", "min_level"}
    norm = needs if cols <= set(needs.columns) else normalise_needs(needs)
    w = norm["priority"].map(settings.priority_weights).fillna(1.0).to_numpy(dtype=float)
    kind = norm["kind"] if "kind" in norm.columns else pd.Series("", index=norm.index)
    k = kind.map(settings.kind_weights).fillna(1.0).to_numpy(dtype=float)
    deep = np.where(norm["deep_poverty_area"].astype(str) != "", settings.deep_poverty_weight, 1)
    base = np.rint(settings.unmet_penalty * w * k * deep)
    given = pd.to_numeric(norm["unmet_penalty"], errors="coerce").to_numpy(dtype=float)
    out: np.ndarray = np.where(np.isnan(given), base, given).astype(np.int64)
    return out


def _pairs_frame(
    df: pd.DataFrame | None, name: str, needs_ids: pd.Index, helper_ids: pd.Index
) -> pd.DataFrame:
    """Validate a locks/previous table (``need_id, helper_id``)."""
    if df is None or len(df) == 0:
        return pd.DataFrame(
            {"need_id": pd.Series(dtype=object), "helper_id": pd.Series(dtype=object)}
        )
    file = df.attrs.get("source", name)
    for col in ("need_id", "helper_id"):
        if col not in df.columns:
            raise InputError(
                f"the {name} table needs columns need_id, helper_id", file=file, row=1, column=col
            )
    out = pd.DataFrame(
        {
            "need_id": df["need_id"].astype(str).str.strip().to_numpy(dtype=object),
            "helper_id": df["helper_id"].astype(str).str.strip().to_numpy(dtype=object),
        }
    )
    for col, known in (("need_id", needs_ids), ("helper_id", helper_ids)):
        bad = pd.Series(~isin_ids(out[col], known))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"unknown id {out.at[i, col]!r} in the {name} table",
                file=file,
                row=i + 2,
                column=col,
            )
    dup = out["need_id"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"need {out.at[i, 'need_id']!r} appears twice in the {name} table; "
            "a need has one helper",
            file=file,
            row=i + 2,
            column="need_id",
        )
    return out


def _arcs_frame(arcs: pd.DataFrame, need_ids: pd.Index, helper_ids: pd.Index) -> pd.DataFrame:
    """Typed view of the arcs (columns converted only when needed; no deep copy)."""
    for col in ("helper_id", "need_id", "cost"):
        if col not in arcs.columns:
            raise InputError("arcs need columns helper_id, need_id, cost", column=col)
    a = arcs.reset_index(drop=True)
    for col in ("helper_id", "need_id"):
        if not pd.api.types.is_string_dtype(a[col]):
            a[col] = a[col].astype(str)
    if a["cost"].dtype != np.int64:
        a["cost"] = pd.to_numeric(a["cost"]).astype(np.int64)
    if "load" not in a.columns:
        a["load"] = np.int64(1)
    elif a["load"].dtype != np.int64:
        a["load"] = pd.to_numeric(a["load"]).fillna(1).astype(np.int64)
    if "distance_km" not in a.columns:
        a["distance_km"] = np.nan
    elif a["distance_km"].dtype != np.float64:
        a["distance_km"] = pd.to_numeric(a["distance_km"], errors="coerce").astype(float)
    for col, known in (("helper_id", helper_ids), ("need_id", need_ids)):
        bad = known.get_indexer(a[col]) < 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"arc with unknown {col} {a.at[i, col]!r}", row=i + 2, column=col)
    return a


def _groups(
    h: pd.DataFrame,
    n: pd.DataFrame,
    arc_h: np.ndarray,
    arc_n: np.ndarray,
    settings: PairingSettings,
    members: np.ndarray | None = None,
) -> tuple[GroupCaps, ...]:
    fams: list[GroupCaps] = []
    per_helper = np.ones(len(h), dtype=np.int64) if members is None else members
    hkind = h["kind"].to_numpy(dtype=object)
    nkind = n["kind"].to_numpy(dtype=object)
    county = n["adcode"].to_numpy(dtype=object)

    def family(name: str, mask: np.ndarray, key: np.ndarray, cap: int, scale: bool = False) -> None:
        arc_group = np.full(len(arc_h), -1, dtype=np.int64)
        if not mask.any():
            return
        pair = pd.MultiIndex.from_arrays([arc_h[mask], key[mask]])
        codes, uniq = pd.factorize(pair)
        arc_group[mask] = codes
        group_helper = np.asarray(uniq.get_level_values(0), dtype=np.int64)
        caps = np.full(len(uniq), cap, dtype=np.int64)
        if scale:  # a pooled hub of m experts serves at most m stations
            caps = caps * per_helper[group_helper]
        fams.append(GroupCaps(name, arc_group, caps, group_helper))

    if settings.one_station_per_expert:
        m = (nkind[arc_n] == "station") & np.isin(hkind[arc_h], ["expert", ""])
        family("one_station_per_expert", m, np.zeros(len(arc_h), dtype=np.int64), 1, scale=True)
    if settings.max_needs_per_helper_county > 0:
        key = county[arc_n]
        family("max_needs_per_helper_county", key != "", key, settings.max_needs_per_helper_county)
    if settings.society_quota_per_province > 0:
        key = np.array([c[:2] for c in county[arc_n]], dtype=object)
        family(
            "society_quota_per_province",
            (hkind[arc_h] == "society") & (key != ""),
            key,
            settings.society_quota_per_province,
        )
    return tuple(fams)


def _same_fate(n: pd.DataFrame, settings: PairingSettings) -> np.ndarray | None:
    if not settings.station_all_or_nothing:
        return None
    st = (n["kind"] == "station").to_numpy() & (n["adcode"] != "").to_numpy()
    if not st.any():
        return None
    fate = np.full(len(n), -1, dtype=np.int64)
    codes, _ = pd.factorize(n.loc[st, "adcode"])
    fate[st] = codes
    return fate


def _solve_model(
    model: ArcModel, settings: PairingSettings, *, big_m: bool, seed: int
) -> ModelSolution:
    network = model.is_network()
    use_flow = settings.solver == "flow" or (settings.solver == "auto" and network)
    if settings.solver == "flow" and not network:
        raise InputError(
            "solver = 'flow' needs uniform loads per helper and side constraints that nest "
            "inside helpers; use solver = 'auto' or 'cpsat'",
            column="solver",
        )
    if use_flow and settings.equity == "weighted":
        use_flow = False
    if use_flow:
        if settings.equity == "minmax":
            return _flow_minmax(model, settings, big_m=big_m)
        return solve_flow(model, big_m=big_m)
    if model.n_arcs > settings.cpsat_max_arcs:
        why = []
        if not model.uniform_loads():
            why.append("per-pair loads (load_mode = 'days' or an arcs file with loads)")
        if model.same_fate is not None:
            why.append("station_all_or_nothing")
        if settings.equity == "weighted":
            why.append("equity = 'weighted'")
        if len(model.groups) > 1:
            why.append("max_needs_per_helper_county together with other side constraints")
        raise InputError(
            f"this problem needs CP-SAT ({'; '.join(why) or 'side constraints'}), which is "
            f"limited to cpsat_max_arcs = {settings.cpsat_max_arcs:,} candidate pairs; it has "
            f"{model.n_arcs:,}. Pair a region at a time, lower k_nearest, or drop the "
            "constraint (the min-cost-flow path has no such limit)",
            column="cpsat_max_arcs",
        )
    hint = None
    if settings.use_hint and model.uniform_loads():
        relaxed = model.capacity_relaxation()
        r = solve_flow(relaxed, big_m=True)
        hint = r.x if r.status != "infeasible" or model.unmet_cost is None else None
    sol = solve_cpsat(
        model,
        time_limit_s=settings.time_limit_s,
        num_workers=settings.num_workers,
        relative_gap=settings.relative_gap,
        hint=hint,
        equity=settings.equity,
        equity_weight=settings.equity_weight,
        seed=seed,
    )
    return sol


def _flow_minmax(model: ArcModel, settings: PairingSettings, *, big_m: bool) -> ModelSolution:
    """Shortest longest trip at (nearly) minimal unmet penalty, then the cheapest pairing.

    ``P(D)`` is the least unmet penalty using only arcs of at most ``D`` km (a flow with
    zero arc costs). ``D*`` is the smallest threshold (bisection over the arcs' distances,
    rounded up to ``equity_step_km``) with ``P(D*) ≤ (1 + equity_tolerance) · P(∞)``; the
    answer is the cheapest pairing on the arcs ≤ ``D*``. The trade-off curve solves the
    cost objective at ``equity_curve_points`` thresholds from the median arc up to the
    longest one.
    """
    t0 = time.perf_counter()
    zero = model.with_costs(np.zeros(model.n_arcs, dtype=np.int64))
    base = solve_flow(zero, big_m=big_m)
    target = base.objective * (1.0 + settings.equity_tolerance)
    step = max(int(settings.equity_step_km), 1)
    dist = np.ceil(np.nan_to_num(model.arc_dist, nan=0.0)).astype(np.int64)
    dist = -(-dist // step) * step
    levels = np.unique(dist)
    lo, hi = 0, len(levels) - 1
    n_solves = 1
    while lo < hi:
        mid = (lo + hi) // 2
        r = solve_flow(zero.subset(dist <= levels[mid]), big_m=big_m)
        n_solves += 1
        if r.status != "infeasible" and r.objective <= target:
            hi = mid
        else:
            lo = mid + 1
    d_star = int(levels[lo]) if len(levels) else 0
    keep = dist <= d_star
    best = solve_flow(model.subset(keep), big_m=big_m)
    x = np.zeros(model.n_arcs, dtype=bool)
    x[np.flatnonzero(keep)[best.x]] = True
    curve: list[dict[str, Any]] = []
    if settings.equity_curve_points > 0 and len(levels):
        start = int(np.median(dist))
        pts = np.unique(
            np.linspace(start, levels[-1], settings.equity_curve_points).round().astype(np.int64)
        )
        for d in pts:
            sub = dist <= d
            r = solve_flow(model.subset(sub), big_m=big_m)
            n_solves += 1
            met = np.unique(model.arc_need[sub][r.x]).size
            curve.append(
                {
                    "max_trip_km_allowed": int(d),
                    "objective": r.objective,
                    "n_unmet": model.n_needs - met,
                }
            )
    return ModelSolution(
        x=x,
        status=best.status,
        objective=best.objective,
        bound=best.bound,
        seconds=time.perf_counter() - t0,
        solver="ortools-min-cost-flow (minmax bisection)",
        extra={
            "longest_trip_km": d_star,
            "flow_solves": n_solves,
            "equity_curve": curve,
            "unmet_penalty_floor": base.objective,
        },
    )


def _hall_violation(
    model: ArcModel,
    x: np.ndarray,
    need_ids: np.ndarray,
    needs: pd.DataFrame,
    helper_ids: np.ndarray,
) -> str:
    """Name the binding constraint of an infeasible ``require_all`` (max pairing in ``x``)."""
    met = np.zeros(model.n_needs, dtype=bool)
    met[model.arc_need[x]] = True
    unmet = np.flatnonzero(~met)
    deg = np.bincount(model.arc_need, minlength=model.n_needs)
    lonely = unmet[deg[unmet] == 0]
    if len(lonely):
        more = f" (and {len(lonely) - 1} more)" if len(lonely) > 1 else ""
        return f"need {need_ids[lonely[0]]} has no candidate helper{more}"
    load_h = np.ones(model.n_helpers, dtype=np.int64)
    load_h[model.arc_helper] = model.arc_load
    # alternating search from the unmet needs: needs → their candidate helpers → the needs
    # those (full) helpers serve; the reached needs outnumber what the reached helpers hold
    need_set = np.zeros(model.n_needs, dtype=bool)
    need_set[unmet] = True
    help_set = np.zeros(model.n_helpers, dtype=bool)
    while True:
        new_h = np.unique(model.arc_helper[need_set[model.arc_need]])
        new_h = new_h[~help_set[new_h]]
        if len(new_h) == 0:
            break
        help_set[new_h] = True
        served = np.unique(model.arc_need[x & help_set[model.arc_helper]])
        grow = served[~need_set[served]]
        need_set[grow] = True
    k = int(need_set.sum())
    hs = np.flatnonzero(help_set)
    cap = int((model.helper_cap[hs] // np.maximum(load_h[hs], 1)).sum())
    where = ""
    if "adcode" in needs.columns:
        prov = pd.Series([a[:2] + "0000" for a in needs["adcode"].to_numpy()[need_set] if a])
        if len(prov):
            top = prov.value_counts()
            where = f", mostly in province {top.index[0]} ({int(top.iloc[0])})"
    example = ", ".join(map(str, need_ids[np.flatnonzero(need_set)[:3]]))
    if cap < k:
        return (
            f"total demand {k} > total capacity {cap}: needs {example}…{where} can only "
            f"be paired with {len(hs)} helpers who can take {cap} needs"
        )
    return (
        f"{k} needs ({example}…{where}) compete for {len(hs)} helpers whose capacity "
        f"is {cap} but side constraints (one station per expert, per-county or "
        "per-province limits) leave too little of it"
    )


@dataclass
class _Problem:
    """A pairing problem in index form plus what the outputs need to name it."""

    h: pd.DataFrame
    n: pd.DataFrame
    a: pd.DataFrame
    hid: pd.Index
    nid: pd.Index
    penalty: np.ndarray
    hub: np.ndarray
    pooled: bool
    members: np.ndarray | None
    cap_model: np.ndarray
    lk: pd.DataFrame
    lk_orig: pd.DataFrame
    prev_orig: pd.DataFrame
    prev_h: np.ndarray
    locked_need: np.ndarray
    arc_h: np.ndarray
    arc_n: np.ndarray
    change: np.ndarray
    unmet_cost: np.ndarray
    require_all: bool
    settings: PairingSettings
    #: Arcs added by pricing after those of ``a`` (index arrays, no id strings).
    added: list[PricedArcs] = field(default_factory=list)

    @property
    def n_arcs(self) -> int:
        return len(self.arc_h)

    def model(self) -> ArcModel:
        """The :class:`ArcModel` of the current arcs."""
        more = self.added
        return ArcModel(
            helper_cap=self.cap_model,
            arc_helper=self.arc_h,
            arc_need=self.arc_n,
            arc_cost=np.concatenate(
                [self.a["cost"].to_numpy(dtype=np.int64), *(x.cost for x in more)]
            )
            + self.change,
            arc_load=np.concatenate(
                [
                    self.a["load"].to_numpy(dtype=np.int64),
                    *(np.ones(len(x), np.int64) for x in more),
                ]
            ),
            arc_dist=np.concatenate(
                [self.a["distance_km"].to_numpy(dtype=float), *(x.distance_km for x in more)]
            ),
            n_needs=len(self.n),
            unmet_cost=None if self.require_all else self.unmet_cost.astype(np.int64),
            groups=_groups(self.h, self.n, self.arc_h, self.arc_n, self.settings, self.members),
            same_fate=_same_fate(self.n, self.settings),
        )

    def arc_frame(self, idx: np.ndarray) -> pd.DataFrame:
        """Rows of the arc table (columns of ``a``) for ascending arc positions ``idx``."""
        idx = np.asarray(idx, dtype=np.int64)
        base = len(self.a)
        parts = [self.a.iloc[idx[idx < base]]]
        if self.added:
            ext = PricedArcs.concat(self.added)
            pick = idx[idx >= base] - base
            size = np.bincount(self.hub)[self.hub[ext.helper[pick]]]
            rows = pd.DataFrame(
                {
                    "helper_id": self.h["helper_id"].to_numpy(dtype=object)[ext.helper[pick]],
                    "need_id": self.n["need_id"].to_numpy(dtype=object)[ext.need[pick]],
                    "cost": ext.cost[pick],
                    "load": np.int64(1),
                    "distance_km": np.round(ext.distance_km[pick], 1),
                    "travel_cost": ext.travel[pick],
                    "fit_cost": ext.fit[pick],
                    "relation_cost": ext.relation_cost[pick],
                    "relation": ext.relation[pick],
                    "hub_size": size,
                }
            )
            parts.append(rows[[c for c in self.a.columns if c in rows.columns]])
        return pd.concat(parts, ignore_index=True)

    def change_of_new_arcs(self) -> np.ndarray:
        """Change penalty of any arc of a need not yet in the model (its previous pair is)."""
        return np.where(self.prev_h >= 0, self.settings.change_penalty, 0).astype(np.int64)


def _tables(
    helpers: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    settings: PairingSettings,
    locks: pd.DataFrame | None,
    previous: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Normalised helpers, needs, arcs, locks and previous pairs (ids checked)."""
    h = normalise_helpers(helpers, settings)
    n = normalise_needs(needs)
    for df, col, what in ((h, "helper_id", "helpers"), (n, "need_id", "needs")):
        dup = df[col].duplicated()
        if dup.any():
            raise InputError(f"duplicate id {df[col][dup].iloc[0]!r} in the {what}", column=col)
    hid = pd.Index(h["helper_id"])
    nid = pd.Index(n["need_id"])
    a = _arcs_frame(arcs, nid, hid)
    return (
        h,
        n,
        a,
        _pairs_frame(locks, "locks", nid, hid),
        _pairs_frame(previous, "previous", nid, hid),
    )


@dataclass(frozen=True)
class _Pooling:
    hub: np.ndarray
    rep_of: np.ndarray
    pooled: bool
    cap_model: np.ndarray
    members: np.ndarray | None


def _pooling(h: pd.DataFrame, a: pd.DataFrame, settings: PairingSettings) -> _Pooling:
    """Pooled hubs: arcs from build_candidates name one representative per hub."""
    hub, hub_size = helper_hubs(h)
    cap = h["capacity"].to_numpy(dtype=np.int64)
    plain = _Pooling(hub, np.arange(len(h), dtype=np.int64), False, cap, None)
    if not (
        settings.pool_helpers
        and "hub_size" in a.columns
        and bool((pd.to_numeric(a["hub_size"]) > 1).any())
        and bool((a["load"] == 1).all())
        and settings.max_needs_per_helper_county == 0
        and settings.society_quota_per_province == 0
    ):
        return plain
    first = np.zeros(len(hub_size), dtype=np.int64)
    uniq, first_pos = np.unique(hub, return_index=True)
    first[uniq] = first_pos
    reps = first[hub]
    ah = pd.Index(h["helper_id"]).get_indexer(a["helper_id"])
    if not bool((reps[ah] == ah).all()):
        return plain
    hub_cap = np.bincount(hub, weights=cap.astype(float)).astype(np.int64)
    cap_model = np.where(reps == np.arange(len(h)), hub_cap[hub], 0)
    # experts who can take a station: members with some capacity
    able = np.bincount(hub, weights=(cap > 0).astype(float)).astype(np.int64)
    return _Pooling(hub, reps, True, cap_model, able[hub])


def _lock_arcs(
    a: pd.DataFrame, lk: pd.DataFrame, lk_orig: pd.DataFrame, h: pd.DataFrame, nid: pd.Index
) -> tuple[pd.DataFrame, np.ndarray]:
    """The locked arc is its need's only arc (added when not a candidate)."""
    if not len(lk):
        return a, np.zeros(len(nid), dtype=bool)
    used = lk_orig.merge(
        a[["helper_id", "need_id", "load"]], how="left", on=["helper_id", "need_id"]
    )
    used["load"] = used["load"].fillna(1).astype(np.int64)
    per_h = used.groupby("helper_id")["load"].sum()
    capmap = h.set_index("helper_id")["capacity"]
    over = per_h[per_h > capmap.reindex(per_h.index)]
    if len(over):
        hh = over.index[0]
        raise InfeasibleError(
            f"the locks give helper {hh} a load of {int(over.iloc[0])} but its capacity "
            f"is {int(capmap[hh])}",
            constraint=f"capacity of helper {hh} (locks)",
        )
    key_a = a["need_id"] + "\x1f" + a["helper_id"]
    key_l = lk["need_id"] + "\x1f" + lk["helper_id"]
    missing = lk[~isin_ids(key_l, key_a)]
    if len(missing):
        extra = pd.DataFrame(
            {
                "helper_id": missing["helper_id"].to_numpy(),
                "need_id": missing["need_id"].to_numpy(),
                "cost": np.int64(0),
                "load": np.int64(1),
                "distance_km": np.nan,
            }
        )
        a = pd.concat([a, extra], ignore_index=True)
        key_a = a["need_id"] + "\x1f" + a["helper_id"]
    is_locked_need = isin_ids(a["need_id"], lk["need_id"])
    a = a[~is_locked_need | isin_ids(key_a, key_l)].reset_index(drop=True)
    return a, isin_ids(nid, lk["need_id"])


def _problem(
    helpers: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    settings: PairingSettings,
    *,
    require_all: bool,
    locks: pd.DataFrame | None,
    previous: pd.DataFrame | None,
) -> _Problem:
    """Tables, pooling, locks and penalties in index form."""
    h, n, a, lk, prev = _tables(helpers, needs, arcs, settings, locks, previous)
    hid, nid = pd.Index(h["helper_id"]), pd.Index(n["need_id"])
    pool = _pooling(h, a, settings)
    lk_orig, prev_orig = lk, prev
    if pool.pooled:
        ids = h["helper_id"].to_numpy(dtype=object)
        lk = lk.assign(helper_id=ids[pool.rep_of[hid.get_indexer(lk["helper_id"])]])
        prev = prev.assign(helper_id=ids[pool.rep_of[hid.get_indexer(prev["helper_id"])]])
    a, locked_need = _lock_arcs(a, lk, lk_orig, h, nid)
    arc_h = hid.get_indexer(a["helper_id"]).astype(np.int64)
    arc_n = nid.get_indexer(a["need_id"]).astype(np.int64)
    penalty = unmet_penalties(n, settings)
    prev_h = np.full(len(n), -1, dtype=np.int64)
    if len(prev):
        prev_h[nid.get_indexer(prev["need_id"])] = hid.get_indexer(prev["helper_id"])
    had = prev_h[arc_n] >= 0
    change = np.where(had & (prev_h[arc_n] != arc_h), settings.change_penalty, 0)
    unmet_cost = penalty + np.where(prev_h >= 0, settings.change_penalty, 0)
    if locked_need.any():
        big = int(np.abs(a["cost"].to_numpy(dtype=np.int64)).sum() + unmet_cost.sum()) + 1
        unmet_cost = np.where(locked_need, big, unmet_cost)
    return _Problem(
        h, n, a, hid, nid, penalty, pool.hub, pool.pooled, pool.members, pool.cap_model,
        lk, lk_orig, prev_orig, prev_h, locked_need, arc_h, arc_n,
        change.astype(np.int64), unmet_cost.astype(np.int64), require_all, settings,
    )  # fmt: skip


def _check_solution(p: _Problem, model: ArcModel, sol: ModelSolution) -> np.ndarray:
    """The met needs; raises when ``require_all``, a lock or the solver failed."""
    if sol.status == "timeout":
        limit = p.settings.time_limit_s
        raise SolverTimeoutError(
            f"{sol.solver} found no pairing within the time limit ({limit:g} s); nothing is "
            "proved infeasible: raise time_limit_s or pair a region at a time",
            time_limit_s=limit,
        )
    met = np.zeros(len(p.n), dtype=bool)
    met[p.arc_n[sol.x]] = True
    if p.require_all and (sol.status == "infeasible" or not met.all()):
        msg = _require_all_reason(model, sol, p.n, p.h)
        raise InfeasibleError(f"cannot pair every need (--require-all): {msg}", constraint=msg)
    if sol.status == "infeasible":
        raise InfeasibleError(
            f"no pairing found: {sol.extra.get('reason', 'infeasible')}; "
            "relax the side constraints or raise time_limit_s",
            constraint="side constraints",
        )
    if p.locked_need.any() and not met[p.locked_need].all():
        bad = p.n["need_id"].to_numpy()[p.locked_need & ~met][0]
        raise InfeasibleError(
            f"the lock of need {bad} cannot be kept: it breaks a side constraint "
            "(one station per expert, per-county or per-province limit)",
            constraint=f"lock of need {bad}",
        )
    return met


def _pairings_table(p: _Problem, x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``pairings.csv`` rows (members of pooled hubs named) and the hub-level pairs."""
    n, h, settings = p.n, p.h, p.settings
    sel = p.arc_frame(np.flatnonzero(x)).copy()
    sel["change_cost"] = p.change[x]
    sel_n, sel_h = p.arc_n[x], p.arc_h[x]
    for col, default in (
        ("travel_cost", pd.NA),
        ("fit_cost", pd.NA),
        ("relation_cost", pd.NA),
        ("relation", False),
    ):
        if col not in sel.columns:
            sel[col] = default
    sel["locked"] = p.locked_need[sel_n]
    rep_pairs = None
    prev_member = np.full(len(n), -1, dtype=np.int64)
    if len(p.prev_orig):
        prev_member[p.nid.get_indexer(p.prev_orig["need_id"])] = p.hid.get_indexer(
            p.prev_orig["helper_id"]
        )
    if p.pooled:
        lock_member = np.full(len(n), -1, dtype=np.int64)
        if len(p.lk_orig):
            lock_member[p.nid.get_indexer(p.lk_orig["need_id"])] = p.hid.get_indexer(
                p.lk_orig["helper_id"]
            )
        station_pair = (
            (n["kind"].to_numpy() == "station")[sel_n]
            & np.isin(h["kind"].to_numpy(dtype=object), ["expert", ""])[sel_h]
            & settings.one_station_per_expert
        )
        rep_pairs = sel[["need_id", "helper_id", "load"]].copy()
        sel_h = _disaggregate(
            sel_n,
            sel_h,
            p.hub,
            h["capacity"].to_numpy(dtype=np.int64),
            station_pair,
            lock_member,
            prev_member,
        )
        sel["helper_id"] = h["helper_id"].to_numpy(dtype=object)[sel_h]
    sel["changed"] = (prev_member[sel_n] >= 0) & (prev_member[sel_n] != sel_h)
    sel["kind"] = n["kind"].to_numpy()[sel_n]
    sel["category"] = n["category"].to_numpy()[sel_n]
    sel["specialty"] = h["specialty"].to_numpy()[sel_h]
    sel["priority"] = n["priority"].to_numpy()[sel_n]
    sel["adcode"] = n["adcode"].to_numpy()[sel_n]
    sel["reason"] = _pair_reasons(sel)
    pairings = (
        sel[list(PAIRING_COLUMNS)].sort_values("need_id", kind="stable").reset_index(drop=True)
    )
    return pairings, rep_pairs


def solve_pairing(
    helpers: pd.DataFrame,
    needs: pd.DataFrame,
    arcs: pd.DataFrame,
    settings: PairingSettings,
    *,
    require_all: bool = False,
    locks: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
    relations: pd.DataFrame | None = None,
    arcs_given: bool = False,
    seed: int = 0,
    explain: bool = True,
    pricer: Pricer | None = None,
) -> PairingResult:
    """Pair needs with helpers along candidate arcs at minimum cost.

    Parameters
    ----------
    helpers
        ``helper_id``, ``capacity`` (``capacity_days`` when ``load_mode = "days"``), and
        optionally ``kind``, ``specialty``, ``level``, ``languages``, ``lon``, ``lat``.
    needs
        ``need_id`` and optionally ``kind``, ``adcode``, ``category``, ``priority``,
        ``deep_poverty_area``, ``unmet_penalty``, ``lon``, ``lat``, ``language``.
    arcs
        Candidate pairs: ``helper_id, need_id, cost`` (int), optional ``load`` (int ≥ 1)
        and cost components (from :func:`geomatch.candidates.build_candidates`). Without
        ``pricer`` these are all the pairs there are (an arcs file).
    settings
        :class:`PairingSettings`.
    require_all
        Every need must be paired; otherwise :class:`InfeasibleError` names the binding
        constraint.
    locks
        ``need_id, helper_id`` pairs kept as they are (a planner's signed agreements).
    previous
        ``need_id, helper_id`` of the previous plan: changing a pair costs
        ``change_penalty``.
    progress
        ``(fraction, message)`` callback.
    relations
        East–west table, used only to explain unmet needs.
    arcs_given
        The arcs came from a user file (unmet needs without arcs are ``no_candidate``).
    seed
        CP-SAT random seed.
    explain
        Explain unmet needs (reason and fix); without it ``unmet`` has only
        ``need_id`` and ``penalty``.
    pricer
        The pairs are every compatible pair of :class:`~geomatch.candidates.pricing.Pricer`
        and ``arcs`` only the first restricted set: column generation
        (:mod:`geomatch.solve.pairing_exact`) proves the optimum over all of them.

    Returns
    -------
    PairingResult

    Raises
    ------
    InfeasibleError
        ``require_all`` cannot be met, or the locks break a capacity or side constraint.
    InputError
        Unknown ids in arcs, locks or previous.
    """
    progress = progress or null_progress
    t_start = time.perf_counter()
    open_pairs: PricedArcs | None = None
    p = _problem(
        helpers, needs, arcs, settings, require_all=require_all, locks=locks, previous=previous
    )
    model = p.model()
    progress(0.05, f"solving: {len(p.n):,} needs, {len(p.h):,} helpers, {p.n_arcs:,} pairs")
    if pricer is not None and _exact_applies(model, settings):
        from geomatch.solve.pairing_exact import column_generation

        cg = column_generation(p, pricer, t_start=t_start, progress=scaled(progress, 0.1, 0.85))
        model, sol, open_pairs = cg.model, cg.solution, cg.open_pairs
    else:
        sol = _solve_model(model, settings, big_m=require_all, seed=seed)
        if pricer is not None:  # optimal over the candidate pairs only: no proof
            sol = _unproven(sol)
    progress(0.85, f"{sol.solver}: {sol.status}")
    met = _check_solution(p, model, sol)
    pairings, rep_pairs = _pairings_table(p, sol.x)
    progress(0.9, "explaining unmet needs")
    stopped = _Stopped(str(sol.extra.get("proof", "")), open_pairs)
    unmet = _unmet_table(p, met, pairings, rep_pairs, relations, arcs_given=arcs_given,
                         explain=explain, stopped=stopped)  # fmt: skip
    changed_unmet = int(((p.prev_h >= 0) & ~met).sum())
    summary = _summary(
        model,
        sol,
        pairings,
        unmet,
        p.penalty[~met],
        settings,
        seconds=time.perf_counter() - t_start,
        n_helpers=len(p.h),
        n_changed=int(pairings["changed"].sum()) + changed_unmet,
        n_locked=int(p.locked_need.sum()),
    )
    progress(1.0, f"{summary['n_pairings']:,} pairs, {summary['n_unmet']:,} unmet")
    return PairingResult(pairings=pairings, unmet=unmet, summary=summary)


def _exact_applies(model: ArcModel, settings: PairingSettings) -> bool:
    """Column generation needs LP duals: a network, the flow solver, no equity term."""
    return model.is_network() and settings.solver != "cpsat" and settings.equity == "off"


def _unproven(sol: ModelSolution) -> ModelSolution:
    """A candidate-set optimum is only a feasible pairing of the full problem."""
    extra = {**sol.extra, "optimal_over": "candidate pairs (no proof over all pairs)"}
    status = "feasible" if sol.status == "optimal" else sol.status
    return replace(sol, status=status, bound=float("nan"), extra=extra)


def _unmet_table(
    p: _Problem,
    met: np.ndarray,
    pairings: pd.DataFrame,
    rep_pairs: pd.DataFrame | None,
    relations: pd.DataFrame | None,
    *,
    arcs_given: bool,
    explain: bool,
    stopped: _Stopped,
) -> pd.DataFrame:
    """``unmet.csv`` rows: reason and fix (:mod:`geomatch.solve.pairing_explain`)."""
    n = p.n
    if not explain:
        return pd.DataFrame(
            {
                "need_id": n["need_id"].to_numpy()[~met],
                "kind": n["kind"].replace("", GENERIC_KIND).to_numpy()[~met],
                "priority": n["priority"].to_numpy()[~met],
                "penalty": p.penalty[~met],
                "reason": "",
                "stage": "pairing",
            }
        )
    return explain_unmet(
        n["need_id"].to_numpy()[~met],
        helpers=p.h.assign(capacity=p.cap_model) if p.pooled else p.h,
        needs=n,
        arcs=p.arc_frame(np.flatnonzero(~met[p.arc_n])),
        pairings=rep_pairs if rep_pairs is not None else pairings,
        penalties=pd.Series(p.penalty, index=p.nid),
        settings=p.settings,
        relations=relations,
        arcs_given=arcs_given,
        open_pairs=stopped.frame(p),
    )


@dataclass(frozen=True)
class _Stopped:
    """Why an exact run stopped before its proof, and the pairs it left open."""

    why: str
    pairs: PricedArcs | None

    def frame(self, p: _Problem) -> OpenPairs | None:
        """The open pairs by id (:class:`~geomatch.solve.pairing_explain.OpenPairs`)."""
        if self.pairs is None or len(self.pairs) == 0:
            return None
        op = self.pairs
        table = pd.DataFrame(
            {
                "need_id": p.n["need_id"].to_numpy(dtype=object)[op.need],
                "helper_id": p.h["helper_id"].to_numpy(dtype=object)[op.helper],
                "cost": op.cost,
                "distance_km": op.distance_km,
                "reduced_cost": op.reduced_cost,
            }
        )
        return OpenPairs(table, self.why)


def _require_all_reason(
    model: ArcModel, sol: ModelSolution, n: pd.DataFrame, h: pd.DataFrame
) -> str:
    """The binding constraint of an infeasible ``require_all``.

    On a network the solver's maximum pairing (big-M unmet arcs) yields a Hall violator;
    otherwise the capacity-only relaxation is solved: if it fails, its Hall violator is
    named; if it pairs everyone, the side constraints bind.
    """
    need_ids = n["need_id"].to_numpy()
    if model.is_network() and sol.x.any():
        return _hall_violation(model, sol.x, need_ids, n, h["helper_id"].to_numpy())
    relaxed = model.capacity_relaxation(keep_unmet=False)
    if relaxed.uniform_loads():
        r = solve_flow(relaxed, big_m=True)
        if r.status == "infeasible":
            return _hall_violation(relaxed, r.x, need_ids, n, h["helper_id"].to_numpy())
        names = [g.name for g in model.groups]
        if model.same_fate is not None:
            names.append("station_all_or_nothing")
        return (
            "capacity alone would allow pairing every need, but the side constraints ("
            + (", ".join(names) or "none")
            + ") cannot all be met; relax one of them"
        )
    deg = np.bincount(model.arc_need, minlength=model.n_needs)
    if (deg == 0).any():
        return f"need {need_ids[np.flatnonzero(deg == 0)[0]]} has no candidate helper"
    return str(sol.extra.get("reason", "the loads do not fit the helpers' capacities"))


def _disaggregate(
    sel_n: np.ndarray,
    sel_rep: np.ndarray,
    hub: np.ndarray,
    cap: np.ndarray,
    station_pair: np.ndarray,
    lock_member: np.ndarray,
    prev_member: np.ndarray,
) -> np.ndarray:
    """Give each pair of a pooled hub to one of the hub's helpers.

    Order: locked pairs to their helper; a need's previous helper when it has room; station
    needs to distinct helpers (the hub's station cap is its member count); the rest fill the
    remaining capacity. Always feasible because the hub's load ≤ Σ capacity and its
    stations ≤ members.
    """
    out = np.full(len(sel_n), -1, dtype=np.int64)
    remaining = cap.copy()
    has_station = np.zeros(len(cap), dtype=bool)
    order = np.argsort(hub, kind="stable")
    starts = np.searchsorted(hub[order], np.arange(hub.max() + 2 if len(hub) else 1))
    hub_of_pair = hub[sel_rep]

    def take(i: int, m: int) -> None:
        out[i] = m
        remaining[m] -= 1
        if station_pair[i]:
            has_station[m] = True

    for i in np.flatnonzero(lock_member[sel_n] >= 0):
        take(int(i), int(lock_member[sel_n[i]]))
    for i in np.flatnonzero((out < 0) & (prev_member[sel_n] >= 0)):
        m = int(prev_member[sel_n[i]])
        if (
            hub[m] == hub_of_pair[i]
            and remaining[m] > 0
            and not (station_pair[i] and has_station[m])
        ):
            take(int(i), m)
    todo = np.flatnonzero(out < 0)
    # stations first, then the rest, hub by hub
    todo = todo[np.lexsort((~station_pair[todo], hub_of_pair[todo]))]
    pos = 0
    while pos < len(todo):
        hb = hub_of_pair[todo[pos]]
        end = pos
        while end < len(todo) and hub_of_pair[todo[end]] == hb:
            end += 1
        mem = order[starts[hb] : starts[hb + 1]]
        ptr = 0
        for i in todo[pos:end].tolist():
            if station_pair[i]:
                cand = mem[(remaining[mem] > 0) & ~has_station[mem]]
                if len(cand) == 0:
                    raise RuntimeError(
                        "a pooled hub got more stations than experts (a bug: the hub's "
                        "station cap is its member count)"
                    )
                take(i, int(cand[0]))
                continue
            while ptr < len(mem) and remaining[mem[ptr]] <= 0:
                ptr += 1
            if ptr == len(mem):
                raise RuntimeError("a pooled hub got more pairs than its members' capacity (a bug)")
            take(i, int(mem[ptr]))
        pos = end
    return out


def _pair_reasons(sel: pd.DataFrame) -> pd.Series:
    if sel.empty:
        return pd.Series(dtype=object)
    spec = sel["specialty"].astype(str)
    cat = sel["category"].astype(str)
    match = np.where(
        (spec == "") & (cat == ""),
        "specialty not given",
        np.where(
            spec == cat,
            "specialty matches " + cat,
            np.where(cat == "", "specialty " + spec, "close specialty " + spec + " for " + cat),
        ),
    )
    dist = sel["distance_km"].astype(float)
    dtext = np.where(
        dist.isna(), "distance unknown", dist.round(0).astype("Int64").astype(str) + " km"
    )
    rel = np.where(sel["relation"].astype(bool), "; east–west partner", "")
    lock = np.where(sel["locked"].astype(bool), "locked; ", "")
    chg = np.where(sel["changed"].astype(bool), "; changed from the previous plan", "")
    return pd.Series(lock + match + "; " + dtext + rel + chg, index=sel.index)


def _summary(
    model: ArcModel,
    sol: ModelSolution,
    pairings: pd.DataFrame,
    unmet: pd.DataFrame,
    unmet_pen: np.ndarray,
    settings: PairingSettings,
    *,
    seconds: float,
    n_helpers: int,
    n_changed: int,
    n_locked: int,
) -> dict[str, Any]:
    obj = sol.objective
    bound = sol.bound
    gap = (
        0.0
        if sol.status == "optimal"
        else ((obj - bound) / abs(obj) if obj and not math.isnan(bound) else None)
    )
    dist = pairings["distance_km"].astype(float)
    out: dict[str, Any] = {
        "status": sol.status,
        "objective": int(obj),
        "bound": None if math.isnan(bound) else round(bound, 3),
        "gap": None if gap is None else round(max(gap, 0.0), 6),
        "n_needs": int(model.n_needs),
        "n_helpers": int(n_helpers),
        "n_arcs": int(model.n_arcs),
        "n_pairings": len(pairings),
        "n_unmet": len(unmet),
        "n_locked": n_locked,
        "n_changed": n_changed,
        "pair_cost": int(pairings["cost"].sum()),
        "unmet_penalty_total": int(unmet_pen.sum()),
        "change_penalty_total": int(pairings["change_cost"].sum()),
        "unmet_by_reason": {str(k): int(v) for k, v in unmet["reason"].value_counts().items()},
        "unmet_by_priority": {str(k): int(v) for k, v in unmet["priority"].value_counts().items()},
        "pairings_by_priority": {
            str(k): int(v) for k, v in pairings["priority"].value_counts().items()
        },
        "mean_distance_km": None if dist.dropna().empty else round(float(dist.mean()), 1),
        "longest_trip_km": None if dist.dropna().empty else round(float(dist.max()), 1),
        "relation_share": round(float(pairings["relation"].astype(bool).mean()), 4)
        if len(pairings)
        else 0.0,
        "seconds": round(seconds, 3),
        "solve_seconds": round(sol.seconds, 3),
        "solver": sol.solver,
        "equity": settings.equity,
    }
    for k, v in sol.extra.items():
        if k == "longest_trip_km":
            out["longest_trip_km_allowed"] = v
        else:
            out[k] = v
    return out


def pair_from_locations(
    helpers: pd.DataFrame,
    needs: pd.DataFrame,
    settings: PairingSettings,
    *,
    relations: pd.DataFrame | None = None,
    require_all: bool = False,
    locks: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
    seed: int = 0,
) -> PairingResult:
    """Pair over every compatible pair, from locations: exact by column generation.

    The nearest compatible hubs of each need (:func:`~geomatch.candidates.build_candidates`)
    start the restricted problem; :func:`geomatch.solve.pairing_exact.column_generation`
    prices the remaining compatible pairs with the node potentials and adds the violators
    until none is left, so ``status = optimal`` is proven over all compatible pairs
    (``summary["optimal_over"]``). Models that are not a network (per-pair loads,
    all-or-nothing stations, equity terms, ``solver = "cpsat"``) are solved on the
    candidate pairs and reported ``feasible`` without a bound over all pairs. With
    ``locks`` the helpers are paired one by one (``pool_helpers`` off).
    """
    progress = progress or null_progress
    t0 = time.perf_counter()
    if locks is not None and len(locks) and settings.pool_helpers:
        # a lock names one expert, and a pooled hub whose member is filled by its locks
        # can be left without a member for a station: pair helpers one by one
        log.info("%d locked pairs: helpers are paired one by one (pool_helpers off)", len(locks))
        settings = settings.model_copy(update={"pool_helpers": False})
    arcs = build_candidates(
        helpers, needs, settings, relations=relations, progress=scaled(progress, 0.0, 0.25)
    )
    t_cand = time.perf_counter() - t0
    pricer = Pricer(
        normalise_helpers(helpers, settings), normalise_needs(needs), settings, relations
    )
    result = solve_pairing(
        helpers,
        needs,
        arcs,
        settings,
        relations=relations,
        require_all=require_all,
        locks=locks,
        previous=previous,
        seed=seed,
        progress=scaled(progress, 0.25, 1.0),
        pricer=pricer,
    )
    summary = {
        **result.summary,
        "candidate_seconds": round(t_cand, 3),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return replace(result, summary=summary)


def run_pairing_scenario(
    dataset: Dataset,
    scenario: Any,
    *,
    progress: ProgressCallback | None = None,
    locks: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
) -> PairingResult:
    """Build candidates and pair on a dataset (the national default and its variants).

    Parameters
    ----------
    dataset
        A :class:`geomatch.dataset.Dataset` (``helpers``, ``needs``,
        ``pairing_relations``).
    scenario
        A :class:`geomatch.model.scenario.Scenario`; its ``pairing`` table rules.
    locks, previous
        ``need_id, helper_id`` pairs the pairing must keep (signed agreements) and last
        plan's pairs (changing one costs ``change_penalty``), as in ``geomatch pair``
        (with locks the helpers are not pooled, see :func:`pair_from_locations`).
    """
    settings: PairingSettings = scenario.pairing
    helpers = pd.DataFrame(dataset.helpers.drop(columns="geometry", errors="ignore"))
    needs = pd.DataFrame(dataset.needs.drop(columns="geometry", errors="ignore"))
    relations = dataset.pairing_relations
    relations = None if relations is None else pd.DataFrame(relations)
    result = pair_from_locations(
        helpers,
        needs,
        settings,
        relations=relations,
        locks=locks,
        previous=previous,
        progress=progress,
        seed=int(scenario.scenario.seed),
    )
    return replace(result, summary={**result.summary, "scenario": scenario.name})
