"""Random sequences of ticket actions through the real machine (issue 12 item 10): every step follows the table.

A hypothesis state machine drives one ticket per example with actors of every role, valid, empty and random bodies
and stale versions, and checks after each step: a success reached a status the table (issues.machine.ACTIONS) allows
from the previous one for that action, wrote exactly one TicketEvent and bumped `version` (supervise excepted);
a refusal changed nothing (row and events equal); allowed_actions agrees with what the machine let through.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from campaign.errors import DomainError, Invalid, NotAllowed, OutOfScope, StaleVersion, WrongState
from issues.machine import ACTIONS, allowed_actions, ticket_apply
from issues.models import Mode, Satisfaction, Status, Ticket, TicketEvent
from issues.selectors import ticket_in_scope

ROLES = ["cadre", "cadre2", "handler", "handler2", "dispatcher", "leader", "street_leader", "admin_user"]
FIELDS = ["mode", "lead_unit", "co_units", "due_at", "reason", "note", "result", "part", "rating", "level",
          "merge_into", "public_notice", "problem", "responsible_person", "measures", "expected_effect",
          "lead_official"]  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
# JSON values one level deep (st.recursive cannot be deep-copied, which hypothesis' stateful rules need)
JSON_VALUES = SCALARS | st.lists(SCALARS, max_size=3) | st.dictionaries(st.text(max_size=5), SCALARS, max_size=3)
MAIN_PATH = {
    "dispatch",
    "accept",
    "progress",
    "assist",
    "resolve",
    "callback",
    "close",
}  # assist: a 积极办 co-unit reports first
RANDOM_BODIES = st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=5)


class World:
    """The fixtures the machine acts with (set by the test before it runs the machine)."""

    tickets: Any
    users: dict[str, Any]
    reached: set[tuple[str, str]] = set()  # (action, status reached) of every success, to check the run went deep


def valid_body(action: str, mode: str, rating: str) -> dict[str, Any]:
    """A body the action's rules accept on a ticket dispatched the usual way (dept1 leads, dept2 co-unit)."""
    later = (timezone.now() + dt.timedelta(days=20)).isoformat()
    bodies: dict[str, dict[str, Any]] = {
        "resolve_on_site": {"result": "现场劝离"},
        "dispatch": World.tickets.dispatch_body(mode, co_units=[World.tickets.org.dept2.pk]),
        "return": {"reason": "非本单位职责"},
        "reassign": {"reason": "职责调整", "lead_unit": World.tickets.org.dept1.pk},
        "request_extension": {"due_at": later, "reason": "需采购材料"},
        "extend": {"due_at": later, "reason": "同意延期"},
        "instruct": {"note": "尽快解决"},
        "progress": {"note": "已约谈"},
        "assist": {"part": "人社局已核实"},
        "resolve": {"result": "已解决", "public_notice": "已公示"},
        "callback": {"rating": rating, "note": "回访"},
        "cancel": {"reason": "重复"},
    }
    if mode == Mode.PROACTIVE and action == "dispatch":
        bodies["dispatch"]["lead_official"] = World.users["leader"].pk
    return bodies.get(action, {})


def reachable(action: str, before: str) -> set[str]:
    """The statuses the table lets `action` lead to from `before` (callback: its rating decides)."""
    spec = ACTIONS[action]
    if spec.to is not None:
        return {spec.to}
    if action == "callback":
        return {before, Status.CLOSED, Status.IN_PROGRESS}
    return {before}


