"""A real OpenID Connect provider for the sign-in tests (issue 17 item 3: "not a mock").

`oidc_provider` starts django-oauth-toolkit's provider (tests/sso/provider/) as a second server in its own process,
with an RSA key made here, Zoufang registered as its client (redirect URI: pytest-django's live_server) and three
people. `sso_settings` points Zoufang's SSO_PROVIDERS at it, as a district's environment would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.browser import base_url

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "zoufang-client"
CLIENT_SECRET = "zoufang-client-secret-0123456789abcdefghijklmnop"
PEOPLE = ("alice", "bob", "carol")
PASSWORD = "provider-pass-123"


@dataclass
class Provider:
    url: str
    issuer: str

    def settings(self, key: str = "gov", kind: str = "oidc", label: str = "政务统一身份认证") -> dict[str, str]:
        return {
            "kind": kind,
            "label": label,
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize/",
            "token_endpoint": f"{self.issuer}/token/",
            "userinfo_endpoint": f"{self.issuer}/userinfo/",
            "jwks_endpoint": f"{self.issuer}/.well-known/jwks.json",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": "openid profile",
            "sign_algo": "RS256",
            "subject_claim": "",
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="session")
def oidc_provider(django_db_setup, live_server, tmp_path_factory):
    # django_db_setup first: the test database outlives the live server (its threads keep connections open).
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.sso.provider.settings",
        "PROVIDER_DB": str(tmp_path_factory.mktemp("provider") / "provider.sqlite3"),
        "PROVIDER_RSA_KEY": _rsa_pem(),
        "PROVIDER_ISSUER": f"{url}/o",
        "PROVIDER_PORT": str(port),
        "PROVIDER_CLIENT_ID": CLIENT_ID,
        "PROVIDER_CLIENT_SECRET": CLIENT_SECRET,
        "PROVIDER_REDIRECT_URI": f"{base_url(live_server)}/accounts/sso/callback/",
        "PROVIDER_PEOPLE": ",".join(PEOPLE),
        "PROVIDER_PASSWORD": PASSWORD,
    }
    log = open(tmp_path_factory.mktemp("provider-log") / "provider.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.provider.serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_ready(f"{url}/o/.well-known/openid-configuration", process)
        yield Provider(url=url, issuer=f"{url}/o")
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_ready(discovery: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test provider exited with {process.returncode}")
        try:
            if requests.get(discovery, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the test provider did not start within 60 s")


@pytest.fixture
def sso_settings(settings, oidc_provider):
    """Zoufang configured with the test provider as a generic OIDC provider `gov` (a test may add more)."""
    settings.SSO_PROVIDERS = {"gov": oidc_provider.settings()}
    return settings
