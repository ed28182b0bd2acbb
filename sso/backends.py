"""The OpenID Connect relying party, on mozilla-django-oidc's backend (docs/decisions.md, "Issue 17 — single
sign-on").

`ProviderBackend` is built per sign-in by sso.views for one provider, and is not in AUTHENTICATION_BACKENDS: the
library's code exchange, JWKS lookup, signature, algorithm and nonce checks are used as they are; this adds what the
library leaves out (the ID token's issuer and audience, mozilla-django-oidc issue #340), reads the person's id through
the provider's adapter and never creates an account (OIDC_CREATE_USER's job is done by an admin, sso.services).

`SsoSessionBackend` is the backend a signed-in session names: Django's ModelBackend, which authenticates no password,
and whose session ends when the account is deactivated or no longer holds a linked identity.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from sso.models import IdentityStatus, SsoIdentity
from sso.providers import Provider
from sso.services import identity_seen

SESSION_BACKEND = "sso.backends.SsoSessionBackend"
TIMEOUT_SECONDS = 10  # each call to the provider (token, keys, userinfo): a dead provider costs a sign-in 10 s


class SsoSessionBackend(ModelBackend):
    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any):
        return None  # SSO sign-ins go through sso.views, never through django.contrib.auth.authenticate

    def get_user(self, user_id: Any) -> Any:
        """The session's account while it is active and still holds a linked identity: refusing or unlinking the
        identity ends its SSO sessions at their next request. One query, as ModelBackend's."""
        user = get_user_model()._default_manager.filter(pk=user_id, sso_identities__status=IdentityStatus.LINKED)
        found = user.first()
        return found if found is not None and self.user_can_authenticate(found) else None


class ProviderBackend(OIDCAuthenticationBackend):
    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.identity: SsoIdentity | None = None
        super().__init__()

    def get_settings(self, attr: str, *args: Any) -> Any:
        """The library's settings, per provider."""
        p = self.provider
        per_provider = {
            "OIDC_OP_TOKEN_ENDPOINT": p.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": p.userinfo_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": p.jwks_endpoint or None,
            "OIDC_RP_CLIENT_ID": p.client_id,
            "OIDC_RP_CLIENT_SECRET": p.client_secret,
            "OIDC_RP_SIGN_ALGO": p.sign_algo,
            "OIDC_RP_IDP_SIGN_KEY": None,
            "OIDC_RP_SCOPES": p.scopes,
            "OIDC_AUTHENTICATION_CALLBACK_URL": "sso-callback",
            "OIDC_USE_NONCE": True,
            "OIDC_VERIFY_KID": True,
            "OIDC_ALLOW_UNSECURED_JWT": False,
            "OIDC_CREATE_USER": False,
            "OIDC_STORE_ACCESS_TOKEN": False,
            "OIDC_STORE_ID_TOKEN": False,
            "OIDC_TOKEN_USE_BASIC_AUTH": False,
            "OIDC_TIMEOUT": TIMEOUT_SECONDS,
        }
        if attr in per_provider:
            return per_provider[attr]
        return import_from_settings(attr, *args)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The library's checks (signature, algorithm, expiry, nonce), then the issuer and the audience (OpenID
        Connect Core 3.1.3.7, items 2–4)."""
        try:
            payload = super().verify_token(token, **kwargs)
        except (jwt.InvalidTokenError, jwt.PyJWKError) as exc:  # expired, not yet valid, bad key: the library lets
            raise SuspiciousOperation(f"ID token refused: {type(exc).__name__}") from exc  # them through
        if payload.get("iss") != self.provider.issuer:
            raise SuspiciousOperation("ID token issuer is not the provider's")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
        if self.provider.client_id not in audiences:
            raise SuspiciousOperation("ID token audience is not this client")
        if len(audiences) > 1 and payload.get("azp") != self.provider.client_id:
            raise SuspiciousOperation("ID token authorized party is not this client")
        if "exp" not in payload:
            raise SuspiciousOperation("ID token has no expiry")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, with the userinfo endpoint's when the provider has one (same `sub`, or refused)."""
        if not self.provider.userinfo_endpoint:
            return dict(payload)
        info = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict) or info.get("sub", payload.get("sub")) != payload.get("sub"):
            raise SuspiciousOperation("userinfo is not about the ID token's subject")
        return {**payload, **info}

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return True  # the adapter decides what names the person (sso.providers)

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The linked, active account of the person, or None (pending, refused, inactive): `self.identity` tells
        which. Never creates an account."""
        claims = self.get_userinfo(access_token, id_token, payload)
        adapter = self.provider.adapter
        self.identity = identity_seen(
            provider=self.provider.key, subject=adapter.subject(claims), display_name=adapter.display_name(claims)
        )
        user = self.identity.user if self.identity.status == IdentityStatus.LINKED else None
        return user if user is not None and user.is_active else None
