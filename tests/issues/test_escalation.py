"""The escalation job raises yellow then red cards, once."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from issues.escalation import tickets_escalate
from issues.models import Ticket, TicketEvent


def test_overdue_ticket_gets_yellow_then_red_and_nothing_twice(tickets):
    ticket = tickets.at("accepted", mode="door_to_door")  # 5-day SLA
    fresh = tickets.reported()
    assert tickets_escalate()[0] == 0
    with time_machine.travel(ticket.due_at + dt.timedelta(hours=1), tick=False):
        raised, last_id, full = tickets_escalate()
        assert tickets_escalate()[0] == 0  # safe to run twice
    # the fresh reported ticket is past 24 h undispatched too
    assert raised == 2 and not full and last_id == fresh.pk
    assert Ticket.objects.get(pk=ticket.pk).supervision == 1
    with time_machine.travel(ticket.due_at + dt.timedelta(days=4), tick=False):
        tickets_escalate()
    assert Ticket.objects.get(pk=ticket.pk).supervision == 2
    events = TicketEvent.objects.filter(ticket=ticket, action="supervise")
    assert [(e.actor, e.payload["level"]) for e in events.order_by("id")] == [(None, 1), (None, 2)]


def test_dispatched_but_not_accepted_for_a_day_is_supervised(tickets):
    ticket = tickets.at("dispatched")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25), tick=False):
        tickets_escalate()
    assert Ticket.objects.get(pk=ticket.pk).supervision == 1
