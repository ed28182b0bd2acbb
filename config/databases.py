"""The databases, read by config/settings.py: the primary, the embedded default and the optional read replica.

SQLite when DATABASE_URL is unset (the embedded default), else PostgreSQL. With DATABASE_REPLICA_URL (a streaming
replica of that PostgreSQL, scripts/replica.sh) a second alias "replica" and config.routers.ReplicaRouter send the
reads the apps mark (campaign.replica: dashboard, statistics, exports, GeoJSON) there while it is fresh enough
(config/replica.py; docs/operations.md "Read replica"). Every write and every other read stays on "default".
"""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_size, env_str, var_dir

__all__ = [
    "DATABASES",
    "DATABASE_ROUTERS",
    "DEFAULT_AUTO_FIELD",
    "EMBEDDED_DATABASE",
    "REPLICA_MAX_LAG_S",
    "REPLICA_CHECK_S",
]

DATABASE_URL = env_str("DATABASE_URL")
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _postgres(url: str) -> dj_database_url.DBConfig:
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.postgresql":
        # The statistics group ~1 row per household of a district in memory (dashboard.figures.span_figures): with
        # PostgreSQL's default 4 MB that hash spills to disk and costs twice the time (bench/README.md).
        # No parallel workers by default (DB_PARALLEL_WORKERS): a request or a job is one process on a machine the
        # web, the workers and the database share. Under the mixed load at city size, PostgreSQL started ~0.6
        # parallel workers a second, for plans no faster in-process, and the cluster spent a third more CPU than
        # its backends; without them every request's p95 went 57 → 42 ms (bench/README.md, session 17;
        # docs/decisions.md). A database server of its own may give them back.
        parallel = env_int("DB_PARALLEL_WORKERS", 0)
        if parallel < 0:
            raise ImproperlyConfigured(f"DB_PARALLEL_WORKERS={parallel} is not a number of workers (0 or more)")
        options = f"-c work_mem={env_size('DB_WORK_MEM', '32MB')} -c max_parallel_workers_per_gather={parallel}"
        config.setdefault("OPTIONS", {})["options"] = options
    return config


# The embedded default's database (its test reads it on any run). No request may see "database is locked" (issue
# 13, docs/operations.md): WAL (readers never wait for the writer), a busy timeout (a writer waits its turn, up to
# 20 s), and BEGIN IMMEDIATE (a transaction takes the write lock when it starts and waits there; a deferred one that
# read first fails at once on its first write if another wrote meanwhile). Jobs write in short transactions.
EMBEDDED_DATABASE: dj_database_url.DBConfig = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": str(var_dir() / "zoufang.sqlite3"),
    "OPTIONS": {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
    },
    # Tests use a file too, not Django's default in-memory database: the browser tests' live server answers the
    # page's parallel requests in threads, which an in-memory database makes share one connection (and one
    # transaction: "cannot start a transaction within a transaction", a hang) — a file gives each its own, as served.
    "TEST": {"NAME": str(var_dir() / "test-zoufang.sqlite3")},
}
DATABASES = {"default": _postgres(DATABASE_URL) if DATABASE_URL else EMBEDDED_DATABASE}

# --- The read replica (issue 14 item 4). Reads go there only while its replay is at most REPLICA_MAX_LAG_S seconds
# behind the primary, measured by WAL position (config/replica.py); the measurement is reused for REPLICA_CHECK_S.
DATABASE_ROUTERS: list[str] = []
REPLICA_MAX_LAG_S = env_int("REPLICA_MAX_LAG_S", 3)
REPLICA_CHECK_S = 1.0
if DATABASE_REPLICA_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL to be the PostgreSQL it replicates")
    replica = _postgres(DATABASE_REPLICA_URL)
    replica.setdefault("OPTIONS", {})["connect_timeout"] = 2  # a dead replica costs a request 2 s once, then is skipped
    # Tests: the replica holds the primary's test database through streaming replication (nothing to create).
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = replica
    DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
