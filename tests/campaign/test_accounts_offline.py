"""Accounts (issue 12 item 3): a visit kept on the phone (/m/) survives its author's idle logout — the outbox waits,
says the login expired, and sends the visit, under its author, once they sign in again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.browser import LAUNCH_ARGS, base_url, login, phone_context
from tests.factories import HouseholdFactory
from tests.visits.test_browser_phone import _log_visit
from visits.models import Visit

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_a_kept_visit_survives_an_idle_logout(chromium_path, live_server, cadre, org, campaign_obj, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    household = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88, address="丈八街道锦业路88号3单元")
    base = base_url(live_server)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser)
        page = context.new_page()

        # given a visit kept on the phone while the network drops every visit post
        login(page, base, cadre.username, "/m/")
        page.wait_for_selector("#m-app[data-ready='1']")
        page.route("**/api/v1/visits/", lambda route: route.abort())
        _log_visit(page, household.address, note="离线时的走访")
        expect(page.locator("#outbox-count")).to_contain_text("1 条待发送")

        # when the session ends for idleness (its end passed: what 30 minutes without a request leave behind)
        Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
        page.unroute("**/api/v1/visits/")
        page.click("#send-now")

        # then the visit stays on the phone and the cadre is told to sign in again
        expect(page.locator("#notice")).to_contain_text("登录已过期")
        expect(page.locator("#outbox-count")).to_contain_text("1 条待发送")
        assert not Visit.objects.exists()

        # and once they sign in again it is sent, once, under its author
        login(page, base, cadre.username, "/m/")
        page.wait_for_selector("#m-app[data-ready='1']")
        expect(page.locator("#outbox-count")).to_have_text("")
        visit = Visit.objects.get()
        assert visit.cadre_id == cadre.pk and visit.notes == "离线时的走访"
        browser.close()
