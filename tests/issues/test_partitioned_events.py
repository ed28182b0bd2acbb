"""Ticket events partitioned by month on PostgreSQL (issue 14 item 3): a ticket's timeline reads only the months
of its life, holds every event, and the table stays append-only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from issues.models import TicketEvent
from issues.selectors import ticket_events
from tests.partitions import months_ready, postgres_only, scanned, sql_reading

pytestmark = postgres_only
MARCH = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)


@pytest.fixture
def march_ticket(tickets):
    """A ticket reported on 10 March, dispatched then, accepted and progressed on 2 April."""
    months_ready("issues_ticketevent", (2026, 1), (2026, 2), (2026, 3), (2026, 4), (2026, 5), (2026, 6))
    with time_machine.travel(MARCH, tick=False):
        ticket = tickets.at("dispatched")
    with time_machine.travel(MARCH + dt.timedelta(days=23), tick=False):
        ticket = tickets.act(ticket, "accept", tickets.handler)
        ticket = tickets.act(ticket, "progress", tickets.handler, note="已联系当事人")
    return ticket


def test_the_timeline_of_a_ticket_reads_only_the_months_of_its_life(api, dispatcher, march_ticket):
    with time_machine.travel(MARCH + dt.timedelta(days=60), tick=False):
        with CaptureQueriesContext(connection) as queries:
            response = api.as_user(dispatcher).get(f"/api/v1/tickets/{march_ticket.pk}/")

    assert response.status_code == 200
    assert [e["action"] for e in response.json()["events"]] == ["report", "dispatch", "accept", "progress"]
    [events_sql] = sql_reading("issues_ticketevent", queries)
    assert scanned("issues_ticketevent", events_sql) == {"issues_ticketevent_p202603", "issues_ticketevent_p202604"}


def test_the_bounded_timeline_holds_every_event_of_the_ticket(march_ticket, tickets):
    with time_machine.travel(MARCH + dt.timedelta(days=40), tick=False):
        ticket = tickets.act(march_ticket, "resolve", tickets.handler, result="已清理", public_notice="公告")

    assert list(ticket_events(ticket)) == list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "id"))
    assert TicketEvent.objects.filter(ticket=ticket).count() == 5


@pytest.mark.parametrize("table", ["issues_ticketevent", "issues_ticketevent_p202603"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET note = 'x'", "DELETE FROM {table}"])
def test_the_partitioned_events_stay_append_only(march_ticket, table, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))

    assert TicketEvent.objects.filter(ticket=march_ticket).count() == 4
