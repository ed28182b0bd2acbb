"""Ticket.branch (issue 14): every ticket carries the street (or department, or park) its unit lies in — set by
save(), on PostgreSQL by the trigger for raw rows —, follows a unit moved to another street, and a street's or a
department's staff see through it exactly the tickets the general rule gives them (unit, lead unit or a co-unit in
their subtree, or raised or led by them)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from campaign.models import OrgUnit, Role, UnitKind
from issues.models import Ticket, TicketCoUnit
from issues.placement import tickets_follow_unit
from issues.selectors import tickets_visible_to
from tests.factories import UserFactory, square
from tests.issues.scope_rule import tickets_by_rule

pytestmark = pytest.mark.django_db


def _ticket(unit, code, **extra):
    return Ticket.objects.create(
        code=code,
        source="hotline",
        kind="request",
        description="路灯不亮",
        unit=unit,
        created_at=timezone.now(),
        **extra,
    )


def _by_rule(user):
    return set(tickets_by_rule(user).values_list("pk", flat=True))


def test_a_ticket_carries_its_branch(org):
    in_grid, in_street, at_district = (
        _ticket(org.grid1, "GX-B-1"),
        _ticket(org.street2, "GX-B-2"),
        _ticket(org.district, "GX-B-3"),
    )
    for ticket, branch in ((in_grid, org.street1.pk), (in_street, org.street2.pk), (at_district, None)):
        ticket.refresh_from_db()
        assert ticket.branch_id == branch
    assert org.dept1.branch_id == org.dept1.pk and org.district.branch_id is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_trigger_sets_the_branch_of_raw_rows_and_of_a_changed_unit(org):
    ticket = _ticket(org.grid1, "GX-B-4")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE issues_ticket SET branch_id = NULL, unit_id = %s WHERE id = %s", [org.grid2.pk, ticket.pk]
        )
    ticket.refresh_from_db()
    assert (ticket.district_id, ticket.branch_id) == (org.district.pk, org.street2.pk)


def test_a_community_moved_to_another_street_carries_its_tickets(org):
    ticket, untouched = _ticket(org.grid1, "GX-B-5"), _ticket(org.grid2, "GX-B-6")
    org.community1.parent = org.street2
    org.community1.save()
    ticket.refresh_from_db()
    untouched.refresh_from_db()
    assert ticket.branch_id == org.street2.pk and untouched.branch_id == org.street2.pk
    assert tickets_follow_unit(org.community1) == 0  # nothing left to change


def test_street_and_department_staff_see_what_the_general_rule_gives(tickets, org):
    street_leader = UserFactory(username="zb_leader", role=Role.LEADER, unit=org.street1)
    handler = UserFactory(username="cg_handler", role=Role.HANDLER, unit=org.dept1)
    park = OrgUnit.objects.create(name="软件园", kind=UnitKind.PARK, parent=org.district)
    park_grid = OrgUnit.objects.create(
        name="软件园网格", kind=UnitKind.GRID, parent=park, boundary=square(34.20, 108.86), lat=34.20, lng=108.86
    )
    # given: tickets placed in each street, one led by a department, one shared with street 1 from street 2, one
    # raised by the street leader elsewhere, one in a park
    placed = tickets.at("reported")
    led = tickets.at("dispatched")  # lead unit: dept1 (tickets.dispatch_body's default)
    shared = _ticket(org.grid2, "GX-B-7")
    TicketCoUnit.objects.create(ticket=shared, unit=org.community1)
    raised = _ticket(org.grid2, "GX-B-8", created_by=street_leader)
    in_park = _ticket(park_grid, "GX-B-9")
    elsewhere = _ticket(org.grid2, "GX-B-10")
    # then: each user's scope is the general rule's rows, through the key
    for user in (street_leader, handler):
        assert set(tickets_visible_to(user).values_list("pk", flat=True)) == _by_rule(user)
    seen = set(tickets_visible_to(street_leader).values_list("pk", flat=True))
    assert {placed.pk, shared.pk, raised.pk} <= seen and not {elsewhere.pk, in_park.pk} & seen
    assert led.pk in set(tickets_visible_to(handler).values_list("pk", flat=True))
    assert in_park.branch_id == park.pk


def test_the_unit_and_lead_unit_filters_by_key_give_the_subtree(tickets, org, dispatcher, client):
    # given: tickets in both streets, at the district itself, led by each department
    for status in ("reported", "dispatched", "closed"):
        tickets.at(status)
    _ticket(org.grid2, "GX-B-11")
    _ticket(org.district, "GX-B-12")
    client.force_login(dispatcher)
    # then: each filter (by the district key, the branch key, a leaf's id, or the subtree) gives the subtree's rows
    for field, unit in (
        ("unit", org.district),
        ("unit", org.street1),
        ("unit", org.community1),
        ("unit", org.grid2),
        ("lead_unit", org.dept1),
        ("lead_unit", org.district),
    ):
        answer = client.get("/api/v1/tickets/", {field: unit.pk, "ordering": "priority"})
        assert answer.status_code == 200
        got = {row["id"] for row in answer.json()["results"]}
        expected = set(Ticket.objects.filter(**{f"{field}__path__startswith": unit.path}).values_list("pk", flat=True))
        assert got == expected and (expected or field == "lead_unit"), (field, unit.name)
