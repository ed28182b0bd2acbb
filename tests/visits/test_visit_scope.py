"""Scope (SPEC §1, §4): a visit's target must be in the caller's scope; lists start from the caller's scope."""

from __future__ import annotations

from tests.factories import EnterpriseFactory
from tests.visits.conftest import visit_body
from visits.models import Visit


def test_cadre2_cannot_post_a_visit_for_cadres_household(api, cadre2, household, campaign_obj):
    # Out of scope answers 404, not 400 on target_id: a write must not confirm a row exists elsewhere.
    response = api.as_user(cadre2).post("/api/v1/visits/", visit_body(household), format="json")

    assert response.status_code == 404
    assert Visit.objects.count() == 0


def test_unknown_target_is_404(api, cadre, campaign_obj):
    body = visit_body(target_type="household", target_id=999999)

    assert api.as_user(cadre).post("/api/v1/visits/", body, format="json").status_code == 404


def test_cadre_records_an_enterprise_visit(api, cadre, org, campaign_obj):
    enterprise = EnterpriseFactory(unit=org.grid1)

    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(enterprise), format="json")

    assert response.status_code == 201
    assert response.json()["target_type"] == "enterprise" and response.json()["target_name"] == enterprise.name


def test_leader_and_dispatcher_may_not_post_visits(api, leader, dispatcher, household, campaign_obj):
    for user in (leader, dispatcher):
        assert api.as_user(user).post("/api/v1/visits/", visit_body(household), format="json").status_code == 403
    assert Visit.objects.count() == 0


def test_admin_may_post_a_visit(api, admin_user, household, campaign_obj):
    assert api.as_user(admin_user).post("/api/v1/visits/", visit_body(household), format="json").status_code == 201


def test_handler_visiting_a_household_outside_their_department_without_a_ticket_is_404(
    api, handler, household, campaign_obj
):
    # households never lie in a department's subtree: without a ticket to reach them, the target is out of scope
    response = api.as_user(handler).post("/api/v1/visits/", visit_body(household), format="json")

    assert response.status_code == 404


def test_handler_visit_naming_nothing_is_refused_on_ticket(api, handler, campaign_obj):
    response = api.as_user(handler).post("/api/v1/visits/", visit_body(checklist={}), format="json")

    assert response.status_code == 400 and "ticket" in response.json()


def test_cadre_sees_only_their_own_visits(api, cadre, household, org, campaign_obj):
    from tests.factories import UserFactory

    colleague = UserFactory(role="cadre", unit=org.grid1)
    mine = api.as_user(cadre).post("/api/v1/visits/", visit_body(household), format="json").json()
    theirs = api.as_user(colleague).post("/api/v1/visits/", visit_body(household), format="json").json()

    listed = api.as_user(cadre).get("/api/v1/visits/").json()["results"]

    assert [v["id"] for v in listed] == [mine["id"]]
    assert api.as_user(cadre).get(f"/api/v1/visits/{theirs['id']}/").status_code == 404


def test_street_leader_does_not_see_the_other_streets_visits(
    api, cadre, cadre2, street_leader, leader, household, household2, campaign_obj
):
    first = api.as_user(cadre).post("/api/v1/visits/", visit_body(household), format="json").json()
    second = (
        api.as_user(cadre2)
        .post("/api/v1/visits/", visit_body(household2, lat=34.2301, lng=108.8501), format="json")
        .json()
    )

    street = [v["id"] for v in api.as_user(street_leader).get("/api/v1/visits/").json()["results"]]
    district = {v["id"] for v in api.as_user(leader).get("/api/v1/visits/").json()["results"]}

    assert street == [first["id"]]
    assert district == {first["id"], second["id"]}
    assert api.as_user(street_leader).get(f"/api/v1/visits/{second['id']}/").status_code == 404


def test_filtering_by_an_out_of_scope_unit_is_404(api, street_leader, org):
    assert api.as_user(street_leader).get(f"/api/v1/visits/?unit={org.street2.id}").status_code == 404
