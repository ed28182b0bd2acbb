"""The embedded default (SPEC §9, issue 13 point 8): with eager Celery (no broker) a write only marks its day dirty;
no request runs a rollup; the in-process scheduler's sweep recomputes. And the SQLite connection it runs on.

Lives beside the issues tests for their ticket fixtures (tests/issues/conftest.py); the suite's Celery is eager.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from campaign.days import local_day
from config.scheduler import _entries, run_due
from dashboard import periods, rollups
from dashboard.models import DailyRollup, DirtyDay
from issues import escalation
from issues.escalation import tickets_escalate
from issues.models import Notification, Ticket, TicketEvent
from tests.factories import HouseholdFactory

# Every entry into the statistics: the recomputes, the sweep, the backfill and the cache of the usual periods.
SPIED = ("rollup_day", "rollup_whole_day", "rollup_dirty", "rollup_range", "overdue_snapshot", "_recompute")


@pytest.fixture
def rollup_calls(monkeypatch) -> list[str]:
    """Records every call into dashboard.rollups (and the periods refresh), then runs the real function: a spy."""
    calls: list[str] = []

    def spy(module: Any, name: str) -> None:
        real: Callable[..., Any] = getattr(module, name)

        def recorded(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, recorded)

    for name in SPIED:
        spy(rollups, name)
    spy(periods, "periods_refresh")
    monkeypatch.setattr(rollups, "periods_refresh", periods.periods_refresh)  # imported by name there
    return calls


def _visit(household: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "target_type": "household", "target_id": household.pk,
        "visited_at": timezone.localtime().replace(microsecond=0).isoformat(), "lat": household.lat,
        "lng": household.lng, "accuracy_m": 10, "people_met": 1, "notes": "走访",
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)  # real commits: on_commit hooks run as in a request
def test_no_page_or_api_write_runs_a_rollup_and_the_scheduler_sweep_recomputes(
    client, api, tickets, dispatcher, handler, cadre, org, rollup_calls
):
    # given: a reported ticket and a household of the cadre's grid
    ticket = tickets.reported()
    home = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)
    DirtyDay.objects.all().delete()
    rollup_calls.clear()

    # when: a visit and the ticket's work, through the API and through the ticket page's forms
    assert api.as_user(cadre).post("/api/v1/visits/", _visit(home), format="json").status_code == 201
    body = {**tickets.dispatch_body(), "version": ticket.version}
    answer = api.as_user(dispatcher).post(f"/api/v1/tickets/{ticket.pk}/dispatch/", body, format="json")
    assert answer.status_code == 200, answer.content
    client.force_login(handler)
    version = answer.json()["version"]
    assert client.post(f"/tickets/{ticket.pk}/act/accept/", {"version": version}).status_code == 302
    ticket.refresh_from_db()
    page = client.post(f"/tickets/{ticket.pk}/act/progress/", {"version": ticket.version, "note": "已联系"})
    assert page.status_code == 302
    ticket.refresh_from_db()
    api.as_user(handler).post(
        f"/api/v1/tickets/{ticket.pk}/resolve/",
        {"version": ticket.version, "result": "已清理", "public_notice": "公告"},
        format="json",
    )

    # then: no request recomputed anything; the days are marked
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert rollup_calls == []
    marked = set(DirtyDay.objects.values_list("day", "unit_id"))
    assert (local_day(ticket.created_at), org.grid1.pk) in marked
    assert not DailyRollup.objects.exists()

    # when: the in-process scheduler's sweep is due (every few seconds in the embedded default)
    entries = {name: entry for name, entry in _entries(_celery()).items() if name == "rollup-dirty-sweep"}
    assert settings.CELERY_BEAT_SCHEDULE["rollup-dirty-sweep"]["schedule"] <= 60
    run_due(entries, {"rollup-dirty-sweep": timezone.now() - dt.timedelta(minutes=2)})

    # then: the marks are gone and the figures are there
    assert "rollup_dirty" in rollup_calls
    assert not DirtyDay.objects.exists()
    today = DailyRollup.objects.filter(day=local_day(ticket.created_at), unit=org.grid1)
    assert sum(row.visits for row in today) == 1 and sum(row.resolved for row in today) == 1


def _celery() -> Any:
    from config.celery import app

    return app


@pytest.mark.django_db(transaction=True)
def test_escalation_writes_one_event_and_the_notices_per_card_and_marks_nothing(
    tickets, handler, rollup_calls, monkeypatch
):
    # given: two overdue tickets in the lead unit 城管局 and one fresh
    late = [tickets.at("accepted", mode="door_to_door") for _ in range(2)]
    tickets.reported()
    DirtyDay.objects.all().delete()
    # when: the job runs past their deadline, writing one ticket per transaction
    monkeypatch.setattr(escalation, "CHUNK", 1)
    with _travel(late[0].due_at + dt.timedelta(hours=1)):
        raised, _last, full = tickets_escalate(batch_size=10)
        again = tickets_escalate(batch_size=10)[0]
    # then: a yellow card each (and the undispatched one), one event each, the handler told; nothing twice
    assert (raised, again, full) == (3, 0, False)
    for ticket in late:
        assert Ticket.objects.get(pk=ticket.pk).supervision == 1
        assert TicketEvent.objects.filter(ticket=ticket, action="supervise").count() == 1
        assert Notification.objects.filter(ticket=ticket, user=handler, kind="supervised").count() == 1
    assert rollup_calls == [] and not DirtyDay.objects.exists()  # the figures do not read `supervision`


def _travel(moment: dt.datetime) -> Any:
    import time_machine

    return time_machine.travel(moment, tick=False)


@pytest.mark.django_db  # pytest-django guards every connection, this file database included
def test_sqlite_runs_in_wal_with_a_busy_timeout_and_immediate_transactions(tmp_path):
    from django.db.utils import ConnectionHandler

    # given: a file database with the embedded default's settings (settings.EMBEDDED_DATABASE, whatever this run's
    # own database is: the embedded default is what `make demo` serves)
    embedded_settings = {**settings.EMBEDDED_DATABASE, "NAME": str(tmp_path / "embedded.sqlite3")}
    assert embedded_settings["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    embedded = ConnectionHandler({"default": embedded_settings})["default"]
    try:
        with embedded.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA busy_timeout")
            busy_ms = cursor.fetchone()[0]
    finally:
        embedded.close()
    # then: WAL, and a writer waits its turn for seconds instead of failing with "database is locked"
    assert journal == "wal" and busy_ms >= 5000
