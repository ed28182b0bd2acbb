"""/healthz: no login, JSON, the database and cache state, and a sweep that falls behind flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from config.health import RECOMPUTE_LATE_AFTER
from dashboard.models import DirtyDay

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login_and_says_all_is_well(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "statistics": {
            "oldest_pending_recompute_seconds": None,
            "late": False,
            "late_after_seconds": RECOMPUTE_LATE_AFTER.total_seconds(),
        },
    }


def test_a_recompute_waiting_too_long_is_flagged(client, org):
    # given: a change waiting for its recompute since longer than the bound, and a fresh one
    since = timezone.now() - RECOMPUTE_LATE_AFTER - dt.timedelta(minutes=1)
    DirtyDay.objects.create(
        day=dt.date(2026, 3, 1), unit_id=org.grid1.pk, marked_at=timezone.now(), pending_since=since
    )
    DirtyDay.objects.create(day=dt.date(2026, 3, 2), unit_id=org.grid2.pk, marked_at=timezone.now(),
                            pending_since=timezone.now())  # fmt: skip

    body = client.get("/healthz").json()

    assert body["status"] == "stale"
    assert body["statistics"]["late"] is True
    assert body["statistics"]["oldest_pending_recompute_seconds"] >= RECOMPUTE_LATE_AFTER.total_seconds() + 60


def test_a_recent_pending_recompute_is_not_late(client, org):
    DirtyDay.objects.create(day=dt.date(2026, 3, 1), unit_id=org.grid1.pk, marked_at=timezone.now(),
                            pending_since=timezone.now() - dt.timedelta(seconds=30))  # fmt: skip

    body = client.get("/healthz").json()

    assert (body["status"], body["statistics"]["late"]) == ("ok", False)
    assert 30 <= body["statistics"]["oldest_pending_recompute_seconds"] < 60
