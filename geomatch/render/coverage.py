"""Coverage per poor county: what a run gives each of the 832 counties.

One row per poor county (by ``adcode``; the 832 list has 831 distinct codes since 冷湖行委
was merged into 茫崖市, whose row keeps the first name). The policy targets behind the
columns (docs/ARCHITECTURE.md §0): a county expert service station staffed by a paired
team with a crop, a livestock and a health expert; two mobile science-museum visits a
year; a science caravan reaching its townships and one-village-one-product villages.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from geomatch.dataset import Dataset
from geomatch.io.codes import as_text, county_of_code
from geomatch.model.categories import STATION_ROLES
from geomatch.model.run_tables import run_table
from geomatch.run_result import RunResult

__all__ = [
    "COVERAGE_COLUMNS",
    "COVERAGE_CONTRACT_COLUMNS",
    "STATION_TEAM_LEVELS",
    "build_coverage",
    "coverage_of_run",
    "needs_of_pairings",
]

log = logging.getLogger(__name__)

#: Station-team classes, best first: all three roles paired, some, none.
STATION_TEAM_LEVELS: tuple[str, ...] = ("complete", "partial", "none")

#: The required columns of ``coverage.csv`` (:mod:`geomatch.model.run_tables`): what
#: readers of any run (the web service, bring-your-own runs) may rely on.
COVERAGE_CONTRACT_COLUMNS: tuple[str, ...] = run_table("coverage").required

#: The columns of ``coverage.csv`` in order: the required ones, then the details.
COVERAGE_COLUMNS: tuple[str, ...] = run_table("coverage").columns


def needs_of_pairings(pairings: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """Pairings with their need's county, kind, category and station role.

    Parameters
    ----------
    pairings
        ``need_id, helper_id, …``.
    needs
        ``need_id, adcode, kind, …`` (``dataset.needs`` or a scenario's needs).

    Returns
    -------
    pandas.DataFrame
        ``pairings`` with ``adcode, kind, category, station_role, unit_code`` added (empty
        text where the need is unknown; a pairing whose need is absent is logged).
    """
    cols = [
        c
        for c in ("need_id", "adcode", "kind", "category", "station_role", "unit_code")
        if c in needs.columns
    ]
    n = needs[cols].copy()
    for c in cols:
        n[c] = as_text(n[c])
    n = n.drop_duplicates("need_id")
    p = pairings.copy()
    p["need_id"] = as_text(p["need_id"])
    p["helper_id"] = as_text(p["helper_id"])
    p = p.drop(columns=[c for c in cols if c != "need_id" and c in p.columns])
    out = p.merge(n, on="need_id", how="left")
    for c in ("adcode", "kind", "category", "station_role", "unit_code"):
        if c not in out.columns:
            out[c] = ""
        out[c] = out[c].astype("str").where(out[c].notna(), "")
    unknown = int((out["adcode"] == "").sum())
    if unknown:
        log.warning("%d pairing(s) refer to needs not in the needs table", unknown)
    return out


def build_coverage(
    dataset: Dataset,
    *,
    pairings: pd.DataFrame,
    needs: pd.DataFrame,
    museum_visits: pd.DataFrame,
    caravan_tours: pd.DataFrame,
    unmet: pd.DataFrame,
) -> pd.DataFrame:
    """Coverage of every poor county by a run.

    Parameters
    ----------
    dataset
        The dataset (``poor_counties``, ``townships``, ``villages`` are used).
    pairings
        ``need_id, helper_id, …`` (``pairings.csv``).
    needs
        The needs of the run (``need_id, kind, adcode, station_role, …``).
    museum_visits
        ``adcode, set_id, visit_no, start_date, end_date`` (``museum_visits.csv``).
    caravan_tours
        ``caravan_id, date, seq, stop_code`` (``caravan_tours.csv``); a stop code is a
        township (9 digits) or village (12 digits) code whose first 6 digits are the county.
    unmet
        ``need_id, reason`` (``unmet.csv``); rows whose ``need_id`` is not a need but that
        carry an ``adcode`` (unscheduled visits) count as ``unmet_visits``.

    Returns
    -------
    pandas.DataFrame
        One row per poor county, columns :data:`COVERAGE_COLUMNS`:

        * ``station_team`` — ``complete`` when every role of :data:`STATION_ROLES`
          (crop, livestock, health) has a paired ``station`` need in the county,
          ``partial`` when some, ``none`` otherwise (also when the county has no station
          need in the run);
        * ``museum_visits`` — scheduled mobile-museum visits (target 2);
        * ``caravan_visits`` — caravan stops in the county (stop visits, all trips);
          ``caravan_days`` the distinct trip dates;
        * ``experts`` — distinct helpers paired to the county's needs;
        * ``unmet_needs`` — the county's needs listed in ``unmet.csv``;
        * ``township_share`` / ``village_share`` — the share (0–1) of the county's
          townships / villages reached by a caravan stop (a village stop also reaches its
          township).
    """
    base = _county_base(dataset)
    nd = needs.copy()
    nd["need_id"] = as_text(nd["need_id"])
    nd["adcode"] = as_text(nd["adcode"])
    _add_pairing_counts(base, nd, pairings)
    base["museum_visits"] = (
        as_text(museum_visits["adcode"]).value_counts().reindex(base.index).fillna(0)
        if len(museum_visits)
        else 0
    )
    _add_caravan_reach(base, caravan_tours, dataset)
    _add_unmet_counts(base, unmet, nd)
    for c in _COUNT_COLUMNS:
        base[c] = pd.to_numeric(base[c]).astype("int64")
    base["exit_year"] = base["exit_year"].astype("Int64")
    out = base.reset_index()[list(COVERAGE_COLUMNS)]
    return out.sort_values(["province_adcode", "adcode"], kind="stable").reset_index(drop=True)


#: Coverage columns that count things (whole numbers).
_COUNT_COLUMNS: tuple[str, ...] = (
    "museum_visits",
    "caravan_visits",
    "caravan_days",
    "experts",
    "unmet_needs",
    "unmet_visits",
    "needs_total",
    "needs_paired",
    "townships_total",
    "townships_reached",
    "villages_total",
    "villages_reached",
)


def _text_or(pc: pd.DataFrame, col: str) -> np.ndarray | str:
    return as_text(pc[col]).to_numpy() if col in pc else ""


def _county_base(dataset: Dataset) -> pd.DataFrame:
    """One row per poor county (by ``adcode``) with its names and seat."""
    pc = dataset.poor_counties.drop_duplicates("adcode").copy()
    pc["adcode"] = as_text(pc["adcode"])
    return pd.DataFrame(
        {
            "adcode": pc["adcode"].to_numpy(),
            "name": as_text(pc["name"]).to_numpy(),
            "province": as_text(pc["province"]).to_numpy(),
            "province_adcode": as_text(pc["province_adcode"]).to_numpy(),
            "prefecture": _text_or(pc, "prefecture"),
            "region": _text_or(pc, "region"),
            "exit_year": pd.to_numeric(pc["exit_year"], errors="coerce").to_numpy()
            if "exit_year" in pc
            else np.nan,
            "deep_poverty_area": _text_or(pc, "deep_poverty_area"),
            "seat_lon": pd.to_numeric(pc["seat_lon"], errors="coerce").to_numpy(),
            "seat_lat": pd.to_numeric(pc["seat_lat"], errors="coerce").to_numpy(),
        }
    ).set_index("adcode")


def _add_pairing_counts(base: pd.DataFrame, nd: pd.DataFrame, pairings: pd.DataFrame) -> None:
    """Needs, paired needs, experts and the station team of each county."""
    base["needs_total"] = nd.groupby("adcode").size().reindex(base.index).fillna(0)
    pj = needs_of_pairings(pairings, nd)
    base["needs_paired"] = pj.groupby("adcode")["need_id"].nunique().reindex(base.index).fillna(0)
    base["experts"] = pj.groupby("adcode")["helper_id"].nunique().reindex(base.index).fillna(0)
    station = pj[(pj["kind"] == "station") & pj["station_role"].isin(STATION_ROLES)]
    roles = station.groupby("adcode")["station_role"].agg(lambda s: set(s))
    n_roles = (
        pd.Series({k: len(v) for k, v in roles.items()}, dtype="int64")
        .reindex(base.index)
        .fillna(0)
    )
    base["station_team"] = np.where(
        n_roles >= len(STATION_ROLES), "complete", np.where(n_roles > 0, "partial", "none")
    )
    role_text = {k: ";".join(x for x in STATION_ROLES if x in v) for k, v in roles.items()}
    base["station_roles_paired"] = [role_text.get(a, "") for a in base.index]


def _add_caravan_reach(base: pd.DataFrame, ct: pd.DataFrame, dataset: Dataset) -> None:
    """Caravan stops and days per county, and the townships and villages they reach."""
    if len(ct):
        stops = as_text(ct["stop_code"])
        cty = county_of_code(stops)
        base["caravan_visits"] = cty.value_counts().reindex(base.index).fillna(0)
        days = pd.DataFrame({"adcode": cty, "date": as_text(ct["date"])}).drop_duplicates()
        base["caravan_days"] = days.groupby("adcode").size().reindex(base.index).fillna(0)
        twp_reached = set(stops.str[:9].unique())
        vil_reached = set(stops[stops.str.len() == 12].unique())
    else:
        base["caravan_visits"] = 0
        base["caravan_days"] = 0
        twp_reached, vil_reached = set(), set()
    for level, units, reached in (
        ("townships", dataset.townships, twp_reached),
        ("villages", dataset.villages, vil_reached),
    ):
        cty_of_unit = as_text(units["county_adcode"])
        hit = as_text(units["code"]).isin(reached).to_numpy()
        base[f"{level}_total"] = cty_of_unit.value_counts().reindex(base.index).fillna(0)
        base[f"{level}_reached"] = cty_of_unit[hit].value_counts().reindex(base.index).fillna(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        base["township_share"] = (base["townships_reached"] / base["townships_total"]).round(4)
        base["village_share"] = (base["villages_reached"] / base["villages_total"]).round(4)


def _add_unmet_counts(base: pd.DataFrame, unmet: pd.DataFrame, nd: pd.DataFrame) -> None:
    """Unmet needs per county, and unscheduled visits (rows that are not needs)."""
    um = unmet.copy()
    um["need_id"] = as_text(um["need_id"])
    um = um.merge(
        nd[["need_id", "adcode"]].drop_duplicates("need_id"),
        on="need_id",
        how="left",
        suffixes=("_unmet", ""),
    )
    is_need = um["adcode"].notna()
    base["unmet_needs"] = (
        um.loc[is_need].groupby("adcode")["need_id"].nunique().reindex(base.index).fillna(0)
    )
    if "adcode_unmet" in um.columns:
        other = as_text(um.loc[~is_need, "adcode_unmet"])
        base["unmet_visits"] = other.value_counts().reindex(base.index).fillna(0)
    else:
        base["unmet_visits"] = 0


def coverage_of_run(run: RunResult, dataset: Dataset) -> pd.DataFrame:
    """The coverage of a run: its own table, or (a run without the coverage stage, such as
    ``geomatch pair``) :func:`build_coverage` of its tables.

    Parameters
    ----------
    run
        The run (:func:`geomatch.run_result.read_run`).
    dataset
        The dataset seen by the run (its ``needs`` are the run's needs; see
        :func:`geomatch.render.run.with_run_inputs`).
    """
    if "coverage" in run.present:
        return run.coverage
    return build_coverage(
        dataset,
        pairings=run.pairings,
        needs=dataset.needs,
        museum_visits=run.museum_visits,
        caravan_tours=run.caravan_tours,
        unmet=run.unmet,
    )
