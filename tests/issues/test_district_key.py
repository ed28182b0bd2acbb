"""Ticket.district (issue 14): every ticket carries the district its unit lies in — set by save(), and on PostgreSQL
by a trigger for rows written by raw SQL or COPY and for a changed unit —; its lead and co-units lie in the same
district (dispatch and reassign refuse another's, nothing changes); and a district's staff see exactly the tickets of
their district, through that one key."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from campaign.errors import Invalid, OutOfScope
from campaign.models import OrgUnit, Role, UnitKind
from issues.models import Status, Ticket, TicketEvent
from issues.selectors import scope_arms, tickets_visible_to
from tests.factories import UserFactory, square

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(org):
    """A second district (a tree root of its own) with a grid and a department."""
    district = OrgUnit.objects.create(name="雁塔区", kind=UnitKind.DISTRICT, code="YT")
    street = OrgUnit.objects.create(name="小寨街道", kind=UnitKind.STREET, parent=district)
    community = OrgUnit.objects.create(name="小寨社区", kind=UnitKind.COMMUNITY, parent=street)
    grid = OrgUnit.objects.create(
        name="小寨一网格", kind=UnitKind.GRID, parent=community, boundary=square(34.30, 108.95), lat=34.30, lng=108.95
    )
    dept = OrgUnit.objects.create(name="雁塔城管局", kind=UnitKind.DEPARTMENT, parent=district)
    return district, grid, dept


def test_a_ticket_carries_the_district_of_its_unit(tickets, org):
    ticket = tickets.reported()
    assert ticket.district_id == org.district.pk
    ticket.refresh_from_db()
    assert ticket.district_id == org.district.pk
    assert org.grid1.district_id == org.district.pk == org.district.district_id


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_trigger_fills_raw_rows_and_follows_a_changed_unit(tickets, org, other):
    district2, grid2, _ = other
    ticket = tickets.reported()
    with connection.cursor() as cursor:
        # A row written by raw SQL without the column (as bench/make_city.py's COPY could), then moved by SQL.
        cursor.execute(
            "INSERT INTO issues_ticket (code, source, kind, category, requester_name, requester_phone, description,"
            " attachments, mode, problem, responsible_person, measures, expected_effect, status, supervision, version,"
            " reopen_count, satisfaction, unreachable_count, resolved_on_site, public_notice, result, public_reply,"
            " extension_reason, created_at, updated_at, unit_id)"
            " SELECT 'GX-RAW-1', source, kind, category, '', '', description, '[]', '', '', '', '', '', 'reported', 0,"
            " 1, 0, '', 0, false, '', '', '', '', now(), now(), unit_id FROM issues_ticket WHERE id = %s RETURNING id",
            [ticket.pk],
        )
        raw_id = cursor.fetchone()[0]
        assert Ticket.objects.get(pk=raw_id).district_id == org.district.pk
        cursor.execute("UPDATE issues_ticket SET unit_id = %s WHERE id = %s", [grid2.pk, raw_id])
    assert Ticket.objects.get(pk=raw_id).district_id == district2.pk


def test_dispatch_refuses_a_unit_of_another_district_and_changes_nothing(tickets, org, other):
    _, _, dept2 = other
    city_admin = UserFactory(username="city_admin", role=Role.ADMIN, unit=None, is_superuser=True)
    ticket = tickets.reported()
    events = TicketEvent.objects.filter(ticket=ticket).count()
    for body in (
        tickets.dispatch_body(lead_unit=dept2.pk),
        tickets.dispatch_body("coordinated", co_units=[dept2.pk]),
    ):
        with pytest.raises(Invalid) as refused:
            tickets.act(ticket, "dispatch", city_admin, **body)
        assert "只能指定工单所在区的单位。" in str(refused.value.detail)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.lead_unit_id, ticket.co_unit_links.count()) == (Status.REPORTED, None, 0)
    assert TicketEvent.objects.filter(ticket=ticket).count() == events
    # Within the district the same actor dispatches, and a reassign to another district is refused too.
    ticket = tickets.act(ticket, "dispatch", city_admin, **tickets.dispatch_body())
    assert ticket.status == Status.DISPATCHED
    with pytest.raises(Invalid):
        tickets.act(ticket, "reassign", city_admin, lead_unit=dept2.pk)
    ticket.refresh_from_db()
    assert ticket.lead_unit_id == org.dept1.pk


def test_district_staff_see_exactly_their_district(tickets, org, other, dispatcher, handler, street_leader, client):
    _, grid2, _ = other
    mine = [tickets.at("reported"), tickets.at("dispatched"), tickets.at("closed")]
    elsewhere = Ticket.objects.create(
        code="YT-20260512-000001",
        source="hotline",
        kind="request",
        description="路灯不亮",
        unit=grid2,
        created_at=timezone.now(),
    )
    assert scope_arms(dispatcher) is None and scope_arms(handler) and scope_arms(street_leader)
    # The district key and the general rule (unit, lead unit or a co-unit in the subtree) give the same rows.
    by_key = set(tickets_visible_to(dispatcher).values_list("pk", flat=True))
    by_rule = set(Ticket.objects.filter(unit__path__startswith=org.district.path).values_list("pk", flat=True)) | set(
        Ticket.objects.filter(lead_unit__path__startswith=org.district.path).values_list("pk", flat=True)
    )
    assert by_key == by_rule == {t.pk for t in mine}
    assert elsewhere.district_id == other[0].pk
    client.force_login(dispatcher)
    assert client.get(f"/api/v1/tickets/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{mine[0].pk}/").status_code == 200
    with pytest.raises(OutOfScope):  # the machine's check on the locked row says the same (ticket_in_scope)
        tickets.act(elsewhere, "cancel", dispatcher, reason="重复")
    counters = client.get("/api/v1/tickets/counters/").json()
    assert counters["total"] == 3 and counters["by_status"]["closed"] == 1 and counters["capped"] == []
