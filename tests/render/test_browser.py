"""The maps in headless Chromium, opened from file:// with the network blocked.

Needs Debian's ``chromium`` (``make system`` / ``scripts/setup-system.sh`` installs it) and
the Playwright package (dev extra); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geomatch.render.maps import write_maps
from tests.render.fixtures import load_mini_dataset, make_run

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless browser tests need /usr/bin/chromium (run `make system` as root)",
    ),
]


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    ds = load_mini_dataset()
    run = make_run(base / "run", ds)
    write_maps(run, base / "maps", ds)
    return base / "maps"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class PageLog:
    """What a page asked of the network and what went wrong."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []


def _open(browser: Any, page_path: Path) -> tuple[Any, PageLog]:
    log = PageLog()
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    page = ctx.new_page()

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            log.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda req: log.failed.append(req.url))
    page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.errors.append(str(e)))
    page.on("dialog", lambda d: (log.dialogs.append(d.message), d.dismiss()))
    page.goto(page_path.as_uri())
    page.wait_for_selector(".leaflet-control-layers", timeout=15000)
    page.wait_for_timeout(300)
    return page, log


def _not_blank(png: bytes) -> None:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)
    assert img.std() > 20, "screenshot is (nearly) uniform"
    background = np.array([0xEE, 0xF2, 0xF3], dtype=float)
    drawn = (np.abs(img - background).sum(axis=2) > 30).mean()
    assert drawn > 0.08, f"only {drawn:.1%} of the screenshot differs from the background"
    # The complete county is drawn: its station-team green at 75 % over the background
    # (a colour that only the map's polygons have, not the opaque legend swatches).
    fill = 0.75 * np.array([0x1A, 0x98, 0x50]) + 0.25 * background
    green = int((np.abs(img - fill).sum(axis=2) < 24).sum())
    assert green > 150, f"{green} pixels of a complete county"


def _seat_point(page: Any, lat: float, lon: float) -> tuple[float, float]:
    """Centre the map on a point (clear of the controls) and return its page position."""
    return tuple(
        page.evaluate(
            "([lat, lon]) => { const id = document.querySelector('.folium-map').id;"
            " window[id].setView([lat, lon], window[id].getZoom(), {animate: false});"
            " const p = window[id].latLngToContainerPoint([lat, lon]);"
            " const r = document.getElementById(id).getBoundingClientRect();"
            " return [p.x + r.left, p.y + r.top]; }",
            [lat, lon],
        )
    )


def _hover_county(page: Any, adcode: str) -> tuple[float, float]:
    """Switch the overlays off and move the mouse onto the county's seat."""
    boxes = page.locator(".leaflet-control-layers-overlays input")
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    seat = load_mini_dataset().poor_counties.set_index("adcode").loc[adcode]
    x, y = _seat_point(page, float(seat["seat_lat"]), float(seat["seat_lon"]))
    page.mouse.move(x, y)
    return x, y


@pytest.mark.parametrize("name", ["national.html", "province/620000.html"])
def test_page_opens_offline_without_errors(browser: Any, maps: Path, name: str):
    page, log = _open(browser, maps / name)
    try:
        # The layer control lists the three coverage views and the overlays.
        radios = page.locator(".leaflet-control-layers-base input").count()
        overlays = page.locator(".leaflet-control-layers-overlays input").count()
        assert radios == 3 and overlays >= 4
        _not_blank(page.screenshot())
        # Hide the overlays (points and routes at the seat), then hover the complete
        # county: its Chinese tooltip shows with its numbers.
        _hover_county(page, "621121")
        tip = page.locator(".gm-tip").first
        tip.wait_for(timeout=5000)
        text = tip.inner_text()
        assert "通渭县" in text and "专家服务站团队" in text and "齐全" in text
        # Switch to the museum-visit view: still no error.
        page.locator(".leaflet-control-layers-base input").nth(1).check()
        page.wait_for_timeout(200)
        # The manifest box opens.
        page.locator(".gm-manifest summary").click()
        assert "version:geomatch" in page.locator(".gm-manifest").inner_text()
    finally:
        page.context.close()
    assert log.blocked == [], log.blocked
    assert log.failed == [], log.failed
    assert log.errors == [], log.errors
    assert log.dialogs == [], "a name was run as script"


def test_hostile_names_render_as_text(browser: Any, maps: Path):
    page, log = _open(browser, maps / "province" / "620000.html")
    try:
        labels = page.locator(".leaflet-control-layers-overlays label")
        for i in range(labels.count()):
            box = labels.nth(i).locator("input")
            if "townships" in labels.nth(i).inner_text():
                box.check()
            else:
                box.uncheck()
        ds = load_mini_dataset()
        twp = ds.townships.iloc[0]  # named <script>alert('x')</script>镇
        x, y = _seat_point(page, float(twp["lat"]), float(twp["lon"]))
        page.mouse.move(x, y)
        tip = page.locator(".gm-tip").first
        tip.wait_for(timeout=5000)
        assert "<script>alert('x')</script>镇" in tip.inner_text()
        assert page.evaluate("document.querySelectorAll('.leaflet-tooltip script').length") == 0
    finally:
        page.context.close()
    assert log.dialogs == [] and log.errors == []


