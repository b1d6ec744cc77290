"""Exports of a run for analysts: CSV (Excel), XLSX, GeoPackage, ICS.

Every export carries the run manifest (scenario, inputs' SHA-256, versions, seed, date):
``manifest.csv`` beside the CSV tables, a ``manifest`` sheet in the XLSX, a ``manifest``
table in the GeoPackage, the calendar description of an ICS file.

The tables are the run's (:mod:`geomatch.model.run_tables`: declared columns first, in
their dtypes) with the names an analyst needs added: every row that carries a code also
carries its unit's name (county, township, village, province) and a pair its helper's. Numbers stay
numbers: XLSX cells are numeric (SUM works in Excel and LibreOffice) and GeoPackage fields
typed. ``--labels zh`` translates every column and coded value
(:mod:`geomatch.render.labels`). A cut to one province (code or Chinese name;
an eastern province gets its helpers' work) or county uses each table's declared province
scope. Text that reaches a spreadsheet is safe: cells starting with ``= + - @`` are
neutralised and resident ID and mobile numbers masked (``6201**********1234``) by
:mod:`geomatch.io.output`; GeoPackage and ICS text is masked too.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from geomatch.model.run_tables import province_scope
from geomatch.render.coverage import needs_of_pairings
from geomatch.render.ics import CalendarEvent, parse_stamp, render_calendar
from geomatch.render.labels import SHEET_ZH, check_labels, label_table
from geomatch.render.manifest_view import manifest_frame, manifest_text
from geomatch.render.run import (
    RESULT_TABLES,
    add_coverage,
    as_text,
    county_of_code,
    load_run_dataset,
    with_run_inputs,
)
from geomatch.render.units import (
    ProvinceChoice,
    UnitNames,
    resolve_county,
    resolve_province,
    unit_names,
)
from geomatch.run_result import RunResult, read_run

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_TABLES",
    "ExportFilter",
    "check_export_options",
    "export_run",
    "export_tables",
]

log = logging.getLogger(__name__)

#: Formats of :func:`export_run`.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx", "gpkg", "ics")

#: Tables of a CSV / XLSX export, in order: all result tables of the run.
EXPORT_TABLES: tuple[str, ...] = RESULT_TABLES


@dataclass(frozen=True)
class ExportFilter:
    """A cut of the export: one province (code/name, eastern or western) or one county."""

    province: ProvinceChoice | None = None
    county: str | None = None

    @classmethod
    def of(cls, dataset: Dataset, province: str | None, county: str | None) -> ExportFilter:
        """Resolve the command-line values (:class:`~geomatch.errors.InputError` if unknown)."""
        p = resolve_province(dataset, province) if province is not None else None
        c = resolve_county(dataset, county) if county is not None else None
        if p is not None and c is not None and not c.startswith(p.adcode[:2]):
            raise InputError(
                f"county {c} is not in province {p.name} ({p.adcode})", column="--county"
            )
        return cls(province=p, county=c)


_HELPER_ATTRS = ("name", "kind", "specialty", "city", "province", "institution")


def _helpers(dataset: Dataset) -> pd.DataFrame:
    h = dataset.helpers
    cols = [c for c in _HELPER_ATTRS if c in h.columns]
    out = h[["helper_id", *cols]].copy()
    out["helper_id"] = as_text(out["helper_id"])
    if "province_adcode" in h.columns:
        out["helper_province_adcode"] = as_text(h["province_adcode"])
    return out.drop_duplicates("helper_id").rename(columns={c: f"helper_{c}" for c in cols})


def _place(df: pd.DataFrame, county: pd.Series, names: UnitNames) -> pd.DataFrame:
    """Add ``county_name, province_adcode, province`` of each row's county code."""
    df = df.copy()
    a = as_text(county.fillna(""))
    df["county_name"] = a.map(names.county).fillna("").to_numpy()
    prov = (a.str[:2] + "0000").where(a.str.fullmatch(r"\d{6}"), "")
    df["province_adcode"] = prov.to_numpy()
    df["province"] = prov.map(names.province).fillna("").to_numpy()
    return df


