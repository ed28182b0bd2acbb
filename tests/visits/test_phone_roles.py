"""The phone page /m/ for each role (issue 13 point 3): a cadre's tabs and words, a handler's (their unit's tickets,
the door-to-door visit, no household), none for roles that log no visits; and a household found on the spot is
refused without its point."""

from __future__ import annotations

import re

import pytest

from campaign.models import Household


def _tabs(html: str) -> list[str]:
    return re.findall(r'class="tab[^"]*" data-tab="(\w+)"[^>]*>([^<]+)<', html)


def _phone(client, user) -> str:
    client.force_login(user)
    response = client.get("/m/")
    assert response.status_code == 200
    return response.content.decode()


def test_cadre_logs_visits_follows_what_they_raised_and_adds_households(client, cadre):
    html = _phone(client, cadre)

    assert _tabs(html) == [("today", "今日"), ("visit", "记录走访"), ("tickets", "我的诉求"), ("household", "新增住户")]
    assert "我反映的诉求" in html and 'data-tickets-query="mine=1"' in html
    assert 'id="household-form"' in html and 'id="hh-map"' in html


def test_handler_sees_their_units_tickets_and_the_door_to_door_visit_only(client, handler):
    html = _phone(client, handler)

    assert _tabs(html) == [("today", "今日"), ("visit", "上门走访"), ("tickets", "本单位工单")]
    assert "本单位在办工单" in html and "我反映的" not in html
    assert 'data-tickets-query="status=dispatched,accepted,in_progress&amp;ordering=priority"' in html
    assert 'id="household-form"' not in html  # adding a household is a cadre's work
    assert 'class="needs-ticket"' in html  # the visit form waits for a ticket


@pytest.mark.parametrize("role", ["dispatcher", "leader"])
def test_roles_that_log_no_visits_get_a_way_to_their_work(client, role, request):
    html = _phone(client, request.getfixturevalue(role))

    assert 'id="m-app"' not in html and "/static/js/m/app.js" not in html
    assert "您的角色不登记走访" in html and 'href="/tickets/"' in html


# --- a household found on the spot ------------------------------------------------------------------------------
def test_a_cadres_household_without_a_point_is_refused_and_nothing_stored(api, cadre, org):
    body = {"address": "丈八街道9号", "head_name": "李四", "members": 2, "unit": org.grid1.pk}

    response = api.as_user(cadre).post("/api/v1/households/", body, format="json")

    assert response.status_code == 400 and "lat" in response.json()
    assert Household.objects.count() == 0


def test_a_cadres_household_with_its_point_is_added_unconfirmed(api, cadre, org):
    body = {"address": "丈八街道9号", "head_name": "李四", "members": 2, "lat": 34.1902, "lng": 108.8802}

    response = api.as_user(cadre).post("/api/v1/households/", body, format="json")

    assert response.status_code == 201
    home = Household.objects.get()
    assert (home.unit_id, home.lat, home.lng, home.confirmed) == (org.grid1.pk, 34.1902, 108.8802, False)


def test_the_office_may_still_register_a_household_to_be_located_later(api, dispatcher, org):
    body = {"address": "丈八街道10号", "head_name": "王五", "members": 1, "unit": org.grid1.pk}

    assert api.as_user(dispatcher).post("/api/v1/households/", body, format="json").status_code == 201
