"""The databases, read by config/settings.py: SQLite when DATABASE_URL is unset (the embedded default), else PostgreSQL."""

import dj_database_url

from config.env import env_int, env_size, env_str, var_dir

__all__ = [
    "DATABASES",
    "DEFAULT_AUTO_FIELD",
    "EMBEDDED_DATABASE",
]

DATABASE_URL = env_str("DATABASE_URL")
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _postgres(url: str) -> dj_database_url.DBConfig:
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.postgresql":
        # The statistics group ~1 row per household of a district in memory (dashboard.figures.span_figures): with
        # PostgreSQL's default 4 MB that hash spills to disk and costs twice the time (bench/README.md).
        config.setdefault("OPTIONS", {})["options"] = f"-c work_mem={env_size('DB_WORK_MEM', '32MB')}"
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
}
DATABASES = {"default": _postgres(DATABASE_URL) if DATABASE_URL else EMBEDDED_DATABASE}
