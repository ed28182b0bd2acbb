"""Issue 12 item 2, scope on every write: a ticket's point places it, so it must lie in its author's area (the grids
of their scope, or their district's for a department, within 200 m plus the fix's accuracy) — else 400 on lat/lng;
a named unit out of scope is 404; a visit's own point is evidence only (`far`), but its target and ticket must be in
scope (404). Every refusal stores nothing.

grid1 (cadre's) is the square 34.185–34.195 N, 108.875–108.885 E; grid2 (the other street's) is centred on
34.23 N, 108.85 E (about 5 km away).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaign.models import Role
from campaign.selectors import AREA_MARGIN_M, area_margin_m, point_in_area
from issues.models import Ticket, TicketEvent
from tests.factories import HouseholdFactory, OrgUnitFactory, UserFactory, accepted_door_to_door_ticket
from tests.visits.conftest import visit_body
from visits.models import Visit

GRID1_NORTH_EDGE = 34.195
METRES_PER_DEGREE_LAT = 111_320.0
IN_GRID2 = {"lat": 34.23, "lng": 108.85}
BEIJING = {"lat": 39.90, "lng": 116.40}


def north_of_grid1(metres: float) -> dict[str, float]:
    """A point `metres` north of grid1's northern edge, at the grid's middle longitude."""
    return {"lat": GRID1_NORTH_EDGE + metres / METRES_PER_DEGREE_LAT, "lng": 108.88}


def rows() -> tuple[int, int, int]:
    return Ticket.objects.count(), TicketEvent.objects.count(), Visit.objects.count()


@pytest.fixture
def household(org):
    return HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)


@pytest.fixture
def household2(org):
    return HouseholdFactory(unit=org.grid2, lat=34.23, lng=108.85)


@pytest.fixture
def door_to_door(org, household, campaign_obj):
    """An accepted door_to_door ticket of grid1 led by dept1 (handler's department)."""
    return accepted_door_to_door_ticket(org, household)


def self_found(**fields):
    return {"source": "self_found", "kind": "request", "description": "路灯不亮", **fields}


def hotline(**fields):
    return {"source": "hotline", "kind": "request", "description": "噪音扰民", "requester_name": "王", **fields}


# --- tickets --------------------------------------------------------------------------------------------------------
def test_a_cadre_cannot_file_a_ticket_at_a_point_in_another_street(api, cadre, org, campaign_obj):
    before = rows()

    response = api.as_user(cadre).post("/api/v1/tickets/", self_found(**IN_GRID2), format="json")

    assert response.status_code == 400, response.json()
    assert {"lat", "lng"} <= set(response.json())
    assert rows() == before


def test_a_cadre_cannot_file_a_ticket_in_another_streets_unit_but_their_point(api, cadre, org, campaign_obj):
    # the point is the cadre's own, the unit is another street's: 404, nothing stored
    before = rows()

    response = api.as_user(cadre).post(
        "/api/v1/tickets/", self_found(unit=org.grid2.pk, lat=34.19, lng=108.88), format="json"
    )

    assert response.status_code == 404
    assert rows() == before


def test_a_named_unit_out_of_scope_is_404(api, cadre, org, campaign_obj):
    before = rows()

    response = api.as_user(cadre).post("/api/v1/tickets/", self_found(unit=org.street2.pk), format="json")

    assert response.status_code == 404
    assert rows() == before


def test_a_point_in_the_cadres_own_grid_is_placed_there(api, cadre, org, campaign_obj):
    response = api.as_user(cadre).post("/api/v1/tickets/", self_found(lat=34.19, lng=108.88), format="json")

    assert response.status_code == 201, response.json()
    assert Ticket.objects.get().unit == org.grid1


@pytest.mark.parametrize(("metres", "status"), [(150, 201), (250, 400)])
def test_a_point_just_outside_the_grid_edge_is_accepted_within_200_m(api, cadre, org, campaign_obj, metres, status):
    # a ticket posted by itself has no fix accuracy: the margin is 200 m
    before = rows()

    response = api.as_user(cadre).post(
        "/api/v1/tickets/", self_found(unit=org.grid1.pk, **north_of_grid1(metres)), format="json"
    )

    assert response.status_code == status, response.json()
    assert rows()[0] == before[0] + (1 if status == 201 else 0)


def test_a_district_dispatcher_is_judged_by_the_districts_area(api, dispatcher, org, campaign_obj):
    before = rows()

    inside = api.as_user(dispatcher).post("/api/v1/tickets/", hotline(**IN_GRID2), format="json")
    outside = api.as_user(dispatcher).post("/api/v1/tickets/", hotline(unit=org.grid1.pk, **BEIJING), format="json")

    assert inside.status_code == 201, inside.json()
    assert Ticket.objects.get().unit == org.grid2
    assert outside.status_code == 400 and {"lat", "lng"} <= set(outside.json())
    assert rows()[0] == before[0] + 1


def test_a_departments_dispatcher_is_judged_by_its_districts_area(api, org, campaign_obj):
    # a department has no grid of its own: its district's grids are its area
    dispatcher = UserFactory(username="deptdispatcher", role=Role.DISPATCHER, unit=org.dept1)

    inside = api.as_user(dispatcher).post("/api/v1/tickets/", hotline(unit=org.dept1.pk, **IN_GRID2), format="json")
    outside = api.as_user(dispatcher).post("/api/v1/tickets/", hotline(unit=org.dept1.pk, **BEIJING), format="json")

    assert inside.status_code == 201, inside.json()
    assert outside.status_code == 400 and {"lat", "lng"} <= set(outside.json())
    assert Ticket.objects.count() == 1


# --- visits and their inline issues ----------------------------------------------------------------------------------
def test_an_inline_issue_in_another_street_refuses_the_whole_visit(api, cadre, household, campaign_obj):
    before = rows()
    body = visit_body(household, issues=[{"kind": "request", "description": "井盖缺失", **IN_GRID2}])

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 400, response.json()
    assert {"issues[0].lat", "issues[0].lng"} <= set(response.json())
    assert rows() == before


@pytest.mark.parametrize(("accuracy", "status"), [(15, 400), (60, 201)])
def test_an_inline_issue_gets_the_fixs_accuracy_on_top_of_200_m(api, cadre, household, campaign_obj, accuracy, status):
    # 250 m north of the grid: outside 200 m + 15 m, inside 200 m + 60 m
    before = rows()
    issue = {"kind": "request", "description": "井盖缺失", **north_of_grid1(250)}
    body = visit_body(household, accuracy_m=accuracy, issues=[issue])

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == status, response.json()
    if status == 400:
        assert rows() == before
    else:
        assert Ticket.objects.get().visit_id is not None and Visit.objects.count() == before[2] + 1


def test_a_handlers_door_to_door_issue_is_judged_by_the_tickets_unit(api, handler, door_to_door, household):
    # the handler's department has no grid: their visit's issues lie in the ticket's unit (grid1) or are refused
    ago = (timezone.localtime() - dt.timedelta(hours=1)).replace(microsecond=0).isoformat()
    before = rows()

    def post(point):
        issue = {"kind": "request", "description": "楼上漏水", **point}
        body = visit_body(ticket=door_to_door.pk, visited_at=ago, checklist={}, issues=[issue])
        return api.as_user(handler).post("/api/v1/visits/", body, format="json")

    elsewhere = post(IN_GRID2)
    assert elsewhere.status_code == 400 and {"issues[0].lat", "issues[0].lng"} <= set(elsewhere.json())
    assert rows() == before

    here = post({"lat": 34.191, "lng": 108.881})
    assert here.status_code == 201, here.json()
    assert Ticket.objects.exclude(pk=door_to_door.pk).get().unit == door_to_door.unit


def test_a_far_visit_to_a_target_in_scope_is_stored_as_far(api, cadre, household, campaign_obj):
    # the visit's own point is evidence, not placement: a point in another street is recorded, marked far
    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(household, **IN_GRID2), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["geo_status"] == "far"
    assert Visit.objects.get().geo_status == "far"


def test_a_visit_to_a_target_out_of_scope_is_404(api, cadre, household2, campaign_obj):
    before = rows()

    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(household2, **IN_GRID2), format="json")

    assert response.status_code == 404
    assert rows() == before


