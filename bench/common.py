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


def backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to `database` (read from its process title). Take one
    before and one after a run and subtract with backend_cpu_used: backends that end within the run are missed, so
    keep connections open (CONN_MAX_AGE) for the run."""
    import psutil

    used = {}
    for proc in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        title = " ".join(proc.info["cmdline"] or [])
        if (
            (proc.info["name"] or "").startswith("postgres")
            and f" {database} " in f"{title} "
            and proc.info["cpu_times"]
        ):
            used[proc.pid] = proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return used


def backend_cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def cluster_cpu() -> tuple[float, dict[int, float]]:
    """CPU seconds so far of the whole local PostgreSQL cluster: the postmaster's own and its reaped children's (the
    backends, parallel workers and autovacuum workers that have ended), and each live child's. Subtract two readings
    with cluster_cpu_used: unlike backend_cpu it misses nothing that ran between them."""
    import psutil

    for proc in psutil.process_iter(["name", "ppid"]):
        if proc.info["name"] == "postgres" and psutil.Process(proc.info["ppid"]).name() != "postgres":
            with proc.oneshot():
                times = proc.cpu_times()
                reaped = times.user + times.system + times.children_user + times.children_system
                live = {}
                for child in proc.children():
                    try:
                        t = child.cpu_times()
                    except psutil.NoSuchProcess:
                        continue
                    live[child.pid] = t.user + t.system
            return reaped, live
    return 0.0, {}


def cluster_cpu_used(before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]]) -> float:
    """Between two cluster_cpu readings: a child alive at the first has its time then taken off (if it ended since,
    its whole time is in the reaped total now)."""
    return after[0] - before[0] + sum(after[1].values()) - sum(before[1].values())
