"""Issues raised on a visit become tickets in the same transaction (SPEC §4): one bad issue stores nothing."""

from __future__ import annotations

from issues.models import Ticket
from tests.visits.conftest import visit_body
from visits.models import Visit


def test_issues_raised_on_a_visit_become_tickets_of_the_visit(api, cadre, household, campaign_obj, org):
    body = visit_body(
        household,
        issues=[
            {"kind": "request", "category": "住房物业", "description": "楼道灯坏了"},
            {
                "kind": "consultation",
                "description": "咨询养老保险",
                "resolved_on_site": True,
                "result": "已当场解释政策",
            },
        ],
    )

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 201, response.json()
    tickets = Ticket.objects.order_by("id")
    assert [t["id"] for t in response.json()["tickets"]] == [t.id for t in tickets]
    assert all(t.source == "visit" and str(t.visit_id) == body["id"] for t in tickets)
    assert all(t.requester_household == household and t.unit == org.grid1 for t in tickets)
    assert tickets[0].status == "reported"
    assert tickets[1].status == "resolved" and tickets[1].resolved_on_site and tickets[1].mode == "immediate"
    assert response.json()["tickets"][0]["code"].startswith("GX-")


def test_one_bad_issue_rejects_the_whole_visit(api, cadre, household, campaign_obj):
    body = visit_body(
        household,
        issues=[
            {"kind": "request", "description": "楼道灯坏了"},
            {"kind": "gossip", "description": ""},
        ],
    )

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 400
    assert "issues[1].kind" in response.json() and "issues[1].description" in response.json()
    assert Visit.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_resolved_on_site_without_result_is_refused(api, cadre, household, campaign_obj):
    body = visit_body(household, issues=[{"kind": "request", "description": "修水管", "resolved_on_site": True}])

    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 400 and "issues[0].result" in response.json()
    assert Visit.objects.count() == 0 and Ticket.objects.count() == 0


def test_retrying_a_visit_with_issues_does_not_duplicate_tickets(api, cadre, household, campaign_obj):
    body = visit_body(household, issues=[{"kind": "request", "description": "楼道灯坏了"}])
    api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    again = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert again.status_code == 200 and len(again.json()["tickets"]) == 1
    assert Ticket.objects.count() == 1


def test_an_issues_point_is_in_the_visits_crs_unless_it_names_its_own(api, cadre, household, campaign_obj):
    from campaign.geo import gcj02_to_wgs84, wgs84_to_gcj02

    # given a phone reporting GCJ-02 (its map SDK), a point in grid1 as the phone sees it
    gcj_lat, gcj_lng = wgs84_to_gcj02(34.1905, 108.8805)
    issue = {"kind": "request", "description": "路灯不亮", "lat": gcj_lat, "lng": gcj_lng}
    wgs_issue = {"kind": "request", "description": "井盖松动", "lat": 34.1906, "lng": 108.8806, "crs": "wgs84"}
    lat, lng = wgs84_to_gcj02(34.1901, 108.8801)
    body = visit_body(household, lat=lat, lng=lng, crs="gcj02", issues=[issue, wgs_issue])

    # when the visit is posted
    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    # then the first issue's point was converted with the visit's crs, the second kept as it said (WGS-84)
    assert response.status_code == 201, response.json()
    first, second = Ticket.objects.order_by("id")
    expected = gcj02_to_wgs84(gcj_lat, gcj_lng)
    assert abs(first.lat - expected[0]) < 1e-9 and abs(first.lng - expected[1]) < 1e-9
    assert abs(first.lat - 34.1905) < 1e-5 and abs(first.lng - 108.8805) < 1e-5  # within a metre of the true point
    assert (second.lat, second.lng) == (34.1906, 108.8806)
