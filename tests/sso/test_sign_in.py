"""Single sign-on against a real OpenID Connect provider (tests/sso/conftest.py: django-oauth-toolkit in a second
process), driven end to end with `requests`: Zoufang's start page, the provider's login form, its authorization
(consent skipped for its own client), Zoufang's callback exchanging the code server to server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore

from campaign.models import AuditEvent, Role, User
from sso.models import IdentityStatus, SsoIdentity
from sso.services import identity_refuse
from tests.browser import base_url
from tests.factories import UserFactory
from tests.sso.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _to_callback(base: str, key: str, person: str, start: str = "") -> tuple[requests.Session, str]:
    """Start at Zoufang, sign in at the provider as `person`; the Zoufang callback URL the provider sends back to
    (not yet followed)."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/sso/{key}/start/{start}", timeout=30)
    assert page.status_code == 200 and "/accounts/login/" in page.url  # the provider's login form
    answer = session.post(
        page.url,
        data={"username": person, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["provider_csrf"]},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    authorize = session.get(urljoin(page.url, answer.headers["Location"]), allow_redirects=False, timeout=30)
    assert authorize.status_code == 302
    callback = authorize.headers["Location"]
    assert callback.startswith(f"{base}/accounts/sso/callback/?")
    return session, callback


def _sign_in(base: str, person: str, key: str = "gov", start: str = "") -> tuple[requests.Session, requests.Response]:
    session, callback = _to_callback(base, key, person, start)
    return session, session.get(callback, timeout=30)


def _me(session: requests.Session, base: str) -> requests.Response:
    return session.get(f"{base}/api/v1/me/", timeout=30)


def test_unknown_person_is_recorded_pending_and_no_account_is_created(sso_settings, live_server, org):
    base = base_url(live_server)
    users_before = User.objects.count()

    session, page = _sign_in(base, "alice")

    assert page.status_code == 200 and "账号待管理员关联" in page.text
    identity = SsoIdentity.objects.get()
    assert f"<strong>{identity.pk}</strong>" in page.text  # the number to tell the admin
    assert (identity.provider, identity.status, identity.user) == ("gov", IdentityStatus.PENDING, None)
    assert identity.display_name == "alice姓名"  # the one claim kept besides the id
    assert User.objects.count() == users_before
    assert _me(session, base).status_code in (401, 403)  # nobody is logged in
    event = AuditEvent.objects.filter(object_type="ssoidentity").get()
    assert event.changes == {"via": "sso", "outcome": "pending"}
    assert "alice" not in str(event.changes) and event.actor_name == "sso:gov"


def test_linked_person_signs_in_as_the_linked_account(sso_settings, live_server, org):
    base = base_url(live_server)
    dispatcher = UserFactory(username="disp", role=Role.DISPATCHER, unit=org.district)
    _sign_in(base, "bob")  # the first sign-in: pending
    SsoIdentity.objects.filter(provider="gov").update(status=IdentityStatus.LINKED, user=dispatcher)

    session, page = _sign_in(base, "bob")

    assert page.status_code == 200 and page.url == f"{base}/"
    me = _me(session, base)
    assert me.status_code == 200 and me.json()["username"] == "disp"
    assert session.get(f"{base}/tickets/", timeout=30).status_code == 200  # a page behind login
    assert SsoIdentity.objects.count() == 1  # the same identity, seen again
    assert AuditEvent.objects.filter(action="login_ok", actor=dispatcher).exists()  # user_logged_in fired

    identity_refuse(identity=SsoIdentity.objects.get(), actor=dispatcher)  # the admin changes their mind
    assert _me(session, base).status_code in (401, 403)  # the SSO session ends at its next request


def test_reporter_signed_in_by_sso_stays_behind_the_fence(sso_settings, live_server, org):
    """remember_role runs on user_logged_in: the reporter is sent to /m/ and kept off other pages."""
    base = base_url(live_server)
    reporter = UserFactory(username="huzhang", role=Role.REPORTER, unit=org.grid1)
    _sign_in(base, "carol")
    SsoIdentity.objects.update(status=IdentityStatus.LINKED, user=reporter)

    session, page = _sign_in(base, "carol")

    assert page.status_code == 200 and urlsplit(page.url).path == "/m/"
    assert session.get(f"{base}/tickets/", timeout=30).status_code == 403


def test_refused_identity_cannot_sign_in(sso_settings, live_server, org):
    base = base_url(live_server)
    _sign_in(base, "alice")
    SsoIdentity.objects.update(status=IdentityStatus.REFUSED)

    session, page = _sign_in(base, "alice")

    assert page.status_code == 403 and "无法登录" in page.text
    assert _me(session, base).status_code in (401, 403)


def test_identity_of_a_deactivated_account_cannot_sign_in(sso_settings, live_server, org):
    base = base_url(live_server)
    cadre = UserFactory(username="gone", role=Role.CADRE, unit=org.grid1, is_active=False)
    _sign_in(base, "alice")
    SsoIdentity.objects.update(status=IdentityStatus.LINKED, user=cadre)

    session, page = _sign_in(base, "alice")

    assert page.status_code == 403
    assert _me(session, base).status_code in (401, 403)


def test_tampered_state_is_refused_and_logs_nobody_in(sso_settings, live_server, org):
    base = base_url(live_server)
    session, callback = _to_callback(base, "gov", "alice")
    query = parse_qs(urlsplit(callback).query)
    forged = f"{base}/accounts/sso/callback/?{urlencode({'code': query['code'][0], 'state': 'forged-state'})}"

    page = session.get(forged, timeout=30)

    assert page.status_code == 400 and "统一身份认证失败" in page.text
    assert not SsoIdentity.objects.exists()  # the code was never exchanged
    assert _me(session, base).status_code in (401, 403)


def test_a_callback_replayed_is_refused(sso_settings, live_server, org):
    base = base_url(live_server)
    dispatcher = UserFactory(username="disp", role=Role.DISPATCHER, unit=org.district)
    _sign_in(base, "bob")
    SsoIdentity.objects.update(status=IdentityStatus.LINKED, user=dispatcher)
    session, callback = _to_callback(base, "gov", "bob")
    assert session.get(callback, timeout=30).status_code == 200

    other = requests.Session()  # another browser, or the same one again: the state is used up
    assert other.get(callback, timeout=30).status_code == 400
    assert session.get(callback, timeout=30).status_code == 400


def test_nonce_mismatch_is_refused(sso_settings, live_server, org):
    """The provider puts the nonce it was sent in the ID token; the session expecting another one refuses it."""
    base = base_url(live_server)
    session, callback = _to_callback(base, "gov", "alice")
    stored = SessionStore(session_key=session.cookies["sessionid"])
    state = parse_qs(urlsplit(callback).query)["state"][0]
    states = stored["oidc_states"]
    states[state]["nonce"] = "not-the-nonce-sent"
    stored["oidc_states"] = states
    stored.save()

    page = session.get(callback, timeout=30)

    assert page.status_code == 400
    assert not SsoIdentity.objects.exists()
    assert _me(session, base).status_code in (401, 403)


def test_wrong_client_secret_is_a_provider_error_not_a_login(sso_settings, live_server, org):
    base = base_url(live_server)
    sso_settings.SSO_PROVIDERS = {"gov": {**sso_settings.SSO_PROVIDERS["gov"], "client_secret": "wrong"}}
    session, page = _sign_in(base, "alice")
    assert page.status_code == 502
    assert not SsoIdentity.objects.exists()


def test_wecom_and_zzd_adapters_take_their_user_ids(sso_settings, live_server, oidc_provider, org, caplog):
    caplog.set_level("DEBUG")
    base = base_url(live_server)
    sso_settings.SSO_PROVIDERS = {
        "wecom": oidc_provider.settings("wecom", "wecom", "政务微信"),
        "zzd": oidc_provider.settings("zzd", "zzd", "浙政钉"),
    }

    _sign_in(base, "alice", key="wecom")
    _sign_in(base, "alice", key="zzd")

    subjects = dict(SsoIdentity.objects.values_list("provider", "subject"))
    assert subjects["wecom"] == "wx-alice"
    assert subjects["zzd"].isdigit() and int(subjects["zzd"]) > 100000  # accountId, not the provider's `sub`
    for personal in ("wx-alice", subjects["zzd"], "alice姓名"):  # nothing personal in the logs
        assert personal not in caplog.text
    assert "sso sign-in pending: provider wecom" in caplog.text  # the logs were read


def test_password_login_still_works_next_to_sso(sso_settings, live_server, org):
    base = base_url(live_server)
    UserFactory(username="pwuser", role=Role.DISPATCHER, unit=org.district)
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    assert "政务统一身份认证" in page.text and "/accounts/sso/gov/start/" in page.text

    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": "pwuser", "password": "pw", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=30,
    )

    assert answer.status_code == 200 and answer.url == f"{base}/"
    assert _me(session, base).json()["username"] == "pwuser"


