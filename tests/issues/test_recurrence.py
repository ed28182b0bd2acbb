"""重复诉求 (issue 15 item 4): a new ticket for the same household or enterprise, or of the same category within 100 m,
within 90 days of a resolved one is linked to it — on the API's detail and on the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dashboard.rollups import rollup_range
from issues.models import Ticket
from tests.dashboard.conftest import ticket_row
from tests.factories import HouseholdFactory
from tests.issues.conftest import GRID1_POINT

pytestmark = pytest.mark.django_db
METRE_LAT = 1 / 111_320


def resolved(org, days_ago: float, **fields) -> Ticket:
    now = timezone.now()
    fields.setdefault("status", "closed")
    row = ticket_row(
        unit=org.grid1, created_at=now - dt.timedelta(days=days_ago + 3), resolved_at=now - dt.timedelta(days=days_ago),
        **fields,
    )  # fmt: skip
    return Ticket.objects.bulk_create([row])[0]


def north(metres: float) -> dict:
    return {"lat": GRID1_POINT["lat"] + metres * METRE_LAT, "lng": GRID1_POINT["lng"]}


def test_the_same_category_nearby_within_90_days_is_a_recurrence(tickets, org):
    earlier = resolved(org, 30, category="城市管理", **north(60))
    resolved(org, 100, category="城市管理", **north(10))  # resolved too long ago
    resolved(org, 5, category="教育", **north(10))  # another matter
    resolved(org, 5, category="城市管理", **north(2000))  # elsewhere
    ticket = tickets.reported()
    assert ticket.recurs_id == earlier.pk


def test_the_latest_of_several_is_linked_and_an_open_one_is_not(tickets, org):
    resolved(org, 40, category="城市管理", **north(20))
    latest = resolved(org, 10, category="城市管理", status="resolved", **north(80))
    resolved(org, 2, category="城市管理", status="in_progress", **north(5))  # not resolved: not a recurrence
    assert tickets.reported().recurs_id == latest.pk


def test_the_same_household_anywhere_in_its_district_is_a_recurrence(tickets, org, cadre):
    home = HouseholdFactory(unit=org.grid1)
    earlier = resolved(org, 60, category="社会保障", requester_household=home, **north(3000))
    ticket = tickets.reported(requester_household=home.pk, category="城市管理")
    assert ticket.recurs_id == earlier.pk


def test_nothing_resolved_nearby_is_no_recurrence(tickets, org):
    resolved(org, 91, category="城市管理", **north(10))
    assert tickets.reported().recurs_id is None


def test_the_detail_and_the_page_show_the_earlier_ticket(tickets, org, dispatcher, api, web):
    earlier = resolved(org, 30, category="城市管理", **north(50))
    ticket = tickets.reported()
    detail = api.as_user(dispatcher).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert (detail["recurs"], detail["recurs_code"]) == (earlier.pk, earlier.code)
    page = web(dispatcher).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "重复诉求" in page and f"/tickets/{earlier.pk}/" in page


def test_the_recurrence_rate_per_unit_comes_through_the_statistics(tickets, org, leader, api):
    resolved(org, 30, category="城市管理", **north(50))
    tickets.reported()  # repeats the resolved one
    tickets.reported(category="教育")  # another matter
    day = timezone.localdate()
    rollup_range(date_from=day - dt.timedelta(days=40), date_to=day)
    summary = api.as_user(leader).get("/api/v1/stats/summary/", {"unit": org.district.pk}).json()
    assert summary["recurrence_rate"] == pytest.approx(1 / 2)  # the resolved one was created 33 days ago
    params = {"parent": org.district.pk, "level": "street"}
    ranking = {r["unit"]["id"]: r for r in api.as_user(leader).get("/api/v1/stats/ranking/", params).json()["results"]}
    assert ranking[org.street1.pk]["recurrence_rate"] == pytest.approx(1 / 2)
    assert ranking[org.street2.pk]["recurrence_rate"] is None  # no issues there
