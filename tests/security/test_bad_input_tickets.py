"""Tickets refuse hostile input before writing (issue 12 item 1): POST /tickets/, the action endpoints and the
ticket page's action forms answer 400 naming the field, never 500, and no ticket or event is written."""

from __future__ import annotations

import json

import pytest

from issues.models import Ticket, TicketEvent
from issues.services import ticket_create
from visits.models import Visit, VisitPhoto

GRID1_POINT = {"lat": 34.19, "lng": 108.88}


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Visit, Ticket, VisitPhoto, TicketEvent))


def _body(**change):
    return {"source": "self_found", "kind": "request", "description": "楼道灯坏了", **GRID1_POINT, **change}


CREATE_ATTACKS = [
    ("description NUL", {"description": "灯\u0000"}, "description"),
    ("description surrogate", {"description": "\ud800"}, "description"),
    ("description escape", {"description": "\u001b[2J"}, "description"),
    ("description C1", {"description": "\u009b"}, "description"),
    ("description very long", {"description": "x" * 200_000}, "description"),
    ("category control", {"category": "\u0001"}, "category"),
    ("requester name NUL", {"requester_name": "张\u0000三"}, "requester_name"),
    ("requester phone control", {"requester_phone": "138\u000700"}, "requester_phone"),
    ("attachment surrogate", {"attachments": ["\udfff"]}, "attachments"),
    ("lat string NaN", {"lat": "NaN"}, "lat"),
    ("lng string Infinity", {"lng": "Infinity"}, "lng"),
    ("lat 1e308", {"lat": 1e308}, "lat"),
    ("lat overflowing string", {"lat": "9" * 400}, "lat"),
    ("unit huge", {"unit": 10**40}, "unit"),
]


@pytest.mark.parametrize(("case", "change", "field"), CREATE_ATTACKS, ids=[c for c, _x, _f in CREATE_ATTACKS])
def test_hostile_ticket_is_refused_naming_the_field(api, cadre, campaign_obj, case, change, field):
    before = _counts()

    response = api.as_user(cadre).post(
        "/api/v1/tickets/", data=json.dumps(_body(**change)), content_type="application/json"
    )

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json(), response.json()
    assert _counts() == before


def test_an_id_beyond_any_integer_is_not_found_not_a_server_error(api, cadre, campaign_obj):
    before = _counts()

    response = api.as_user(cadre).post("/api/v1/tickets/", _body(requester_household=10**40), format="json")

    assert response.status_code == 404, response.content[:300]
    assert _counts() == before


@pytest.fixture
def reported(cadre, campaign_obj):
    return ticket_create(actor=cadre, source="self_found", kind="complaint", description="占道经营", **GRID1_POINT)


def _dispatch(org, **change):
    body = {
        "mode": "immediate",
        "problem": "占道经营",
        "lead_unit": org.dept1.pk,
        "responsible_person": "王科长",
        "measures": "劝离",
        "expected_effect": "恢复通行",
    }
    return {**body, **change}


ACTION_ATTACKS = [
    ("problem NUL", {"problem": "a\u0000b"}, "problem"),
    ("measures surrogate", {"measures": "\ud800"}, "measures"),
    ("responsible person control", {"responsible_person": "王\u0008"}, "responsible_person"),
    ("co_units item control", {"co_units": ["\u0001"]}, "co_units"),
    ("due_at offset +25:00", {"due_at": "2026-12-20T18:00:00+25:00"}, "due_at"),
    ("due_at year 9999", {"due_at": "9999-12-31T23:59:59-08:00"}, "due_at"),
    ("due_at 30 February", {"due_at": "2027-02-30"}, "due_at"),
    ("due_at huge text", {"due_at": "2" * 10_000}, "due_at"),
]


@pytest.mark.parametrize(("case", "change", "field"), ACTION_ATTACKS, ids=[c for c, _x, _f in ACTION_ATTACKS])
def test_hostile_action_body_is_refused_naming_the_field(api, org, dispatcher, reported, case, change, field):
    before, version = _counts(), reported.version
    body = {"version": version, **_dispatch(org, **change)}

    response = api.as_user(dispatcher).post(
        f"/api/v1/tickets/{reported.pk}/dispatch/", data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json(), response.json()
    assert _counts() == before
    reported.refresh_from_db()
    assert reported.version == version and reported.status == "reported"


def test_a_clean_action_body_still_dispatches(api, org, dispatcher, reported):
    body = {"version": reported.version, **_dispatch(org, measures="第一步\n\t第二步")}

    response = api.as_user(dispatcher).post(f"/api/v1/tickets/{reported.pk}/dispatch/", body, format="json")

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [("problem", "a\u0000b"), ("measures", "\u001b[31m"), ("due_at", "2026-12-20T18:00:00+25:00")],
)
def test_hostile_page_form_is_refused_beside_its_field(client, org, dispatcher, reported, field, value):
    before = _counts()
    client.force_login(dispatcher)
    form = {"version": str(reported.version), **_dispatch(org, **{field: value})}

    response = client.post(f"/tickets/{reported.pk}/act/dispatch/", form)

    assert response.status_code == 400
    bound = next(f for f in response.context["action_forms"] if f.action == "dispatch")
    assert field in bound.errors, bound.errors
    assert _counts() == before


def test_a_page_form_body_over_the_upload_limit_is_refused(client, org, dispatcher, reported, settings):
    before = _counts()
    client.force_login(dispatcher)
    form = {
        "version": str(reported.version),
        **_dispatch(org, measures="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)),
    }

    response = client.post(f"/tickets/{reported.pk}/act/dispatch/", form)

    assert response.status_code == 400
    assert _counts() == before
