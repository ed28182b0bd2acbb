"""Display links (issue 12 item 3): the wall screen runs on a revocable read-only link, not on a leader's session."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client

from campaign.models import AuditAction, AuditEvent
from dashboard.models import DisplayLink
from issues.models import Ticket
from tests.dashboard.conftest import at, ticket_row
from tests.dashboard.test_page import TODAY, figures_on, seed

pytestmark = pytest.mark.django_db

BOX = {"bbox": "108.0,34.0,109.5,34.5"}
NAME, PHONE, STORY = "王秀英", "13812345678", "楼道里堆满了杂物"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(at(TODAY, 15), tick=False):
        yield


@pytest.fixture
def data(org, cadre):
    seed(org, cadre)
    # an open, supervised ticket with a point and personal details, which the wall must never show
    fields: dict[str, Any] = {"status": "dispatched", "supervision": 2, "lat": 34.19, "lng": 108.88}
    fields |= {"requester_name": NAME, "requester_phone": PHONE, "description": STORY, "due_at": at(TODAY, 9)}
    ticket_row(unit=org.grid1, created_at=at(TODAY, 8), **fields).save()
    return org


def create(client: Client, user: Any, unit: Any) -> tuple[Any, str]:
    """A link created by `user` through the page: (the answer, the wall's path from the link shown once)."""
    client.force_login(user)
    response = client.post("/dashboard/displays/", {"unit": unit.pk})
    found = re.search(r"/dashboard/wall/[\w-]+/", response.content.decode())
    client.logout()
    return response, found.group(0) if found else ""


def test_a_leaders_link_shows_the_units_wall_without_a_session(data, leader, client):
    # given a link created by the district's leader for a street
    response, wall = create(client, leader, data.street1)
    assert response.status_code == 201 and wall
    # when a screen with no session opens it
    logins = AuditEvent.objects.filter(action=AuditAction.LOGIN_OK).count()
    screen = Client()
    page = screen.get(wall)
    # and its data endpoints answer without a session, scoped to the street
    daily = screen.get(wall + "daily.json")
    grids = screen.get(wall + "grids.geojson").json()
    tickets = screen.get(wall + "tickets.geojson", BOX).json()
    spots = screen.get(wall + "hotspots.json")
    assert spots.status_code == 200 and all(s["ticket_ids"] == [] for s in spots.json()["hotspots"])
    assert 'data-hotspots-url="' + wall + 'hotspots.json"' in page.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_OK).count() == logins  # nobody logged in
    # then it shows the street's figures, the same as the leader's own wall of that street
    assert page.status_code == 200
    client.force_login(leader)
    own = client.get("/dashboard/", {"unit": data.street1.pk, "wall": 1}).content.decode()
    html = page.content.decode()
    assert figures_on(html) == figures_on(own) and data.street1.name in html
    assert figures_on(html)["visits"] not in ("", "0")
    dates = {"unit": data.street1.pk, "date_from": TODAY - dt.timedelta(days=29), "date_to": TODAY}
    assert daily.json() == client.get("/api/v1/stats/daily/", dates).json()
    assert daily.status_code == 200 and len(daily.json()["results"]) == 30
    assert [f["properties"]["id"] for f in grids["features"]] == [data.grid1.pk]
    assert [f["properties"]["supervision"] for f in tickets["features"]] == [2]
    # and no session was started, nor a cookie of one set
    for answer in (page, daily):
        assert settings.SESSION_COOKIE_NAME not in answer.cookies
        assert "no-store" in answer["Cache-Control"]
    assert settings.SESSION_COOKIE_NAME not in screen.cookies
    assert DisplayLink.objects.get().last_seen_at is not None


def test_the_wall_shows_no_personal_data(data, leader, client):
    _, wall = create(client, leader, data.district)
    screen = Client()
    paths = ("", "tickets.geojson", "grids.geojson", "hotspots.json")
    bodies = [screen.get(wall + path, BOX).content.decode() for path in paths]
    for body in bodies:
        assert NAME not in body and PHONE not in body and PHONE[-4:] not in body and STORY not in body
    assert "/tickets/" not in bodies[0]  # nothing links into a ticket, nor to the heat layer of visit points
    assert 'data-visits-url=""' in bodies[0]


def test_a_unit_out_of_scope_is_refused_and_nothing_stored(data, street_leader, client):
    response, wall = create(client, street_leader, data.street2)
    assert response.status_code == 404 and not wall
    assert DisplayLink.objects.count() == 0
    assert not AuditEvent.objects.filter(action=AuditAction.DISPLAY_LINK_CREATE).exists()


def test_a_cadre_cannot_create_or_list_links(data, cadre, client):
    response, _ = create(client, cadre, data.grid1)
    assert response.status_code == 403 and DisplayLink.objects.count() == 0
    client.force_login(cadre)
    assert client.get("/dashboard/displays/").status_code == 403


def test_revoking_ends_the_link_everywhere_at_once(data, leader, client):
    _, wall = create(client, leader, data.street1)
    screen = Client()
    assert screen.get(wall).status_code == 200
    client.force_login(leader)
    link = DisplayLink.objects.get()
    listed = client.get("/dashboard/displays/").content.decode()
    assert link.hint in listed and wall.split("/")[3] not in listed  # the list shows a masked token only
    assert client.post(f"/dashboard/displays/{link.pk}/revoke/").status_code == 302
    for path, params in (
        ("", {}), ("daily.json", {}), ("grids.geojson", {}), ("tickets.geojson", BOX), ("hotspots.json", {}),
    ):  # fmt: skip
        assert screen.get(wall + path, params).status_code == 404, path
    events = AuditEvent.objects.filter(object_type="displaylink", object_id=str(link.pk))
    assert sorted(events.values_list("action", flat=True)) == [
        AuditAction.DISPLAY_LINK_CREATE,
        AuditAction.DISPLAY_LINK_REVOKE,
    ]
    assert Client().get("/dashboard/wall/not-a-token/").status_code == 404


def test_another_scope_cannot_revoke_a_link(data, leader, street_leader, client):
    _, wall = create(client, leader, data.street2)
    client.force_login(street_leader)
    link = DisplayLink.objects.get()
    assert client.post(f"/dashboard/displays/{link.pk}/revoke/").status_code == 404
    assert DisplayLink.objects.get().revoked_at is None and Client().get(wall).status_code == 200


def test_the_token_is_stored_only_as_its_hash(data, leader, client):
    _, wall = create(client, leader, data.street1)
    token = wall.split("/")[3]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM dashboard_displaylink")
        row = cursor.fetchone()
    assert token not in " ".join(str(value) for value in row)
    assert hashlib.sha256(token.encode()).hexdigest() in row


def test_a_deactivated_creators_links_end(data, leader, client):
    _, wall = create(client, leader, data.street1)
    leader.is_active = False
    leader.save(update_fields=["is_active"])
    assert Client().get(wall).status_code == 404


def test_the_displays_page_renders_for_a_leader(data, leader, client):
    assert Ticket.objects.exists()
    client.force_login(leader)
    page = client.get("/dashboard/displays/")
    html = page.content.decode()
    # no inline script (static files such as the header's nav.js are fine) and no inline style
    assert page.status_code == 200 and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and "style=" not in html
    assert 'id="displays-link"' in client.get("/dashboard/").content.decode()
