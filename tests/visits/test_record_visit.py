"""POST /api/v1/visits/ (SPEC §4): a cadre records a visit; geo status, unit and point unit are set server-side."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.factories import CampaignFactory
from tests.visits.conftest import visit_body
from visits.models import Visit


def test_cadre_records_a_verified_visit_of_a_household_in_their_grid(api, cadre, household, campaign_obj, org):
    # given a cadre standing ~15 m from a household of their grid
    body = visit_body(household)

    # when they post the visit
    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    # then it is stored once, verified, in the household's unit and the grid of the point, in the campaign
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["id"] == body["id"]
    assert data["geo_status"] == "verified"
    assert 0 < data["distance_m"] < 30
    assert data["unit"]["id"] == org.grid1.id
    assert data["point_unit"]["id"] == org.grid1.id
    assert data["campaign"] == campaign_obj.id
    assert data["flags"] == []
    assert data["tickets"] == []
    assert "三" not in data["target_name"] or "*" in data["target_name"]
    visit = Visit.objects.get()
    assert visit.cadre == cadre and visit.household == household and visit.checklist["family"] == "三口之家"


def test_a_visit_files_under_the_campaign_running_on_its_day(api, cadre, household, org):
    # given an earlier campaign that has ended and the one running now, both in the district
    today = timezone.localdate()
    earlier = CampaignFactory(start_date=today - dt.timedelta(days=200), end_date=today - dt.timedelta(days=100))
    current = CampaignFactory(start_date=today - dt.timedelta(days=99), end_date=today + dt.timedelta(days=100))
    for campaign in (earlier, current):
        campaign.units.add(org.district)
    back_then = (timezone.localtime() - dt.timedelta(days=150)).replace(microsecond=0)

    # when a visit of 150 days ago and one of today are posted without naming a campaign
    old = api.as_user(cadre).post(
        "/api/v1/visits/", visit_body(household, visited_at=back_then.isoformat()), format="json"
    )
    new = api.as_user(cadre).post("/api/v1/visits/", visit_body(household), format="json")

    # then each belongs to the campaign of its own day (campaign.selectors.campaign_of)
    assert old.status_code == 201 and old.json()["campaign"] == earlier.id
    assert new.status_code == 201 and new.json()["campaign"] == current.id


def test_a_named_campaign_the_unit_does_not_take_part_in_is_refused(api, cadre, household, org):
    elsewhere = CampaignFactory()
    elsewhere.units.add(org.street2)

    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(household, campaign=elsewhere.id), format="json")

    assert response.status_code == 400 and "campaign" in response.json()
