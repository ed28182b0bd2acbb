"""A key project (重点项目) visited (issue 16 item 6): POST /api/v1/visits/ with target_type "project". It counts as a
visit of the project's unit and never as a household or enterprise visited (coverage is of households)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from campaign.days import today
from campaign.models import KeyProject
from dashboard.rollups import rollup_dirty
from tests.visits.conftest import visit_body
from visits.models import Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org):
    return KeyProject.objects.create(name="丈八物流园二期", unit=org.grid1, address="丈八四路", lat=34.19, lng=108.88)


def project_body(project, **overrides):
    return visit_body(None, **{"target_type": "project", "target_id": project.pk, **overrides})


def test_a_cadre_visits_a_key_project_of_their_area(api, cadre, project, campaign_obj, org):
    response = api.as_user(cadre).post("/api/v1/visits/", project_body(project), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    # judged against the project's own point, filed in its unit and campaign
    assert (
        data["geo_status"] == "verified" and data["unit"]["id"] == org.grid1.pk and data["campaign"] == campaign_obj.pk
    )
    assert data["target_type"] == "project" and data["target_id"] == project.pk
    assert data["target_name"] == "丈八物流园二期"
    visit = Visit.objects.get()
    assert (visit.project, visit.household, visit.enterprise) == (project, None, None)


def test_a_retry_answers_the_stored_visit(api, cadre, project, campaign_obj):
    body = project_body(project)
    assert api.as_user(cadre).post("/api/v1/visits/", body, format="json").status_code == 201
    assert api.as_user(cadre).post("/api/v1/visits/", body, format="json").status_code == 200
    assert Visit.objects.count() == 1


def test_another_areas_or_an_ended_project_is_refused_and_nothing_stored(api, cadre, org, campaign_obj):
    elsewhere = KeyProject.objects.create(name="鱼化寨安置房项目", unit=org.grid2, lat=34.23, lng=108.85)
    ended = KeyProject.objects.create(name="已竣工项目", unit=org.grid1, active=False)
    for project in (elsewhere, ended):
        assert api.as_user(cadre).post("/api/v1/visits/", project_body(project), format="json").status_code == 404
    missing = project_body(elsewhere, target_id=None)
    assert api.as_user(cadre).post("/api/v1/visits/", missing, format="json").status_code == 400
    assert not Visit.objects.exists()


def test_a_project_visit_counts_as_a_visit_not_as_a_household(api, cadre, leader, project, campaign_obj, org):
    assert api.as_user(cadre).post("/api/v1/visits/", project_body(project), format="json").status_code == 201
    rollup_dirty()
    day = today().isoformat()
    summary = api.as_user(leader).get(
        "/api/v1/stats/summary/", {"unit": org.grid1.pk, "date_from": day, "date_to": day}
    )
    figures = summary.json()
    assert (figures["visits"], figures["households_visited"], figures["enterprises_visited"]) == (1, 0, 0)


def test_the_database_refuses_a_project_visit_naming_a_household_too(cadre, project, org, household):
    visit = Visit(
        id="6f1c0a52-3f7e-4f57-9c1e-5b3c2d1e0f9a", cadre=cadre, target_type="project", project=project,
        household=household, unit=org.grid1, visited_at=project.created_at, geo_status="no_fix", body_hash="x",
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        visit.save(force_insert=True)
