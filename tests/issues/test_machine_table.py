"""Every (action, from-state, role): allowed ones succeed and write exactly one event; refused ones change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from campaign.errors import NotAllowed, OutOfScope, WrongState
from issues.machine import ACTIONS, allowed_actions, ticket_apply
from issues.models import Ticket, TicketEvent

STATES = ["reported", "dispatched", "accepted", "in_progress", "resolved", "closed", "cancelled"]
OPEN = {"reported", "dispatched", "accepted", "in_progress"}
WORKING = {"accepted", "in_progress"}

# action → (from-states, roles that may take it). Roles are fixture names.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "resolve_on_site": ({"reported"}, {"cadre"}),
    "answer_directly": ({"reported"}, {"dispatcher", "admin_user"}),
    "dispatch": ({"reported"}, {"dispatcher", "admin_user"}),
    "return": ({"dispatched"}, {"handler"}),
    "accept": ({"dispatched"}, {"handler"}),
    "reassign": ({"dispatched", "accepted", "in_progress"}, {"dispatcher", "admin_user"}),
    "request_extension": (WORKING, {"handler"}),
    "extend": (WORKING, {"dispatcher", "admin_user"}),
    "refuse_extension": (WORKING, {"dispatcher", "admin_user"}),
    "instruct": (OPEN, {"leader", "street_leader", "admin_user"}),
    "progress": (WORKING, {"handler"}),
    "assist": (WORKING, {"handler2"}),
    "resolve": (WORKING, {"handler"}),
    "callback": ({"resolved"}, {"dispatcher", "admin_user"}),
    "close": ({"resolved"}, {"dispatcher", "admin_user"}),
    "supervise": (OPEN, {"dispatcher", "admin_user", "leader", "street_leader"}),
    "cancel": (OPEN, {"dispatcher", "admin_user"}),
}
ROLES = ["cadre", "cadre2", "handler", "handler2", "dispatcher", "leader", "street_leader", "admin_user"]


def valid_body(action: str, tickets: Any) -> dict[str, Any]:
    later = (timezone.now() + dt.timedelta(days=20)).isoformat()
    return {
        "resolve_on_site": {"result": "现场劝离"},
        "answer_directly": {"result": "电话解释政策"},
        "dispatch": tickets.dispatch_body("immediate", co_units=[tickets.org.dept2.pk]),
        "return": {"reason": "非本单位职责"},
        "reassign": {"reason": "职责调整", "co_units": []},
        "request_extension": {"due_at": later, "reason": "需采购材料"},
        "extend": {"due_at": later, "reason": "同意延期"},
        "refuse_extension": {"reason": "理由不充分"},
        "instruct": {"note": "尽快解决"},
        "progress": {"note": "已约谈"},
        "assist": {"part": "人社局已核实"},
        "resolve": {"result": "已解决"},
        "callback": {"rating": "satisfied", "note": "满意"},
        "supervise": {},
        "cancel": {"reason": "重复"},
    }.get(action, {})


def test_the_table_covers_every_action_of_the_spec():
    assert set(ACTIONS) == set(EXPECTED)


def expected_outcome(action: str, state: str, role: str) -> str:
    states, roles = EXPECTED[action]
    visible = role != "cadre2" and not (role in ("handler", "handler2") and state in ("reported", "cancelled"))
    if not visible:
        return "404"
    if role not in roles:
        return "403"
    # close also needs 2 unreachable callbacks / 7 days, refuse_extension a pending request (test_extensions.py),
    # answer_directly a hotline, walk-in or online ticket never dispatched (these are raised by a cadre: test_direct.py)
    if state not in states or action in ("close", "refuse_extension", "answer_directly"):
        return "409"
    return "ok"


def attempt(ticket: Ticket, action: str, user: Any, tickets: Any) -> str:
    try:
        ticket_apply(
            ticket_id=ticket.pk, action=action, actor=user, version=ticket.version, data=valid_body(action, tickets)
        )
    except OutOfScope:
        return "404"
    except NotAllowed:
        return "403"
    except WrongState:
        return "409"
    return "ok"


@pytest.mark.parametrize("state", STATES)
def test_each_action_and_role_from_each_state(state, tickets, request):
    # given a ticket in `state` (co-unit 人社局 so that handler2 is its co-unit handler)
    users = {name: request.getfixturevalue(name) for name in ROLES}
    ticket = tickets.at(state, co_units=[tickets.org.dept2.pk])
    ticket.refresh_from_db()
    before = (ticket.status, ticket.version, TicketEvent.objects.filter(ticket=ticket).count())
    for action in EXPECTED:
        for role, user in users.items():
            expected = expected_outcome(action, state, role)
            # when the user tries the action (a success is rolled back so the next try starts from `state`)
            with transaction.atomic():
                outcome = attempt(ticket, action, user, tickets)
                if outcome == "ok":
                    after = Ticket.objects.get(pk=ticket.pk)
                    # then a success writes exactly one event and bumps version (supervise excepted)
                    assert TicketEvent.objects.filter(ticket=ticket).count() == before[2] + 1, (action, role)
                    assert after.version == before[1] + (0 if action == "supervise" else 1)
                    transaction.set_rollback(True)
            # then the outcome follows the table, in the order 404 → 403 → 409
            assert outcome == expected, (action, state, role)
    # and the refused ones changed nothing: status, version, events
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, TicketEvent.objects.filter(ticket=ticket).count()) == before


def test_allowed_actions_come_from_the_same_table(tickets, handler, dispatcher, cadre, leader):
    ticket = tickets.at("dispatched")
    assert allowed_actions(ticket, handler) == ["return", "accept"]
    assert set(allowed_actions(ticket, dispatcher)) == {"reassign", "supervise", "cancel"}
    assert allowed_actions(ticket, cadre) == []
    assert set(allowed_actions(ticket, leader)) == {"instruct", "supervise"}
