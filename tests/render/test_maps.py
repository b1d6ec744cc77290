"""Offline coverage maps: files, no network resources, escaping, manifest, size limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geomatch.errors import GeomatchError, InputError
from geomatch.render import maps as maps_mod
from geomatch.render.maps import MapSettings, write_maps
from geomatch.run_result import read_run
from tests.render.fixtures import MiniDataset, synthetic_run

# A resource the browser would fetch: src/href attributes, CSS url(), @import.
_REMOTE = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I
)
_ANY_URL = re.compile(r"https?://", re.I)


@pytest.fixture(scope="module")
def maps_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.render.fixtures import load_mini_dataset, make_run

    base = tmp_path_factory.mktemp("maps")
    ds = load_mini_dataset()
    write_maps(make_run(base / "run", ds), base / "maps", ds)
    return base / "maps"


def _pages(maps_dir: Path) -> list[Path]:
    return [maps_dir / "national.html", *sorted((maps_dir / "province").glob("*.html"))]


def test_files_written(maps_dir: Path):
    assert (maps_dir / "national.html").is_file()
    assert (maps_dir / "national.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (maps_dir / "report.html").is_file()
    assert sorted(p.name for p in (maps_dir / "province").iterdir()) == [
        "620000.html",
        "640000.html",
    ]
    for name in ("leaflet.js", "leaflet.css", "geomatch-map.js", "geomatch-map.css"):
        assert (maps_dir / "assets" / name).stat().st_size > 0
    assert "BSD 2-Clause" in (maps_dir / "assets" / "LICENSE-leaflet.txt").read_text("utf-8")
    assert (maps_dir / "assets" / "images" / "layers.png").is_file()


def test_pages_load_nothing_from_the_network(maps_dir: Path):
    for page in _pages(maps_dir):
        text = page.read_text("utf-8")
        assert not _ANY_URL.search(text), (page, _ANY_URL.search(text))
        for lib in ("jquery", "bootstrap", "awesome-markers", "fontawesome", "font-awesome"):
            assert lib not in text.lower(), (page, lib)
        prefix = "../assets/" if page.parent.name == "province" else "assets/"
        links = re.findall(r"""(?:src|href)="([^"]+)\"""", text)
        assert {f"{prefix}leaflet.js", f"{prefix}leaflet.css"} <= set(links)
        for link in links:  # every linked asset exists next to the page
            assert (page.parent / link).resolve().is_file(), link
    css = (maps_dir / "assets" / "leaflet.css").read_text("utf-8")
    assert not _REMOTE.search(css)
    js = (maps_dir / "assets" / "geomatch-map.js").read_text("utf-8")
    assert not _ANY_URL.search(js)


def test_tiles_only_when_asked(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    write_maps(run_dir, tmp_path / "m", mini_ds, tiles=url)
    text = (tmp_path / "m" / "national.html").read_text("utf-8")
    assert url in text
    assert set(_ANY_URL.findall(text)) == {"https://"}  # only the tile layer's template


def test_names_are_data_not_markup(maps_dir: Path):
    text = (maps_dir / "province" / "620000.html").read_text("utf-8")
    # The hostile township and helper names are embedded as escaped JSON strings.
    assert "<script>alert" not in text
    assert "<img src=x" not in text
    assert "\\u003cscript\\u003ealert" in text
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in text
    # Personal numbers never reach a page.
    assert "620102199001011234" not in text
    assert "13812345678" not in text


def test_chinese_labels_and_manifest_on_every_page(maps_dir: Path):
    run = read_run(maps_dir.parent / "run")
    for page in _pages(maps_dir):
        text = page.read_text("utf-8")
        assert "专家服务站团队" in text and "图例" in text
        assert "运行清单 run manifest" in text
        assert str(run.manifest["seed"]) in text
        assert run.manifest["created"] in text
        assert run.manifest["versions"]["geomatch"] in text
    assert "通渭县" in (maps_dir / "national.html").read_text("utf-8")


def test_bad_run_folder(tmp_path: Path, mini_ds: MiniDataset):
    with pytest.raises(InputError, match="run folder not found"):
        write_maps(tmp_path / "nope", tmp_path / "maps", mini_ds)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"manifest\.json"):
        write_maps(tmp_path / "empty", tmp_path / "maps", mini_ds)
    assert not (tmp_path / "maps").exists()


def test_size_limit_simplifies_further_then_refuses(
    tmp_path: Path, mini_ds: MiniDataset, run_dir: Path
):
    s = MapSettings()
    ctx = maps_mod._context(read_run(run_dir), mini_ds)
    base = len(maps_mod._national_html(ctx, s.national_tolerance, s, None).encode("utf-8"))
    # A limit a little under the default page forces coarser polygons, and still fits.
    write_maps(
        run_dir,
        tmp_path / "m2",
        mini_ds,
        settings=MapSettings(national_tolerance=0.0005, national_limit_bytes=base),
    )
    assert (tmp_path / "m2" / "national.html").stat().st_size <= base
    with pytest.raises(GeomatchError, match="size limit"):
        write_maps(
            run_dir, tmp_path / "m3", mini_ds, settings=MapSettings(national_limit_bytes=1000)
        )
    assert not (tmp_path / "m3").exists()


def test_shared_mini_dataset(fixture_ds: object, tmp_path: Path):
    run = synthetic_run(fixture_ds, tmp_path / "run")
    paths = write_maps(run, tmp_path / "maps", fixture_ds)
    names = {p.relative_to(tmp_path / "maps").as_posix() for p in paths}
    provinces = set(fixture_ds.poor_counties["province_adcode"])  # type: ignore[attr-defined]
    assert {f"province/{p}.html" for p in provinces} <= names


def _embedded() -> object:
    from geomatch.dataset import load_dataset
    from geomatch.settings import data_dir

    if not (data_dir() / "poor_counties.parquet").is_file():
        pytest.skip("the embedded dataset (data/) is absent")
    return load_dataset()


def test_size_limits_on_the_embedded_default(tmp_path: Path):
    ds = _embedded()
    run = read_run(synthetic_run(ds, tmp_path / "run"))
    s = MapSettings()
    ctx = maps_mod._context(run, ds)
    national = maps_mod._national_html(ctx, s.national_tolerance, s, None)
    assert len(national.encode("utf-8")) <= 5_000_000
    # The province with the most villages is the heaviest page.
    villages = ds.villages["county_adcode"].str[:2].value_counts()  # type: ignore[attr-defined]
    pa = f"{villages.index[0]}0000"
    page = maps_mod._province_html(ctx, pa, s.province_tolerance, s, None)
    assert len(page.encode("utf-8")) <= 3_000_000
    assert page.count('"n":') >= 1


def test_run_written_by_the_pipeline(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    """coverage.csv / kpi.csv written by the pipeline (Excel CSV, text on reading back) and
    unmet rows with the need's own kind and category are read and drawn as the run says."""
    import pandas as pd

    from geomatch.io.output import write_csv
    from geomatch.render.coverage import coverage_of_run
    from geomatch.render.exports import export_run
    from geomatch.render.kpi import build_kpi

    run = read_run(run_dir)
    cov = coverage_of_run(run, mini_ds)
    cov.loc[cov["adcode"] == "621126", "museum_visits"] = 7  # the run's own record wins
    write_csv(cov, run_dir / "coverage.csv")
    write_csv(build_kpi(mini_ds, cov, run.pairings, mini_ds.needs), run_dir / "kpi.csv")
    unmet = pd.read_csv(run_dir / "unmet.csv", dtype=str, keep_default_na=False)
    unmet["kind"] = "station"
    unmet["category"] = "crop"
    unmet.to_csv(run_dir / "unmet.csv", index=False)
    write_maps(run_dir, tmp_path / "maps", mini_ds)
    text = (tmp_path / "maps" / "national.html").read_text("utf-8")
    assert '"a":"621126"' in text and '"mv":7' in text
    out = export_run(run_dir, "csv", tmp_path / "csv", dataset=mini_ds)
    back = pd.read_csv(out / "unmet.csv", encoding="utf-8-sig", dtype=str)
    assert {"kind", "category", "county_name"} <= set(back.columns)
    assert not any(c.endswith(("_x", "_y")) for c in back.columns)


