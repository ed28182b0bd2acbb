"""The inbox's stored priority (issue 14): kept by the database on every write, exact before the overdue job runs,
paged by keyset on the page and the API; counters exact for open statuses and capped for the others."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from issues import inbox
from issues.inbox import tickets_mark_overdue
from issues.models import Ticket, TicketCoUnit
from issues.selectors import tickets_visible_to
from tests.dashboard.conftest import ticket_row

pytestmark = pytest.mark.django_db


def _ids(client, **params):
    return [t["id"] for t in client.get("/api/v1/tickets/", {"ordering": "priority", **params}).json()["results"]]


def test_priority_follows_cards_and_marked_due_dates(tickets, dispatcher):
    ticket = tickets.at("in_progress")
    assert Ticket.objects.get(pk=ticket.pk).priority == 0
    past = timezone.now() - dt.timedelta(hours=2)
    Ticket.objects.filter(pk=ticket.pk).update(supervision=1, due_at=past)
    assert Ticket.objects.get(pk=ticket.pk).priority == 1  # the card counts at once; the due date once marked
    assert tickets_mark_overdue() == 1
    assert Ticket.objects.get(pk=ticket.pk).priority == 2
    assert tickets_mark_overdue() == 0  # nothing left to mark
    Ticket.objects.filter(pk=ticket.pk).update(due_at=timezone.now() + dt.timedelta(days=3))
    assert Ticket.objects.get(pk=ticket.pk).priority == 1  # a new due_at ends the mark by itself
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    assert Ticket.objects.get(pk=ticket.pk).priority == 0  # closed: nothing is urgent


def test_the_order_is_exact_before_the_overdue_job_runs(api, tickets, dispatcher):
    late = tickets.at("accepted")
    newer = tickets.at("accepted")
    carded = tickets.at("accepted")
    Ticket.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))  # not marked yet
    Ticket.objects.filter(pk=carded.pk).update(supervision=1)
    client = api.as_user(dispatcher)
    # carded (1, newest) and late (1 by due date, unmarked) before newer (0); ties newest first
    assert _ids(client) == [carded.pk, late.pk, newer.pk]
    tickets_mark_overdue()
    assert _ids(client) == [carded.pk, late.pk, newer.pk]
    Ticket.objects.filter(pk=late.pk).update(supervision=1)  # now 2: first
    assert _ids(client) == [late.pk, carded.pk, newer.pk]


def test_late_tickets_past_the_cap_keep_their_stored_place_and_late_ones_stay_in_scope(
    api, tickets, dispatcher, handler2, monkeypatch
):
    # given two accepted tickets past due that the overdue job has not marked, and a newer one in time
    first, second, newer = (tickets.at("accepted") for _ in range(3))
    now = timezone.now()
    Ticket.objects.filter(pk=first.pk).update(due_at=now - dt.timedelta(hours=2))
    Ticket.objects.filter(pk=second.pk).update(due_at=now - dt.timedelta(hours=1))
    client = api.as_user(dispatcher)
    # then both count as overdue, newest first
    assert _ids(client) == [second.pk, first.pk, newer.pk]
    # when only the most overdue is read apart, the other keeps its stored place (one short), and is still listed
    monkeypatch.setattr(inbox, "LATE_CAP", 1)
    assert _ids(client) == [first.pk, newer.pk, second.pk]
    # the late ids are the whole table's: another department's handler sees none of them
    assert _ids(api.as_user(handler2)) == []
    # and the overdue job marks them all, LATE_CAP at a time
    assert tickets_mark_overdue() == 2
    assert _ids(api.as_user(dispatcher)) == [second.pk, first.pk, newer.pk]
    assert tickets_mark_overdue() == 0


def test_keyset_pages_cover_every_ticket_once_on_the_page_and_the_api(api, web, tickets, dispatcher):
    made = [tickets.at("dispatched") for _ in range(7)]
    Ticket.objects.filter(pk__in=[made[1].pk, made[4].pk]).update(due_at=timezone.now() - dt.timedelta(hours=1))
    tickets_mark_overdue()
    Ticket.objects.filter(pk=made[2].pk).update(due_at=timezone.now() - dt.timedelta(hours=1))  # unmarked
    client = api.as_user(dispatcher)
    seen, url = [], "/api/v1/tickets/?ordering=priority&page_size=2"
    while url:
        body = client.get(url).json()
        assert "count" not in body
        seen += [t["id"] for t in body["results"]]
        url = body["next"]
    assert seen[:3] == [made[4].pk, made[2].pk, made[1].pk]
    assert sorted(seen) == sorted(t.pk for t in made)
    page = web(dispatcher).get("/tickets/", {"page_size": 3})
    assert [t.pk for t in page.context["rows"]] == seen[:3]
    assert client.get("/api/v1/tickets/", {"ordering": "priority", "cursor": "%%%"}).status_code == 400


def test_counters_are_exact_for_open_and_capped_for_the_others(api, web, tickets, dispatcher, monkeypatch):
    for _ in range(3):
        tickets.at("cancelled")
    tickets.at("reported")
    client = api.as_user(dispatcher)
    counts = client.get("/api/v1/tickets/counters/").json()
    assert counts["by_status"]["cancelled"] == 3 and counts["capped"] == []
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    counts = client.get("/api/v1/tickets/counters/").json()
    assert counts["by_status"]["cancelled"] == 2
    assert counts["by_status"]["reported"] == 1
    assert counts["capped"] == ["cancelled", "total"]
    assert counts["total"] == 3
    page = web(dispatcher).get("/tickets/")
    capped = {c.key: (c.count, c.capped) for c in page.context["counters"]}
    assert capped["cancelled"] == (2, True) and capped["reported"] == (1, False)
    assert "2+" in page.content.decode()


def test_a_narrow_scope_counts_each_ticket_once_across_its_arms_and_caps(org, api, web, handler, monkeypatch):
    """A department handler's scope is an OR (raised or led by them, led by or shared with their unit): the capped
    counts read each arm apart and count the union, so a ticket in two arms counts once and one in none not at all."""
    now = timezone.now()

    def row(status, lead, **extra):
        return ticket_row(unit=org.grid1, created_at=now, status=status, lead_unit=lead, **extra)

    made = Ticket.objects.bulk_create([
        row("closed", org.dept1, created_by=handler),  # raised by them and led by their unit
        row("closed", org.dept1),
        row("closed", org.dept2),  # shared with their unit, below
        row("closed", org.dept2),  # nobody's of theirs: out of scope
        row("cancelled", org.dept1, lead_official=handler),  # led by them and by their unit
        row("resolved", None),  # out of scope
    ])  # fmt: skip
    TicketCoUnit.objects.create(ticket=made[2], unit=org.dept1)
    client = api.as_user(handler)
    counts = client.get("/api/v1/tickets/counters/").json()
    assert (counts["by_status"]["closed"], counts["by_status"]["cancelled"], counts["by_status"]["resolved"]) == (
        3,
        1,
        0,
    )
    assert counts["capped"] == [] and counts["total"] == tickets_visible_to(handler).count() == 4
    monkeypatch.setattr(inbox, "COUNT_CAP", 2)
    counts = client.get("/api/v1/tickets/counters/").json()
    assert (counts["by_status"]["closed"], counts["by_status"]["cancelled"]) == (2, 1)
    assert counts["capped"] == ["closed", "total"]
    capped = {c.key: (c.count, c.capped) for c in web(handler).get("/tickets/").context["counters"]}
    assert capped["closed"] == (2, True) and capped["cancelled"] == (1, False)


def test_a_handlers_capped_counts_read_each_arm_alone_and_stay_in_scope(api, handler, org):
    # given closed tickets led by the handler's department, one shared with it, another department's, a cancelled one
    now = timezone.now()
    rows = [
        ticket_row(unit=org.grid1, created_at=now, status="closed", lead_unit=org.dept1),
        ticket_row(unit=org.grid2, created_at=now, status="closed", lead_unit=org.dept1),
        ticket_row(unit=org.grid1, created_at=now, status="closed", lead_unit=org.dept2),  # shared below
        ticket_row(unit=org.grid1, created_at=now, status="closed", lead_unit=org.dept2),  # not the handler's
        ticket_row(unit=org.grid1, created_at=now, status="cancelled"),  # never the department's
    ]
    *led, shared, _, _ = Ticket.objects.bulk_create(rows)
    TicketCoUnit.objects.create(ticket=shared, unit=org.dept1)
    mine = {t.pk for t in (*led, shared)}
    assert set(tickets_visible_to(handler).values_list("pk", flat=True)) == mine
    # then the counters count the scope's tickets only, per status and with a filter, as the list does
    counts = api.as_user(handler).get("/api/v1/tickets/counters/").json()
    assert counts["by_status"]["closed"] == 3 and counts["by_status"]["cancelled"] == 0 and counts["capped"] == []
    listed = api.as_user(handler).get("/api/v1/tickets/", {"status": "closed"}).json()["results"]
    assert {row["id"] for row in listed} == mine
    filtered = api.as_user(handler).get("/api/v1/tickets/counters/", {"category": "教育"}).json()
    assert filtered["by_status"]["closed"] == 0 and filtered["total"] == 0
