"""POST /api/v1/visits/ (SPEC §4): a cadre records a visit; geo status, unit and point unit are set server-side."""

from __future__ import annotations

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