@pytest.mark.slow
def test_every_page_within_limits_on_the_embedded_default(tmp_path: Path):
    ds = _embedded()
    run = synthetic_run(ds, tmp_path / "run")
    paths = write_maps(run, tmp_path / "maps", ds)
    pages = [p for p in paths if p.suffix == ".html" and p.parent.name == "province"]
    assert len(pages) == ds.poor_counties["province_adcode"].nunique()  # type: ignore[attr-defined]
    assert (tmp_path / "maps" / "national.html").stat().st_size <= 5_000_000
    assert max(p.stat().st_size for p in pages) <= 3_000_000


def test_helpers_without_city_or_location(tmp_path: Path, mini_ds: MiniDataset, run_dir: Path):
    """Bring-your-own helpers with only ids and capacities still give maps."""
    import dataclasses

    bare = mini_ds.helpers[["helper_id", "name", "kind", "capacity"]]
    ds = dataclasses.replace(mini_ds, helpers=bare)
    write_maps(run_dir, tmp_path / "maps", ds)
    text = (tmp_path / "maps" / "province" / "620000.html").read_text("utf-8")
    assert "通渭县" in text
    from geomatch.render.exports import export_run

    for fmt, out in (("csv", "csv"), ("xlsx", "x.xlsx"), ("gpkg", "g.gpkg"), ("ics", "ics")):
        assert export_run(run_dir, fmt, tmp_path / out, dataset=ds).exists()


def test_folium_is_imported_only_when_a_map_is_drawn():
    import subprocess
    import sys

    code = (
        "import sys, geomatch.cli.app, geomatch.render.maps, geomatch.render.exports, "
        "geomatch.render.report, geomatch.render.kpi; "
        "print('folium' in sys.modules, 'matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
