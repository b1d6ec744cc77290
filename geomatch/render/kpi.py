"""The programme's headline figures and per-county targets, per province and nationally.

Headline figures ("两数", docs/ARCHITECTURE.md §0): **associations built and experts
mobilised**, and **registered poor people covered**. The embedded data has no household
or head counts, so people covered is reported through a proxy that the data can carry:
the *villages of poor counties reached* (a village whose one-village-one-product need is
paired or that a science caravan stops at), with the share of all villages of the poor
counties. The KPI table says so in its ``people_proxy`` column.

Per-county targets (met / missing per province): expert service station with a complete
team, a science caravan that stops in the county, two mobile science-museum visits. Two
targets of the plan are not modelled by geomatch's data and are reported as
``not modelled`` rather than invented: the rural middle-school science museum and the
科普中国乡村e站 (science e-station) of each one-village-one-product village.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geomatch.dataset import Dataset
from geomatch.io.codes import as_text
from geomatch.model.run_tables import run_table
from geomatch.render.coverage import needs_of_pairings
from geomatch.run_result import RunResult

__all__ = ["KPI_COLUMNS", "NOT_MODELLED", "PEOPLE_PROXY", "build_kpi", "kpi_of_run"]

#: Value of a target the data does not model.
NOT_MODELLED = "not modelled"

#: The proxy used for "poor people covered".
PEOPLE_PROXY = "villages of poor counties reached (no household counts in the data)"

#: Columns of ``kpi.csv`` in order (:mod:`geomatch.model.run_tables`).
KPI_COLUMNS: tuple[str, ...] = run_table("kpi").columns


def build_kpi(
    dataset: Dataset,
    coverage: pd.DataFrame,
    pairings: pd.DataFrame,
    needs: pd.DataFrame,
    *,
    helpers: pd.DataFrame | None = None,
    caravan_tours: pd.DataFrame | None = None,
    schedules: bool = True,
) -> pd.DataFrame:
    """KPI table: one row per province with poor counties, then the national total.

    Parameters
    ----------
    dataset
        The dataset (``helpers`` and ``villages`` used when not given).
    coverage
        :func:`~geomatch.render.coverage.build_coverage`'s table.
    pairings
        ``pairings.csv``.
    needs
        The run's needs.
    helpers
        The helpers (``helper_id, kind``); default ``dataset.helpers``.
    caravan_tours
        ``caravan_tours.csv`` (villages reached by a caravan count as covered).
    schedules
        Whether the run scheduled tours; when ``False`` the caravan and museum targets are
        left empty (not counted as missed).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`KPI_COLUMNS`. ``scope`` is ``province`` or ``national``;

        * ``associations_built`` = ``township_federations`` (distinct townships whose
          industry need is paired: a 农技协联合会 linked to a society) +
          ``village_associations`` (distinct one-village-one-product villages paired:
          a 农技协);
        * ``experts_mobilised`` — distinct helpers of kind ``expert`` (or of no recorded
          kind, as in a bring-your-own expert list) paired;
          ``organisations_mobilised`` — the other kinds (societies, associations, …); the
          national row counts distinct helpers, not the sum of provinces;
        * ``villages_covered`` / ``villages_total`` / ``village_share`` — the people-covered
          proxy (:data:`PEOPLE_PROXY`);
        * ``station_met``: counties with a complete station team; ``caravan_met``: counties
          with at least one caravan stop; ``museum2_met``: counties with ≥ 2 mobile-museum
          visits; ``*_missing`` = poor counties − met;
        * ``school_science_museum``, ``e_station``: :data:`NOT_MODELLED`.
    """
    helpers = dataset.helpers if helpers is None else helpers
    cov = coverage.copy()
    cov["adcode"] = as_text(cov["adcode"])
    cov["province_adcode"] = as_text(cov["province_adcode"])
    prov_of_county = dict(zip(cov["adcode"], cov["province_adcode"], strict=False))
    prov_name = (
        cov.drop_duplicates("province_adcode")
        .set_index("province_adcode")["province"]
        .astype("str")
    )

    pj = _pairs_with_provinces(pairings, needs, helpers, prov_of_county)
    v = _villages_covered(dataset, pj, caravan_tours, prov_of_county)
    rows = []
    for pa in sorted(cov["province_adcode"].unique()):
        r = _figures(
            pj[pj["province_adcode"] == pa],
            cov[cov["province_adcode"] == pa],
            v[v["province_adcode"] == pa],
            schedules=schedules,
        )
        rows.append({"scope": "province", "province_adcode": pa, "province": prov_name[pa], **r})
    pj_all = pj[pj["province_adcode"].notna()]
    national = _figures(pj_all, cov, v, schedules=schedules)
    rows.append({"scope": "national", "province_adcode": "", "province": "全国", **national})
    out = pd.DataFrame(rows)
    for c in (
        "caravan_met",
        "caravan_missing",
        "museum2_met",
        "museum2_missing",
        "station_missing",
    ):
        out[c] = out[c].astype("Int64")
    return out[list(KPI_COLUMNS)]


def _pairs_with_provinces(
    pairings: pd.DataFrame,
    needs: pd.DataFrame,
    helpers: pd.DataFrame,
    prov_of_county: dict[str, str],
) -> pd.DataFrame:
    """Pairings with their need's unit and province, and whether the helper is an expert."""
    nd = needs.copy()
    nd["adcode"] = as_text(nd["adcode"])
    pj = needs_of_pairings(pairings, nd)
    pj["province_adcode"] = pj["adcode"].map(prov_of_county)
    # A helper table without kinds (bring-your-own experts) counts every helper as an expert.
    hk = helpers[["helper_id"]].copy()
    hk["kind"] = helpers["kind"].astype("str") if "kind" in helpers else "expert"
    hk["helper_id"] = as_text(hk["helper_id"])
    hk = hk.drop_duplicates("helper_id")
    pj = pj.merge(hk, on="helper_id", how="left", suffixes=("", "_helper"))
    pj["is_expert"] = pj["kind_helper"].astype("str").isin(["expert", "", "nan"])
    return pj


