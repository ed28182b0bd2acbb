"""Callback (回访) and close: unsatisfied reopens (群众不认可不罢休); close only after 2 unreachable or 7 days."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from campaign.errors import Invalid, WrongState
from issues.models import TicketEvent


def test_unsatisfied_callback_reopens_ticket_with_a_new_due_at(tickets, dispatcher, handler):
    ticket = tickets.at("resolved")
    reopened = tickets.act(ticket, "callback", dispatcher, rating="unsatisfied", note="问题未解决")
    assert (reopened.status, reopened.reopen_count, reopened.satisfaction) == ("in_progress", 1, "unsatisfied")
    assert reopened.due_at > timezone.now()
    assert reopened.resolved_at is None
    # and the lead unit can resolve it again, then a satisfied callback closes it
    tickets.act(ticket, "resolve", handler, result="二次办理完成")
    closed = tickets.act(ticket, "callback", dispatcher, rating="basically_satisfied")
    assert (closed.status, closed.satisfaction, closed.reopen_count) == ("closed", "basically_satisfied", 1)


def test_satisfied_callback_closes(tickets, dispatcher):
    closed = tickets.act(tickets.at("resolved"), "callback", dispatcher, rating="satisfied")
    assert (closed.status, closed.satisfaction) == ("closed", "satisfied")
    assert closed.closed_at is not None


def test_callback_needs_a_known_rating(tickets, dispatcher):
    ticket = tickets.at("resolved")
    with pytest.raises(Invalid) as caught:
        tickets.act(ticket, "callback", dispatcher, rating="great")
    assert "rating" in caught.value.detail


def test_close_after_two_unreachable_callbacks(tickets, dispatcher):
    ticket = tickets.at("resolved")
    once = tickets.act(ticket, "callback", dispatcher, rating="unreachable", note="无人接听")
    assert (once.status, once.unreachable_count) == ("resolved", 1)
    with pytest.raises(WrongState):
        tickets.act(ticket, "close", dispatcher)
    tickets.act(ticket, "callback", dispatcher, rating="unreachable", note="关机")
    closed = tickets.act(ticket, "close", dispatcher)
    assert closed.status == "closed"
    assert TicketEvent.objects.filter(ticket=ticket, action="close").count() == 1


def test_close_after_seven_days_resolved_without_rating(tickets, dispatcher):
    ticket = tickets.at("resolved")
    with time_machine.travel(timezone.now() + dt.timedelta(days=6, hours=23), tick=False):
        with pytest.raises(WrongState):
            tickets.act(ticket, "close", dispatcher)
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1), tick=False):
        assert tickets.act(ticket, "close", dispatcher).status == "closed"
