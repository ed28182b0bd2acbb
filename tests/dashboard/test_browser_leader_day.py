"""The leader's day through the pages only (issue 13 item 6), in Debian's Chromium through Playwright: the dashboard
on a 360 px phone (every column of the ranking and overdue lists reachable, legends clear of the charts' axes),
a drill-down into a street, the wall screen at 1920×1080 (the leader's) and 3840×2160 (a display link's) with
every panel on screen, refreshed in place — no reload — and, at the desk, a hot spot promoted to a monthly topic
(每月一题, issue 15) from the map's list. Saves leader-phone.png, leader-desktop.png, wall-1920.png, hotspots.png,
topic.png."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from campaign.models import OrgUnit, User
from dashboard.displays import token_hash
from dashboard.models import DisplayLink
from issues.models import Topic
from tests.browser import LAUNCH_ARGS, SHOTS, Watch, base_url, login
from tests.dashboard.conftest import ticket_row

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000
DRAWN = ("#chart-volume[data-ready='1']", "#chart-rates[data-ready='1']", "#dash-map[data-ready='1']")
TABLES = ("#ranking", "#ranking-departments", "#overdue-list")
TOKEN = "a-4k-wall-token-for-the-leader-day-test"

# Each column header of a table: on screen at once, or brought on screen by scrolling its own box sideways (never
# the page), while the table's first column (the unit, the code) stays where it was.
REACH_COLUMNS = """(selector) => {
  const table = document.querySelector(selector), wrap = table.closest('.table-wrap');
  const fixed = table.querySelector('tbody tr td:nth-child(' + (selector === '#overdue-list' ? 1 : 2) + ')');
  const before = fixed.getBoundingClientRect().left, out = [];
  for (const th of table.querySelectorAll('thead th')) {
    th.scrollIntoView({block: 'nearest', inline: 'nearest'});
    const r = th.getBoundingClientRect();
    out.push({name: th.textContent, left: r.left, right: r.right});
  }
  const after = fixed.getBoundingClientRect();
  wrap.scrollLeft = 0;
  return {columns: out, fixedMoved: Math.abs(after.left - before), fixedRight: after.right,
          scrollable: wrap.scrollWidth > wrap.clientWidth && getComputedStyle(wrap).overflowX === 'auto'};
}"""

# The legend's box (ECharts' own layout) against the grid: the legend ends above the axis names over the grid.
LEGEND_CLEAR = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id)), model = chart.getModel();
  const legend = chart.getViewOfComponentModel(model.getComponent('legend')).group;
  const box = legend.getBoundingRect(), grid = model.getComponent('grid').coordinateSystem.getRect();
  const axis = model.getComponent('yAxis', 0);
  const nameBand = axis.get('nameGap') + axis.getModel('nameTextStyle').get('fontSize');
  return {legendBottom: legend.y + box.y + box.height, gridTop: grid.y, nameBand: nameBand,
          height: box.height, type: model.getComponent('legend').get('type')};
}"""

# Every panel, card and the header inside the viewport, and nothing to scroll.
ON_SCREEN = """() => {
  const off = [];
  for (const el of document.querySelectorAll('.dash-head, .kpi, .panel')) {
    const r = el.getBoundingClientRect();
    if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5 || !r.height)
      off.push(el.className + ' ' + JSON.stringify(r));
  }
  const page = document.scrollingElement;
  return {off: off, scrollHeight: page.scrollHeight, scrollWidth: page.scrollWidth, h: innerHeight, w: innerWidth};
}"""


def _in_a_thread(write: Callable[[], None]) -> None:
    """An ORM write while Playwright's event loop runs in this thread (Django refuses it here): in its own thread."""

    def run() -> None:
        try:
            write()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


def _wait_drawn(page) -> None:
    for selector in DRAWN:
        page.wait_for_selector(selector, state="attached")


