"""On PostgreSQL: the row lock serialises concurrent actions; the events table refuses UPDATE and DELETE."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from campaign.errors import DomainError
from issues.machine import ticket_apply
from issues.models import TicketEvent

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_ten_handlers_accepting_at_once_only_one_wins(tickets, handler):
    # given a dispatched ticket, version v
    ticket = tickets.at("dispatched")
    version = ticket.version
    outcomes: list[str] = []
    barrier = threading.Barrier(10)

    def accept() -> None:
        try:
            barrier.wait()
            ticket_apply(ticket_id=ticket.pk, action="accept", actor=handler, version=version, data={})
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(str(exc.status_code))
        finally:
            connections.close_all()

    # when ten threads accept it with the same version at the same moment
    threads = [threading.Thread(target=accept) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then exactly one succeeds, nine get 409, and one accept event exists
    assert sorted(outcomes) == ["409"] * 9 + ["ok"]
    assert TicketEvent.objects.filter(ticket=ticket, action="accept").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_creates_get_distinct_codes(tickets):
    codes: list[str] = []

    def create() -> None:
        try:
            codes.append(tickets.reported().code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(codes)) == 10


@postgres_only
@pytest.mark.parametrize("statement", ["UPDATE issues_ticketevent SET note = 'x'", "DELETE FROM issues_ticketevent"])
def test_events_are_append_only_in_the_database(tickets, statement):
    tickets.reported()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert TicketEvent.objects.count() == 1
