"""Single sign-on in a real browser (Chromium) against the real test provider: the login page's button, the
provider's form, the pending page; after an admin links the identity, the same button signs the person in. No
console error under the CSP, nothing leaves 127.0.0.1. Saves docs/screenshots/sso-login.png and sso-pending.png."""

from __future__ import annotations

import pytest
from django.db import connection

from campaign.models import Role
from sso.models import IdentityStatus, SsoIdentity
from tests.browser import LAUNCH_ARGS, SHOTS, TIMEOUT_MS, Watch, base_url
from tests.factories import UserFactory
from tests.sso.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _through_provider(page, base: str, person: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.click("a.sso-button")
    page.fill("input[name=username]", person)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/**")


def test_a_person_signs_in_through_the_provider_once_linked(
    chromium_path, sso_settings, oidc_provider, live_server, org, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    from playwright.sync_api import sync_playwright

    base = base_url(live_server)
    dispatcher = UserFactory(username="disp", role=Role.DISPATCHER, unit=org.district)
    watch = Watch()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = watch.context(browser.new_context(locale="zh-CN", viewport={"width": 420, "height": 760}))
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(context.new_page())
        page.goto(f"{base}/accounts/login/")
        assert page.locator("a.sso-button").inner_text() == "通过政务统一身份认证登录"
        page.screenshot(path=str(SHOTS / "sso-login.png"), full_page=True)

        _through_provider(page, base, "alice")
        assert page.locator("h1").inner_text() == "账号待管理员关联"
        page.screenshot(path=str(SHOTS / "sso-pending.png"), full_page=True)

        SsoIdentity.objects.update(status=IdentityStatus.LINKED, user=dispatcher)  # the admin links it
        connection.close()  # opened in Playwright's greenlet: closed here, or it outlives the test database
        context.clear_cookies()
        _through_provider(page, base, "alice")
        assert page.url == f"{base}/"
        assert page.goto(f"{base}/tickets/").status == 200
        browser.close()

    assert [error for error in watch.errors if oidc_provider.url not in error] == []  # the provider has no favicon
    assert [url for url in watch.foreign if "127.0.0.1" not in url] == []
