"""The pages in headless Chromium (Debian's chromium through Playwright)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geomatch.service.routers.pages import TABLE_ZH
from tests.service.conftest import Live

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser_ok() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian chromium is not installed (/usr/bin/chromium); "
            "run scripts/setup-system.sh as root"
        )
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture()
def page(live: Live, browser_ok: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        ctx = browser.new_context(locale="zh-CN")
        pg = ctx.new_page()
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.requests = requests  # type: ignore[attr-defined]
        try:
            yield pg
        finally:
            browser.close()


def _login(page: Any, live: Live, who: str) -> None:
    page.goto(live.url + "/")
    assert "访问令牌" in page.content()
    page.fill("#token", live.tokens[who])
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state("load")


def test_national_dashboard_and_run_page(page: Any, live: Live) -> None:
    _login(page, live, "national")
    assert page.locator("h1").first.inner_text() == "全国总览"
    assert page.locator("#provinces tbody tr").count() == 2
    assert "贵州省" in page.locator("#provinces").inner_text()
    # start a run from the page and watch its progress page reach the end
    page.select_option("#scenario", "quick")
    page.click("#start-run button[type=submit]")
    page.wait_for_url("**/runs/*")
    page.wait_for_selector("#run[data-status=done]", timeout=60_000)
    assert page.locator("#status").inner_text() == "已完成"
    assert page.locator("#downloads a").count() == len(TABLE_ZH)  # one per run table
    out = Path(live.settings.service_home) / "run-page.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 1000
    # offline: every request went to the service itself
    base = live.url
    assert all(u.startswith(base) for u in page.requests), page.requests


def test_planner_province_page_with_map(page: Any, live: Live) -> None:
    _login(page, live, "gansu")
    assert page.url.endswith("/province/620000")
    assert "甘肃省" in page.locator("h1").inner_text()
    rows = page.locator("#counties tbody tr")
    assert rows.count() == 3
    assert "永登县" in rows.first.inner_text()
    frame = page.frame_locator("iframe.map")
    assert frame.locator("#title").inner_text() == "甘肃省 覆盖图"
    # the map's local asset loaded through the cookie-authenticated /maps/assets route
    assert page.frames[1].evaluate("window.GEOMATCH_MAP_OK") is True
    links = page.locator("#exports a")
    assert links.count() == len(TABLE_ZH)
    href = links.first.get_attribute("href")
    assert href.endswith("pairings.csv?province=620000")
    with page.expect_download() as dl:
        links.first.click()
    text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("need_id,helper_id")
    # another province is refused, and so is the national map
    page.goto(live.url + "/province/520000")
    assert "无权访问" in page.content()
    resp = page.goto(live.url + "/maps/national")
    assert resp.status == 403


def _other_site(html: str) -> Iterator[str]:
    """A page served from another origin (another loopback port), as an attacker's site."""
    import http.server
    import threading

    body = html.encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def test_framing_and_cross_site_forms_are_refused(page: Any, live: Live) -> None:
    import httpx

    _login(page, live, "national")
    h = {"Authorization": f"Bearer {live.tokens['national']}"}
    before = len(httpx.get(live.url + "/api/runs", headers=h).json())
    attack = (
        f'<iframe id="f" src="{live.url}/"></iframe>'
        f'<form id="x" method="post" action="{live.url}/runs" target="sink">'
        '<input name="scenario" value="quick"></form><iframe name="sink"></iframe>'
    )
    for url in _other_site(attack):
        page.goto(url)
        page.wait_for_timeout(500)
        framed = next(f for f in page.frames if f.name == "f")
        # another port of the same host is the same site: the session cookie goes along,
        # so only frame-ancestors 'none' keeps the dashboard out of the other page
        assert "全国总览" not in framed.content()
        assert framed.url.startswith("chrome-error://")  # Chromium refused to load it
        page.evaluate("document.getElementById('x').submit()")
        page.wait_for_timeout(1000)
    assert len(httpx.get(live.url + "/api/runs", headers=h).json()) == before
