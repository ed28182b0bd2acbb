"""/healthz under failure (issue 12 item 7): 200 with the cache reported down when Redis is unreachable, 503 when the
database is; a deployment's HTTPS redirect leaves the probe alone. The endpoint itself is config/health.py."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.security.test_redis_down import closed_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not (ROOT / "config" / "health.py").exists(), reason="config/health.py (/healthz) is added on another branch"
)


def test_with_redis_unreachable_healthz_answers_200_and_says_the_cache_is_down(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 200
    assert (response.json()["database"], response.json()["cache"]) == ("ok", "unavailable")


def test_with_the_database_unreachable_a_deployment_answers_503_over_plain_http():
    code = (
        "import json, django; django.setup(); from django.test import Client; c = Client();"
        "r = c.get('/healthz'); page = c.get('/accounts/login/');"
        "print(json.dumps([r.status_code, r.json(), page.status_code, page.get('Location')]))"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "DATABASE_URL": f"postgres://zoufang@127.0.0.1:{closed_port()}/zoufang",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PII_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    status, body, page_status, location = json.loads(done.stdout.strip().splitlines()[-1])
    assert (status, body["database"]) == (503, "unavailable")
    # every other page of a deployment redirects plain HTTP to HTTPS
    assert (page_status, location) == (301, "https://testserver/accounts/login/")
