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


def test_loading_history_makes_the_months_between_first_and_last(db):
    first, last = dt.datetime(2030, 11, 20, tzinfo=dt.UTC), dt.datetime(2031, 2, 1, 3, tzinfo=dt.UTC)

    created = partitions.partitions_between(first, last)

    months = ("203011", "203012", "203101", "203102")
    assert created == [f"{table}_p{ym}" for table in partitions.MONTHLY_TABLES for ym in months]
    assert partitions.partitions_between(first, last) == []


def test_a_months_rows_move_out_of_the_default_partition_keeping_their_keys(org, leader):
    from tests.dashboard.conftest import household, visit_row
    from visits.models import Visit, VisitKey

    visit = visit_row(cadre=leader, target=household(org.grid1), when=dt.datetime(2019, 6, 15, 10, tzinfo=dt.UTC))
    visit.save(force_insert=True)

    moved = partitions.move_out_of_default("visits_visit", 2019, 6)

    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM visits_visit WHERE id = %s", [visit.pk])
        assert cursor.fetchone()[0] == "visits_visit_p201906"
    assert moved == 1 and partitions.default_rows("visits_visit") == 0
    assert Visit.objects.filter(pk=visit.pk).count() == 1 and VisitKey.objects.filter(pk=visit.pk).count() == 1
