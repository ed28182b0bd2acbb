"""A deployment (DATABASE_URL set) refuses to start on the repository's public keys and passes Django's deploy checks
with nothing but the five variables of docs/operations.md (issue 12 item 7).

Each case runs `manage.py` in a fresh process with a clean environment: settings are read once, at import.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
# Never connected to by `check`: the database checks run only with --database.
DEPLOYMENT = {
    "DEBUG": "0",
    "DATABASE_URL": "postgres://zoufang@127.0.0.1:5432/zoufang",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "PII_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "zoufang.example.gov.cn",
}


def manage(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    # Only PATH and HOME from the outside: the test run's own SECRET_KEY / PII_KEYS / PLAIN_HTTP must not leak in.
    clean = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": os.environ.get("HOME", "/tmp"), **env}
    clean = {name: value for name, value in clean.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def deploy_check(**env: str | None) -> subprocess.CompletedProcess[str]:
    return manage("check", "--deploy", "--fail-level", "WARNING", **env)


def security_settings(**env: str) -> dict[str, object]:
    names = ["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"]
    names += ["SECURE_HSTS_INCLUDE_SUBDOMAINS", "SILENCED_SYSTEM_CHECKS"]
    code = f"import json; from django.conf import settings; print(json.dumps({{n: getattr(settings, n) for n in {names}}}))"
    done = manage("shell", "--no-imports", "-c", code, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # after shell's "N objects imported" line


def test_a_deployment_with_only_the_five_variables_passes_the_deploy_checks():
    done = deploy_check(**DEPLOYMENT)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout


def test_a_deployment_is_https_only_by_default_with_a_years_hsts_on_subdomains():
    assert security_settings(**DEPLOYMENT) == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SILENCED_SYSTEM_CHECKS": [],
    }


def test_plain_http_turns_the_https_settings_off_and_silences_exactly_their_four_checks():
    assert security_settings(**DEPLOYMENT, PLAIN_HTTP="1") == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SILENCED_SYSTEM_CHECKS": ["security.W004", "security.W008", "security.W012", "security.W016"],
    }
    done = deploy_check(**DEPLOYMENT, PLAIN_HTTP="1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (4 silenced)" in done.stdout


def test_a_deployment_without_secret_key_refuses_to_start_naming_it():
    done = deploy_check(**{**DEPLOYMENT, "SECRET_KEY": None})

    assert done.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in done.stderr
    assert "token_urlsafe" in done.stderr  # and says how to make one


def test_a_deployment_without_pii_keys_refuses_to_start_naming_them():
    done = deploy_check(**{**DEPLOYMENT, "PII_KEYS": None})

    assert done.returncode != 0
    assert "ImproperlyConfigured: PII_KEYS is not set" in done.stderr


def test_a_malformed_pii_key_refuses_to_start_naming_its_position_but_not_its_value():
    good = Fernet.generate_key().decode()
    bad = "c2hvcnQta2V5"  # base64 of 9 bytes: not a Fernet key
    done = deploy_check(**{**DEPLOYMENT, "PII_KEYS": f"{good},{bad}"})

    assert done.returncode != 0
    assert "ImproperlyConfigured: PII_KEYS: key 2 of 2 is not a Fernet key" in done.stderr
    assert bad not in done.stderr and good not in done.stderr


def test_the_embedded_demo_still_starts_without_any_key():
    done = manage("check", DEBUG="0")

    assert done.returncode == 0, done.stderr
