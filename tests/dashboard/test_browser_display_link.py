"""A display link's wall screen in a real browser (issue 12 item 3): charts and map drawn with no session, under
the strict CSP, with the token-scoped data endpoints only. Drives Debian's Chromium through Playwright."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from dashboard.displays import token_hash
from dashboard.models import DisplayLink
from tests.browser import LAUNCH_ARGS, Watch, base_url
from tests.dashboard.conftest import ticket_row

pytestmark = pytest.mark.browser

TOKEN = "a-wall-screen-token-for-the-browser-test-only"
DRAWN = ("#chart-volume[data-ready='1']", "#chart-rates[data-ready='1']", "#dash-map[data-ready='1']")


@pytest.mark.django_db(transaction=True)
def test_a_display_link_draws_the_wall_without_a_session(chromium_path, live_server, org, leader):
    from playwright.sync_api import sync_playwright

    # given a display link of the district and an open supervised ticket with a point
    DisplayLink.objects.create(token_hash=token_hash(TOKEN), hint=TOKEN[:6], unit=org.district, created_by=leader)
    fields = {"status": "dispatched", "supervision": 1, "lat": 34.19, "lng": 108.88, "requester_name": "王秀英"}
    ticket_row(unit=org.grid1, created_at=timezone.now(), **fields).save()
    base = base_url(live_server)
    watch = Watch()
    reads: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        context.set_default_timeout(20_000)
        page = watch.page(watch.context(context).new_page())
        page.on("request", lambda r: reads.append(r.url))
        # when a screen that never logged in opens the link
        page.goto(f"{base}/dashboard/wall/{TOKEN}/")
        for selector in DRAWN:
            page.wait_for_selector(selector, state="attached")
        # then the charts, the grids and the ticket are drawn, from the link's own endpoints, with no session
        assert page.locator("#dash-map").get_attribute("data-tickets") == "1"
        assert int(page.locator("#dash-map").get_attribute("data-grids") or 0) == 2
        assert not page.evaluate("document.getElementById('dashboard').dataset.error || ''")
        assert not page.locator("#print-btn, #export-link, .periods").count()
        data = [url for url in reads if "/api/" in url or url.endswith((".json", ".geojson")) or "geojson?" in url]
        assert data and all(f"/dashboard/wall/{TOKEN}/" in url for url in data)
        assert settings.SESSION_COOKIE_NAME not in {c["name"] for c in context.cookies()}
        browser.close()
    assert watch.errors == []
    assert watch.foreign == []
