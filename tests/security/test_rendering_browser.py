"""Issue 12 item 9, rendering: no stored text is ever rendered as HTML, CSP or not — map tooltips and popups, chart
tooltips and lists built by script included. A ticket, a household and a grid hold an <img onerror> payload; every
page that shows them is opened in Debian's Chromium and must show the text literally and never run it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dashboard.rollups import rollup_dirty
from issues.models import Ticket
from tests.browser import LAUNCH_ARGS, TIMEOUT_MS, Watch, base_url, login
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=window.__xss=1>"
NOT_RUN = "typeof window.__xss === 'undefined' && !document.querySelector('img[src=x]')"


@pytest.fixture
def stored(org, campaign_obj):
    """The payload in a grid's name, a ticket's description and category (the sweep recomputes its day, as the
    scheduler or a worker would, so the category chart shows it), a household's address and head."""
    org.grid1.name = XSS
    org.grid1.save()
    ticket = Ticket.objects.create(
        code="GX-20260512-000001",
        source="hotline",
        kind="request",
        category=XSS,
        description=XSS,
        requester_name="王五",
        unit=org.grid1,
        lat=34.19,
        lng=108.88,
        status="reported",
        created_at=timezone.now() - dt.timedelta(hours=1),
    )
    household = HouseholdFactory(unit=org.grid1, lat=34.1901, lng=108.8801, address=XSS, head_name=XSS)
    rollup_dirty()
    return ticket, household


def _assert_safe(page, where: str) -> None:
    page.wait_for_timeout(300)  # an <img src=x> fails to load and would fire onerror within this
    assert page.evaluate(NOT_RUN), f"stored text ran as HTML on {where}"


def _inbox_and_ticket(browser, base, dispatcher, ticket) -> None:
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    login(page, base, dispatcher.username, "/tickets/")
    assert XSS in page.inner_text("body")
    _assert_safe(page, "the inbox")
    page.goto(f"{base}/tickets/{ticket.pk}/")
    page.wait_for_selector("#ticket-map.leaflet-container[data-ready='1']")
    assert XSS in page.inner_text("body")
    _assert_safe(page, "the ticket page")
    page.close()


def _hover_tooltip(page, cx: float, cy: float):
    """The grid's tooltip, hovering beside the map's centre: the map may still be settling after it says ready, so
    the pointer moves again (a canvas layer learns of the pointer from its moves) until the tooltip shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(5):
        page.mouse.move(cx + 50, cy + 40)
        page.mouse.move(cx + 40, cy + 30, steps=5)
        try:
            return page.wait_for_selector(".leaflet-tooltip", timeout=3000)
        except PlaywrightTimeout:
            page.wait_for_timeout(500 * (attempt + 1))
    return page.wait_for_selector(".leaflet-tooltip")


def _dashboard(browser, base, street_leader, ticket) -> None:
    """The grid's tooltip (hover beside the centre), the ticket's popup (click the centre), the category chart's
    tooltip: each shows the text, none runs it."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    login(page, base, street_leader.username, "/dashboard/")
    page.wait_for_selector("#dash-map[data-ready='1'][data-tickets='1']", state="attached")
    page.locator("#dash-map").scroll_into_view_if_needed()
    box = page.locator("#dash-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tooltip = _hover_tooltip(page, cx, cy)
    assert XSS in tooltip.inner_text()
    page.mouse.click(cx, cy)
    popup = page.wait_for_selector(".leaflet-popup-content a")
    assert popup.inner_text() == ticket.code and popup.get_attribute("href") == f"/tickets/{ticket.pk}/"
    page.wait_for_selector("#chart-categories[data-ready='1']", state="attached")
    _category_tooltip(page)
    _assert_safe(page, "the dashboard")
    page.close()


def _category_tooltip(page) -> None:
    """Show the category chart's tooltip and wait for its text, asking again while it is not there (a redraw after
    "ready", e.g. on a resize, hides it). Polled with evaluate(): a wait_for_function string predicate is an eval,
    which the page's CSP refuses whenever its first check is false."""
    show = (
        "echarts.getInstanceByDom(document.getElementById('chart-categories'))"
        ".dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 0})"
    )
    text = "document.getElementById('chart-categories').innerText"
    for _ in range(TIMEOUT_MS // 250):
        if "onerror" in page.evaluate(text):
            break
        page.evaluate(show)
        page.wait_for_timeout(250)
    assert "onerror" in page.evaluate(text)


def _phone_targets(browser, base, cadre) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation={"latitude": 34.1902, "longitude": 108.8802, "accuracy": 12},
        permissions=["geolocation"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    login(page, base, cadre.username, "/m/")
    page.wait_for_selector("#m-app[data-ready='1']")
    page.click(".m-tabs .tab[data-tab=visit]")
    target = page.locator("#target-list li", has_text=XSS).first
    target.wait_for()
    target.click()
    assert XSS in page.inner_text("#target-chosen")
    _assert_safe(page, "the phone page's targets")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_stored_markup_is_shown_as_text_everywhere(
    chromium_path, live_server, stored, dispatcher, street_leader, cadre, monkeypatch
):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    ticket, _household = stored
    base = base_url(live_server)
    watch = Watch()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        _inbox_and_ticket(browser, base, dispatcher, ticket)
        _dashboard(browser, base, street_leader, ticket)
        _phone_targets(browser, base, cadre)
        browser.close()
    assert not watch.foreign
