"""The configured sign-on providers (settings.SSO_PROVIDERS, read from the environment by config/sso_settings.py)
and their adapters: which claim names the person at each kind of provider.

An adapter is a small class: `subject(claims)` is the provider's stable id of the person, `display_name(claims)` the
name shown to the admin who links it. Kinds:

- `oidc`: any OpenID Connect provider; the person is `sub`.
- `wecom`: 企业微信 / 政务微信 behind an OIDC gateway (their own OAuth is not OpenID Connect: it answers a `code` with
  a `UserId` from `getuserinfo`, no ID token); the person is the enterprise's `userid` (`UserId`), which an admin
  also sees in the WeCom console, rather than the gateway's `sub`.
- `zzd`: 浙政钉 (专有钉钉) behind its OIDC-style gateway; the person is `accountId`, or `employeeCode` where the tenant
  hands out no account ids.

`subject_claim` in a provider's settings names another claim when a gateway maps them differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404

SUBJECT_MAX = 255
NAME_MAX = 64


def _text(value: Any, limit: int) -> str | None:
    """A claim as text if it is a plain string or integer without control characters and within `limit`."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or len(text) > limit or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return text


class Adapter:
    """Generic OpenID Connect: `sub` names the person."""

    kind = "oidc"
    subject_claims: tuple[str, ...] = ("sub",)
    name_claims: tuple[str, ...] = ("name", "preferred_username")

    def __init__(self, subject_claim: str = "") -> None:
        if subject_claim:
            self.subject_claims = (subject_claim,)

    def subject(self, claims: dict[str, Any]) -> str:
        """The first claim of `subject_claims` present; SuspiciousOperation when none is usable (no account is
        guessed from another claim)."""
        for claim in self.subject_claims:
            if claim in claims and claims[claim] not in (None, ""):
                value = _text(claims[claim], SUBJECT_MAX)
                if value is None:
                    raise SuspiciousOperation(f"SSO claim {claim} is not a usable user id")
                return value
        raise SuspiciousOperation(f"SSO claims carry none of {', '.join(self.subject_claims)}")

    def display_name(self, claims: dict[str, Any]) -> str:
        for claim in self.name_claims:
            value = _text(claims.get(claim), 1000)
            if value:
                return value[:NAME_MAX]
        return ""


class WeComAdapter(Adapter):
    """企业微信 / 政务微信: the enterprise's user id (the API's `UserId`, `userid` in its user records)."""

    kind = "wecom"
    subject_claims = ("userid", "UserId")
    name_claims = ("name",)


class ZzdAdapter(Adapter):
    """浙政钉: the account id, else the employee code."""

    kind = "zzd"
    subject_claims = ("accountId", "employeeCode")
    name_claims = ("lastName", "nickNameCn", "name")


ADAPTERS: dict[str, type[Adapter]] = {a.kind: a for a in (Adapter, WeComAdapter, ZzdAdapter)}


@dataclass(frozen=True)
class Provider:
    key: str
    kind: str
    label: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_endpoint: str
    client_id: str
    client_secret: str
    scopes: str
    sign_algo: str
    subject_claim: str

    @property
    def adapter(self) -> Adapter:
        return ADAPTERS[self.kind](self.subject_claim)

    @property
    def button_label(self) -> str:
        return self.label or self.key


def configured() -> list[Provider]:
    """Every provider of settings.SSO_PROVIDERS, in order (none: the login page shows no button)."""
    return [Provider(key=key, **config) for key, config in getattr(settings, "SSO_PROVIDERS", {}).items()]


def provider_named(key: str) -> Provider:
    for provider in configured():
        if provider.key == key:
            return provider
    raise Http404
