"""The maps of a multi-year plan: one page with a year selector around each year's maps.

A two-year plan of the mini scenario (2018–2019, one-year agreements, so that 雷山县,
which exits in 2018, loses its pairs in 2019 and the year has kept, new and ended needs)
drawn by ``geomatch plan --maps``. The counts on the page are checked against
``transitions.csv`` recounted here with pandas, the province of each row taken by a merge
with the year's (for ``ended``: the previous year's) ``pairings.csv``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from geomatch.cli.main import main
from geomatch.errors import InputError
from geomatch.records.plan import write_plan_maps
from geomatch.render.years import CHANGE_LABELS, transition_counts
from tests.records.conftest import mini_scenario

YEARS = (2018, 2019)
CHANGES = ("kept", "new", "moved", "ended")
_ANY_URL = re.compile(r"https?://", re.I)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("plan_maps")
    out, maps = tmp / "plan", tmp / "maps"
    argv = ["plan", "--scenario", str(mini_scenario(tmp)), "--years", "2018-2019"]
    argv += ["--agreement-years", "1", "--out", str(out), "--maps", str(maps)]
    assert main(argv) == 0
    return out, maps


def _expected(out: Path) -> pd.DataFrame:
    """Counts per year, scope ('' national, else province adcode) and change, by pandas."""
    moves = pd.read_csv(out / "transitions.csv", encoding="utf-8-sig", dtype=str)
    moves["year"] = moves["year"].astype(int)
    pairs = pd.concat(
        [
            pd.read_csv(out / str(y) / "pairings.csv", encoding="utf-8-sig", dtype=str).assign(
                year=y
            )[["year", "need_id", "adcode"]]
            for y in YEARS
        ]
    )
    moves["at"] = moves["year"] - (moves["change"] == "ended").astype(int)
    located = moves.merge(
        pairs.rename(columns={"year": "at"}), on=["at", "need_id"], how="left", validate="m:1"
    )
    assert located["adcode"].notna().all()
    located["scope"] = located["adcode"].str[:2] + "0000"
    national = moves.groupby(["year", "change"]).size().rename("n").reset_index()
    national["scope"] = ""
    by_province = located.groupby(["year", "scope", "change"]).size().rename("n").reset_index()
    return pd.concat([national, by_province], ignore_index=True)


def _page_data(index: Path) -> dict[str, Any]:
    match = re.search(r"var GM_PLAN = (\{.*?\});</script>", index.read_text("utf-8"))
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_selector_lists_every_year_and_each_years_pages_exist(plan: tuple[Path, Path]) -> None:
    _, maps = plan
    text = (maps / "index.html").read_text("utf-8")
    select = re.search(r'<select id="gm-year"[^>]*>(.*?)</select>', text, re.S)
    assert select is not None
    assert re.findall(r'<option value="(\d{4})"', select.group(1)) == ["2018", "2019"]
    assert "年度" in text and all(label in text for label in ("保持", "新增", "调整", "结束"))
    data = _page_data(maps / "index.html")
    for year in YEARS:
        assert (maps / str(year) / "national.html").is_file()
        assert (maps / str(year) / "index.html").is_file()
        pages = sorted(p.stem for p in (maps / str(year) / "province").glob("*.html"))
        assert pages == data["pages"][str(year)] == ["520000"]
        manifest = (maps / str(year) / "national.html").read_text("utf-8")
        assert f"geomatch plan {year}" in manifest  # each year drawn from its own run folder
    assert data["provinces"] == {"520000": "贵州省"}


def test_counts_shown_equal_transitions_csv(plan: tuple[Path, Path]) -> None:
    out, maps = plan
    expected = _expected(out)
    assert set(expected.loc[expected["year"] == 2019, "change"]) >= {"kept", "new", "ended"}
    text = (maps / "index.html").read_text("utf-8")
    data = _page_data(maps / "index.html")
    for year in YEARS:
        row = re.search(rf'<tr data-year="{year}">(.*?)</tr>', text, re.S)
        assert row is not None
        static = {k: int(v) for k, v in re.findall(r'data-change="(\w+)"[^>]*>(\d+)<', row[1])}
        for scope in ("", "520000"):
            want = expected[(expected["year"] == year) & (expected["scope"] == scope)]
            want_counts = dict(zip(want["change"], want["n"], strict=True))
            shown = data["counts"][str(year)][scope]
            assert shown == {c: int(want_counts.get(c, 0)) for c in CHANGES}, (year, scope)
        national = expected[(expected["year"] == year) & (expected["scope"] == "")]
        n = dict(zip(national["change"], national["n"], strict=True))
        assert static == {
            "paired": int(n.get("kept", 0) + n.get("new", 0) + n.get("moved", 0)),
            **{c: int(n.get(c, 0)) for c in CHANGES},
        }
        paired = len(pd.read_csv(out / str(year) / "pairings.csv", encoding="utf-8-sig"))
        assert static["paired"] == paired


def test_selector_page_is_offline(plan: tuple[Path, Path]) -> None:
    _, maps = plan
    text = (maps / "index.html").read_text("utf-8")
    assert not _ANY_URL.search(text)
    links = re.findall(r"""(?:src|href)="([^"]+)\"""", text)
    assert len(links) >= 8
    for link in links:
        assert (maps / link).is_file(), link
    for page in maps.glob("*/**/*.html"):
        assert not _ANY_URL.search(page.read_text("utf-8")), page


def test_transition_counts_by_brute_force() -> None:
    moves = pd.DataFrame(
        {
            "year": [2016, 2016, 2017, 2017, 2017, 2017, 2017, 2018],
            "need_id": ["a", "b", "a", "b", "c", "d", "e", "a"],
            "helper_id": ["h", "h", "h", "g", "h", "h", "", "h"],
            "change": ["new", "new", "kept", "moved", "new", "ended", "new", "ended"],
        }
    )
    scopes = pd.Series(["52", "62", "52", "62", "", "52", "62", "52"]).map(
        lambda s: f"{s}0000" if s else ""
    )
    table = transition_counts(moves, scopes)
    seen = Counter()
    for y, c, s in zip(moves["year"], moves["change"], scopes, strict=True):
        seen[(y, "", c)] += 1
        if s:
            seen[(y, s, c)] += 1
    for r in table.itertuples(index=False):
        for c in CHANGE_LABELS:
            assert getattr(r, c) == seen[(r.year, r.scope, c)], (r, c)
    keys = {(y, s) for y, s, _ in seen}
    assert set(zip(table["year"], table["scope"], strict=True)) == keys


def test_bad_plan_folder_draws_nothing(plan: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="transitions"):
        write_plan_maps(tmp_path, tmp_path / "m1")
    out, _ = plan
    bad = tmp_path / "plan"
    bad.mkdir()
    moves = (out / "transitions.csv").read_text("utf-8-sig")
    (bad / "transitions.csv").write_text(moves.replace(",kept", ",stayed", 1), "utf-8")
    with pytest.raises(InputError, match="change") as err:
        write_plan_maps(bad, tmp_path / "m2")
    assert err.value.row is not None
    (bad / "transitions.csv").write_text(moves, "utf-8")
    (bad / "2018").symlink_to(out / "2018", target_is_directory=True)
    with pytest.raises(InputError, match="2019"):
        write_plan_maps(bad, tmp_path / "m3")
    assert not any(tmp_path.glob("m*"))


CHROMIUM = Path("/usr/bin/chromium")


def _frame_at(page: Any, suffix: str) -> Any:
    """The map frame once it shows the page ending in ``suffix`` and its map is drawn."""
    for _ in range(150):
        frame = page.frames[1]
        if frame.url.endswith(suffix):
            frame.wait_for_selector(".leaflet-control-layers", timeout=15000)
            return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"the map frame shows {page.frames[1].url}, not …{suffix}")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (`make system`)")
def test_switching_the_year_changes_map_and_counts(plan: tuple[Path, Path]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package")
    out, maps = plan
    expected = _expected(out)
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(("file://", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    def cell(page: Any, scope: str, change: str) -> int:
        sel = f'#gm-counts [data-scope="{scope}"] [data-change="{change}"]'
        return int(page.locator(sel).inner_text())

    def want(year: int, scope: str, change: str) -> int:
        hit = expected[
            (expected["year"] == year)
            & (expected["scope"] == scope)
            & (expected["change"] == change)
        ]
        return int(hit["n"].sum())

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((maps / "index.html").as_uri())
        frame = _frame_at(page, "/2018/national.html")
        assert "geomatch plan 2018" in frame.content()
        assert cell(page, "national", "new") == want(2018, "", "new") > 0
        assert cell(page, "national", "ended") == 0
        page.select_option("#gm-year", "2019")
        frame = _frame_at(page, "/2019/national.html")
        assert "geomatch plan 2019" in frame.content()
        for change in CHANGES:
            assert cell(page, "national", change) == want(2019, "", change), change
        assert page.locator("#gm-year-title").inner_text() == "2019"
        page.select_option("#gm-scope", "520000")
        frame = _frame_at(page, "/2019/province/520000.html")
        assert "贵州省" in frame.locator(".gm-title").inner_text()
        assert page.locator('#gm-counts [data-scope="province"] th').inner_text() == "贵州省"
        assert cell(page, "province", "kept") == want(2019, "520000", "kept") > 0
        assert page.evaluate("location.hash") == "#2019/520000"
        browser.close()
    assert blocked == [] and errors == []
