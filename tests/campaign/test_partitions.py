"""The monthly partitions' beat job (issue 14 item 3): next months made ahead for every partitioned table, idempotent."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection

from campaign import partitions
from tests.partitions import postgres_only

pytestmark = postgres_only
LATER = dt.datetime(2031, 11, 20, 12, tzinfo=dt.UTC)


def test_the_job_makes_next_months_partitions_of_every_table_and_is_idempotent(db):
    created = partitions.partitions_ahead(now=LATER)
    again = partitions.partitions_ahead(now=LATER)

    assert created == [f"{table}_p{ym}" for table in partitions.MONTHLY_TABLES for ym in ("203111", "203112", "203201")]
    assert again == []
    for table in partitions.MONTHLY_TABLES:
        assert {f"{table}_p203111", f"{table}_p203112", f"{table}_p203201"} <= set(partitions.partitions(table))


def test_the_scheduled_task_runs_and_is_safe_to_run_twice(db):
    entry = settings.CELERY_BEAT_SCHEDULE["partitions-ahead"]
    from config.celery import app

    task = app.tasks[entry["task"]]
    task.apply(throw=True)
    before = {table: partitions.partitions(table) for table in partitions.MONTHLY_TABLES}
    task.apply(throw=True)

    assert {table: partitions.partitions(table) for table in partitions.MONTHLY_TABLES} == before
    assert all(len(months) >= 3 for months in before.values())


def test_every_range_partitioned_table_is_made_ahead_by_the_job(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT partrelid::regclass::text FROM pg_partitioned_table WHERE partstrat = 'r'")
        partitioned = {row[0] for row in cursor.fetchall()}

    assert partitioned == set(partitions.MONTHLY_TABLES)


def test_rows_in_a_default_partition_are_reported(db, caplog):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaign_auditevent (at, action, actor_name, object_type, object_id, changes) "
            "VALUES ('2019-06-15T00:00:00Z', 'login_ok', 'x', '', '', '{}')"
        )

    with caplog.at_level(logging.ERROR):
        partitions.partitions_ahead_task.apply(throw=True)

    assert "campaign_auditevent_default holds 1 rows" in caplog.text
