"""What names a person at each kind of provider, hostile claims, and the providers' settings from the environment."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation

from config.sso_settings import sso_providers
from sso.providers import Adapter, WeComAdapter, ZzdAdapter


def test_each_adapter_reads_its_own_user_id():
    claims = {"sub": "s-1", "userid": "wx-zhang", "accountId": 12345, "employeeCode": "E9", "name": "张三"}
    assert Adapter().subject(claims) == "s-1"
    assert WeComAdapter().subject(claims) == "wx-zhang"
    assert WeComAdapter().subject({"UserId": "ZhangSan"}) == "ZhangSan"
    assert ZzdAdapter().subject(claims) == "12345"
    assert ZzdAdapter().subject({"employeeCode": "E9"}) == "E9"
    assert Adapter("employeeCode").subject(claims) == "E9"  # a gateway that maps claims its own way


@pytest.mark.parametrize(
    "value",
    ["", "a\x00b", "tab\there", "x" * 256, True, 1.5, {"id": 1}, ["a"], None],
    ids=["empty", "nul", "control", "too-long", "bool", "float", "object", "list", "null"],
)
def test_a_hostile_user_id_is_refused_never_guessed_from_another_claim(value):
    with pytest.raises(SuspiciousOperation):
        WeComAdapter().subject({"userid": value, "sub": "fallback-must-not-be-used"})


def test_display_name_is_bounded_and_never_control_characters():
    assert Adapter().display_name({"name": "名" * 100}) == "名" * 64
    assert Adapter().display_name({"name": "a\x00b"}) == ""
    assert ZzdAdapter().display_name({"lastName": "李四", "name": "x"}) == "李四"


FULL = {
    "SSO_PROVIDERS": "gov,zzd",
    "SSO_GOV_ISSUER": "https://id.example.gov.cn",
    "SSO_GOV_AUTHORIZATION_ENDPOINT": "https://id.example.gov.cn/authorize",
    "SSO_GOV_TOKEN_ENDPOINT": "https://id.example.gov.cn/token",
    "SSO_GOV_JWKS_ENDPOINT": "https://id.example.gov.cn/jwks",
    "SSO_GOV_CLIENT_ID": "zoufang",
    "SSO_GOV_CLIENT_SECRET": "s3cret",
    "SSO_ZZD_KIND": "zzd",
    "SSO_ZZD_LABEL": "浙政钉",
    "SSO_ZZD_ISSUER": "https://openplatform.example.gov.cn",
    "SSO_ZZD_AUTHORIZATION_ENDPOINT": "https://openplatform.example.gov.cn/oauth2/auth",
    "SSO_ZZD_TOKEN_ENDPOINT": "https://openplatform.example.gov.cn/oauth2/token",
    "SSO_ZZD_USERINFO_ENDPOINT": "https://openplatform.example.gov.cn/oauth2/userinfo",
    "SSO_ZZD_JWKS_ENDPOINT": "https://openplatform.example.gov.cn/oauth2/jwks",
    "SSO_ZZD_CLIENT_ID": "zoufang",
    "SSO_ZZD_CLIENT_SECRET": "s3cret",
}


def _env(monkeypatch, values):
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_providers_are_read_from_the_environment(monkeypatch):
    _env(monkeypatch, FULL)
    providers = sso_providers()
    assert list(providers) == ["gov", "zzd"]
    assert providers["gov"]["kind"] == "oidc" and providers["gov"]["scopes"] == "openid"
    assert providers["gov"]["sign_algo"] == "RS256"
    assert providers["zzd"]["label"] == "浙政钉"


def test_no_providers_means_none(monkeypatch):
    monkeypatch.delenv("SSO_PROVIDERS", raising=False)
    assert sso_providers() == {}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SSO_GOV_TOKEN_ENDPOINT", "", "SSO_GOV_TOKEN_ENDPOINT is not set"),
        ("SSO_GOV_KIND", "wechat", "SSO_GOV_KIND"),
        ("SSO_GOV_SIGN_ALGO", "none", "SSO_GOV_SIGN_ALGO"),
        ("SSO_GOV_JWKS_ENDPOINT", "", "SSO_GOV_JWKS_ENDPOINT"),
        ("SSO_GOV_TOKEN_ENDPOINT", "javascript:alert(1)", r"not an http\(s\) address"),
        ("SSO_GOV_SCOPES", "profile", "must include openid"),
        ("SSO_PROVIDERS", "Gov!", "is not a key"),
    ],
)
def test_a_provider_that_makes_no_sense_refuses_to_start(monkeypatch, name, value, message):
    _env(monkeypatch, {**FULL, name: value})
    with pytest.raises(ImproperlyConfigured, match=message):
        sso_providers()
