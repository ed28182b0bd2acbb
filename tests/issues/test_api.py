"""The tickets API (SPEC §7): list, create, detail, actions, counters, map; scope first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from issues.models import Ticket, TicketEvent


def test_dispatcher_creates_a_hotline_ticket_with_masked_requester(api, dispatcher, org, campaign_obj):
    # given a hotline call about grid1
    body = {
        "source": "hotline",
        "kind": "request",
        "category": "社会保障",
        "description": "咨询养老保险补缴",
        "unit": org.grid1.pk,
        "requester_name": "张三丰",
        "requester_phone": "13812345678",
    }
    # when the dispatcher records it
    response = api.as_user(dispatcher).post("/api/v1/tickets/", body, format="json")
    # then it is reported, with a code, a report event and masked personal data
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "reported"
    assert data["code"].startswith("GX-")
    assert data["requester_phone"] == "138******78"
    assert data["requester_name"] == "张**"
    assert [e["action"] for e in data["events"]] == ["report"]
    assert "dispatch" in data["allowed_actions"]
    assert data["campaign"] == campaign_obj.pk


def test_bad_ticket_names_every_bad_field_and_stores_nothing(api, dispatcher, org):
    response = api.as_user(dispatcher).post(
        "/api/v1/tickets/",
        {"source": "hotline", "kind": "nonsense", "description": "x", "requester_phone": "abc"},
        format="json",
    )
    assert response.status_code == 400
    assert {"kind", "unit", "requester_phone"} <= set(response.json())
    assert Ticket.objects.count() == 0


def test_cadre_may_not_record_hotline_tickets(api, cadre, org):
    body = {"source": "hotline", "kind": "request", "description": "x", "unit": org.grid1.pk}
    assert api.as_user(cadre).post("/api/v1/tickets/", body, format="json").status_code == 403


def test_cadre_self_found_ticket_gets_the_grid_of_its_point(api, cadre, org, campaign_obj):
    body = {"source": "self_found", "kind": "complaint", "description": "井盖缺失", "lat": 34.191, "lng": 108.881}
    response = api.as_user(cadre).post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["unit"] == org.grid1.pk


def test_dispatch_through_the_api_then_stale_version_is_409(api, tickets, dispatcher, org):
    ticket = tickets.reported()
    url = f"/api/v1/tickets/{ticket.pk}/dispatch/"
    body = {"version": ticket.version, **tickets.dispatch_body("door_to_door")}
    first = api.as_user(dispatcher).post(url, body, format="json")
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "dispatched"
    assert first.json()["version"] == ticket.version + 1
    # when the same (now stale) version is sent again to cancel
    stale = api.as_user(dispatcher).post(
        f"/api/v1/tickets/{ticket.pk}/cancel/", {"version": ticket.version, "reason": "重复"}, format="json"
    )
    assert stale.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).status == "dispatched"


def test_dispatch_without_clarities_names_every_missing_one(api, tickets, dispatcher):
    ticket = tickets.reported()
    response = api.as_user(dispatcher).post(
        f"/api/v1/tickets/{ticket.pk}/dispatch/", {"version": ticket.version, "mode": "immediate"}, format="json"
    )
    assert response.status_code == 400
    assert {"problem", "lead_unit", "responsible_person", "measures", "expected_effect"} <= set(response.json())
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_handler_of_another_department_gets_404_on_a_ticket_of_chengguan(api, tickets, handler, handler2):
    ticket = tickets.at("dispatched")  # lead unit 城管局
    assert api.as_user(handler).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert api.as_user(handler2).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    response = api.as_user(handler2).post(f"/api/v1/tickets/{ticket.pk}/accept/", {"version": 2}, format="json")
    assert response.status_code == 404
    assert [t["id"] for t in api.as_user(handler).get("/api/v1/tickets/").json()["results"]] == [ticket.pk]
    assert api.as_user(handler2).get("/api/v1/tickets/").json()["results"] == []


def test_street_leader_cannot_see_the_other_streets_ticket(api, tickets, street_leader, cadre2, org):
    from issues.services import ticket_create

    mine = tickets.reported()
    other = ticket_create(
        actor=cadre2,
        source="self_found",
        kind="complaint",
        description="路灯不亮",
        lat=34.23,
        lng=108.85,
    )
    assert api.as_user(street_leader).get(f"/api/v1/tickets/{other.pk}/").status_code == 404
    ids = [t["id"] for t in api.as_user(street_leader).get("/api/v1/tickets/").json()["results"]]
    assert ids == [mine.pk]


def test_ticket_list_query_count_stays_flat(api, tickets, dispatcher, django_assert_max_num_queries):
    def make(n: int) -> None:
        for _ in range(n):
            tickets.at("dispatched", mode="coordinated")

    make(3)
    client = api.as_user(dispatcher)
    with django_assert_max_num_queries(6) as few:
        assert len(client.get("/api/v1/tickets/").json()["results"]) == 3
    make(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/tickets/").json()["results"]) == 30


def test_filters_and_counters(api, tickets, dispatcher, org):
    dispatched = tickets.at("dispatched")
    tickets.at("reported")
    Ticket.objects.filter(pk=dispatched.pk).update(due_at=timezone.now() - dt.timedelta(hours=1), supervision=1)
    client = api.as_user(dispatcher)
    overdue = client.get("/api/v1/tickets/", {"overdue": "true"}).json()["results"]
    assert [t["id"] for t in overdue] == [dispatched.pk]
    assert overdue[0]["overdue"] is True
    counters = client.get("/api/v1/tickets/counters/").json()
    assert counters["by_status"]["reported"] == 1
    assert counters["by_status"]["dispatched"] == 1
    assert counters["overdue"] == 1
    assert counters["supervised"] == 1
    assert client.get("/api/v1/tickets/", {"status": "bogus"}).status_code == 400
    assert client.get("/api/v1/tickets/", {"q": dispatched.code}).json()["results"][0]["id"] == dispatched.pk
    today = timezone.localdate().isoformat()
    assert len(client.get("/api/v1/tickets/", {"date_from": today, "date_to": today}).json()["results"]) == 2
    priority = client.get("/api/v1/tickets/", {"ordering": "priority"}).json()["results"]
    assert priority[0]["id"] == dispatched.pk


def test_map_answers_geojson_of_open_tickets_in_the_box(api, tickets, dispatcher):
    ticket = tickets.at("dispatched")
    tickets.at("closed")
    response = api.as_user(dispatcher).get("/api/v1/geo/tickets/", {"bbox": "108.8,34.1,108.9,34.3"})
    assert response.status_code == 200
    features = response.json()["features"]
    assert [f["properties"]["id"] for f in features] == [ticket.pk]
    assert features[0]["geometry"]["coordinates"] == [108.88, 34.19]
    assert api.as_user(dispatcher).get("/api/v1/geo/tickets/", {"bbox": "x"}).status_code == 400


@pytest.mark.parametrize("action", ["accept", "resolve"])
def test_unknown_role_for_action_is_403(api, tickets, dispatcher, action):
    ticket = tickets.at("dispatched")
    response = api.as_user(dispatcher).post(
        f"/api/v1/tickets/{ticket.pk}/{action}/", {"version": ticket.version}, format="json"
    )
    assert response.status_code == 403
