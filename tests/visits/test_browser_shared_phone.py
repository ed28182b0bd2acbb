"""A shared phone (SPEC §8): a visit kept on the phone belongs to the cadre who logged it. Another cadre logging in on
the same phone neither sees nor sends it; it lands, under its author, at the author's next login."""

from __future__ import annotations

import pytest

from campaign.models import Role
from tests.browser import LAUNCH_ARGS, base_url, login, phone_context
from tests.factories import HouseholdFactory, UserFactory
from tests.visits.test_browser_phone import _log_visit
from visits.models import Visit

pytestmark = pytest.mark.browser


def _login(page, base: str, username: str) -> None:
    """Another person picks the phone up: a fresh login straight into /m/."""
    page.context.clear_cookies()
    login(page, base, username, "/m/")
    page.wait_for_selector("#m-app[data-ready='1']")


@pytest.mark.django_db(transaction=True)
def test_a_kept_visit_is_sent_only_in_its_authors_session(
    chromium_path, live_server, cadre, org, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    household = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88, address="丈八街道锦业路88号3单元")
    colleague = UserFactory(username="cadre_b", role=Role.CADRE, unit=org.grid1)
    base = base_url(live_server)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser)
        page = context.new_page()

        # given a cadre whose visit cannot reach the server (the network drops every visit post)
        _login(page, base, cadre.username)
        page.route("**/api/v1/visits/", lambda route: route.abort())
        _log_visit(page, household.address, note="信号差时的走访")
        expect(page.locator("#outbox-count")).to_contain_text("1 条待发送")

        # when a colleague logs in on the same phone, with the network back (the first page closed first: its retry
        # timer, in the author's session, could otherwise send the visit once the network is back — as it should)
        page.goto("about:blank")
        page.unroute("**/api/v1/visits/")
        _login(page, base, colleague.username)

        # then the colleague's page neither lists nor sends the first cadre's visit
        expect(page.locator("#outbox-count")).to_have_text("")
        expect(page.locator("#send-now")).to_be_hidden()
        page.wait_for_timeout(500)  # the start-up send has run (data-ready) and left it alone
        assert not Visit.objects.exists()

        # and at the author's next login it lands once, filed under the author
        _login(page, base, cadre.username)
        expect(page.locator("#outbox-count")).to_have_text("")
        visit = Visit.objects.get()
        assert visit.cadre_id == cadre.pk and visit.notes == "信号差时的走访"
        browser.close()