def _villages_covered(
    dataset: Dataset,
    pj: pd.DataFrame,
    caravan_tours: pd.DataFrame | None,
    prov_of_county: dict[str, str],
) -> pd.DataFrame:
    """Villages of the poor counties: ``code, adcode, province_adcode, covered``."""
    vil = dataset.villages
    v = pd.DataFrame({"code": as_text(vil["code"]), "adcode": as_text(vil["county_adcode"])})
    v = v[v["adcode"].isin(prov_of_county)]
    v["province_adcode"] = v["adcode"].map(prov_of_county)
    paired_villages = set(pj.loc[pj["kind"] == "village_product", "unit_code"])
    caravan_villages: set[str] = set()
    if caravan_tours is not None and len(caravan_tours):
        stops = as_text(caravan_tours["stop_code"])
        caravan_villages = set(stops[stops.str.len() == 12])
    v["covered"] = v["code"].isin(paired_villages | caravan_villages)
    return v


def _figures(
    pj_s: pd.DataFrame, cov_s: pd.DataFrame, v_s: pd.DataFrame, *, schedules: bool
) -> dict[str, Any]:
    """The KPI row of one scope (a province, or the nation)."""
    twp = pj_s.loc[pj_s["kind"] == "township_industry", "unit_code"].nunique()
    vil_a = pj_s.loc[pj_s["kind"] == "village_product", "unit_code"].nunique()
    n = len(cov_s)
    row: dict[str, Any] = {
        "poor_counties": n,
        "associations_built": int(twp + vil_a),
        "township_federations": int(twp),
        "village_associations": int(vil_a),
        "experts_mobilised": int(pj_s.loc[pj_s["is_expert"], "helper_id"].nunique()),
        "organisations_mobilised": int(pj_s.loc[~pj_s["is_expert"], "helper_id"].nunique()),
        "needs_paired": int(pj_s["need_id"].nunique()),
        "needs_total": int(cov_s["needs_total"].sum()) if "needs_total" in cov_s else np.nan,
        "villages_covered": int(v_s["covered"].sum()),
        "villages_total": len(v_s),
        "village_share": round(float(v_s["covered"].mean()), 4) if len(v_s) else np.nan,
        "people_proxy": PEOPLE_PROXY,
        "station_met": int((cov_s["station_team"] == "complete").sum()),
    }
    if schedules:
        row["caravan_met"] = int((cov_s["caravan_visits"] >= 1).sum())
        row["museum2_met"] = int((cov_s["museum_visits"] >= 2).sum())
    else:
        row["caravan_met"] = pd.NA
        row["museum2_met"] = pd.NA
    for t in ("station", "caravan", "museum2"):
        met = row[f"{t}_met"]
        row[f"{t}_missing"] = pd.NA if met is pd.NA else n - int(met)
    row["school_science_museum"] = NOT_MODELLED
    row["e_station"] = NOT_MODELLED
    return row


def kpi_of_run(run: RunResult, dataset: Dataset, coverage: pd.DataFrame) -> pd.DataFrame:
    """The KPIs of a run: its own table, or (a run without the coverage stage)
    :func:`build_kpi` of its tables and ``coverage``.

    Parameters
    ----------
    run
        The run (:func:`geomatch.run_result.read_run`); the schedule targets are judged
        only when it has ``museum_visits``.
    dataset
        The dataset seen by the run (its ``needs`` are the run's needs).
    coverage
        The run's full coverage (:func:`geomatch.render.coverage.coverage_of_run`).
    """
    if "kpi" in run.present:
        return run.kpi
    return build_kpi(
        dataset,
        coverage,
        run.pairings,
        dataset.needs,
        caravan_tours=run.caravan_tours,
        schedules="museum_visits" in run.present,
    )