def _check_the_phone(page) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360  # the page itself never scrolls sideways
    for table in TABLES:
        found = page.evaluate(REACH_COLUMNS, table)
        assert found["scrollable"] or all(c["right"] <= 360 for c in found["columns"]), table
        for column in found["columns"]:
            assert 0 <= column["left"] and column["right"] <= 360, (table, column)
        assert found["fixedMoved"] < 1 and found["fixedRight"] <= 360, table  # the unit / code stays in sight
    for chart in ("chart-volume", "chart-rates"):
        legend = page.evaluate(LEGEND_CLEAR, chart)
        assert legend["legendBottom"] + legend["nameBand"] <= legend["gridTop"], (chart, legend)
        assert legend["type"] == "scroll" and legend["height"] <= 28, (chart, legend)  # one row that pages
    # a figure's definition opens on a tap of its "?" (a phone has no hover for the title)
    page.locator("#fig-open_in_time .kpi-info").click()
    assert "办理时限" in page.locator("#def-open_in_time").inner_text()
    page.screenshot(path=str(SHOTS / "leader-phone.png"), full_page=False)


def _check_on_screen(page, width: int, height: int) -> None:
    found = page.evaluate(ON_SCREEN)
    assert found["off"] == [], found["off"]
    assert found["scrollHeight"] <= found["h"] == height and found["scrollWidth"] <= found["w"] == width


def _check_the_wall_refreshes_in_place(page, grid: OrgUnit) -> None:
    # given the wall, marked, and a ticket that falls under a red card after it was drawn
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.resource_type == "fetch" else None)
    page.evaluate("window.wallMarker = 'still here'")
    late = ticket_row(
        unit=grid,
        created_at=timezone.now() - dt.timedelta(days=9), status="dispatched", supervision=2,
        dispatched_at=timezone.now() - dt.timedelta(days=9), due_at=timezone.now() - dt.timedelta(days=400),
    )  # fmt: skip
    _in_a_thread(late.save)
    assert not page.locator(f"#overdue-list tr[data-code='{late.code}']").count()
    # when the refresh time comes
    page.clock.fast_forward(65_000)
    page.wait_for_selector("#dashboard[data-refreshed='1']", state="attached")
    # then the page was not reloaded, its data was fetched again and the new ticket is listed
    assert page.evaluate("window.wallMarker") == "still here"
    assert any("/dashboard/?" in url and "wall=1" in url for url in requests)
    assert any("/api/v1/stats/daily/" in url for url in requests)
    assert page.locator(f"#overdue-list tr[data-code='{late.code}']").count() == 1
    assert not page.evaluate("document.getElementById('dashboard').dataset.stale || ''")
    _check_on_screen(page, 1920, 1080)


