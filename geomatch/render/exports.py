"""Exports of a run for analysts: CSV (Excel), XLSX, GeoPackage, ICS.

Every export carries the run manifest (scenario, inputs' SHA-256, versions, seed, date):
``manifest.csv`` beside the CSV tables, a ``manifest`` sheet in the XLSX, a ``manifest``
table in the GeoPackage, the calendar description of an ICS file.

Tables are enriched with the names an analyst needs (county, province, helper, unit) and
can be cut to one province (``province``) or county (``county``). Text that reaches a
spreadsheet is safe: cells starting with ``= + - @`` are neutralised and resident ID and
mobile numbers masked (``6201**********1234``) by :mod:`geomatch.io.output`; GeoPackage
and ICS text is masked too.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geomatch.errors import InputError
from geomatch.io.output import (
    atomic_output_dir,
    atomic_write_bytes,
    mask_personal_numbers,
    neutralise_formulas,
    write_csv,
)
from geomatch.render.coverage import coverage_of_run, needs_of_pairings
from geomatch.render.ics import CalendarEvent, parse_stamp, render_calendar
from geomatch.render.kpi import kpi_of_run
from geomatch.render.labels import SHEET_ZH, check_labels, label_table
from geomatch.render.manifest_view import manifest_frame, manifest_text
from geomatch.render.run import (
    RESULT_TABLES,
    RunTables,
    as_text,
    county_of_code,
    load_run,
    load_run_dataset,
    with_run_inputs,
)

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_TABLES",
    "check_export_options",
    "export_run",
    "export_tables",
]

log = logging.getLogger(__name__)

#: Formats of :func:`export_run`.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx", "gpkg", "ics")

#: Tables of a CSV / XLSX export, in order: all result tables of the run.
EXPORT_TABLES: tuple[str, ...] = RESULT_TABLES


def _norm_filters(
    dataset: Any, province: str | None, county: str | None
) -> tuple[str | None, str | None]:
    pc = dataset.poor_counties
    counties = set(as_text(pc["adcode"]))
    provinces = set(as_text(pc["province_adcode"]))
    p = None
    if province is not None:
        code = str(province).strip()
        if len(code) == 2 and code.isdigit():
            code += "0000"
        if code not in provinces:
            raise InputError(
                f"province {province!r} is not the adcode of a province with poor counties "
                f"(expected one of {', '.join(sorted(provinces)[:8])}…, e.g. 620000 for 甘肃省)",
                column="--province",
            )
        p = code
    c = None
    if county is not None:
        code = str(county).strip()
        if code not in counties:
            raise InputError(
                f"county {county!r} is not the 6-digit adcode of a poor county",
                column="--county",
            )
        if p is not None and not code.startswith(p[:2]):
            raise InputError(f"county {code} is not in province {p}", column="--county")
        c = code
    return p, c


def export_tables(
    run: RunTables,
    dataset: Any,
    *,
    province: str | None = None,
    county: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The run's tables enriched with names and cut to a province or county.

    Parameters
    ----------
    run
        The run (:func:`~geomatch.render.run.load_run`).
    dataset
        The dataset the run was made from.
    province, county
        Optional filters: a province adcode (``620000`` or ``62``) or a county adcode.

    Returns
    -------
    dict
        :data:`EXPORT_TABLES` → frame (run columns first, then the added names).
    """
    province, county = _norm_filters(dataset, province, county)
    pc = dataset.poor_counties.drop_duplicates("adcode")
    county_name = dict(zip(as_text(pc["adcode"]), as_text(pc["name"]), strict=False))
    county_prov = dict(zip(as_text(pc["adcode"]), as_text(pc["province_adcode"]), strict=False))
    prov_name = dict(zip(as_text(pc["province_adcode"]), as_text(pc["province"]), strict=False))

    def place(df: pd.DataFrame, adcodes: pd.Series) -> pd.DataFrame:
        df = df.copy()
        a = adcodes.fillna("").astype("str").to_numpy()
        if "adcode" not in df.columns:
            df["adcode"] = a
        df["county_name"] = [county_name.get(x, "") for x in a]
        df["province_adcode"] = [county_prov.get(x, "") for x in a]
        df["province"] = [prov_name.get(county_prov.get(x, ""), "") for x in a]
        return df

    needs = dataset.needs
    pj = needs_of_pairings(run.pairings, needs)
    h = dataset.helpers
    hcols = [
        c
        for c in ("name", "kind", "specialty", "city", "province", "institution")
        if c in h.columns
    ]
    hh = h[["helper_id", *hcols]].copy()
    hh["helper_id"] = as_text(hh["helper_id"])
    hh = hh.drop_duplicates("helper_id").rename(columns={c: f"helper_{c}" for c in hcols})
    unit_name = dict(
        zip(as_text(needs["need_id"]), needs.get("unit_name", pd.Series(dtype=str)), strict=False)
    )
    pj["unit_name"] = pj["need_id"].map(unit_name).fillna("")
    pj = pj.merge(hh, on="helper_id", how="left")
    pairings = place(pj, pj["adcode"])

    um = run.unmet.copy()
    um["need_id"] = as_text(um["need_id"])
    n = needs[
        [
            c
            for c in ("need_id", "adcode", "kind", "category", "unit_name")
            if c in needs.columns and (c in ("need_id", "adcode") or c not in um.columns)
        ]
    ].copy()
    n["need_id"] = as_text(n["need_id"])
    n = n.drop_duplicates("need_id").rename(columns={"adcode": "_adcode"})
    um = um.merge(n, on="need_id", how="left")
    a = um["_adcode"].astype("object")
    if "adcode" in um.columns:
        a = a.where(a.notna(), as_text(um["adcode"]))
    um = um.drop(columns="_adcode")
    um["adcode"] = a.fillna("").astype("str")
    unmet = place(um, um["adcode"])

    museum = place(run.museum_visits, as_text(run.museum_visits["adcode"]))
    ct = run.caravan_tours.copy()
    stop_names = dict(
        zip(as_text(dataset.townships["code"]), dataset.townships["name"], strict=False)
    )
    stop_names.update(
        zip(as_text(dataset.villages["code"]), dataset.villages["name"], strict=False)
    )
    ct["stop_name"] = as_text(ct["stop_code"]).map(stop_names).fillna("")
    caravan = place(ct, county_of_code(ct["stop_code"]))

    if "coverage" in run.present:
        coverage = run.tables["coverage"].copy()
    else:
        coverage = coverage_of_run(run, dataset)
    if "kpi" in run.present:
        kpi = run.tables["kpi"].copy()
    else:
        full_cov = (
            coverage if "province_adcode" in coverage.columns else coverage_of_run(run, dataset)
        )
        kpi = kpi_of_run(run, dataset, full_cov)
    coverage["adcode"] = as_text(coverage["adcode"])
    if "province_adcode" not in coverage.columns:
        coverage["province_adcode"] = coverage["adcode"].map(county_prov).fillna("")

    tables = {
        "pairings": pairings,
        "unmet": unmet,
        "museum_visits": museum,
        "caravan_tours": caravan,
        "coverage": coverage,
        "kpi": kpi,
    }
    if province is not None or county is not None:
        for name, df in tables.items():
            if name == "kpi":
                pa = province or county_prov.get(str(county), "")
                keep = as_text(df["province_adcode"]) == pa if "province_adcode" in df else None
                tables[name] = df[keep] if keep is not None else df
                continue
            if county is not None:
                tables[name] = df[as_text(df["adcode"]) == county]
            else:
                tables[name] = df[as_text(df["province_adcode"]) == province]
    return {k: v.reset_index(drop=True) for k, v in tables.items()}


