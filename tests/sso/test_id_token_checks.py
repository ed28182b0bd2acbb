"""The ID token checks mozilla-django-oidc leaves out (its issue #340), added by sso.backends.ProviderBackend: the
issuer and the audience. Tokens signed here with a key whose public half stands in for the provider's JWKS (the
full flow against a real provider is tests/sso/test_sign_in.py's)."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation

from sso.backends import ProviderBackend
from sso.providers import Provider

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PROVIDER = Provider(
    key="gov",
    kind="oidc",
    label="",
    issuer="https://id.example.gov.cn",
    authorization_endpoint="https://id.example.gov.cn/authorize",
    token_endpoint="https://id.example.gov.cn/token",
    userinfo_endpoint="",
    jwks_endpoint="https://id.example.gov.cn/jwks",
    client_id="zoufang",
    client_secret="s3cret",
    scopes="openid",
    sign_algo="RS256",
    subject_claim="",
)


class KeyedBackend(ProviderBackend):
    def retrieve_matching_jwk(self, token):
        return KEY.public_key()


def _token(**claims):
    body = {"iss": PROVIDER.issuer, "aud": "zoufang", "sub": "s1", "nonce": "n1", "exp": int(time.time()) + 300}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, KEY, algorithm="RS256")


def test_a_good_token_passes():
    assert KeyedBackend(PROVIDER).verify_token(_token(), nonce="n1")["sub"] == "s1"
    assert KeyedBackend(PROVIDER).verify_token(_token(aud=["zoufang", "x"], azp="zoufang"), nonce="n1")


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example"},
        {"iss": None},
        {"aud": "another-client"},
        {"aud": ["another-client", "x"]},
        {"aud": ["zoufang", "x"]},  # several audiences and no azp naming us
        {"aud": None},
        {"exp": None},
        {"exp": int(time.time()) - 10},
        {"nonce": "other"},
    ],
    ids=["issuer", "no-issuer", "audience", "audiences", "no-azp", "no-audience", "no-expiry", "expired", "nonce"],
)
def test_a_token_for_someone_else_or_stale_is_refused(claims):
    with pytest.raises(SuspiciousOperation):
        KeyedBackend(PROVIDER).verify_token(_token(**claims), nonce="n1")


def test_a_token_signed_with_another_algorithm_is_refused():
    token = jwt.encode(
        {"iss": PROVIDER.issuer, "aud": "zoufang", "exp": int(time.time()) + 60}, "k" * 32, algorithm="HS256"
    )
    with pytest.raises(SuspiciousOperation):
        KeyedBackend(PROVIDER).verify_token(token, nonce=None)
