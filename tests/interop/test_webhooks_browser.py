"""The partner page in a real browser: a district's admin finds a failed webhook delivery and replays it with the 重发
button; the sweep then delivers it to the receiver with its first event id. Drives Debian's Chromium through
Playwright; nothing leaves 127.0.0.1, no console error (strict CSP)."""

from __future__ import annotations

import pytest

from interop.models import DeliveryStatus, WebhookDelivery
from tests.browser import LAUNCH_ARGS, SHOTS, TIMEOUT_MS, Watch, base_url, login
from tests.interop.webhook_fixtures import (  # noqa: F401  fixtures
    partner_fixture,
    receiver_fixture,
    send_due,
    subscribe,
    tickets_fixture,
    webhook_settings_fixture,
)

pytestmark = pytest.mark.browser


def _replay_in_the_browser(chromium_path, base, watch, admin_user, partner, failed) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(watch.context(context).new_page())
        # given the district's admin on the partners' list
        login(page, base, admin_user.username, "/interop/partners/")
        assert partner.name in page.inner_text("#partners")
        page.click(f"#partners a:text('{partner.name}')")
        page.wait_for_url(f"{base}/interop/partners/{partner.pk}/")
        row = page.locator(f"#deliveries tr[data-delivery='{failed.pk}']")
        assert "HTTP 500" in row.inner_text() and str(failed.event_id) in row.inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "interop-partner.png"), full_page=True)
        # when they press 重发
        row.locator("button.replay").click()
        page.wait_for_selector(".flash li")
        assert "事件编号不变" in page.inner_text(".flash")
        assert page.locator(f"#deliveries tr[data-delivery='{failed.pk}'] button.replay").count() == 0
        context.close()
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_an_admin_replays_a_failed_delivery_from_the_partner_page(
    chromium_path, live_server, monkeypatch, tickets, partner, receiver, admin_user
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    subscribe(partner, receiver, events=["created", "dispatched"])
    tickets.at("dispatched")
    receiver.answer = 500
    send_due()
    WebhookDelivery.objects.filter(event="created").update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    failed = WebhookDelivery.objects.get(event="created")
    watch = Watch()

    _replay_in_the_browser(chromium_path, base_url(live_server), watch, admin_user, partner, failed)

    assert watch.errors == [] and watch.foreign == []
    # then the row is pending again, and the sweep delivers it with its first event id
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING and failed.attempts == 0
    receiver.answer = 200
    send_due()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT
    assert receiver.event_ids().count(str(failed.event_id)) == 2
