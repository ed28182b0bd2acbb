"""The SSO pages against hostile or broken input, without a provider: every refusal is a page, 400 or 404, that
logs nobody in and stores nothing (sso/views.py). The full flow is tests/sso/test_sign_in.py's."""

from __future__ import annotations

import re
import time

import pytest

from sso.models import SsoIdentity

PROVIDER = {
    "kind": "wecom",
    "label": "政务微信",
    "issuer": "https://id.example.gov.cn",
    "authorization_endpoint": "https://id.example.gov.cn/authorize",
    "token_endpoint": "https://id.example.gov.cn/token",
    "userinfo_endpoint": "",
    "jwks_endpoint": "https://id.example.gov.cn/jwks",
    "client_id": "zoufang",
    "client_secret": "s3cret",
    "scopes": "openid",
    "sign_algo": "RS256",
    "subject_claim": "",
}


@pytest.fixture
def one_provider(settings):
    settings.SSO_PROVIDERS = {"wecom": PROVIDER}


def test_start_sends_to_the_provider_with_state_nonce_and_pkce(client, db, one_provider):
    answer = client.get("/accounts/sso/wecom/start/?next=/tickets/")

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("https://id.example.gov.cn/authorize?")
    for part in ("response_type=code", "client_id=zoufang", "code_challenge_method=S256", "nonce=", "state="):
        assert part in location
    assert "s3cret" not in location
    state = re.search(r"state=([^&]+)", location).group(1)
    entry = client.session["oidc_states"][state]
    assert entry["provider"] == "wecom" and entry["next"] == "/tickets/"


def test_a_next_off_site_is_dropped(client, db, one_provider):
    client.get("/accounts/sso/wecom/start/?next=https://evil.example/")
    (entry,) = client.session["oidc_states"].values()
    assert entry["next"] is None


def test_an_unknown_provider_is_404(client, db, one_provider):
    assert client.get("/accounts/sso/nosuch/start/").status_code == 404
    assert client.post("/accounts/sso/wecom/start/").status_code == 405


@pytest.mark.parametrize(
    "query",
    ["", "?code=abc", "?state=nope&code=abc", "?state=%00&code=abc", f"?state={'x' * 5000}&code=abc", "?error=x"],
    ids=["nothing", "no-state", "unknown-state", "nul", "over-long", "error-only"],
)
def test_a_callback_without_a_started_sign_in_is_refused(client, db, one_provider, query):
    client.get("/accounts/sso/wecom/start/")

    answer = client.get(f"/accounts/sso/callback/{query}")

    assert answer.status_code == 400 and "统一身份认证失败" in answer.text
    assert not SsoIdentity.objects.exists()
    assert "_auth_user_id" not in client.session


def test_the_provider_answering_an_error_uses_the_state_up(client, db, one_provider):
    location = client.get("/accounts/sso/wecom/start/").headers["Location"]
    state = re.search(r"state=([^&]+)", location).group(1)

    assert client.get(f"/accounts/sso/callback/?state={state}&error=access_denied").status_code == 400
    assert state not in client.session["oidc_states"]


def test_a_stale_sign_in_is_refused(client, db, one_provider):
    location = client.get("/accounts/sso/wecom/start/").headers["Location"]
    state = re.search(r"state=([^&]+)", location).group(1)
    session = client.session
    session["oidc_states"][state]["added_on"] = time.time() - 11 * 60
    session.save()

    assert client.get(f"/accounts/sso/callback/?state={state}&code=abc").status_code == 400


def test_a_provider_removed_since_the_start_is_404(client, db, settings, one_provider):
    location = client.get("/accounts/sso/wecom/start/").headers["Location"]
    state = re.search(r"state=([^&]+)", location).group(1)
    settings.SSO_PROVIDERS = {}

    assert client.get(f"/accounts/sso/callback/?state={state}&code=abc").status_code == 404


def test_the_login_page_shows_one_button_per_provider_and_none_without(client, db, settings, one_provider):
    page = client.get("/accounts/login/?next=/tickets/")
    assert "统一身份认证登录" in page.text and "通过政务微信登录" in page.text
    assert 'href="/accounts/sso/wecom/start/?next=%2Ftickets%2F"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text  # CSP: no inline script or style

    settings.SSO_PROVIDERS = {}
    page = client.get("/accounts/login/")
    assert "统一身份认证登录" not in page.text and 'name="password"' in page.text
