"""Shared by the benchmark scripts: each builds its own PostgreSQL database, named by DATABASE_URL."""

from __future__ import annotations

import os


def ensure_database() -> None:
    """Create the database named at the end of DATABASE_URL if it does not exist (never a test database)."""
    import psycopg2

    base, name = os.environ["DATABASE_URL"].rsplit("/", 1)
    conn = psycopg2.connect(base + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def throwaway_keys() -> None:
    """A benchmark sets DATABASE_URL, so Django treats it as a deployment (config/settings.py): give it keys of its
    own, new each run and never written anywhere, and plain HTTP — unless the caller set them."""
    import secrets

    from cryptography.fernet import Fernet

    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("PII_KEYS", Fernet.generate_key().decode())
    os.environ.setdefault("PLAIN_HTTP", "1")
