"""Recompute-and-upsert: running a rollup twice, or a backfill over a day already done, gives identical rows; the
recompute of a (day, unit) rebuilds that unit's TargetSpan rows in its own transaction."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from dashboard.models import DailyRollup, DayReach, DirtyDay, OverdueSnapshot, TargetSpan, VisitTargetDay
from dashboard.rollups import dirty_mark, rollup_day, rollup_dirty, rollup_range, rollup_whole_day
from dashboard.signals import rollups_deferred
from issues.models import Ticket
from tests.dashboard.conftest import at, enterprise, household, ticket_row, visit_row
from visits.models import Visit

DAY = dt.date(2026, 3, 10)


def snapshot() -> dict:
    def rows(model):
        return sorted(repr(sorted((k, v) for k, v in row.items() if k != "id")) for row in model.objects.values())

    return {m.__name__: rows(m) for m in (DailyRollup, VisitTargetDay, DayReach, OverdueSnapshot, TargetSpan)}


def _data(org, leader, campaign_obj):
    homes = [household(org.grid1, 2), household(org.grid2, 3), enterprise(org.grid1)]
    with rollups_deferred():
        Visit.objects.bulk_create(
            [visit_row(cadre=leader, target=t, when=at(DAY, h), campaign=campaign_obj) for t in homes for h in (9, 15)]
        )
        Ticket.objects.bulk_create(
            [
                ticket_row(unit=org.grid1, created_at=at(DAY), campaign=campaign_obj, status="in_progress",
                           dispatched_at=at(DAY, 11), accepted_at=at(DAY, 12), due_at=at(DAY, 20)),
                ticket_row(unit=org.grid2, created_at=at(DAY), kind="suggestion", category=""),
            ]
        )  # fmt: skip


@pytest.mark.django_db
def test_running_every_rollup_twice_gives_identical_rows(org, leader, campaign_obj):
    _data(org, leader, campaign_obj)
    rollup_range(date_from=DAY, date_to=DAY + dt.timedelta(days=1))
    first = snapshot()
    assert first["DailyRollup"] and first["VisitTargetDay"] and first["OverdueSnapshot"] and first["TargetSpan"]
    rollup_range(date_from=DAY, date_to=DAY + dt.timedelta(days=1))
    rollup_whole_day(day=DAY)
    rollup_day(day=DAY, unit_id=org.grid1.pk)
    rollup_day(day=DAY, unit_id=org.grid1.pk)
    dirty_mark([(DAY, org.grid2.pk), (DAY, 0)])
    rollup_dirty()
    assert snapshot() == first
    assert not DirtyDay.objects.exists()


@pytest.mark.django_db
def test_a_unit_recompute_touches_only_its_unit(org, leader, campaign_obj, django_capture_on_commit_callbacks):
    _data(org, leader, campaign_obj)
    rollup_range(date_from=DAY, date_to=DAY)
    before = DailyRollup.objects.filter(unit=org.grid2).count()
    with django_capture_on_commit_callbacks(execute=True):
        Visit.objects.filter(unit=org.grid1).delete()  # signals mark grid1's day; the sweep recomputes it
    rollup_dirty()
    assert DailyRollup.objects.filter(unit=org.grid1, visits__gt=0).count() == 0
    assert DailyRollup.objects.filter(unit=org.grid2).count() == before


@pytest.mark.django_db(transaction=True)
def test_two_workers_recomputing_at_once_leave_the_same_rows(org, leader, campaign_obj):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is PostgreSQL's job; SQLite serialises writers")
    _data(org, leader, campaign_obj)
    rollup_range(date_from=DAY, date_to=DAY)
    clean = snapshot()
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(5):
                rollup_whole_day(day=DAY) if i % 2 else rollup_day(day=DAY, unit_id=org.grid1.pk)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert snapshot() == clean


@pytest.mark.django_db
def test_a_unit_recompute_rebuilds_its_spans_and_nothing_else(org, leader, campaign_obj):
    # given: rolled-up days, then a visit of grid1 on another day written without its sweep
    _data(org, leader, campaign_obj)
    rollup_range(date_from=DAY, date_to=DAY)
    grid2_spans = snapshot()["TargetSpan"]
    home = household(org.grid1, 6)
    with rollups_deferred():
        visit_row(cadre=leader, target=home, when=at(DAY + dt.timedelta(days=2)), campaign=campaign_obj).save()

    # when: that (day, unit) is recomputed — nothing else runs
    rollup_day(day=DAY + dt.timedelta(days=2), unit_id=org.grid1.pk)

    # then: the household has its span (first visit that day), and the spans equal a whole rebuild
    span = TargetSpan.objects.get(household_id=home.pk)
    assert (span.unit_id, span.first_day, span.members) == (org.grid1.pk, DAY + dt.timedelta(days=2), 6)
    after = snapshot()["TargetSpan"]
    rollup_range(date_from=DAY, date_to=DAY + dt.timedelta(days=2))
    assert snapshot()["TargetSpan"] == after != grid2_spans
