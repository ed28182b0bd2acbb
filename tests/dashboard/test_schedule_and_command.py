"""The schedule table, the in-process scheduler and `manage.py rollup`."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from config.scheduler import _entries, run_due
from dashboard.models import DailyRollup
from dashboard.signals import rollups_deferred
from tests.dashboard.conftest import at, household, visit_row
from visits.models import Visit


def test_every_periodic_job_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks == {
        "dashboard.tasks.supervise_tickets",
        "dashboard.tasks.mark_overdue_tickets",
        "dashboard.tasks.rollup_dirty",
        "dashboard.tasks.rollup_nightly",
        "campaign.audit.audit_upkeep_task",
        "campaign.partitions.partitions_ahead_task",
        "issues.tasks.router_train_nightly",
        "visits.tasks.must_visit_remind",
        "issues.channels.outbox.deliveries_due_task",
        "interop.tasks.webhook_sweep",
    }


@pytest.mark.django_db
def test_the_in_process_scheduler_runs_the_jobs_that_are_due():
    from config.celery import app

    entries = _entries(app)
    long_ago = timezone.now() - dt.timedelta(days=2)
    last_run = dict.fromkeys(entries, long_ago)
    sleep = run_due(entries, last_run)
    assert all(last_run[name] > long_ago for name in entries) and 1 <= sleep <= 30


@pytest.mark.django_db
def test_rollup_command_backfills_a_range(org, leader):
    day = dt.date(2026, 3, 10)
    with rollups_deferred():
        Visit.objects.bulk_create([visit_row(cadre=leader, target=household(org.grid1), when=at(day))])
    out = StringIO()
    call_command("rollup", "--from", "2026-03-09", "--to", "2026-03-11", stdout=out, verbosity=0)
    assert "3 day(s)" in out.getvalue()
    assert DailyRollup.objects.get(day=day).visits == 1
