"""City-size data that looks like a city (issue 14 item 2), in its own PostgreSQL database, with COPY.

    .venv/bin/python bench/make_city.py [--database postgres://postgres@127.0.0.1:5432/zf_city] [--scale 1]
                                        [--force] [--skip-rollups | --rollup-days N] [--seed 14]
                                        [--logins var/bench/city.json]

At scale 1: 8 districts (each a tree root: OrgUnit has no city level), 72 streets, 576 communities, 3,456 grids,
72 departments; 7,881 accounts at every level (a city superuser, per district an admin, a leader and 2 dispatchers,
3 handlers per department, a leader and a dispatcher per street, a leader per community, 2 cadres per grid: 6,912);
2,000,000 households (ID numbers encrypted as the app does), 200,000 enterprises, 1,000,000 tickets with ~6M events
over the last ~13 months, and 10,000,000 visits. `--scale 0.001` builds a small city in seconds (tests).

The database is migrated first (`migrate`, so whatever schema the branch has is the one filled), its secondary
indexes are dropped for the load and rebuilt after, foreign keys are not checked row by row during the load
(`session_replication_role = replica`: the rows are consistent by construction, tests/bench/test_make_city.py
checks it), then VACUUM ANALYZE and the dashboard's own backfill (`rollup_range`, --skip-rollups to leave it). A
table `bench_city_built` marks a finished build: run again, it only rewrites the logins file (and finishes the
rollups if they were skipped); --force rebuilds. The logins file (bench/load.py reads it) holds the accounts, the
bench password and PII_KEYS: the key that encrypted this database's ID numbers, which the server must be given.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/zf_city"
MARKER = "bench_city_built"


def _server(url: str) -> tuple[str, str]:
    base, name = url.rsplit("/", 1)
    return base + "/postgres", name


def database_state(url: str) -> str:
    """ "missing", "empty", "built", "unrolled" (built, rollups skipped), "partial" (ours, unfinished), "foreign"."""
    import psycopg2

    server, name = _server(url)
    with psycopg2.connect(server) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            return "missing"
    conn.close()
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s), to_regclass('django_migrations')", [MARKER])
        marker, migrations = cursor.fetchone()
        if marker is None:
            return "foreign" if migrations else "empty"
        cursor.execute(f"SELECT finished_at IS NOT NULL, rollups FROM {MARKER}")  # noqa: S608  (a constant table name)
        row = cursor.fetchone()
    conn.close()
    if row is None or not row[0]:
        return "partial"
    return "built" if row[1] else "unrolled"


def recreate_database(url: str) -> None:
    import psycopg2

    server, name = _server(url)
    conn = psycopg2.connect(server)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _keys(logins: Path) -> None:
    """PII_KEYS: the caller's, else the ones that built this database before (in the logins file), else new."""
    from cryptography.fernet import Fernet

    if not os.environ.get("PII_KEYS") and logins.exists():
        saved = json.loads(logins.read_text()).get("env", {}).get("PII_KEYS")
        if saved:
            os.environ["PII_KEYS"] = saved
    os.environ.setdefault("PII_KEYS", Fernet.generate_key().decode())


class Phases:
    """Wall time of each phase, printed as it ends and kept for the logins file."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        self.seconds[name] = round(time.perf_counter() - started, 1)
        print(f"==> {name}: {self.seconds[name]:.1f} s", flush=True)
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=os.environ.get("CITY_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full city (e.g. 0.001 for tests)")
    parser.add_argument("--force", action="store_true", help="drop the database and build it again")
    parser.add_argument("--skip-rollups", action="store_true", help="leave the dashboard's backfill (rollup_range)")
    parser.add_argument("--rollup-days", type=int, default=0, help="backfill only the last N days (0: the campaign)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--logins", type=Path, default=ROOT / "var" / "bench" / "city.json")
    args = parser.parse_args(argv)
    state = database_state(args.database)
    if state == "foreign" and not args.force:
        print(f"{args.database} holds another database (no {MARKER} table): pass --force to replace it")
        return 2
    _keys(args.logins)
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from bench.common import throwaway_keys

    throwaway_keys()
    phases = Phases()
    if args.force or state in ("missing", "empty", "partial"):
        phases.run("database", recreate_database, args.database)
    import django

    django.setup()
    from bench.city.build import build, finish_rollups, logins_payload, marker_summary

    if args.force or state not in ("built", "unrolled"):
        build(args, phases)
    if not args.skip_rollups:
        finish_rollups(phases, args.rollup_days)
    payload = logins_payload(args, marker_summary())
    args.logins.parent.mkdir(parents=True, exist_ok=True)
    args.logins.write_text(json.dumps(payload, ensure_ascii=False, indent=2))
    print(f"logins: {args.logins} (password {payload['password']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
