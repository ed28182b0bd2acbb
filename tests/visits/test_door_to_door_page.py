"""The door-to-door visit through the pages (issue 13 point 1, SPEC §8): the ticket page's 记录上门走访 button for the
lead unit's handler, the ticket's brief the phone page asks for, the visit on the ticket's timeline, and 办结 then."""

from __future__ import annotations

import re

import pytest

from issues.models import Ticket
from tests.visits.conftest import door_to_door_ticket, visit_body

BUTTON = "记录上门走访"


@pytest.fixture
def ticket(org, dispatcher, handler, household, campaign_obj):
    """Requested by the household of grid1 (at 34.19, 108.88), led by dept1, accepted an hour ago."""
    return door_to_door_ticket(dispatcher=dispatcher, handler=handler, org=org, household=household)


@pytest.fixture
def hotline_ticket(org, dispatcher, handler, campaign_obj):
    """Requested by a caller with no registered home; the matter is at 34.1905, 108.8805."""
    return door_to_door_ticket(dispatcher=dispatcher, handler=handler, org=org, lat=34.1905, lng=108.8805)


def _page(web, user, ticket) -> str:
    response = web(user).get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _resolve(web, user, ticket):
    ticket.refresh_from_db()
    return web(user).post(
        f"/tickets/{ticket.pk}/act/resolve/", {"version": ticket.version, "result": "已上门疏通，排水通畅"}
    )


# --- the button -------------------------------------------------------------------------------------------------
def test_lead_unit_handler_gets_the_button_that_opens_the_phone_page_with_the_ticket(web, handler, ticket):
    html = _page(web, handler, ticket)

    assert BUTTON in html
    form = re.search(r'<form method="get" action="([^"]+)">\s*<input type="hidden" name="ticket" value="(\d+)">', html)
    assert form is not None and form.groups() == ("/m/", str(ticket.pk))


def test_no_button_for_those_who_owe_no_visit(web, ticket, dispatcher, cadre, org):
    from tests.factories import UserFactory

    # the dispatcher and the grid's cadre see the ticket but do not handle it
    assert BUTTON not in _page(web, dispatcher, ticket)
    assert BUTTON not in _page(web, cadre, ticket)
    # a co-unit's handler helps, the lead unit visits
    co_handler = UserFactory(username="cohandler", role="handler", unit=org.dept2)
    ticket.co_unit_links.create(unit=org.dept2)
    assert BUTTON not in _page(web, co_handler, ticket)


@pytest.mark.parametrize(("mode", "status"), [("public", "accepted"), ("door_to_door", "dispatched")])
def test_no_button_for_another_mode_or_before_acceptance(web, handler, ticket, mode, status):
    Ticket.objects.filter(pk=ticket.pk).update(mode=mode, status=status)

    assert BUTTON not in _page(web, handler, ticket)


# --- the brief the phone page asks for ----------------------------------------------------------------------------
def test_brief_names_the_requesting_household_masked(api, handler, ticket, household):
    response = api.as_user(handler).get(f"/api/v1/m/tickets/{ticket.pk}/")

    assert response.status_code == 200
    data = response.json()
    assert data["code"] == ticket.code and data["url"] == f"/tickets/{ticket.pk}/"
    assert data["door_to_door_due"] is True and data["place"] is None
    target = data["target"]
    assert (target["type"], target["id"], target["lat"], target["lng"]) == ("household", household.pk, 34.19, 108.88)
    assert target["name"] == household.head_name[0] + "*" * (len(household.head_name) - 1)


def test_brief_of_a_caller_without_a_home_is_the_tickets_place(api, handler, hotline_ticket, org):
    data = api.as_user(handler).get(f"/api/v1/m/tickets/{hotline_ticket.pk}/").json()

    assert data["target"] is None
    assert data["place"] == {"name": org.grid1.name, "lat": 34.1905, "lng": 108.8805}
    assert "张三丰" not in str(data) and "13812345678" not in str(data)


def test_brief_of_a_ticket_out_of_scope_is_404(api, handler2, ticket):
    assert api.as_user(handler2).get(f"/api/v1/m/tickets/{ticket.pk}/").status_code == 404
    assert api.as_user(handler2).get("/api/v1/m/tickets/999999/").status_code == 404


# --- the visit on the timeline, and 办结 ---------------------------------------------------------------------------
def test_resolve_needs_the_visit_then_the_visit_shows_on_the_timeline_and_resolve_works(
    web, api, handler, ticket, household
):
    # given no visit yet: 办结 is refused with the reason, nothing changes
    refused = _resolve(web, handler, ticket)
    assert refused.status_code == 400 and "需要上门走访核实记录" in refused.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "accepted"

    # when the handler logs the visit as the phone page sends it (the requester as target, naming the ticket)
    body = visit_body(household, ticket=ticket.pk, notes="已上门疏通管道")
    del body["checklist"]
    assert api.as_user(handler).post("/api/v1/visits/", body, format="json").status_code == 201

    # then the ticket's timeline shows it, geo-verified
    html = _page(web, handler, ticket)
    timeline = html.split("办理过程", 1)[1]
    assert "上门走访" in timeline and "位置核验通过" in timeline and "已上门疏通管道" in timeline

    # and 办结 goes through
    assert _resolve(web, handler, ticket).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


def test_a_visit_to_the_place_of_a_caller_without_a_home_is_proof(web, api, handler, hotline_ticket):
    # the handler stands ~15 m from the ticket's point; the visit names only the ticket (no target)
    body = visit_body(ticket=hotline_ticket.pk, lat=34.1906, lng=108.8806)
    del body["checklist"]
    response = api.as_user(handler).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 201 and response.json()["geo_status"] == "verified"
    assert response.json()["target_type"] == ""
    assert _resolve(web, handler, hotline_ticket).status_code == 302


def test_a_far_visit_shows_on_the_timeline_but_is_no_proof(web, api, handler, ticket, household):
    body = visit_body(household, ticket=ticket.pk, lat=34.23, lng=108.85)
    del body["checklist"]
    api.as_user(handler).post("/api/v1/visits/", body, format="json")

    assert "距离过远" in _page(web, handler, ticket).split("办理过程", 1)[1]
    assert _resolve(web, handler, ticket).status_code == 400


def test_the_ticket_pages_queries_do_not_grow_with_its_visits(web, api, handler, ticket, household):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def logged(n: int) -> int:
        for _ in range(n):
            body = visit_body(household, ticket=ticket.pk)
            del body["checklist"]
            assert api.as_user(handler).post("/api/v1/visits/", body, format="json").status_code == 201
        client = web(handler)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/tickets/{ticket.pk}/").status_code == 200
        return len(queries)

    assert logged(1) == logged(5)