def _offline_page(browser: Any) -> tuple[Any, list[str]]:
    """A page whose requests beyond file:// and data: are blocked (and listed)."""
    page = browser.new_page()
    blocked: list[str] = []
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(("file://", "data:"))
            else (blocked.append(r.request.url), r.abort())
        ),
    )
    return page, blocked


def test_report_opens_offline(browser: Any, maps: Path):
    page, blocked = _offline_page(browser)
    page.goto((maps / "report.html").as_uri())
    assert page.locator("img").evaluate("i => i.naturalWidth") > 100
    assert "两数" in page.content()
    page.close()
    assert blocked == []


def _search(page: Any, query: str) -> str:
    page.fill(".gm-search-input", query)
    page.wait_for_timeout(150)
    hits = page.locator(".gm-search-hits").inner_text()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content").first.wait_for(timeout=5000)
    return str(hits)


@pytest.mark.parametrize(
    ("page_name", "query", "expect"),
    [
        ("national.html", "tongwei", "通渭县"),  # pinyin
        ("national.html", "twx", "通渭县"),  # initials
        ("national.html", "621123", "渭源县"),  # code
        ("province/640000.html", "西吉", "西吉县"),  # Chinese name
        ("province/620000.html", "东城区", "东城区居民委员会"),  # a village
        ("province/620000.html", "马营", "马营镇"),  # a township
    ],
)
def test_search_zooms_to_and_opens_the_unit(
    browser: Any, maps: Path, page_name: str, query: str, expect: str
):
    page, log = _open(browser, maps / page_name)
    try:
        zoom = page.evaluate("window[document.querySelector('.folium-map').id].getZoom()")
        hits = _search(page, query)
        assert expect in hits
        popup = page.locator(".leaflet-popup-content").first.inner_text()
        assert expect in popup
        after = page.evaluate("window[document.querySelector('.folium-map').id].getZoom()")
        assert after >= zoom
    finally:
        page.context.close()
    assert log.blocked == [] and log.errors == [] and log.dialogs == []


def test_tooltip_capped_popup_full(browser: Any, maps: Path):
    page, log = _open(browser, maps / "province" / "620000.html")
    try:
        x, y = _hover_county(page, "621121")
        tip = page.locator(".leaflet-tooltip .gm-tip").first
        tip.wait_for(timeout=5000)
        assert tip.locator("li").count() == 6  # five names + "另有 1 名"
        assert "另有 1 名" in tip.inner_text()
        page.mouse.click(x, y)
        popup = page.locator(".leaflet-popup-content .gm-tip").first
        popup.wait_for(timeout=5000)
        assert popup.locator("li").count() == 6 and "另有" not in popup.inner_text()
    finally:
        page.context.close()
    assert log.errors == [] and log.dialogs == []


def test_labels_show_from_their_zoom(browser: Any, maps: Path):
    page, _ = _open(browser, maps / "national.html")
    try:
        js = "z => { const m = window[document.querySelector('.folium-map').id]; m.setZoom(z, {animate: false}); return document.querySelectorAll('.gm-label').length; }"  # noqa: E501
        assert page.evaluate(js, 5) == 0
        assert page.evaluate(js, 8) == 5
    finally:
        page.context.close()


def test_index_links_resolve_offline(browser: Any, maps: Path):
    page = browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto((maps / "index.html").as_uri())
    links = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    assert len(links) >= 5
    for link in links:
        assert link.startswith("file://"), link
        assert Path(link.removeprefix("file://")).is_file(), link
    _not_blank_page(page)
    page.close()
    assert failed == []


def test_inset_and_context_drawn(browser: Any, maps: Path):
    page, log = _open(browser, maps / "national.html")
    try:
        assert page.locator(".gm-inset canvas").count() >= 1
        assert "南海诸岛" in page.locator(".gm-inset").inner_text()
        shot = page.locator(".gm-inset").screenshot()
        from PIL import Image

        img = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
        assert img.std() > 5  # the islands and the line are drawn
    finally:
        page.context.close()
    assert log.errors == []


def _not_blank_page(page: Any) -> None:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("L"), dtype=float)
    assert img.std() > 10, "page screenshot is (nearly) uniform"


def test_province_report_and_figure_render(browser: Any, maps: Path, tmp_path: Path):
    from PIL import Image

    from geomatch.render.province_report import write_province_report

    ds = load_mini_dataset()
    out, _ = write_province_report(maps.parent / "run", "62", tmp_path / "r.html", dataset=ds)
    page, blocked = _offline_page(browser)
    page.goto(out.as_uri())
    assert "各县专家服务站团队" in page.content()
    _not_blank_page(page)
    page.close()
    assert blocked == []
    fig = np.asarray(Image.open(maps / "national.png").convert("L"), dtype=float)
    assert fig.std() > 10
