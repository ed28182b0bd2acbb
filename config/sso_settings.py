"""Single sign-on providers from the environment (config/settings.py's SSO_PROVIDERS; read by sso.providers).

SSO_PROVIDERS=wecom,zzd names the providers; each key K reads SSO_<K>_<FIELD> (docs/integration.md, "单点登录
(OIDC)"). A provider with a missing endpoint or an unknown kind refuses to start, as every other setting does.
"""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured

from config.env import env_list, env_str

KINDS = ("oidc", "wecom", "zzd")  # generic OpenID Connect; 企业微信/政务微信; 浙政钉
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "client_id", "client_secret")
OPTIONAL = {
    "label": "",
    "userinfo_endpoint": "",
    "jwks_endpoint": "",
    "scopes": "openid",
    "sign_algo": "RS256",
    "subject_claim": "",
}
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "HS256")
KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")


def sso_providers() -> dict[str, dict[str, str]]:
    """{key: {field: value}} of every provider named by SSO_PROVIDERS, in that order."""
    providers: dict[str, dict[str, str]] = {}
    for key in env_list("SSO_PROVIDERS", []):
        if not KEY.fullmatch(key):
            raise ImproperlyConfigured(f"SSO_PROVIDERS: {key!r} is not a key (a-z, 0-9, _; at most 32)")
        prefix = f"SSO_{key.upper()}_"
        config = {"kind": env_str(prefix + "KIND", "oidc").strip().lower()}
        for field in REQUIRED:
            config[field] = env_str(prefix + field.upper()).strip()
            if not config[field]:
                raise ImproperlyConfigured(f"{prefix}{field.upper()} is not set (provider {key!r} of SSO_PROVIDERS)")
        for field, default in OPTIONAL.items():
            config[field] = env_str(prefix + field.upper(), default).strip() or default
        providers[key] = checked(key, config)
    return providers


def checked(key: str, config: dict[str, str]) -> dict[str, str]:
    """The provider's settings if they make sense; ImproperlyConfigured naming the field otherwise."""
    prefix = f"SSO_{key.upper()}_"
    if config["kind"] not in KINDS:
        raise ImproperlyConfigured(f"{prefix}KIND={config['kind']!r} must be one of {', '.join(KINDS)}")
    if config["sign_algo"] not in ALGORITHMS:
        raise ImproperlyConfigured(f"{prefix}SIGN_ALGO={config['sign_algo']!r} must be one of {', '.join(ALGORITHMS)}")
    if config["sign_algo"] != "HS256" and not config["jwks_endpoint"]:
        raise ImproperlyConfigured(f"{prefix}JWKS_ENDPOINT is not set: {config['sign_algo']} needs the provider's keys")
    for field in ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_endpoint"):
        value = config[field]
        if value and not value.startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"{prefix}{field.upper()}={value!r} is not an http(s) address")
    if "openid" not in config["scopes"].split():
        raise ImproperlyConfigured(f"{prefix}SCOPES must include openid")
    return config
