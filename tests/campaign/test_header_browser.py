"""The header at a phone's width (issue 13 item 7), in a real browser: for every role's landing pages the bar is one
line at 360 px (its links folded behind 菜单, static/js/nav.js), the menu opens below the bar without pushing it and
its links work; the 404 page at the same width. Saves docs/screenshots/header-phone.png and error-404-phone.png."""

from __future__ import annotations

import pytest

from issues.models import Notification
from tests.browser import LAUNCH_ARGS, SHOTS, TIMEOUT_MS, Watch, base_url, login
from tests.factories import HouseholdFactory, accepted_door_to_door_ticket

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
ONE_LINE_PX = 56  # the bar's padding and one 44 px row; a second row of links would make it ~80 px or more

# Where each role starts its day: the landing page and the page of its work.
LANDING = {
    "cadre": ["/", "/m/"],
    "handler": ["/", "/m/", "/tickets/"],
    "dispatcher": ["/", "/tickets/", "/dashboard/"],
    "leader": ["/", "/dashboard/"],
    "streetleader": ["/", "/dashboard/"],
    "admin": ["/", "/tickets/", "/audit/access/"],
}

# Every visible item of the bar: its height and its top relative to the bar's, in CSS pixels.
BAR_ITEMS = """() => {
  const bar = document.querySelector("header.topbar").getBoundingClientRect();
  const items = [...document.querySelectorAll("header.topbar > *")].filter((el) => el.offsetParent !== null
    && getComputedStyle(el).position !== "absolute");
  return {height: bar.height, right: bar.right, scroll: document.documentElement.scrollWidth,
          items: items.map((el) => { const box = el.getBoundingClientRect();
            return {name: el.className || el.tagName, top: box.top - bar.top, bottom: box.bottom - bar.top,
                    right: box.right}; })};
}"""


def _assert_one_line(page, where: str) -> None:
    bar = page.evaluate(BAR_ITEMS)
    assert bar["height"] <= ONE_LINE_PX, (where, bar)
    assert bar["scroll"] <= PHONE["width"], (where, bar)  # nothing pushes the page sideways
    for item in bar["items"]:
        assert item["bottom"] <= bar["height"] and item["right"] <= PHONE["width"], (where, item)


def _menu_works(page, base: str, where: str) -> None:
    """菜单 opens the links below the bar (the bar keeps its height), and a link in it goes where it says."""
    height = page.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height")
    assert page.locator("#site-nav").is_hidden()
    page.click("header .menu-toggle")
    assert page.locator("#site-nav").is_visible()
    assert page.get_attribute("header .menu-toggle", "aria-expanded") == "true"
    assert page.evaluate("document.querySelector('header.topbar').getBoundingClientRect().height") == height
    assert page.locator("#site-nav >> text=退出").is_visible(), where
    page.keyboard.press("Escape")
    assert page.locator("#site-nav").is_hidden()


def _unread_notifications(org, handler) -> None:
    """A dozen unread notifications: the count rides on the 菜单 button, two digits wide."""
    ticket = accepted_door_to_door_ticket(org, HouseholdFactory(unit=org.grid1))
    Notification.objects.bulk_create(
        Notification(user=handler, ticket=ticket, kind="dispatched", text=f"新派单 {n}") for n in range(12)
    )


@pytest.mark.django_db(transaction=True)
def test_the_header_is_one_line_at_360px_for_every_role_and_its_menu_works(
    chromium_path, live_server, org, campaign_obj, cadre, handler, dispatcher, leader, street_leader, admin_user
):
    from playwright.sync_api import sync_playwright

    _unread_notifications(org, handler)
    base = base_url(live_server)
    watch = Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        for username, paths in LANDING.items():
            context = watch.context(browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True))
            context.set_default_timeout(TIMEOUT_MS)
            page = watch.page(context.new_page())
            login(page, base, username)
            for path in paths:
                page.goto(f"{base}{path}")
                _assert_one_line(page, f"{username} {path}")
                _menu_works(page, base, f"{username} {path}")
            if username == "handler":
                assert page.inner_text("header .menu-toggle .menu-count") == "12"
                page.click("header .menu-toggle")
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "header-phone.png"), full_page=False)
                page.click("#site-nav >> text=工单")  # a link in the open menu goes where it says
                page.wait_for_url(f"{base}/tickets/")
            context.close()
        browser.close()

    assert watch.errors == []
    assert watch.foreign == []


@pytest.mark.django_db(transaction=True)
def test_the_404_at_360px_is_one_screen_in_the_apps_style_in_english_too(chromium_path, live_server, cadre):
    from playwright.sync_api import sync_playwright

    base = base_url(live_server)
    watch = Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = watch.context(browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True))
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(context.new_page())
        login(page, base, cadre.username, "/m/")

        # given the cadre follows a dead link from their phone page
        response = page.goto(f"{base}/tickets/999999/", referer=f"{base}/m/")

        # then a Chinese 404 in the app's style, one-line header, and the way back where they came from
        assert response.status == 404
        assert page.inner_text(".error-page h1") == "页面不存在"
        assert page.locator(".topbar").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(192, 57, 43)"
        _assert_one_line(page, "404")
        page.screenshot(path=str(SHOTS / "error-404-phone.png"), full_page=False)
        page.click("text=返回上一页")
        page.wait_for_url(f"{base}/m/")

        # and in English once chosen, the bar is still one line
        page.goto(f"{base}/no-such-page/")
        page.click("header .lang button")
        page.wait_for_url(f"{base}/no-such-page/")
        assert page.inner_text(".error-page h1") == "Page not found"
        _assert_one_line(page, "404 en")
        context.close()
        browser.close()

    # Chromium reports the page's own 404 status on the console; anything else (a missing stylesheet) is an error.
    assert [e for e in watch.errors if not e.endswith(("/tickets/999999/", "/no-such-page/"))] == []
    assert watch.foreign == []
