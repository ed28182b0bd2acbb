import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_size


def test_token_from_username_and_password_authenticates(api, cadre):
    token = api.post("/api/v1/auth/token/", {"username": "cadre", "password": "pw"}, format="json").json()["token"]

    response = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.json()["username"] == "cadre"


def test_wrong_password_gets_no_token(api, cadre):
    response = api.post("/api/v1/auth/token/", {"username": "cadre", "password": "nope"}, format="json")

    assert response.status_code == 400
    assert "token" not in response.json()


def test_api_needs_authentication(api, org):
    assert api.get("/api/v1/households/").status_code in (401, 403)


def test_schema_is_served(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/v1/households/" in response.content


def test_api_docs_load_only_local_files(client):
    html = client.get("/api/docs/").content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(s.startswith("/") for s in sources), sources
    assert "<script>" not in html  # split view: the initialiser is a static file, not an inline script


def test_login_page_renders_in_chinese(client):
    assert "登录" in client.get("/accounts/login/").content.decode()


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please"])
def test_nonsense_booleans_are_refused(monkeypatch, raw):
    monkeypatch.setenv("ZF_FLAG", raw)
    with pytest.raises(ImproperlyConfigured):
        env_bool("ZF_FLAG")


def test_booleans_and_ints_read_plainly(monkeypatch):
    monkeypatch.setenv("ZF_FLAG", "off")
    monkeypatch.setenv("ZF_N", "12")
    assert env_bool("ZF_FLAG", default=True) is False
    assert env_int("ZF_N", 0) == 12
    monkeypatch.setenv("ZF_N", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("ZF_N", 0)


def test_a_memory_size_is_checked_before_it_reaches_postgresql(monkeypatch):
    assert env_size("ZF_MEM", "32MB") == "32MB"
    monkeypatch.setenv("ZF_MEM", "64MB")
    assert env_size("ZF_MEM", "32MB") == "64MB"
    for raw in ("64", "64 MB", "lots", "0MB", "64MB -c fsync=off"):
        monkeypatch.setenv("ZF_MEM", raw)
        with pytest.raises(ImproperlyConfigured):
            env_size("ZF_MEM", "32MB")


def test_every_page_carries_a_strict_content_security_policy(client):
    policy = client.get("/accounts/login/").headers["Content-Security-Policy"]

    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_api_docs_allow_only_swagger_uis_own_style_by_hash(client):
    policy = client.get("/api/docs/").headers["Content-Security-Policy"]

    assert "style-src 'self' 'sha256-" in policy
    assert "unsafe-inline" not in policy
