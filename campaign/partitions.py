"""Monthly range partitions on PostgreSQL (issue 14 item 3): the one helper behind every partitioned table.

Three tables are partitioned by month (Asia/Shanghai months) on a timestamp: the audit trail on `at` (migration
campaign 0004_audit), visits on `visited_at` (visits 0003) and ticket events on `at` (issues 0007). Each has
`<table>_pYYYYMM` partitions and a `<table>_default` partition that catches a row whose month has no partition yet,
so an insert never fails. `partitions_ahead` (daily, CELERY_BEAT_SCHEDULE) makes this month's and the next
MONTHS_AHEAD months' partitions of every table in MONTHLY_TABLES; `drop_months_before` is the audit retention's.
`convert_to_monthly` is what the visits and events migrations run: a plain table becomes a partitioned one.

Elsewhere (SQLite, the embedded demo) the tables are plain and every function here does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from celery import shared_task
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

MONTHS_AHEAD = 2  # partitions kept ready beyond the current month
# Every table partitioned by month, made by its app's migration (named here as text: this module is the lowest layer).
MONTHLY_TABLES = ("campaign_auditevent", "visits_visit", "issues_ticketevent")


def month_start(year: int, month: int) -> dt.datetime:
    """Months are Asia/Shanghai months, as inspectors and the statistics count them; `month` may run past 12."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.datetime(year, month, 1, tzinfo=timezone.get_default_timezone())


def partition_name(table: str, year: int, month: int) -> str:
    return f"{table}_p{year:04d}{month:02d}"


