"""A handler turns on SMS on /accounts/notifications/ in a real browser; the next dispatch to their unit sends them
one SMS through the provider's stand-in (tests/issues/fake_providers.py). Debian's Chromium through Playwright;
nothing leaves 127.0.0.1 but the provider call, which goes to the local stand-in."""

from __future__ import annotations

import json

import pytest

from campaign.models import NotifyPreference
from issues.models import ChannelDelivery
from tests.browser import LAUNCH_ARGS, SHOTS, TIMEOUT_MS, Watch, base_url, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_handler_chooses_sms_and_the_next_dispatch_texts_them(
    tickets, handler, providers, chromium_path, live_server, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # ORM calls beside Playwright's sync API
    handler.phone = "13800001111"
    handler.save(update_fields=["phone"])
    base, watch = base_url(live_server), Watch()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        desk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        desk.set_default_timeout(TIMEOUT_MS)
        page = watch.page(watch.context(desk).new_page())
        login(page, base, "handler", "/accounts/notifications/")
        expect(page.locator("#notify-form")).to_contain_text("138******11")
        expect(page.locator("#notify-form")).not_to_contain_text("13800001111")
        page.check("#notify-form input[value=sms]")
        page.click("#notify-form button[type=submit]")
        expect(page.locator(".flash")).to_contain_text("通知渠道已保存")
        expect(page.locator("#notify-form input[value=sms]")).to_be_checked()
        page.screenshot(path=str(SHOTS / "notify-settings.png"), full_page=True)
        browser.close()
    assert NotifyPreference.objects.get(user=handler).sms
    ticket = tickets.at("dispatched")  # a real commit: the notice and its SMS go out after it
    [sms] = [s.form() for s in providers.to("/")]
    assert sms["PhoneNumbers"] == "13800001111"
    assert json.loads(sms["TemplateParam"]) == {"code": ticket.code, "status": "待签收"}
    assert ChannelDelivery.objects.get().status == "sent"
    assert watch.errors == [] and watch.foreign == []
