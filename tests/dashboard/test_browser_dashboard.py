"""The leaders' dashboard in a real browser (SPEC §8): the demo district, charts and map drawn, wall-screen mode,
a phone's width. Drives Debian's Chromium through Playwright; nothing leaves 127.0.0.1; saves the screenshots."""

from __future__ import annotations

import re
import time

import pytest
from django.core.management import call_command

from tests.browser import LAUNCH_ARGS, SHOTS, Watch, base_url, login

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000  # the first render of charts and map on a busy CI machine
DRAWN = ("#chart-volume[data-ready='1']", "#chart-rates[data-ready='1']", "#dash-map[data-ready='1']")


def _wait_drawn(page) -> None:
    for selector in DRAWN:
        page.wait_for_selector(selector, state="attached")


def _check_the_district_page(page, base: str) -> None:
    from playwright.sync_api import expect

    # when the dashboard loads (measured from navigation to charts and map drawn)
    raw_reads: list[str] = []
    page.on("request", lambda r: raw_reads.append(r.url) if "/api/v1/geo/visits/" in r.url else None)
    started = time.monotonic()
    page.goto(f"{base}/dashboard/?period=30d")
    _wait_drawn(page)
    load_s = time.monotonic() - started
    print(f"\ndashboard load (charts + map drawn): {load_s:.2f} s")
    # then figures, ranking with flags, map layers are there, and up to when the figures are complete
    assert page.locator("#fig-visits .kpi-value").inner_text() not in ("", "—")
    assert page.locator("#data-age").inner_text().startswith("数据更新于 ")
    assert page.locator("#ranking tbody tr").count() >= 2
    assert int(page.locator("#dash-map").get_attribute("data-grids") or 0) > 0  # grid boundaries, shaded
    assert not raw_reads  # the page reads rollups only: visit points wait until the heat layer is asked for
    # and when the leader turns the heat layer on, the visit points load and are drawn
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("走访热力").check()
    expect(page.locator("#dash-map")).to_have_attribute("data-visits", re.compile(r"^[1-9][0-9]*$"))
    assert len(raw_reads) == 1
    assert not page.evaluate("document.getElementById('dashboard').dataset.error || ''")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)


def _check_the_wall_and_the_phone(browser, context, watch, base: str) -> None:
    # the wall screen (a 1080p screen): dark, no top bar
    wall = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    wall.add_cookies(context.cookies())
    screen = watch.page(watch.context(wall).new_page())
    screen.goto(f"{base}/dashboard/?period=7d&wall=1")
    _wait_drawn(screen)
    assert not screen.locator("header.topbar").is_visible()
    screen.wait_for_timeout(500)  # the layers fade in
    screen.screenshot(path=str(SHOTS / "dashboard-wall.png"), full_page=False)

    # a phone's width: the cards stack, nothing scrolls sideways
    phone = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    phone.add_cookies(context.cookies())
    small = watch.page(watch.context(phone).new_page())
    small.goto(f"{base}/dashboard/")
    _wait_drawn(small)
    assert small.evaluate("document.documentElement.scrollWidth") <= 360
    small.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=False)


@pytest.mark.django_db(transaction=True)
def test_leader_sees_the_dashboard_with_charts_and_map_and_the_wall_screen(chromium_path, live_server):
    from playwright.sync_api import sync_playwright

    call_command("seed_demo", size="small", verbosity=0)
    base = base_url(live_server)
    watch = Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(watch.context(context).new_page())

        # given the district leader, logged in
        login(page, base, "leader", "/dashboard/", password="zoufang-demo")
        _check_the_district_page(page, base)

        # when the leader clicks the first street of the ranking, the same dashboard opens for it
        first = page.locator("#ranking a.drill").first
        name = first.inner_text()
        first.click()
        page.wait_for_url(lambda url: "unit=" in url)
        _wait_drawn(page)
        assert name in page.locator("#dash-unit").inner_text()

        _check_the_wall_and_the_phone(browser, context, watch, base)
        browser.close()

    assert watch.errors == []
    assert watch.foreign == []
