"""The phone page in a real browser (SPEC §8): a cadre logs a visit online, then one in a dead spot that is kept
on the phone and lands exactly once when the network returns. Drives Debian's Chromium through Playwright."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from issues.models import Ticket
from tests.browser import LAUNCH_ARGS, SHOTS, Watch, base_url, phone_context
from tests.factories import HouseholdFactory
from visits.models import Visit

pytestmark = pytest.mark.browser

# Inside grid1 (a square around 34.19 N, 108.88 E), ~25 m from the household.
SCREENSHOT = SHOTS / "phone.png"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(out, format="PNG")
    return out.getvalue()


def _log_visit(page, address: str, *, note: str, photo: bytes | None = None, issue: str | None = None) -> None:
    page.click(".m-tabs .tab[data-tab=visit]")
    page.wait_for_selector("#geo-text:has-text('精度约 12 米')")
    page.locator("#target-list li", has_text=address).first.click()
    page.locator("#checklist textarea").first.fill("三口之家，身体健康")
    page.fill("#people-met", "2")
    page.fill("#notes", note)
    if issue is not None:
        page.click("#add-issue")
        page.select_option("#issues .issue-category", "环境卫生")
        page.fill("#issues .issue-description", issue)
        page.check("#issues .issue-onsite")
        page.fill("#issues .issue-result", "已联系物业当场清理")
    if photo is not None:
        page.set_input_files("#photos", files=[{"name": "door.png", "mimeType": "image/png", "buffer": photo}])
    page.click("#visit-submit")


def _log_in(page, live_server, cadre) -> None:
    page.goto(base_url(live_server) + "/m/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", cadre.username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#m-app[data-ready='1']")
    assert page.url.endswith("/m/")


def _assert_the_online_visit_landed(page, household, cadre) -> None:
    """The server has it, geo-verified, the page says so in Chinese, and the ticket raised on it shows among the
    cadre's tickets, resolved on site."""
    page.wait_for_selector("#visit-result.sent")
    assert "定位核验通过" in page.inner_text("#visit-result")
    online = Visit.objects.get()
    assert online.household_id == household.pk and online.cadre_id == cadre.pk
    assert online.notes == "在线走访" and online.geo_status == "verified"
    assert online.checklist == {"family": "三口之家，身体健康"}
    ticket = Ticket.objects.get()
    assert ticket.description == "楼道堆放杂物" and ticket.status == "resolved" and ticket.resolved_on_site
    page.click(".m-tabs .tab[data-tab=tickets]")
    page.wait_for_selector(f"#ticket-list li:has-text('{ticket.code}')")
    assert "当场解决" in page.inner_text("#ticket-list")


def _log_offline(page, context, household, expect) -> str:
    """Lose the network and log a visit with a photo: it waits on the phone, and the page still opens (served by
    the service worker). Returns the waiting visit's id."""
    context.set_offline(True)
    page.wait_for_selector("#net-state.off")
    _log_visit(page, household.address, note="离线走访", photo=_png())
    page.wait_for_selector("#visit-result.pending")
    expect(page.locator("#outbox-count")).to_contain_text("1 条待发送")
    waiting = page.evaluate("ZOutbox.all().then(rs => rs.map(r => r.id))")
    assert len(waiting) == 1
    assert Visit.objects.count() == 1
    page.reload()
    page.wait_for_selector("#m-app[data-ready='1']")
    assert "1 条待发送" in page.inner_text("#outbox-count")
    return waiting[0]


@pytest.mark.django_db(transaction=True)
def test_cadre_logs_a_visit_online_and_one_offline_that_lands_exactly_once(
    chromium_path, live_server, cadre, org, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls below are plain sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")

    household = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88, address="丈八街道锦业路88号3单元")
    watch = Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser, touch=True)
        page = watch.page(watch.context(context).new_page())

        # given a cadre who logs in from the phone page
        _log_in(page, live_server, cadre)

        # when they log a visit online
        _log_visit(page, household.address, note="在线走访", issue="楼道堆放杂物")

        # then the server has it, and the ticket raised on it shows among the cadre's tickets
        _assert_the_online_visit_landed(page, household, cadre)

        # the service worker keeps the page shell (so the page opens in a dead spot)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")

        # when the phone loses the network and they log another visit, with a photo (it waits on the phone)
        offline_id = _log_offline(page, context, household, expect)

        # when the network returns
        context.set_offline(False)

        # then the visit is sent by itself, with its photo, and lands exactly once under its UUID
        expect(page.locator("#outbox-count")).to_have_text("")
        page.click(".m-tabs .tab[data-tab=today]")
        expect(page.locator("#count-visits")).to_have_text("2")
        assert Visit.objects.filter(pk=offline_id).count() == 1
        assert Visit.objects.count() == 2
        offline = Visit.objects.get(pk=offline_id)
        assert offline.notes == "离线走访"
        assert offline.photos.count() == 1

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True, scale="css")
        context.close()
        browser.close()

    # base.html names no icon, so the login page's automatic /favicon.ico request answers 404 (not this page's).
    assert watch.errors == []
    assert watch.foreign == []