class TicketActions(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown: examples never see each other's tickets.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.ticket = World.tickets.reported()
        self.steps: list[str] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def snapshot(self) -> tuple[dict[str, Any], int]:
        row = model_to_dict(Ticket.objects.get(pk=self.ticket.pk))
        return row, TicketEvent.objects.filter(ticket_id=self.ticket.pk).count()

    @rule(
        action=st.sampled_from(sorted(ACTIONS)),
        role=st.sampled_from(ROLES),
        body=st.one_of(
            st.tuples(st.just("valid"), st.sampled_from(Mode.values), st.sampled_from(Satisfaction.values)),
            st.tuples(st.just("random"), RANDOM_BODIES),
            st.just(("empty",)),
        ),
        version_shift=st.sampled_from([0, 0, 0, -1, 1]),
    )
    def act(self, action: str, role: str, body: tuple, version_shift: int) -> None:
        self.step(action, role, body, version_shift)

    @rule(
        pick=st.integers(min_value=0, max_value=10_000),
        forward=st.booleans(),
        mode=st.sampled_from(Mode.values),
        rating=st.sampled_from(Satisfaction.values),
    )
    def advance(self, pick: int, forward: bool, mode: str, rating: str) -> None:
        """Random actions alone rarely get past `reported`: this rule takes one on offer, as a role offered it
        (`forward`: the main path's next step when it is on offer, so that runs reach the late states)."""
        ticket = Ticket.objects.select_related("unit", "lead_unit").get(pk=self.ticket.pk)
        offered = [
            (action, role)
            for role, user in World.users.items()
            if ticket_in_scope(ticket, user)
            for action in allowed_actions(ticket, user)
        ]
        ahead = [pair for pair in offered if pair[0] in MAIN_PATH]
        if forward and ahead:
            offered = ahead
        if offered:
            action, role = offered[pick % len(offered)]
            self.step(action, role, ("valid", mode, rating), 0)

    def step(self, action: str, role: str, body: tuple, version_shift: int) -> None:
        user = World.users[role]
        ticket = Ticket.objects.select_related("unit", "lead_unit").get(pk=self.ticket.pk)
        data = valid_body(action, *body[1:]) if body[0] == "valid" else (body[1] if body[0] == "random" else {})
        in_scope = ticket_in_scope(ticket, user)
        allowed = in_scope and action in allowed_actions(ticket, user)
        before, events = self.snapshot()
        self.steps.append(f"{role} {action} {body[0]} v{version_shift:+d} from {before['status']}")
        try:
            ticket_apply(
                ticket_id=ticket.pk, action=action, actor=user, version=ticket.version + version_shift, data=data
            )
        except DomainError as refused:
            self.refused(refused, action, allowed, in_scope, before, events)
            return
        after, events_after = self.snapshot()
        assert allowed, ("the machine let through an action allowed_actions does not offer", self.steps)
        assert after["status"] in reachable(action, before["status"]), self.steps
        World.reached.add((action, after["status"]))
        assert events_after == events + 1, self.steps
        event = TicketEvent.objects.filter(ticket_id=ticket.pk).latest("id")
        assert (event.action, event.from_status, event.to_status) == (action, before["status"], after["status"])
        assert after["version"] == before["version"] + (0 if action == "supervise" else 1), self.steps
        if version_shift and action != "supervise":
            pytest.fail(f"a stale version was accepted: {self.steps}")

    def refused(
        self, refused: DomainError, action: str, allowed: bool, in_scope: bool, before: dict, events: int
    ) -> None:
        # a refusal changed nothing
        assert self.snapshot() == (before, events), self.steps
        if isinstance(refused, OutOfScope):
            assert not in_scope, self.steps
        elif isinstance(refused, NotAllowed | WrongState):
            assert in_scope and not allowed, (type(refused).__name__, self.steps)
        else:  # version or field errors come only after who and state passed: the action was on offer
            assert isinstance(refused, StaleVersion | Invalid), self.steps
            assert allowed, (type(refused).__name__, self.steps)


TicketActions.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_random_action_sequences_follow_the_table(tickets, request):
    World.tickets = tickets
    World.users = {name: request.getfixturevalue(name) for name in ROLES}
    World.reached = set()
    run_state_machine_as_test(TicketActions, settings=TicketActions.TestCase.settings)
    # the run went through the whole workflow, not only refusals at `reported`
    assert {status for _, status in World.reached} == set(Status.values), str(sorted(World.reached))
    print(len(World.reached), str(sorted(World.reached)))