def test_a_visit_naming_a_ticket_out_of_scope_is_404(api, cadre, household, household2, org, campaign_obj):
    other = Ticket.objects.create(
        code="GX-20260512-000009",
        source="hotline",
        kind="request",
        description="x",
        unit=org.grid2,
        status="reported",
        created_at=timezone.now(),
    )
    before = rows()

    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(household, ticket=other.pk), format="json")

    assert response.status_code == 404
    assert rows() == before


# --- the one area rule ------------------------------------------------------------------------------------------------
def test_point_in_area_measures_metres_from_the_polygon(org):
    assert point_in_area(org.grid1, 34.19, 108.88, AREA_MARGIN_M)
    assert point_in_area(org.grid1, **north_of_grid1(190), margin_m=AREA_MARGIN_M)
    assert not point_in_area(org.grid1, **north_of_grid1(210), margin_m=AREA_MARGIN_M)
    # east of the grid, where a degree of longitude is ~92 km at this latitude, not 111 km
    east_edge = 108.885
    assert point_in_area(org.grid1, 34.19, east_edge + 190 / 92_080, AREA_MARGIN_M)
    assert not point_in_area(org.grid1, 34.19, east_edge + 210 / 92_080, AREA_MARGIN_M)
    assert not point_in_area(org.street1, **IN_GRID2, margin_m=AREA_MARGIN_M)
    assert point_in_area(org.district, **IN_GRID2, margin_m=AREA_MARGIN_M)
    assert point_in_area(org.dept1, **IN_GRID2, margin_m=AREA_MARGIN_M)  # a department: its district's area
    assert not point_in_area(org.dept1, **BEIJING, margin_m=AREA_MARGIN_M)


def test_the_margin_is_200_m_plus_a_capped_accuracy():
    assert area_margin_m(None) == 200
    assert area_margin_m(40) == 240
    # a fix worse than 100 m proves nothing (SPEC §4 poor_accuracy): it cannot stretch the area to the next street
    assert area_margin_m(100_000) == 300
    assert area_margin_m(float("nan")) == 200


def test_a_district_without_drawn_grids_has_no_area_to_judge_by(db):
    district = OrgUnitFactory(name="新区", kind="district")
    street = OrgUnitFactory(name="新街道", kind="street", parent=district)

    assert point_in_area(street, **BEIJING, margin_m=AREA_MARGIN_M)
