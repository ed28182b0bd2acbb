"""Accounts (issue 12 item 3): password rules, expiring and revocable API tokens, sessions that end
(docs/security.md "Accounts (item 3)")."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from knox.models import AuthToken

from campaign.models import PasswordHistory, User

TOKEN = "/api/v1/auth/token/"
GOOD = "Zoufang-2026-safe"
DENIED = (401,)  # knox comes first in DRF's list, so a request without valid credentials gets 401 (item 10)
START = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)


def refusal(password: str, user: User | None = None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


def me(api, token: str):
    return api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")


def login(api, username: str = "cadre", password: str = "pw") -> str:
    response = api.post(TOKEN, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


# --- password rules -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1-short", "password_too_short"),
        ("onlylowercaseletters", "password_too_simple"),
        ("lowercaseletters1234", "password_too_simple"),
        ("zhangsanfeng-2026", "password_too_similar"),
        ("Zhangsanfeng#1", "password_too_similar"),
        ("my-cadre-Account-1", "password_contains_username"),
    ],
)
def test_each_password_rule_refuses_with_its_message(cadre, password, code):
    cadre.display_name = "ZhangSanFeng"
    assert code in refusal(password, cadre)


def test_a_password_is_not_one_of_the_last_three(cadre):
    old = ["First-pass-2026", "Second-pass-2026", "Third-pass-2026"]
    for password in old:
        cadre.set_password(password)
        cadre.save()

    assert all(refusal(p, cadre) == ["password_reused"] for p in old)
    assert refusal("Fourth-pass-2026", cadre) == []
    cadre.set_password("Fourth-pass-2026")
    cadre.save()
    assert refusal(old[0], cadre) == []  # four passwords ago: allowed again
    assert PasswordHistory.objects.filter(user=cadre).count() == settings.PASSWORD_HISTORY
    assert not PasswordHistory.objects.filter(password__contains="pass-2026").exists()  # hashes only


def test_a_good_password_is_accepted(cadre):
    assert refusal(GOOD, cadre) == []
    assert refusal("长安街道走访2026abc") == []  # Chinese characters count as "other"


def test_the_admin_refuses_the_password_1(client, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    users = User.objects.count()

    response = client.post(
        "/admin/campaign/user/add/",
        {"username": "newcadre", "usable_password": "true", "password1": "1", "password2": "1", "role": "cadre"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["password2"]
    assert len(errors) >= 3, errors  # too short, too simple, too common
    assert User.objects.count() == users and not User.objects.filter(username="newcadre").exists()


def test_the_admin_refuses_a_weak_new_password_for_an_existing_user(client, admin_user, cadre):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    before = User.objects.get(pk=cadre.pk).password

    response = client.post(
        f"/admin/campaign/user/{cadre.pk}/password/",
        {"password1": "1", "password2": "1", "usable_password": "true"},
    )

    assert response.status_code == 200 and User.objects.get(pk=cadre.pk).password == before


# --- API tokens ---------------------------------------------------------------------------------------------
def test_a_token_is_stored_hashed_and_answers_with_its_expiry(api, cadre):
    response = api.post(TOKEN, {"username": "cadre", "password": "pw"}, format="json").json()

    assert set(response) == {"token", "expiry"}
    assert not AuthToken.objects.filter(digest__contains=response["token"]).exists()
    assert me(api, response["token"]).json()["username"] == "cadre"


def test_a_token_dies_after_eight_hours_unused(api, cadre):
    with time_machine.travel(START, tick=False):
        token = login(api)
    with time_machine.travel(START + dt.timedelta(hours=7, minutes=59), tick=False):
        assert me(api, token).status_code == 200  # used: pushed back to 15:59 + 8 h
    with time_machine.travel(START + dt.timedelta(hours=15, minutes=58), tick=False):
        assert me(api, token).status_code == 200
    with time_machine.travel(START + dt.timedelta(hours=24), tick=False):
        assert me(api, token).status_code in DENIED
    assert AuthToken.objects.count() == 0


def test_a_token_dies_thirty_days_after_login_however_much_used(api, cadre):
    with time_machine.travel(START, tick=False):
        token = login(api)
    moment = START
    while moment < START + dt.timedelta(days=30) - dt.timedelta(hours=7):
        moment += dt.timedelta(hours=7)
        with time_machine.travel(moment, tick=False):
            assert me(api, token).status_code == 200, moment
    with time_machine.travel(START + dt.timedelta(days=30, minutes=1), tick=False):
        assert me(api, token).status_code in DENIED


def test_delete_revokes_the_callers_token_only(api, cadre):
    kept, revoked = login(api), login(api)

    response = api.delete(TOKEN, HTTP_AUTHORIZATION=f"Token {revoked}")

    assert response.status_code == 204
    assert me(api, revoked).status_code in DENIED and me(api, kept).status_code == 200
    assert AuthToken.objects.filter(user=cadre).count() == 1


def test_delete_without_a_token_is_refused(api, cadre):
    assert api.delete(TOKEN).status_code in (401, 403)


# --- everything ends on a password change or a deactivation -------------------------------------------------
@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_tokens_and_sessions_end(api, client, cadre, change):
    token = login(api)
    client.force_login(cadre)
    assert me(api, token).status_code == 200 and client.get("/api/v1/me/").status_code == 200

    user = User.objects.get(pk=cadre.pk)
    if change == "password":
        user.set_password(GOOD)
    else:
        user.is_active = False
    user.save()

    assert me(api, token).status_code in DENIED
    assert client.get("/api/v1/me/").status_code == 401  # the session is gone: no credentials left (item 10)
    assert AuthToken.objects.filter(user=cadre).count() == 0


def test_saving_a_user_otherwise_keeps_their_tokens(api, cadre):
    token = login(api)
    user = User.objects.get(pk=cadre.pk)
    user.display_name = "张三"
    user.save()

    assert me(api, token).status_code == 200


def test_a_page_session_ends_after_thirty_minutes_idle(client, cadre):
    with time_machine.travel(START, tick=False):
        client.force_login(cadre)
    with time_machine.travel(START + dt.timedelta(minutes=29), tick=False):
        assert client.get("/api/v1/me/").status_code == 200  # a request pushes the end back
    with time_machine.travel(START + dt.timedelta(minutes=58), tick=False):
        assert client.get("/api/v1/me/").status_code == 200
    with time_machine.travel(START + dt.timedelta(minutes=89), tick=False):
        assert client.get("/api/v1/me/").status_code == 401  # the session ended: no credentials left (item 10)