def test_sign_in_returns_to_the_page_asked_for_and_ends_with_the_account(sso_settings, live_server, org):
    base = base_url(live_server)
    dispatcher = UserFactory(username="disp", role=Role.DISPATCHER, unit=org.district)
    _sign_in(base, "bob")
    SsoIdentity.objects.update(status=IdentityStatus.LINKED, user=dispatcher)

    session, page = _sign_in(base, "bob", start="?next=/tickets/")
    assert page.status_code == 200 and urlsplit(page.url).path == "/tickets/"
    _, page = _sign_in(base, "bob", start="?next=https://evil.example/")
    assert page.url == f"{base}/"

    User.objects.filter(pk=dispatcher.pk).update(is_active=False)  # the account is closed: its session ends
    assert _me(session, base).status_code in (401, 403)


def test_pending_sign_ins_lock_nobody_out_and_the_lockout_still_guards_passwords(sso_settings, live_server, org):
    """SSO refusals are not password failures (axes counts none of them); five wrong passwords still lock."""
    base = base_url(live_server)
    UserFactory(username="pwuser", role=Role.DISPATCHER, unit=org.district)
    for _ in range(5):
        _sign_in(base, "alice")
    assert not AccessAttempt.objects.exists()

    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=30)
    for _ in range(5):
        wrong = {"username": "pwuser", "password": "wrong", "csrfmiddlewaretoken": session.cookies["csrftoken"]}
        session.post(f"{base}/accounts/login/", data=wrong, timeout=30)
    right = {"username": "pwuser", "password": "pw", "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    locked = session.post(f"{base}/accounts/login/", data=right, timeout=30)
    assert locked.status_code in (403, 429) and _me(session, base).status_code in (401, 403)


def test_a_provider_whose_tokens_name_another_issuer_is_refused(sso_settings, live_server, org):
    base = base_url(live_server)
    sso_settings.SSO_PROVIDERS = {"gov": {**sso_settings.SSO_PROVIDERS["gov"], "issuer": "https://id.elsewhere.cn"}}

    session, page = _sign_in(base, "alice")

    assert page.status_code == 400
    assert not SsoIdentity.objects.exists()
