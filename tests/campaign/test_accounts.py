"""Accounts (issue 12 item 3): the lockout on every login path, and whose address counts (docs/security.md)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import RequestFactory
from knox.models import AuthToken

from campaign.clients import client_address
from campaign.models import User
from issues.lookup import LOOKUPS_PER_MINUTE, lookup_allowed

TOKEN = "/api/v1/auth/token/"
LIMIT = 5


def token_login(api, username: str, password: str, ip: str = "10.0.0.1", **headers: str):
    return api.post(TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=ip, **headers)


@pytest.fixture
def staff_admin(admin_user):
    """The district admin, allowed into /admin/."""
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_user


def page_login(client, path: str, username: str, password: str, ip: str = "10.0.0.1", **headers: str):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def test_token_login_locks_the_account_after_five_failures_from_anywhere(api, cadre):
    answers = [token_login(api, "cadre", "wrong", ip=f"10.0.1.{i}").status_code for i in range(LIMIT)]

    right = token_login(api, "cadre", "pw", ip="10.0.2.1")

    assert answers == [400] * (LIMIT - 1) + [403]
    assert right.status_code == 403 and "锁定" in right.json()["detail"] and "token" not in right.json()
    assert AuthToken.objects.count() == 0


def test_a_missing_account_is_answered_exactly_as_an_existing_one(api, cadre):
    def attempts(username: str, ip_prefix: str) -> list[tuple[int, bytes]]:
        answers = [token_login(api, username, "wrong", ip=f"{ip_prefix}.{i}") for i in range(LIMIT + 1)]
        return [(a.status_code, a.content) for a in answers]

    assert attempts("cadre", "10.0.3") == attempts("nobody", "10.0.4")
    assert not User.objects.filter(username="nobody").exists()


def test_token_login_locks_the_client_whatever_account_it_tries(api, cadre, cadre2):
    for i in range(LIMIT):
        token_login(api, f"guess{i}", "wrong", ip="10.0.5.1")

    from_there = token_login(api, "cadre", "pw", ip="10.0.5.1")
    from_elsewhere = token_login(api, "cadre2", "pw", ip="10.0.5.2")

    assert from_there.status_code == 403 and AuthToken.objects.filter(user=cadre).count() == 0
    assert from_elsewhere.status_code == 200 and "token" in from_elsewhere.json()


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_login_pages_lock_the_account(client, staff_admin, path):
    answers = [page_login(client, path, "admin", "wrong", ip=f"10.0.6.{i}").status_code for i in range(LIMIT)]

    right = page_login(client, path, "admin", "pw", ip="10.0.7.1")

    assert answers == [200] * (LIMIT - 1) + [403]
    assert right.status_code == 403 and "锁定" in right.content.decode()
    assert "_auth_user_id" not in client.session
    # the failures are kept (for the admin's lockout page), the passwords tried are not
    assert not any("wrong" in a.post_data for a in AccessAttempt.objects.all())


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_login_pages_lock_the_client(client, staff_admin, path):
    for i in range(LIMIT):
        page_login(client, path, f"guess{i}", "wrong", ip="10.0.8.1")

    assert page_login(client, path, "admin", "pw", ip="10.0.8.1").status_code == 403
    assert "_auth_user_id" not in client.session
    assert page_login(client, path, "admin", "pw", ip="10.0.8.2").status_code == 302


def test_login_page_answers_a_missing_account_like_an_existing_one(client, cadre):
    def attempts(username: str, ip_prefix: str) -> list[tuple[int, str]]:
        answers = [page_login(client, "/accounts/login/", username, "x", ip=f"{ip_prefix}.{i}") for i in range(6)]
        return [(a.status_code, a.content.decode().replace("csrfmiddlewaretoken", "")) for a in answers]

    existing, missing = attempts("cadre", "10.0.9"), attempts("nobody", "10.0.10")

    assert [code for code, _ in existing] == [code for code, _ in missing] == [200] * 4 + [403] * 2
    assert [body.count("锁定") for _, body in existing] == [body.count("锁定") for _, body in missing]


def test_the_lock_lifts_after_fifteen_minutes(api, cadre):
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for i in range(LIMIT):
            token_login(api, "cadre", "wrong", ip=f"10.0.11.{i}")
        assert token_login(api, "cadre", "pw").status_code == 403
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert token_login(api, "cadre", "pw").status_code == 403  # not counted: the lock is not pushed back
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert token_login(api, "cadre", "pw").status_code == 200


def test_an_admin_lifts_a_lockout_on_the_axes_page(client, api, cadre, staff_admin):
    for i in range(LIMIT):
        token_login(api, "cadre", "wrong", ip=f"10.0.12.{i}")
    client.force_login(staff_admin)

    listing = client.get("/admin/axes/accessattempt/")
    ids = list(AccessAttempt.objects.filter(username="cadre").values_list("pk", flat=True))
    lifted = client.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )

    assert listing.status_code == 200 and "cadre" in listing.content.decode()
    assert lifted.status_code == 302 and not AccessAttempt.objects.filter(username="cadre").exists()
    assert token_login(api, "cadre", "pw").status_code == 200


# --- the client address -------------------------------------------------------------------------------------
def test_a_made_up_forwarded_for_does_not_escape_the_lockout(api, cadre):
    for i in range(LIMIT):
        token_login(api, f"guess{i}", "wrong", ip="10.0.13.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")

    spoofed = token_login(api, "cadre", "pw", ip="10.0.13.1", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert spoofed.status_code == 403
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.13.1"}


def test_a_made_up_forwarded_for_does_not_escape_the_token_throttle(api, org):
    answers = [
        token_login(api, "cadre", "wrong", ip="10.0.14.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(31)
    ]

    assert answers[-1] == 429 and 429 not in answers[:30]


def test_a_made_up_forwarded_for_does_not_escape_the_lookup_limit(org):
    requests = [
        RequestFactory().post("/lookup/", REMOTE_ADDR="10.0.15.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        for i in range(LOOKUPS_PER_MINUTE + 1)
    ]

    assert [lookup_allowed(r) for r in requests] == [True] * LOOKUPS_PER_MINUTE + [False]


def test_forwarded_for_counts_only_behind_trusted_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.7, 10.0.0.9")

    assert client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "192.0.2.7"
    settings.TRUSTED_PROXY_COUNT = 5
    assert client_address(request) == "1.2.3.4"
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="junk")) is None
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="")) is None