def partitions(table: str) -> dict[str, dt.datetime]:
    """Monthly partitions of `table` → the moment their month ends (the default partition is not one)."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    pattern = re.compile(rf"^{re.escape(table)}_p(\d{{4}})(\d{{2}})$")
    ends = {}
    for name in names:
        if match := pattern.match(name):
            ends[name] = month_start(int(match[1]), int(match[2]) + 1)
    return ends


def _create_partition(parent: str, table: str, year: int, month: int) -> None:
    start, end = month_start(year, month), month_start(year, month + 1)
    with connection.cursor() as cursor:
        # Our own names and ISO timestamps, not user input: DDL takes no parameters.
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {partition_name(table, year, month)} PARTITION OF {parent} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )


def ensure_partition(table: str, year: int, month: int) -> bool:
    """Create the partition of one month if missing; True when it was created. Fails (DatabaseError) when the
    default partition already holds rows of that month (docs/operations.md says what to do then)."""
    if partition_name(table, year, month) in partitions(table):
        return False
    _create_partition(table, table, year, month)
    return True


def months_from(now: dt.datetime, count: int) -> list[tuple[int, int]]:
    """(year, month) of the month of `now` (Asia/Shanghai) and the `count - 1` months after it."""
    local = timezone.localtime(now)
    return [(local.year + (local.month - 1 + k) // 12, (local.month - 1 + k) % 12 + 1) for k in range(count)]


def partitions_ahead_of(table: str, now: dt.datetime | None = None) -> list[str]:
    """This month's partition of `table` and the next MONTHS_AHEAD months': the names created (none when all exist).
    A month that cannot be made (its rows already sit in the default partition) is logged; the others still are."""
    if connection.vendor != "postgresql":
        return []
    created = []
    for year, month in months_from(now or timezone.now(), MONTHS_AHEAD + 1):
        try:
            with transaction.atomic():
                made = ensure_partition(table, year, month)
        except DatabaseError:
            log.exception("partition %s could not be created", partition_name(table, year, month))
            continue
        if made:
            created.append(partition_name(table, year, month))
    return created


def partitions_between(first: dt.datetime, last: dt.datetime) -> list[str]:
    """The partitions of every month from `first` to `last` of every table in MONTHLY_TABLES (for loading history:
    the demo's seed, an import), so that its rows do not land in the default partitions. The names created."""
    if connection.vendor != "postgresql":
        return []
    start, end = timezone.localtime(first), timezone.localtime(last)
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    created = []
    for table in MONTHLY_TABLES:
        for year, month in months_from(first, count):
            if ensure_partition(table, year, month):
                created.append(partition_name(table, year, month))
    return created


def partitions_ahead(now: dt.datetime | None = None) -> list[str]:
    """partitions_ahead_of every table in MONTHLY_TABLES: the names created."""
    return [name for table in MONTHLY_TABLES for name in partitions_ahead_of(table, now)]


def default_rows(table: str) -> int:
    """Rows in `table`'s default partition: 0 unless a month's partition was missing when they came (operations.md)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}_default")  # noqa: S608 (our own table names)
        return int(cursor.fetchone()[0])


def move_out_of_default(table: str, year: int, month: int) -> int:
    """Move one month's rows out of `table`'s default partition into their own new partition; the rows moved.
    Needs a superuser (`session_replication_role = replica` keeps the triggers off the move: the events' append-only
    trigger would refuse the DELETE, the visits' key triggers must neither free nor claim the ids again). One
    transaction; it locks the table while the partition is attached. docs/operations.md, "Partitioned history"."""
    name, start, end = partition_name(table, year, month), month_start(year, month), month_start(year, month + 1)
    [(key,)] = _fetch(
        "SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a "
        "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] WHERE p.partrelid = %s::regclass",
        [table],
    )
    bounds = f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {table}_default WHERE {key} >= %s AND {key} < %s RETURNING *) "  # noqa: S608
            f"INSERT INTO {name} SELECT * FROM moved",
            [start, end],
        )
        moved = cursor.rowcount
        cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES {bounds}")
    return moved


def drop_months_before(table: str, cutoff: dt.datetime) -> list[str]:
    """Drop (DROP TABLE, never a row DELETE) each monthly partition whose whole month ended by `cutoff`."""
    dropped = []
    for name, end in sorted(partitions(table).items()):
        if end <= cutoff:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {name}")
            dropped.append(name)
    return dropped


@shared_task
def partitions_ahead_task() -> None:
    """Daily: next months' partitions of every monthly table ready, and a warning if a default partition holds rows.
    Thin and safe to run twice (STYLE 7): an existing partition is left alone."""
    partitions_ahead()
    for table in MONTHLY_TABLES if connection.vendor == "postgresql" else ():
        if count := default_rows(table):
            log.error("%s_default holds %d rows: see docs/operations.md, 'Partitioned history'", table, count)


# --- converting a table (the migrations of visits and ticket events) ----------------------------------------------
def _fetch(sql: str, params: list[str]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _table_parts(table: str) -> tuple[list[str], list[str], list[str]]:
    """What a rebuild must make again, as SQL: the indexes (not the primary key's), the CHECK and FOREIGN KEY
    constraints, the triggers. A UNIQUE constraint is refused: on a partitioned table it must include the key."""
    if _fetch("SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('u', 'x')", [table]):
        raise DatabaseError(f"{table} has a unique constraint: a partitioned table's must include the partition key")
    indexes = _fetch(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
        "ORDER BY i.indexrelid",
        [table],
    )
    constraints = _fetch(
        "SELECT format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', %s, conname, pg_get_constraintdef(oid)) "
        "FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('c', 'f') ORDER BY conname",
        [table, table],
    )
    triggers = _fetch(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "ORDER BY tgname",
        [table],
    )
    # A partitioned index reads "ON ONLY parent": made again on a plain table it recurses into nothing anyway.
    indexes = [(row[0].replace(" ON ONLY ", " ON "),) for row in indexes]
    return [row[0] for row in indexes], [row[0] for row in constraints], [row[0] for row in triggers]


def rebuild_table(table: str, *, key: str | None) -> None:
    """Rebuild `table` with its rows, indexes, constraints and triggers: partitioned by month on `key` with the
    primary key (id, key), a default partition and a partition for every month that holds rows and the months
    ahead; or, with key=None, back into a plain table keyed by id (the reverse migration). PostgreSQL only; call
    inside the migration's transaction. A foreign key pointing INTO the table must be dropped first (DROP fails)."""
    indexes, constraints, triggers = _table_parts(table)
    new = f"{table}__rebuilt"
    tz = timezone.get_default_timezone_name()
    months = sorted(set(months_from(timezone.now(), MONTHS_AHEAD + 1)))
    if key is not None:
        # Every month that holds rows gets its partition, so that the copy leaves the default partition empty.
        held = f"SELECT DISTINCT date_trunc('month', {key} AT TIME ZONE %s) FROM {table}"  # noqa: S608 (our names)
        months = sorted(set(months) | {(m.year, m.month) for (m,) in _fetch(held, [tz])})
    with connection.cursor() as cursor:
        by = f" PARTITION BY RANGE ({key})" if key else ""
        cursor.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY){by}")
        cursor.execute(f"ALTER TABLE {new} ADD CONSTRAINT {new}_pkey PRIMARY KEY (id{', ' + key if key else ''})")
        if key is not None:
            cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {new} DEFAULT")
            for year, month in months:
                _create_partition(new, table, year, month)
        cursor.execute(f"INSERT INTO {new} SELECT * FROM {table}")  # noqa: S608 (our names)
        cursor.execute(f"DROP TABLE {table}")  # its partitions go with it, when it had some
        cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
        cursor.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new}_pkey TO {table}_pkey")
        for statement in [*indexes, *constraints, *triggers]:
            cursor.execute(statement)
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        if sequence := cursor.fetchone()[0]:  # an identity id: its sequence goes on from the copied rows
            cursor.execute(f"SELECT setval(%s, coalesce(max(id), 0) + 1, false) FROM {table}", [sequence])  # noqa: S608
            cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {table}_id_seq")
        cursor.execute(f"ANALYZE {table}")