def _check_the_walls(browser, context, watch, base: str, grid: OrgUnit) -> None:
    wall = watch.context(browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN"))
    wall.add_cookies(context.cookies())
    wall.set_default_timeout(TIMEOUT_MS)
    screen = watch.page(wall.new_page())
    screen.clock.install()
    navigations: list[str] = []
    screen.on("framenavigated", lambda f: navigations.append(f.url) if f == screen.main_frame else None)
    screen.goto(f"{base}/dashboard/?wall=1")
    _wait_drawn(screen)
    _check_on_screen(screen, 1920, 1080)
    screen.clock.run_for(2000)  # the charts' animation and the map's fade-in (the page's clock is the test's)
    screen.wait_for_timeout(300)
    screen.screenshot(path=str(SHOTS / "wall-1920.png"), full_page=False)
    _check_the_wall_refreshes_in_place(screen, grid)
    assert len(navigations) == 1

    # a 4K wall on a display link of the district (the same template, no session)
    big = watch.context(browser.new_context(viewport={"width": 3840, "height": 2160}, locale="zh-CN"))
    big.set_default_timeout(TIMEOUT_MS)
    four_k = watch.page(big.new_page())
    four_k.clock.install()
    four_k.goto(f"{base}/dashboard/wall/{TOKEN}/")
    _wait_drawn(four_k)
    _check_on_screen(four_k, 3840, 2160)
    # it refreshes in place too, through the link alone (no cookie to send)
    four_k.evaluate("window.wallMarker = 'still here'")
    four_k.clock.fast_forward(65_000)
    four_k.wait_for_selector("#dashboard[data-refreshed='1']", state="attached")
    assert four_k.evaluate("window.wallMarker") == "still here"
    assert not four_k.evaluate("document.getElementById('dashboard').dataset.stale || ''")
    assert settings.SESSION_COOKIE_NAME not in {c["name"] for c in big.cookies()}
    # text is drawn at the screen's scale (twice 1080p's), not left at 1080p's size in a corner
    assert four_k.evaluate("parseFloat(getComputedStyle(document.querySelector('.kpi-value')).fontSize)") >= 50


def _promote_a_hot_spot(page, base: str) -> None:
    """The demo's market is already this month's topic; the compound's lift (住房物业) becomes one from its hot spot."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/dashboard/")
    page.wait_for_selector("#hotspots li[data-cell]")
    market = page.locator("#hotspots li", has=page.locator("a.hotspot-topic")).first
    assert "城市管理" in market.inner_text()  # linked to its topic, not offered again
    page.locator(".row-map").screenshot(path=str(SHOTS / "hotspots.png"))
    assert "菜市场周边占道经营整治" in page.inner_text("#topics-list")
    lift = page.locator("#hotspots li", has_text="住房物业").filter(has=page.locator("a.hotspot-promote")).first
    lift.locator("a.hotspot-promote").click()
    page.wait_for_url(lambda url: "/tickets/topics/new/" in url)
    assert page.input_value("#id_ticket_ids")  # the spot's tickets, pre-filled
    page.fill("#id_title", "老旧小区电梯故障集中整治")
    page.select_option("#id_lead_unit", label="住建局")
    deadline = page.input_value("#id_deadline")
    page.fill("#id_milestones", f"逐台排查电梯 {deadline}\n完成维修并回访 {deadline}")
    page.click("#topic-form button[type=submit]")
    page.wait_for_url(lambda url: "/tickets/topics/" in url and "/new/" not in url)
    assert "老旧小区电梯故障集中整治" in page.inner_text("h1") and "住建局" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "topic.png"), full_page=True)
    page.goto(f"{base}/dashboard/")
    assert "老旧小区电梯故障集中整治" in page.inner_text("#topics-list")


@pytest.mark.django_db(transaction=True)
def test_the_leader_reads_the_dashboard_on_a_phone_drills_down_and_the_wall_fits_and_refreshes(
    chromium_path, live_server
):
    from playwright.sync_api import sync_playwright

    call_command("seed_demo", size="small", verbosity=0)
    district = OrgUnit.objects.get(kind="district")
    grid = OrgUnit.objects.filter(kind="grid", path__startswith=district.path).order_by("path").first()
    leader = User.objects.get(username="leader")
    DisplayLink.objects.create(token_hash=token_hash(TOKEN), hint=TOKEN[:6], unit=district, created_by=leader)
    base = base_url(live_server)
    watch = Watch()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        # given the district leader on a 360 px phone
        context = watch.context(
            browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN", timezone_id="Asia/Shanghai")
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(context.new_page())
        login(page, base, "leader", "/dashboard/", password="zoufang-demo")
        _wait_drawn(page)
        # then every column of the lists can be reached and the legends leave the charts clear
        _check_the_phone(page)

        # when they tap the first street of the ranking, the same dashboard opens for it
        first = page.locator("#ranking a.drill").first
        name = first.inner_text()
        first.click()
        page.wait_for_url(lambda url: "unit=" in url)
        _wait_drawn(page)
        assert name in page.locator("#dash-unit").inner_text()
        page.set_viewport_size({"width": 1280, "height": 900})
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / "leader-desktop.png"), full_page=True)

        _check_the_walls(browser, context, watch, base, grid)
        _promote_a_hot_spot(page, base)
        browser.close()
    assert watch.errors == []
    assert watch.foreign == []
    lift = Topic.objects.get(title="老旧小区电梯故障集中整治")
    assert lift.category == "住房物业" and lift.milestones.count() == 2 and lift.tickets.count() >= 5
