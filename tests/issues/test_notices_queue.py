"""Notifications go through the `notifications` queue: written once per (user, ticket, kind, moment) whatever how
often the task is delivered, stamped with the action's moment, and sent in place when the broker refuses them."""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest
from django.utils import timezone

from issues import notices
from issues.models import Notification
from issues.notices import Notice, notices_queue, notices_send, notices_send_task
from tests.dashboard.conftest import celery_conf


@pytest.fixture(autouse=True)
def broker_not_known_down():
    notices.BROKER.reset()
    yield
    notices.BROKER.reset()


def rows(user) -> list[tuple]:
    return sorted(Notification.objects.filter(user=user).values_list("ticket_id", "kind", "created_at"))


def test_a_notice_delivered_twice_is_written_once_at_its_action_moment(
    tickets, handler, handler2, dispatcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = tickets.at("dispatched", mode="coordinated")
    event = ticket.events.get(action="dispatch")
    assert rows(handler) == [(ticket.pk, "dispatched", event.at)]  # stamped with the event's moment
    # the same notice again, as a redelivered task would carry it: nothing more
    again = Notice(
        ticket_id=ticket.pk, kind="dispatched", text="x", at=event.at.isoformat(), unit_ids=[handler.unit_id]
    )
    assert notices_send([again]) == 0
    assert notices_send_task.apply(args=([dataclasses.asdict(again)],)).get() == 0
    assert rows(handler) == [(ticket.pk, "dispatched", event.at)]
    # a later action of the same kind is a new notification
    later = dataclasses.replace(
        again, at=event.at.replace(microsecond=(event.at.microsecond + 1) % 1_000_000).isoformat()
    )
    assert notices_send([later]) == 1
    assert len(rows(handler)) == 2
    assert rows(dispatcher) == []  # never the actor


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_broker_that_refuses_the_task_does_not_lose_the_notices(tickets, handler, db):
    ticket = tickets.reported()
    notice = Notice(
        ticket_id=ticket.pk,
        kind="dispatched",
        text="新派单",
        at=ticket.created_at.isoformat(),
        unit_ids=[handler.unit_id],
    )
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=dead):
        notices_queue([notice])
        assert rows(handler) == [(ticket.pk, "dispatched", ticket.created_at)]
        # and for a while the broker is not tried again: the next notices are written at once
        later = dataclasses.replace(notice, at=timezone.now().isoformat())
        started = time.monotonic()
        notices_queue([later])
        assert time.monotonic() - started < 1.0
    assert len(rows(handler)) == 2