# --------------------------------------------------------------------------- writers


def _write_csv_folder(
    tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], out: Path, labels: str
) -> Path:
    with atomic_output_dir(out) as stage:
        for name, df in tables.items():
            write_csv(label_table(df, labels), stage / f"{name}.csv")
        write_csv(label_table(manifest_frame(manifest), labels), stage / "manifest.csv")
    return out


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(v: Any) -> Any:
    """A value openpyxl stores as itself (text never becomes a formula: it was neutralised)."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def _write_xlsx(
    tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], out: Path, labels: str
) -> Path:
    """One sheet per table (openpyxl write-only mode: rows streamed, little memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    sheets = {**tables, "manifest": manifest_frame(manifest)}
    for name, df in sheets.items():
        safe = mask_personal_numbers(neutralise_formulas(label_table(df, labels)))
        ws = wb.create_sheet(SHEET_ZH[name] if labels == "zh" else name)
        ws.freeze_panes = "A2"
        for i, col in enumerate(safe.columns, start=1):
            sample = [col, *safe[col].head(500).tolist()]
            width = min(60, max(8, max(_display_width(v) for v in sample) + 2))
            ws.column_dimensions[get_column_letter(i)].width = width
        header = []
        for col in safe.columns:
            cell = WriteOnlyCell(ws, value=str(col))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in safe.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(out, buf.getvalue())
    return out


def _write_gpkg(
    tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], dataset: Any, out: Path
) -> Path:
    import pyogrio

    pc = dataset.poor_counties.drop_duplicates("adcode")[
        ["adcode", "geometry", "seat_lon", "seat_lat"]
    ].copy()
    pc["adcode"] = as_text(pc["adcode"])
    seats = pc.set_index("adcode")[["seat_lon", "seat_lat"]].astype("float64")

    cov = tables["coverage"].copy()
    cov_cols = [c for c in cov.columns if c not in ("seat_lon", "seat_lat")]
    counties = gpd.GeoDataFrame(
        cov[cov_cols].merge(pc[["adcode", "geometry"]], on="adcode", how="inner"),
        geometry="geometry",
        crs="EPSG:4326",
    )

    p = tables["pairings"].copy()
    h = dataset.helpers.reindex(columns=["helper_id", "lon", "lat"]).copy()
    h["helper_id"] = as_text(h["helper_id"])
    h = h.drop_duplicates("helper_id").rename(columns={"lon": "helper_lon", "lat": "helper_lat"})
    nd = dataset.needs[["need_id", "lon", "lat"]].copy()
    nd["need_id"] = as_text(nd["need_id"])
    nd = nd.drop_duplicates("need_id").rename(columns={"lon": "need_lon", "lat": "need_lat"})
    p = p.merge(h, on="helper_id", how="left").merge(nd, on="need_id", how="left")
    xy = p[["helper_lon", "helper_lat", "need_lon", "need_lat"]].apply(
        pd.to_numeric, errors="coerce"
    )
    ok = xy.notna().all(axis=1).to_numpy()
    coords = xy.to_numpy(dtype="float64").reshape(-1, 2, 2)
    geoms = [shapely.LineString(c) if k else None for c, k in zip(coords, ok, strict=True)]
    pair_lines = gpd.GeoDataFrame(
        p.drop(columns=["helper_lon", "helper_lat", "need_lon", "need_lat"]),
        geometry=geoms,
        crs="EPSG:4326",
    )

    mv = tables["museum_visits"].copy()
    mxy = seats.reindex(as_text(mv["adcode"]))
    museum_pts = gpd.GeoDataFrame(
        mv,
        geometry=gpd.points_from_xy(mxy["seat_lon"].to_numpy(), mxy["seat_lat"].to_numpy()),
        crs="EPSG:4326",
    )
    ct = tables["caravan_tours"].copy()
    pos = (
        pd.concat(
            [
                pd.DataFrame(
                    {
                        "code": as_text(dataset.townships["code"]),
                        "lon": dataset.townships["lon"],
                        "lat": dataset.townships["lat"],
                    }
                ),
                pd.DataFrame(
                    {
                        "code": as_text(dataset.villages["code"]),
                        "lon": dataset.villages["lon"],
                        "lat": dataset.villages["lat"],
                    }
                ),
            ]
        )
        .drop_duplicates("code")
        .set_index("code")
    )
    cxy = pos.reindex(as_text(ct["stop_code"])).apply(pd.to_numeric, errors="coerce")
    caravan_pts = gpd.GeoDataFrame(
        ct,
        geometry=gpd.points_from_xy(cxy["lon"].to_numpy(), cxy["lat"].to_numpy()),
        crs="EPSG:4326",
    )

    layers = {
        "counties": counties,
        "pair_lines": pair_lines,
        "museum_visits": museum_pts,
        "caravan_stops": caravan_pts,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".gpkg", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name, gdf in layers.items():
            gdf = mask_personal_numbers(gdf.reset_index(drop=True))
            for c in gdf.columns:
                if c != "geometry" and str(gdf[c].dtype) in ("object", "str", "string"):
                    gdf[c] = gdf[c].astype("object").where(gdf[c].notna(), None)
            pyogrio.write_dataframe(
                gdf, tmp, layer=name, driver="GPKG", promote_to_multi=name == "counties"
            )
        mf = manifest_frame(manifest)
        pyogrio.write_dataframe(mf, tmp, layer="manifest", driver="GPKG")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _events(
    tables: Mapping[str, pd.DataFrame], dataset: Any, province: str
) -> tuple[list[CalendarEvent], list[CalendarEvent]]:
    museums = dataset.museums if getattr(dataset, "museums", None) is not None else None
    museum_name = ""
    if museums is not None and len(museums):
        mm = museums[as_text(museums["province_adcode"]) == province]
        museum_name = str(mm["museum"].iloc[0]) if len(mm) else ""
    mv = tables["museum_visits"]
    mv = mv[as_text(mv["province_adcode"]) == province]
    m_events = []
    for r in mv.sort_values(["start_date", "adcode", "visit_no"]).itertuples():
        where = f"{r.province} {r.county_name}".strip()
        m_events.append(
            CalendarEvent(
                uid=f"museum-{r.adcode}-{int(r.visit_no)}-{r.set_id}@geomatch",
                start=dt.date.fromisoformat(str(r.start_date)),
                end=dt.date.fromisoformat(str(r.end_date)),
                summary=f"流动科技馆巡展 {r.county_name} 第{int(r.visit_no)}次",
                location=where,
                description=f"展品套 {r.set_id}{'（' + museum_name + '）' if museum_name else ''}；"
                f"县级代码 {r.adcode}",
                category="museum",
            )
        )
    ct = tables["caravan_tours"]
    ct = ct[as_text(ct["province_adcode"]) == province]
    c_events = []
    if len(ct):
        ct = ct.sort_values(["caravan_id", "date", "seq"], kind="stable")
        seq = pd.to_numeric(ct["seq"], errors="coerce").astype("Int64").astype("str")
        days = (
            pd.DataFrame(
                {
                    "cid": ct["caravan_id"].astype("str").to_numpy(),
                    "date": ct["date"].astype("str").to_numpy(),
                    "label": (
                        seq
                        + ". "
                        + ct["stop_name"].astype("str")
                        + "（"
                        + as_text(ct["stop_code"])
                        + "）"
                    ).to_numpy(),
                    "county": ct["county_name"].astype("str").to_numpy(),
                    "prov": ct["province"].astype("str").to_numpy(),
                }
            )
            .groupby(["cid", "date"], sort=True)
            .agg(
                stops=("label", "；".join),
                n=("label", "size"),
                county=("county", "first"),
                prov=("prov", "first"),
            )
        )
        for (cid, date), stops, n, county, prov in zip(
            days.index, days["stops"], days["n"], days["county"], days["prov"], strict=True
        ):
            c_events.append(
                CalendarEvent(
                    uid=f"caravan-{cid}-{date}@geomatch",
                    start=dt.date.fromisoformat(date),
                    end=dt.date.fromisoformat(date),
                    summary=f"科普大篷车 {county}（{n} 站）",
                    location=f"{prov} {county}".strip(),
                    description=f"大篷车 {cid}：{stops}",
                    category="caravan",
                )
            )
    return m_events, c_events


def _write_ics(
    tables: Mapping[str, pd.DataFrame],
    manifest: Mapping[str, Any],
    dataset: Any,
    out: Path,
    province: str | None,
) -> Path:
    masked = {k: mask_personal_numbers(tables[k]) for k in ("museum_visits", "caravan_tours")}
    stamp = parse_stamp(manifest)
    desc = manifest_text(manifest)
    provs = sorted(
        set(as_text(masked["museum_visits"]["province_adcode"]))
        | set(as_text(masked["caravan_tours"]["province_adcode"]))
    )
    provs = [p for p in provs if p and (province is None or p == province)]
    if out.suffix.lower() == ".ics":
        events: list[CalendarEvent] = []
        for p in provs:
            m_ev, c_ev = _events(masked, dataset, p)
            events += m_ev + c_ev
        name = f"geomatch {province or '全部省份'} 巡展与大篷车"
        atomic_write_bytes(out, render_calendar(events, name=name, description=desc, stamp=stamp))
        return out
    with atomic_output_dir(out) as stage:
        for p in provs:
            m_ev, c_ev = _events(masked, dataset, p)
            (stage / f"{p}_museum.ics").write_bytes(
                render_calendar(
                    m_ev, name=f"geomatch {p} 流动科技馆巡展", description=desc, stamp=stamp
                )
            )
            (stage / f"{p}_caravan.ics").write_bytes(
                render_calendar(
                    c_ev, name=f"geomatch {p} 科普大篷车", description=desc, stamp=stamp
                )
            )
    return out


def check_export_options(fmt: str, labels: str) -> None:
    """Check an export's format and label language before any run or dataset is read.

    Raises
    ------
    InputError
        ``fmt`` not in :data:`EXPORT_FORMATS` (column ``--format``) or unknown ``labels``
        (exit 2).
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(
            f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}",
            column="--format",
        )
    check_labels(labels)


def export_run(
    run_dir: Path,
    fmt: str,
    out: Path,
    *,
    dataset: Any = None,
    province: str | None = None,
    county: str | None = None,
    labels: str = "en",
) -> Path:
    """Export a run.

    Parameters
    ----------
    run_dir
        The run folder.
    fmt
        ``csv`` — a folder of UTF-8-with-BOM CSV files (one per table of
        :data:`EXPORT_TABLES` + ``manifest.csv``); ``xlsx`` — one workbook, one sheet per
        table + ``manifest``, header frozen, columns sized; ``gpkg`` — a GeoPackage with
        layers ``counties`` (polygons with coverage), ``pair_lines`` (helper → need),
        ``museum_visits`` (points at county seats), ``caravan_stops`` and the
        ``manifest`` table (field names stay English for GIS tools); ``ics`` — with an
        ``.ics`` path one calendar of museum visits and caravan days (all provinces, or the
        one given), otherwise a folder with ``<province>_museum.ics`` and
        ``<province>_caravan.ics`` per province.
    out
        Output file or folder (written all-or-nothing).
    dataset
        The dataset; default the one the run names (or the embedded default).
    province, county
        Filters (province adcode ``620000``/``62``, county adcode).
    labels
        ``en`` column codes or ``zh`` Chinese labels (CSV and XLSX).

    Returns
    -------
    pathlib.Path
        What was written.

    Raises
    ------
    InputError
        Unknown format or labels, a bad run folder, an unknown province or county, a
        calendar asked of a run without schedules (exit 2).
    """
    check_export_options(fmt, labels)
    run = load_run(run_dir)
    if fmt == "ics" and not {"museum_visits", "caravan_tours"} & run.present:
        raise InputError(
            "this run has no schedules (museum_visits.csv, caravan_tours.csv), so there is "
            "nothing to put in a calendar; export the run of `geomatch demo` or a scenario run",
            file=run.run_dir / "museum_visits.csv",
        )
    ds = with_run_inputs(run, dataset if dataset is not None else load_run_dataset(run))
    tables = export_tables(run, ds, province=province, county=county)
    p_norm, _ = _norm_filters(ds, province, None)
    out = Path(out)
    log.info("export %s → %s (%s)", run.run_dir, out, fmt)
    if fmt == "csv":
        return _write_csv_folder(tables, run.manifest, out, labels)
    if fmt == "xlsx":
        return _write_xlsx(tables, run.manifest, out, labels)
    if fmt == "gpkg":
        return _write_gpkg(tables, run.manifest, ds, out)
    return _write_ics(tables, run.manifest, ds, out, p_norm)
