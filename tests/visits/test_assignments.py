"""我包联的 on /m/ and the coverage of assignments (issue 16 item 1): not visited first, the assignee's own visits
counted once per target, a fixed number of queries, and the API scoped like every read."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone

from campaign.assignments import assignment_create, assignments_bulk_by_unit
from campaign.days import today
from campaign.models import Assignment, KeyProject
from tests.factories import EnterpriseFactory, HouseholdFactory, UserFactory
from visits.assignments import assignment_coverage, my_assignments
from visits.models import Visit


def visit(cadre, target, *, days_ago: float = 0, campaign=None) -> Visit:
    kind = {"household": "household", "enterprise": "enterprise", "keyproject": "project"}[target._meta.model_name]
    return Visit.objects.create(
        id=uuid.uuid4(),
        cadre=cadre,
        target_type=kind,
        **{kind: target},
        unit=target.unit,
        campaign=campaign,
        visited_at=timezone.now() - dt.timedelta(days=days_ago),
        geo_status="verified",
        body_hash="x",
    )


@pytest.fixture
def grid1_doors(org):
    """Four households and an enterprise of grid1, addresses in order."""
    households = [HouseholdFactory(unit=org.grid1, address=f"丈八一路{i}号", head_name="王小明") for i in range(4)]
    return households, EnterpriseFactory(unit=org.grid1, name="丈八科技公司")


@pytest.fixture
def assigned(org, street_leader, cadre, grid1_doors):
    assignments_bulk_by_unit(actor=street_leader, user_id=cadre.pk, unit_id=org.grid1.pk)
    return grid1_doors


# --- /m/ ---------------------------------------------------------------------------------------------------------
def test_my_list_puts_the_not_yet_visited_first_then_the_oldest_visit(cadre, campaign_obj, assigned):
    (h0, h1, h2, h3), ent = assigned
    visit(cadre, h0, days_ago=1, campaign=campaign_obj)  # visited this campaign, yesterday
    visit(cadre, h1, days_ago=5, campaign=campaign_obj)  # visited this campaign, 5 days ago
    visit(cadre, h2, days_ago=400)  # visited long ago, not in this campaign
    # h3 and the enterprise: never visited

    mine = my_assignments(cadre)

    assert [(r.type, r.id) for r in mine.rows] == [
        ("household", h3.pk),
        ("enterprise", ent.pk),
        ("household", h2.pk),
        ("household", h1.pk),
        ("household", h0.pk),
    ]
    assert (mine.total, mine.not_visited) == (5, 3)
    assert [r.visited for r in mine.rows] == [False, False, False, True, True]
    assert mine.rows[0].name == "王**"  # masked (SPEC §2)


def test_someone_elses_visit_does_not_tick_my_door(org, cadre, campaign_obj, assigned):
    (h0, *_), _ent = assigned
    colleague = UserFactory(username="colleague", role="cadre", unit=org.grid1)
    visit(colleague, h0, campaign=campaign_obj)
    assert my_assignments(cadre).not_visited == 5


def test_my_list_is_bounded_and_its_queries_fixed(org, street_leader, cadre, campaign_obj, django_assert_num_queries):
    for i in range(7):
        HouseholdFactory(unit=org.grid1, address=f"丈八二路{i}号")
    assignments_bulk_by_unit(actor=street_leader, user_id=cadre.pk, unit_id=org.grid1.pk)
    with django_assert_num_queries(3):  # the campaign, the counts, the rows
        mine = my_assignments(cadre, limit=5)
    assert len(mine.rows) == 5 and mine.total == 7


def test_the_phone_page_shows_the_section_not_visited_first(client, cadre, campaign_obj, assigned):
    (h0, h1, h2, h3), ent = assigned
    for h in (h0, h1, h2, h3):
        visit(cadre, h, days_ago=1, campaign=campaign_obj)
    client.force_login(cadre)

    html = client.get("/m/").content.decode()

    assert "我包联的" in html and "共 5 个，本轮未走访 1 个" in html
    rows = re.findall(r'class="assigned-row[^"]*" data-type="(\w+)" data-id="(\d+)"', html)
    assert rows[0] == ("enterprise", str(ent.pk)) and len(rows) == 5
    assert f'data-target-type="enterprise" data-target-id="{ent.pk}"' in html  # its 记录走访
    assert "王小明" not in html and "/static/js/m/assigned.js" in html


def test_a_cadre_with_nothing_assigned_sees_no_section(client, cadre2, campaign_obj, assigned):
    client.force_login(cadre2)
    assert "我包联的" not in client.get("/m/").content.decode()


def test_a_leader_sees_the_projects_they_are_assigned_to(client, org, leader, street_leader):
    project = KeyProject.objects.create(name="丈八物流园二期", unit=org.street1)
    assignment_create(actor=leader, user_id=street_leader.pk, target_type="project", target_id=project.pk)
    client.force_login(street_leader)
    html = client.get("/m/").content.decode()
    assert "丈八物流园二期" in html and "重点项目" in html and "assigned-visit" not in html


# --- coverage ----------------------------------------------------------------------------------------------------
def test_coverage_counts_distinct_assigned_targets_the_assignee_visited_in_the_period(org, leader, cadre, assigned):
    (h0, h1, h2, _h3), ent = assigned
    visit(cadre, h0, days_ago=1)
    visit(cadre, h0, days_ago=2)  # twice: one target
    visit(cadre, ent, days_ago=3)
    visit(cadre, h1, days_ago=60)  # before the period
    stranger = HouseholdFactory(unit=org.grid1)
    visit(cadre, stranger)  # not assigned
    project = KeyProject.objects.create(name="丈八物流园二期", unit=org.grid1)
    assignment_create(actor=leader, user_id=cadre.pk, target_type="project", target_id=project.pk, batch="挂点")
    visit(cadre, project, days_ago=4)  # a key project is visited too (target_type "project", issue 16 item 6)

    rows = assignment_coverage(leader, date_from=today() - dt.timedelta(days=29), date_to=today())

    assert rows == [
        {"user": cadre.pk, "username": "cadre", "name": cadre.display_name, "assigned": 6, "visited": 3,
         "coverage": 0.5, "projects": 1},
    ]  # fmt: skip
    by_batch = assignment_coverage(leader, date_from=today() - dt.timedelta(days=29), date_to=today(), by="batch")
    assert [(r["batch"], r["assigned"], r["visited"], r["projects"]) for r in by_batch] == [
        ("挂点", 1, 1, 1),
        ("网格：丈八一网格", 5, 2, 0),
    ]
    assert by_batch[0]["coverage"] == 1.0


def test_coverage_is_scoped_and_its_query_count_fixed(org, leader, street_leader, django_assert_num_queries):
    for n in range(6):
        user = UserFactory(username=f"c{n}", role="cadre", unit=org.grid1 if n % 2 else org.grid2)
        household = HouseholdFactory(unit=user.unit)
        assignment_create(actor=leader, user_id=user.pk, target_type="household", target_id=household.pk)
        visit(user, household)
    period = {"date_from": today(), "date_to": today()}
    with django_assert_num_queries(1):
        everyone = assignment_coverage(leader, **period)
    with django_assert_num_queries(1):
        street = assignment_coverage(street_leader, **period)
    assert len(everyone) == 6 and all(r["coverage"] == 1.0 for r in everyone)
    assert {r["username"] for r in street} == {"c1", "c3", "c5"}


# --- API ---------------------------------------------------------------------------------------------------------
def test_api_assigns_once_and_refuses_out_of_scope(api, org, street_leader, cadre, cadre2, grid1_doors):
    households, _ent = grid1_doors
    far = HouseholdFactory(unit=org.grid2)
    client = api.as_user(street_leader)
    body = {"user": cadre.pk, "target_type": "household", "target_id": households[0].pk}
    assert client.post("/api/v1/assignments/", body, format="json").status_code == 201
    assert client.post("/api/v1/assignments/", body, format="json").status_code == 200
    other = {"user": cadre2.pk, "target_type": "household", "target_id": far.pk}
    assert client.post("/api/v1/assignments/", other, format="json").status_code == 404
    hostile = {**body, "target_id": households[1].pk, "batch": "清单\u0000"}
    assert client.post("/api/v1/assignments/", hostile, format="json").status_code == 400
    assert Assignment.objects.count() == 1
    listed = client.get("/api/v1/assignments/").json()["results"]
    assert [(r["user"], r["target_id"]) for r in listed] == [(cadre.pk, households[0].pk)]
    assert "王小明" not in str(listed)


def test_api_bulk_twice_adds_nothing_and_coverage_answers(api, org, street_leader, cadre, grid1_doors):
    client = api.as_user(street_leader)
    body = {"user": cadre.pk, "unit": org.grid1.pk}
    first = client.post("/api/v1/assignments/bulk/", body, format="json").json()
    second = client.post("/api/v1/assignments/bulk/", body, format="json").json()
    assert (first["created"], second["created"], second["existing"]) == (5, 0, 5)
    coverage = client.get("/api/v1/assignments/coverage/?by=user").json()
    assert [(r["username"], r["assigned"], r["visited"]) for r in coverage["results"]] == [("cadre", 5, 0)]
    assert client.get(f"/api/v1/assignments/coverage/?unit={org.grid2.pk}").status_code == 404
    assert client.get("/api/v1/assignments/coverage/?by=everyone").status_code == 400


def test_api_a_cadre_may_not_assign_or_remove(api, leader, cadre, grid1_doors):
    households, _ent = grid1_doors
    assignment, _ = assignment_create(
        actor=leader, user_id=cadre.pk, target_type="household", target_id=households[0].pk
    )
    client = api.as_user(cadre)
    body = {"user": cadre.pk, "target_type": "household", "target_id": households[1].pk}
    assert client.post("/api/v1/assignments/", body, format="json").status_code == 403
    assert client.delete(f"/api/v1/assignments/{assignment.pk}/").status_code == 403
    assert api.as_user(leader).delete(f"/api/v1/assignments/{assignment.pk}/").status_code == 204
    assert not Assignment.objects.exists()
