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