def _pairings(run: RunResult, dataset: Dataset, names: UnitNames) -> pd.DataFrame:
    pj = needs_of_pairings(run.pairings, dataset.needs)
    needs = dataset.needs
    unit = pd.DataFrame({"need_id": as_text(needs["need_id"])})
    for c in ("unit_code", "unit_name"):
        if c in needs.columns:
            unit[c] = as_text(needs[c]).replace("nan", "").to_numpy()
    unit = unit.drop_duplicates("need_id")
    keep = [c for c in unit.columns if c == "need_id" or c not in pj.columns]
    pj = pj.merge(unit[keep], on="need_id", how="left").merge(
        _helpers(dataset), on="helper_id", how="left"
    )
    return _place(pj, pj["adcode"], names)


def _unmet(run: RunResult, dataset: Dataset, names: UnitNames) -> pd.DataFrame:
    um = run.unmet.copy()
    needs = dataset.needs
    n = pd.DataFrame({"need_id": as_text(needs["need_id"]), "_adcode": as_text(needs["adcode"])})
    for c in ("kind", "category", "unit_code", "unit_name"):
        if c in needs.columns:
            n[c] = needs[c].astype("str").to_numpy()
    n = n.drop_duplicates("need_id")
    add = [
        c
        for c in n.columns
        if c in ("need_id", "_adcode") or c not in um.columns or um[c].eq("").all()
    ]
    um = um.drop(columns=[c for c in add if c in um.columns and c != "need_id"])
    um = um.merge(n[add], on="need_id", how="left")
    um["adcode"] = as_text(um["adcode"].where(um["adcode"] != "", um["_adcode"]).fillna(""))
    um = um.drop(columns="_adcode")
    helpers = _helpers(dataset)
    if "helper_name" in helpers.columns:  # the name of the helper the fix names
        fix = helpers[["helper_id", "helper_name"]].rename(
            columns={"helper_id": "fix_helper_id", "helper_name": "fix_helper_name"}
        )
        um = um.merge(fix, on="fix_helper_id", how="left")
    return _place(um, um["adcode"], names)


def _caravan(run: RunResult, names: UnitNames) -> pd.DataFrame:
    ct = run.caravan_tours.copy()
    code = as_text(ct["stop_code"])
    ct["stop_name"] = ct["stop_name"].where(ct["stop_name"] != "", names.of(code))
    ct["township_code"] = code.str[:9]
    ct["township_name"] = code.str[:9].map(names.township).fillna("")
    ct["village_name"] = code.map(names.village).fillna("")
    ct["adcode"] = ct["adcode"].where(ct["adcode"] != "", county_of_code(code))
    if ct["stop_kind"].eq("").all():
        ct["stop_kind"] = code.str.len().map({9: "township", 12: "village"}).fillna("")
    return _place(ct, county_of_code(code), names)


