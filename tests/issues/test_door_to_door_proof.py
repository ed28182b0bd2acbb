"""The door_to_door resolve rule's proof (SPEC §5): a verified visit naming the ticket, logged after acceptance,
by a user of the lead unit — asked of issues.rules.resolve_rule, the rule the machine runs before `resolve`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from issues.models import Ticket
from issues.rules import Ctx, resolve_rule
from tests.factories import HouseholdFactory, accepted_door_to_door_ticket
from tests.visits.conftest import visit_body
from visits.models import Visit


@pytest.fixture
def household(org):
    """The requester: a household of grid1 at the grid's centre (the visits' reference point)."""
    return HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)


@pytest.fixture
def accepted_ticket(org, household, campaign_obj):
    """A door_to_door ticket of grid1, led by dept1 (handler's unit), accepted two hours ago."""
    return accepted_door_to_door_ticket(org, household)


def door_to_door_proof_exists(*, ticket: Ticket) -> bool:
    """Does the resolve rule accept the ticket's door-to-door handling (no `visit` error)?"""
    ctx = Ctx(ticket=ticket, actor=None, data={"result": "已上门解决"}, now=timezone.now(), errors={})
    resolve_rule(ctx)
    return "visit" not in ctx.errors


def _ago(hours: float) -> str:
    return (timezone.localtime() - dt.timedelta(hours=hours)).replace(microsecond=0).isoformat()


def test_handlers_verified_visit_after_acceptance_is_proof(api, handler, accepted_ticket, household):
    # when the lead unit's handler logs a visit at the requester's door, naming the ticket, with no target
    response = api.as_user(handler).post(
        "/api/v1/visits/", visit_body(ticket=accepted_ticket.pk, visited_at=_ago(1), checklist={}), format="json"
    )

    # then the requester's home is the reference point and the visit proves the door-to-door handling
    assert response.status_code == 201, response.json()
    assert response.json()["geo_status"] == "verified"
    assert response.json()["target_type"] == "" and response.json()["ticket"] == accepted_ticket.pk
    assert door_to_door_proof_exists(ticket=accepted_ticket) is True


def test_handler_may_name_the_requester_household_as_target(api, handler, accepted_ticket, household):
    body = visit_body(household, ticket=accepted_ticket.pk, visited_at=_ago(1), checklist={})

    assert api.as_user(handler).post("/api/v1/visits/", body, format="json").status_code == 201
    assert door_to_door_proof_exists(ticket=accepted_ticket) is True


def test_no_visit_is_no_proof(accepted_ticket):
    assert door_to_door_proof_exists(ticket=accepted_ticket) is False


def test_visit_before_acceptance_is_no_proof(api, handler, accepted_ticket):
    body = visit_body(ticket=accepted_ticket.pk, visited_at=_ago(2.5), checklist={})

    assert api.as_user(handler).post("/api/v1/visits/", body, format="json").status_code == 201
    assert door_to_door_proof_exists(ticket=accepted_ticket) is False


def test_far_visit_is_no_proof(api, handler, accepted_ticket):
    body = visit_body(ticket=accepted_ticket.pk, visited_at=_ago(1), lat=34.23, lng=108.85, checklist={})

    assert api.as_user(handler).post("/api/v1/visits/", body, format="json").json()["geo_status"] == "far"
    assert door_to_door_proof_exists(ticket=accepted_ticket) is False


def test_visit_by_a_user_outside_the_lead_unit_is_no_proof(api, cadre, accepted_ticket, household):
    # the grid's cadre sees the ticket (its unit is their grid) and may log a visit naming it — not a proof
    body = visit_body(household, ticket=accepted_ticket.pk, visited_at=_ago(1))

    assert api.as_user(cadre).post("/api/v1/visits/", body, format="json").status_code == 201
    assert Visit.objects.get().geo_status == "verified"
    assert door_to_door_proof_exists(ticket=accepted_ticket) is False


def test_handler_of_another_department_cannot_name_the_ticket(api, handler2, accepted_ticket):
    body = visit_body(ticket=accepted_ticket.pk, visited_at=_ago(1), checklist={})

    assert api.as_user(handler2).post("/api/v1/visits/", body, format="json").status_code == 404
    assert Visit.objects.count() == 0


def test_co_unit_handler_may_log_a_visit_but_it_is_no_proof_for_the_lead_unit(api, handler2, accepted_ticket, org):
    from issues.models import TicketCoUnit

    TicketCoUnit.objects.create(ticket=accepted_ticket, unit=org.dept2)
    body = visit_body(ticket=accepted_ticket.pk, visited_at=_ago(1), checklist={})

    assert api.as_user(handler2).post("/api/v1/visits/", body, format="json").status_code == 201
    assert door_to_door_proof_exists(ticket=accepted_ticket) is False  # the proof must come from the lead unit


def test_visible_ticket_led_elsewhere_is_403_for_a_handler(api, handler, accepted_ticket, org):
    # the handler raised it (so sees it), but another department leads it
    accepted_ticket.lead_unit = org.dept2
    accepted_ticket.created_by = handler
    accepted_ticket.save()
    body = visit_body(ticket=accepted_ticket.pk, visited_at=_ago(1), checklist={})

    assert api.as_user(handler).post("/api/v1/visits/", body, format="json").status_code == 403
    assert Visit.objects.count() == 0


def test_unaccepted_ticket_has_no_proof(accepted_ticket):
    accepted_ticket.accepted_at = None
    accepted_ticket.status = "dispatched"

    assert door_to_door_proof_exists(ticket=accepted_ticket) is False
