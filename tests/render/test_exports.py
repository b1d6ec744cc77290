"""Exports: Excel-safe CSV, XLSX and GeoPackage round trips, ICS, filters, masking."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from geomatch.errors import InputError
from geomatch.render.exports import EXPORT_TABLES, export_run
from geomatch.render.labels import SHEET_ZH, column_zh
from geomatch.run_result import read_run
from tests.render.fixtures import HOSTILE_HTML, HOSTILE_NAME, ID_NUMBER, PHONE, MiniDataset


def _csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV for Excel starts with a UTF-8 BOM"
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_csv_folder_is_excel_safe(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    out = export_run(run_dir, "csv", tmp_path / "csv", dataset=mini_ds)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.csv" for t in EXPORT_TABLES] + ["manifest.csv"]
    )
    pairings = _csv(out / "pairings.csv")
    names = set(pairings["helper_name"])
    assert "'" + HOSTILE_NAME in names  # formula neutralised
    assert HOSTILE_NAME not in names
    text = (out / "pairings.csv").read_text("utf-8-sig")
    assert ID_NUMBER not in text and PHONE not in text
    assert "6201**********1234" in text and "138****5678" in text
    assert HOSTILE_HTML in names  # text stays text in a CSV
    for name in EXPORT_TABLES:
        df = _csv(out / f"{name}.csv")
        for col in df.columns:
            assert not df[col].str.match(r"^[=+\-@]").any(), (name, col)
    manifest = dict(_csv(out / "manifest.csv").itertuples(index=False))
    run = read_run(run_dir)
    assert manifest["seed"] == str(run.manifest["seed"])
    assert manifest["scenario"] == run.manifest["scenario"]
    assert manifest["version:geomatch"] == run.manifest["versions"]["geomatch"]
    # The data folder's files folded into one SHA-256, with their count.
    digest, files = manifest["input:data"].split(" ", 1)
    assert len(digest) == 64 and re.fullmatch(r"\(\d+ files\)", files)


def test_csv_enriched_and_numbers_kept(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    out = export_run(run_dir, "csv", tmp_path / "csv", dataset=mini_ds)
    p = _csv(out / "pairings.csv")
    assert list(p.columns[:4]) == ["need_id", "helper_id", "cost", "load"]
    assert {"county_name", "province", "unit_name", "helper_city"} <= set(p.columns)
    assert set(p["cost"]) == {"120"} and set(p["load"]) == {"1"}
    cov = _csv(out / "coverage.csv")
    assert len(cov) == len(mini_ds.poor_counties)
    kpi = _csv(out / "kpi.csv")
    assert list(kpi["scope"]) == ["province", "province", "national"]


def test_chinese_labels(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    out = export_run(run_dir, "csv", tmp_path / "zh", dataset=mini_ds, labels="zh")
    zh = column_zh("coverage")
    cov = _csv(out / "coverage.csv")
    assert zh["station_team"] in cov.columns and "station_team" not in cov.columns
    assert set(cov[zh["station_team"]]) == {"齐全", "部分", "未配对"}
    assert set(cov[zh["region"]]) == {"西部"}
    kpi = _csv(out / "kpi.csv")
    assert set(kpi[column_zh("kpi")["school_science_museum"]]) == {"未建模"}
    assert kpi[column_zh("kpi")["people_proxy"]].str.contains("无贫困户数").all()
    assert set(kpi[column_zh("kpi")["scope"]]) == {"省", "全国"}
    unmet = _csv(out / "unmet.csv")
    assert set(unmet[column_zh("unmet")["reason"]]) == {"无候选帮扶方", "展品套不足"}
    assert unmet[column_zh("unmet")["fix"]].str.contains("帮扶方|展品套").all()
    pairs = _csv(out / "pairings.csv")
    assert set(pairs[column_zh("pairings")["relation"]]) == {"否"}  # booleans 是/否
    assert set(pairs["需求类型"]) <= {
        "农技专家服务站",
        "乡镇农技协联合会对接学会",
        "一村一品农技协",
        "实用技术培训",
    }
    manifest = _csv(out / "manifest.csv")
    assert list(manifest.columns) == ["项目", "值"] and "随机种子" in set(manifest["项目"])
    with pytest.raises(InputError, match="labels"):
        export_run(run_dir, "csv", tmp_path / "x", dataset=mini_ds, labels="fr")


_CJK = re.compile(r"[\u4e00-\u9fff]")
_CODES = {
    "complete",
    "partial",
    "none",
    "west",
    "east",
    "central",
    "True",
    "False",
    "station",
    "township_industry",
    "village_product",
    "training",
    "crop",
    "livestock",
    "health",
    "expert",
    "society",
    "no_candidate",
    "no_set_capacity",
    "pairing",
    "museum",
    "caravan",
    "township",
    "village",
    "province",
    "national",
    "not modelled",
}


def test_every_column_and_code_in_chinese(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    out = export_run(run_dir, "csv", tmp_path / "zh", dataset=mini_ds, labels="zh")
    for name in [*EXPORT_TABLES, "manifest"]:
        df = _csv(out / f"{name}.csv")
        english = [c for c in df.columns if not _CJK.search(c)]
        assert english == [], (name, english)
        for col in df.columns if name != "manifest" else ():  # manifest values are names
            left = set(df[col]) & _CODES
            assert not left, (name, col, left)


def test_every_coded_row_carries_its_unit_name(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    out = export_run(run_dir, "csv", tmp_path / "csv", dataset=mini_ds)
    mv = _csv(out / "museum_visits.csv")
    assert (mv["county_name"] != "").all() and "通渭县" in set(mv["county_name"])
    ct = _csv(out / "caravan_tours.csv")
    assert (ct["county_name"] != "").all() and (ct["township_name"] != "").all()
    villages = ct[ct["stop_code"].str.len() == 12]
    assert len(villages) and (villages["village_name"] != "").all()
    assert (ct["stop_name"] != "").all()
    for name in ("pairings", "unmet"):
        df = _csv(out / f"{name}.csv")
        coded = df[df["adcode"] != ""]
        assert (coded["county_name"] != "").all(), name
    assert (_csv(out / "pairings.csv")["unit_name"] != "").all()


def test_xlsx_numbers_are_numbers(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    from openpyxl import load_workbook

    for labels in ("en", "zh"):
        path = export_run(
            run_dir, "xlsx", tmp_path / f"{labels}.xlsx", dataset=mini_ds, labels=labels
        )
        wb = load_workbook(path)
        kpi = wb[SHEET_ZH["kpi"] if labels == "zh" else "kpi"]
        head = [c.value for c in kpi[1]]
        col = head.index("贫困县数" if labels == "zh" else "poor_counties")
        values = [r[col] for r in kpi.iter_rows(min_row=2, values_only=True)]
        assert all(isinstance(v, int) for v in values)
        assert values[-1] == sum(values[:-1])  # the national row sums the provinces
        pairs = wb[SHEET_ZH["pairings"] if labels == "zh" else "pairings"]
        head = [c.value for c in pairs[1]]
        cost = head.index("成本" if labels == "zh" else "cost")
        km = head.index("距离(公里)" if labels == "zh" else "distance_km")
        for r in pairs.iter_rows(min_row=2, values_only=True):
            assert isinstance(r[cost], int) and isinstance(r[km], float)


def test_gpkg_fields_are_typed(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    import pyogrio

    path = export_run(run_dir, "gpkg", tmp_path / "run.gpkg", dataset=mini_ds)
    info = pyogrio.read_info(path, layer="counties")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["village_share"] == "float64" and types["needs_total"] == "int64"
    assert types["museum_visits"] == "int64" and types["exit_year"] == "int64"
    lines = pyogrio.read_info(path, layer="pair_lines")
    types = dict(zip(lines["fields"], lines["dtypes"], strict=True))
    assert types["cost"] == "int64" and types["relation"] == "bool"


@pytest.mark.parametrize("name", ["640000", "64", "宁夏", "宁夏回族自治区"])
def test_province_by_code_or_chinese_name(
    tmp_path: Path, mini_ds: MiniDataset, run_dir: Path, name: str
):
    out = export_run(run_dir, "csv", tmp_path / "p", dataset=mini_ds, province=name)
    cov = _csv(out / "coverage.csv")
    assert set(cov["province_adcode"]) == {"640000"} and len(cov) == 2


def test_eastern_province_gets_its_helpers_work(
    tmp_path: Path, mini_ds: MiniDataset, run_dir: Path
):
    out = export_run(run_dir, "csv", tmp_path / "tj", dataset=mini_ds, province="天津")
    pairs = _csv(out / "pairings.csv")
    assert len(pairs) and set(pairs["helper_province"]) == {"天津市"}
    cov = _csv(out / "coverage.csv")
    assert set(cov["adcode"]) == set(pairs["adcode"])
    assert _csv(out / "museum_visits.csv").empty


def test_xlsx_round_trip(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    from openpyxl import load_workbook

    path = export_run(run_dir, "xlsx", tmp_path / "run.xlsx", dataset=mini_ds)
    wb = load_workbook(path)
    assert wb.sheetnames == [*EXPORT_TABLES, "manifest"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width >= 8
    # Formulas are never stored as formulas.
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2, values_only=True):
            for v in row:
                assert not (isinstance(v, str) and v.startswith(("=", "+", "-", "@"))), v
    back = pd.read_excel(path, sheet_name=None, dtype=str)
    run = read_run(run_dir)
    assert len(back["pairings"]) == len(run.pairings)
    assert set(back["pairings"]["need_id"]) == set(run.pairings["need_id"])
    assert len(back["coverage"]) == len(mini_ds.poor_counties)
    assert "'" + HOSTILE_NAME in set(back["pairings"]["helper_name"])
    flat = back["pairings"].to_string()
    assert ID_NUMBER not in flat and PHONE not in flat
    wide = wb["pairings"].column_dimensions
    assert max(d.width for d in wide.values() if d.width) <= 60
    zh = export_run(run_dir, "xlsx", tmp_path / "zh.xlsx", dataset=mini_ds, labels="zh")
    assert load_workbook(zh).sheetnames == [*(SHEET_ZH[t] for t in EXPORT_TABLES), "运行清单"]


def test_gpkg_round_trip(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    import pyogrio

    path = export_run(run_dir, "gpkg", tmp_path / "run.gpkg", dataset=mini_ds)
    layers = dict(pyogrio.list_layers(path))
    assert layers == {
        "counties": "MultiPolygon",
        "pair_lines": "LineString",
        "museum_visits": "Point",
        "caravan_stops": "Point",
        "manifest": None,
    }
    counties = pyogrio.read_dataframe(path, layer="counties")
    assert counties.crs.to_epsg() == 4326
    assert sorted(counties["adcode"]) == sorted(mini_ds.poor_counties["adcode"])
    assert counties.is_valid.all()
    assert set(counties["station_team"]) == {"complete", "partial", "none"}
    run = read_run(run_dir)
    lines = pyogrio.read_dataframe(path, layer="pair_lines")
    assert len(lines) == len(run.pairings)
    assert ID_NUMBER not in lines.to_string()
    # Each line starts at the helper and ends at the need.
    h = mini_ds.helpers.set_index("helper_id")
    first = lines.iloc[0]
    assert first.geometry.coords[0] == pytest.approx(
        (h.at[first.helper_id, "lon"], h.at[first.helper_id, "lat"])
    )
    mv = pyogrio.read_dataframe(path, layer="museum_visits")
    assert len(mv) == len(run.museum_visits)
    seats = mini_ds.poor_counties.set_index("adcode")
    for r in mv.itertuples():
        assert r.geometry.x == pytest.approx(seats.at[r.adcode, "seat_lon"])
    stops = pyogrio.read_dataframe(path, layer="caravan_stops")
    assert len(stops) == len(run.caravan_tours) and stops.geometry.notna().all()
    manifest = pyogrio.read_dataframe(path, layer="manifest", read_geometry=False)
    assert dict(zip(manifest["field"], manifest["value"], strict=True))["seed"] == "20161207"


def test_filters(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    out = export_run(run_dir, "csv", tmp_path / "p", dataset=mini_ds, province="64")
    for name in ("pairings", "museum_visits", "caravan_tours", "coverage"):
        df = _csv(out / f"{name}.csv")
        assert len(df) and (df["province_adcode"] == "640000").all(), name
    assert list(_csv(out / "kpi.csv")["province_adcode"]) == ["640000"]
    out = export_run(run_dir, "csv", tmp_path / "c", dataset=mini_ds, county="621121")
    for name in ("pairings", "museum_visits", "caravan_tours", "coverage"):
        df = _csv(out / f"{name}.csv")
        assert len(df) and (df["adcode"] == "621121").all(), name
    unmet = _csv(
        export_run(run_dir, "csv", tmp_path / "u", dataset=mini_ds, county="621126") / "unmet.csv"
    )
    assert "no_set_capacity" in set(unmet["reason"])  # the visit carries its adcode


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"province": "990000"}, "province"),
        ({"province": "江"}, "province"),
        ({"county": "110101"}, "poor county"),
        ({"province": "640000", "county": "621121"}, "not in province"),
    ],
)
def test_bad_filters(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path, kw, match):
    with pytest.raises(InputError, match=match):
        export_run(run_dir, "csv", tmp_path / "x", dataset=mini_ds, **kw)
    assert not (tmp_path / "x").exists()


def test_bad_format_and_run(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    with pytest.raises(InputError, match="format"):
        export_run(run_dir, "pdf", tmp_path / "x", dataset=mini_ds)
    with pytest.raises(InputError, match="run folder"):
        export_run(tmp_path / "missing", "csv", tmp_path / "x", dataset=mini_ds)
    assert not (tmp_path / "x").exists()


def _unfold(raw: bytes) -> list[str]:
    text = raw.decode("utf-8")
    assert "\n" not in text.replace("\r\n", "")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_ics_per_province(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    out = export_run(run_dir, "ics", tmp_path / "ics", dataset=mini_ds)
    assert sorted(p.name for p in out.iterdir()) == [
        "620000_caravan.ics",
        "620000_museum.ics",
        "640000_caravan.ics",
        "640000_museum.ics",
    ]
    raw = (out / "620000_museum.ics").read_bytes()
    assert raw.endswith(b"END:VCALENDAR\r\n")
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75
    lines = _unfold(raw)
    assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines
    run = read_run(run_dir)
    gansu = run.museum_visits[run.museum_visits["adcode"].str.startswith("62")]
    assert lines.count("BEGIN:VEVENT") == len(gansu)
    uids = [x for x in lines if x.startswith("UID:")]
    assert len(set(uids)) == len(uids)
    first = gansu.sort_values(["start_date", "adcode"]).iloc[0]
    assert f"DTSTART;VALUE=DATE:{first['start_date'].replace('-', '')}" in lines
    end = (pd.Timestamp(first["end_date"]) + pd.Timedelta(days=1)).strftime("%Y%m%d")
    assert f"DTEND;VALUE=DATE:{end}" in lines  # exclusive end
    assert any(x.startswith("SUMMARY:流动科技馆巡展 ") for x in lines)
    desc = next(x for x in lines if x.startswith("X-WR-CALDESC:"))
    assert "seed=20161207" in desc and "version:geomatch=" in desc
    stamps = {x for x in lines if x.startswith("DTSTAMP:")}
    assert len(stamps) == 1  # the run's creation time: same run, same bytes
    caravan = _unfold((out / "620000_caravan.ics").read_bytes())
    days = run.caravan_tours[run.caravan_tours["stop_code"].str.startswith("62")]
    assert caravan.count("BEGIN:VEVENT") == days.groupby(["caravan_id", "date"]).ngroups


def test_ics_single_file_for_one_province(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    path = export_run(run_dir, "ics", tmp_path / "gs.ics", dataset=mini_ds, province="620000")
    lines = _unfold(path.read_bytes())
    cats = [x for x in lines if x.startswith("CATEGORIES:")]
    assert set(cats) == {"CATEGORIES:museum", "CATEGORIES:caravan"}
    assert all("宁夏" not in x for x in lines if x.startswith("LOCATION:"))
    again = export_run(run_dir, "ics", tmp_path / "gs2.ics", dataset=mini_ds, province="62")
    assert again.read_bytes() == path.read_bytes()


def test_export_uses_run_tables_when_present(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    # A coverage.csv in the run wins over a recomputation (it is the run's record).
    cov = pd.DataFrame(
        {
            "adcode": ["621121"],
            "name": ["通渭县"],
            "province": ["甘肃省"],
            "station_team": ["partial"],
            "museum_visits": [9],
            "caravan_visits": [0],
            "experts": [0],
            "unmet_needs": [0],
        }
    )
    cov.to_csv(run_dir / "coverage.csv", index=False)
    out = export_run(run_dir, "csv", tmp_path / "csv", dataset=mini_ds)
    back = _csv(out / "coverage.csv")
    assert back["museum_visits"].tolist() == ["9"]
    assert json.loads((run_dir / "manifest.json").read_text("utf-8"))["seed"] == 20161207


def test_pairing_only_run(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    """A `geomatch pair` folder: tables export, maps draw, calendars are refused."""
    from geomatch.render.maps import write_maps

    (run_dir / "museum_visits.csv").unlink()
    (run_dir / "caravan_tours.csv").unlink()
    out = export_run(run_dir, "xlsx", tmp_path / "p.xlsx", dataset=mini_ds)
    back = pd.read_excel(out, sheet_name=None, dtype=str)
    assert back["museum_visits"].empty and len(back["pairings"])
    kpi = back["kpi"]
    assert kpi["caravan_met"].isna().all() and kpi["station_met"].notna().all()
    write_maps(run_dir, tmp_path / "maps", mini_ds)
    assert (tmp_path / "maps" / "province" / "620000.html").is_file()
    with pytest.raises(InputError, match="no schedules"):
        export_run(run_dir, "ics", tmp_path / "cal", dataset=mini_ds)
    assert not (tmp_path / "cal").exists()


def test_report(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    from geomatch.render.maps import write_maps
    from geomatch.render.report import write_report

    write_maps(run_dir, tmp_path / "maps", mini_ds)
    path = write_report(run_dir, tmp_path / "maps", dataset=mini_ds, out=tmp_path / "r.html")
    text = path.read_text("utf-8")
    assert "data:image/png;base64," in text
    assert "两数" in text and "not modelled" in text and "甘肃省" in text and "全国" in text
    assert "run manifest" in text and "20161207" in text
    assert "http://" not in text and "https://" not in text
    # The one written beside the maps says the same.
    assert "两数" in (tmp_path / "maps" / "report.html").read_text("utf-8")


def test_bring_your_own_run_uses_its_files(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    """A `geomatch pair --helpers --needs` run: its manifest names the files, and maps and
    exports read the needs and helpers from them, not from the dataset."""
    import dataclasses

    from geomatch.manifest import build_manifest
    from geomatch.render.maps import write_maps

    needs = mini_ds.needs.drop(columns=["location_quality", "source"])
    helpers = mini_ds.helpers[["helper_id", "capacity", "name", "kind", "lon", "lat", "city"]]
    needs.to_csv(tmp_path / "needs.csv", index=False)
    helpers.to_csv(tmp_path / "helpers.csv", index=False)
    manifest = build_manifest(
        command="geomatch pair",
        inputs={"helpers": tmp_path / "helpers.csv", "needs": tmp_path / "needs.csv"},
        seed=7,
    )
    (run_dir / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    empty = dataclasses.replace(
        mini_ds, needs=mini_ds.needs.iloc[0:0], helpers=mini_ds.helpers.iloc[0:0]
    )
    out = export_run(run_dir, "csv", tmp_path / "csv", dataset=empty)
    cov = _csv(out / "coverage.csv").set_index("adcode")
    assert cov.at["621121", "station_team"] == "complete"
    assert (_csv(out / "pairings.csv")["helper_city"] != "").all()
    write_maps(run_dir, tmp_path / "maps", empty)
    assert '"st":"complete"' in (tmp_path / "maps" / "national.html").read_text("utf-8")