def export_tables(
    run: RunResult,
    dataset: Dataset,
    *,
    province: str | None = None,
    county: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The run's tables enriched with names and cut to a province or county.

    Parameters
    ----------
    run
        The run (:func:`~geomatch.run_result.read_run`).
    dataset
        The dataset the run was made from.
    province, county
        Optional cuts: a province (``520000``, ``52``, ``贵州``, ``贵州省``; an eastern
        province gives its helpers' pairs and the counties they serve) or a poor county
        (adcode or name).

    Returns
    -------
    dict
        :data:`EXPORT_TABLES` → frame (run columns first, then the added names).
    """
    cut = ExportFilter.of(dataset, province, county)
    names = unit_names(dataset)
    full = add_coverage(run, dataset)
    tables = {
        "pairings": _pairings(run, dataset, names),
        "unmet": _unmet(run, dataset, names),
        "unmet_summary": full.unmet_summary.copy(),
        "museum_visits": _place(run.museum_visits, as_text(run.museum_visits["adcode"]), names),
        "caravan_tours": _caravan(run, names),
        "coverage": full.coverage.copy(),
        "kpi": full.kpi.copy(),
    }
    tables = _cut(tables, cut)
    return {k: v.reset_index(drop=True) for k, v in tables.items()}


def _cut(tables: dict[str, pd.DataFrame], cut: ExportFilter) -> dict[str, pd.DataFrame]:
    """Rows of one county, one western province (declared scope), or an eastern province's
    helpers' work (their pairs, the counties those serve)."""
    if cut.county is not None:
        out = {}
        for name, df in tables.items():
            if name == "kpi":
                out[name] = df[as_text(df["province_adcode"]) == cut.county[:2] + "0000"]
            else:
                code = df["stop_code"] if name == "caravan_tours" else df["adcode"]
                out[name] = df[county_of_code(code) == cut.county]
        return out
    if cut.province is None:
        return tables
    pa = cut.province.adcode
    if cut.province.poor:
        return {name: df[province_scope(df, name) == pa] for name, df in tables.items()}
    pairs = tables["pairings"]
    ours = pairs[
        as_text(pairs.get("helper_province_adcode", pd.Series("", index=pairs.index))) == pa
    ]
    served = set(as_text(ours["adcode"]))
    provinces = {a[:2] + "0000" for a in served}
    out = {name: df.iloc[0:0] for name, df in tables.items()}
    out["pairings"] = ours
    out["coverage"] = tables["coverage"][as_text(tables["coverage"]["adcode"]).isin(served)]
    kpi = tables["kpi"]
    out["kpi"] = kpi[as_text(kpi["province_adcode"]).isin(provinces)]
    return out


# --------------------------------------------------------------------------- writers


def _write_csv_folder(
    tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], out: Path, labels: str
) -> Path:
    with atomic_output_dir(out) as stage:
        for name, df in tables.items():
            write_csv(label_table(df, labels, name), stage / f"{name}.csv")
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
    if hasattr(v, "item"):  # numpy scalars: numbers stay numbers (SUM works)
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
        safe = mask_personal_numbers(neutralise_formulas(label_table(df, labels, name)))
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


def _pair_lines(p: pd.DataFrame, dataset: Dataset) -> gpd.GeoDataFrame:
    """Pairs as lines helper → need (no line when either end has no location)."""
    h = dataset.helpers.reindex(columns=["helper_id", "lon", "lat"]).copy()
    h["helper_id"] = as_text(h["helper_id"])
    h = h.drop_duplicates("helper_id").rename(columns={"lon": "helper_lon", "lat": "helper_lat"})
    nd = dataset.needs[["need_id", "lon", "lat"]].copy()
    nd["need_id"] = as_text(nd["need_id"])
    nd = nd.drop_duplicates("need_id").rename(columns={"lon": "need_lon", "lat": "need_lat"})
    p = p.merge(h, on="helper_id", how="left").merge(nd, on="need_id", how="left")
    ends = ["helper_lon", "helper_lat", "need_lon", "need_lat"]
    xy = p[ends].apply(pd.to_numeric, errors="coerce")
    ok = xy.notna().all(axis=1).to_numpy()
    coords = xy.to_numpy(dtype="float64").reshape(-1, 2, 2)
    geoms = [shapely.LineString(c) if k else None for c, k in zip(coords, ok, strict=True)]
    return gpd.GeoDataFrame(p.drop(columns=ends), geometry=geoms, crs="EPSG:4326")


def _points(df: pd.DataFrame, codes: pd.Series, pos: pd.DataFrame) -> gpd.GeoDataFrame:
    xy = pos.reindex(as_text(codes)).apply(pd.to_numeric, errors="coerce")
    return gpd.GeoDataFrame(
        df,
        geometry=gpd.points_from_xy(xy["lon"].to_numpy(), xy["lat"].to_numpy()),
        crs="EPSG:4326",
    )


def _gpkg_layers(
    tables: Mapping[str, pd.DataFrame], dataset: Dataset
) -> dict[str, gpd.GeoDataFrame]:
    pc = dataset.poor_counties.drop_duplicates("adcode")
    seats = pd.DataFrame(
        {"lon": pc["seat_lon"].to_numpy(), "lat": pc["seat_lat"].to_numpy()},
        index=as_text(pc["adcode"]).to_numpy(),
    )
    geo = pd.DataFrame({"adcode": as_text(pc["adcode"]), "geometry": pc.geometry.to_numpy()})
    cov = tables["coverage"]
    counties = gpd.GeoDataFrame(
        cov.drop(columns=["seat_lon", "seat_lat"]).merge(geo, on="adcode", how="inner"),
        geometry="geometry",
        crs="EPSG:4326",
    )
    stops = pd.concat(
        [
            pd.DataFrame(
                {"lon": d["lon"].to_numpy(), "lat": d["lat"].to_numpy()},
                index=as_text(d["code"]).to_numpy(),
            )
            for d in (dataset.townships, dataset.villages)
        ]
    )
    stops = stops[~stops.index.duplicated()]
    mv, ct = tables["museum_visits"], tables["caravan_tours"]
    return {
        "counties": counties,
        "pair_lines": _pair_lines(tables["pairings"], dataset),
        "museum_visits": _points(mv, mv["adcode"], seats),
        "caravan_stops": _points(ct, ct["stop_code"], stops),
    }


def _gpkg_ready(gdf: pd.DataFrame) -> pd.DataFrame:
    """Masked, with typed fields: text as text (NULL when missing), integers as integers
    (real when a value is missing), booleans as booleans."""
    out = mask_personal_numbers(gdf.reset_index(drop=True))
    for c in out.columns:
        s = out[c]
        if c == "geometry":
            continue
        if isinstance(s.dtype, pd.BooleanDtype):
            out[c] = s.astype("bool") if not s.isna().any() else s.astype("object")
        elif pd.api.types.is_integer_dtype(s.dtype):
            out[c] = s.astype("int64") if not s.isna().any() else s.astype("float64")
        elif not pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            out[c] = s.astype("object").where(s.notna(), None)
    return out


def _write_gpkg(
    tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any], dataset: Dataset, out: Path
) -> Path:
    import pyogrio

    layers = _gpkg_layers(tables, dataset)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".gpkg", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name, gdf in layers.items():
            pyogrio.write_dataframe(
                _gpkg_ready(gdf),
                tmp,
                layer=name,
                driver="GPKG",
                promote_to_multi=name == "counties",
            )
        pyogrio.write_dataframe(manifest_frame(manifest), tmp, layer="manifest", driver="GPKG")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _events(
    tables: Mapping[str, pd.DataFrame], dataset: Dataset, province: str
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
    dataset: Dataset,
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
    dataset: Dataset | None = None,
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
        table + ``manifest``, header frozen, columns sized, numbers as numbers; ``gpkg`` — a
        GeoPackage with layers ``counties`` (polygons with coverage), ``pair_lines``
        (helper → need), ``museum_visits`` (points at county seats), ``caravan_stops``
        and the ``manifest`` table (typed fields; names stay English for GIS tools);
        ``ics`` — with an ``.ics`` path one calendar of museum visits and caravan days
        (all provinces, or the one given), otherwise a folder with
        ``<province>_museum.ics`` and ``<province>_caravan.ics`` per province.
    out
        Output file or folder (written all-or-nothing).
    dataset
        The dataset; default the one the run names (or the embedded default).
    province, county
        Cuts (see :func:`export_tables`).
    labels
        ``en`` column codes or ``zh`` Chinese columns and values (CSV and XLSX).

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
    run = read_run(run_dir)
    if fmt == "ics" and not {"museum_visits", "caravan_tours"} & run.present:
        raise InputError(
            "this run has no schedules (museum_visits.csv, caravan_tours.csv), so there is "
            "nothing to put in a calendar; export the run of `geomatch demo` or a scenario run",
            file=Path(run_dir) / "museum_visits.csv",
        )
    ds = with_run_inputs(run, dataset if dataset is not None else load_run_dataset(run))
    tables = export_tables(run, ds, province=province, county=county)
    cut = ExportFilter.of(ds, province, None)
    out = Path(out)
    log.info("export %s → %s (%s)", run_dir, out, fmt)
    if fmt == "csv":
        return _write_csv_folder(tables, run.manifest, out, labels)
    if fmt == "xlsx":
        return _write_xlsx(tables, run.manifest, out, labels)
    if fmt == "gpkg":
        return _write_gpkg(tables, run.manifest, ds, out)
    return _write_ics(tables, run.manifest, ds, out, cut.province.adcode if cut.province else None)
