"""stats/summary, stats/daily and stats/ranking: figures, scope, parameters, freshness."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dashboard.models import DirtyDay
from dashboard.rollups import rollup_dirty, rollup_range
from dashboard.signals import rollups_deferred
from issues.models import Ticket
from tests.dashboard.conftest import at, household, ticket_row, visit_row
from visits.models import Visit

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


def test_a_saved_visit_updates_the_summary_without_a_manual_step(org, leader, api, django_capture_on_commit_callbacks):
    # given
    home = household(org.grid1, members=4)
    # when: a visit is saved (signals mark the day dirty) and the sweep runs (a worker's after commit; with eager
    # Celery, the in-process scheduler's every few seconds)
    with django_capture_on_commit_callbacks(execute=True):
        visit_row(cadre=leader, target=home, when=at(DAY)).save()
    rollup_dirty()
    # then
    figures = api.as_user(leader).get("/api/v1/stats/summary/", {"date_from": DAY, "date_to": DAY}).json()
    assert (figures["visits"], figures["households_visited"], figures["people_covered"]) == (1, 1, 4)
    assert figures["coverage"] == 1.0
    assert not DirtyDay.objects.exists()


def test_a_ticket_changed_later_counts_on_its_created_day(org, leader, api, django_capture_on_commit_callbacks):
    ticket = ticket_row(unit=org.grid1, created_at=at(DAY))
    with django_capture_on_commit_callbacks(execute=True):
        ticket.save()
    rollup_dirty()
    ticket.status, ticket.resolved_at = "resolved", at(DAY + dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        ticket.save()
    rollup_dirty()
    figures = api.as_user(leader).get("/api/v1/stats/summary/", {"date_from": DAY, "date_to": DAY}).json()
    assert figures["issues_collected"] == 1 and figures["closure_rate"] == 1.0 and figures["on_time_rate"] == 1.0


def test_a_visit_moved_to_another_day_leaves_its_old_day(org, leader, api, django_capture_on_commit_callbacks):
    visit = visit_row(cadre=leader, target=household(org.grid1), when=at(DAY))
    with django_capture_on_commit_callbacks(execute=True):
        visit.save()
    rollup_dirty()
    visit = Visit.objects.get(pk=visit.pk)  # loaded: its original day is remembered
    visit.visited_at = at(DAY + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        visit.save()
    rollup_dirty()
    first = api.as_user(leader).get("/api/v1/stats/summary/", {"date_from": DAY, "date_to": DAY}).json()
    assert first["visits"] == 0


def test_daily_gives_one_row_per_day_with_the_overdue_snapshot(org, leader, api):
    with rollups_deferred():
        Visit.objects.bulk_create([visit_row(cadre=leader, target=household(org.grid1), when=at(DAY, 9))])
        Ticket.objects.bulk_create(
            [ticket_row(unit=org.grid1, created_at=at(DAY, 8), status="dispatched", due_at=at(DAY, 12))]
        )
    with time_machine.travel(at(DAY + dt.timedelta(days=2), 12)):
        rollup_range(date_from=DAY - dt.timedelta(days=1), date_to=DAY + dt.timedelta(days=1))
        params = {"date_from": DAY - dt.timedelta(days=1), "date_to": DAY + dt.timedelta(days=2)}
        rows = api.as_user(leader).get("/api/v1/stats/daily/", params).json()["results"]
    assert [r["date"] for r in rows] == ["2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"]
    assert [r["visits"] for r in rows] == [0, 1, 0, 0]
    assert [r["overdue"] for r in rows] == [0, 1, 1, 1]  # the last is today: counted now
    assert [r["coverage"] for r in rows] == [0.0, 1.0, 1.0, 1.0]


def test_out_of_scope_unit_answers_404(org, street_leader, api):
    response = api.as_user(street_leader).get("/api/v1/stats/summary/", {"unit": org.street2.pk})
    assert response.status_code == 404


def test_default_unit_is_the_callers_home_unit(org, street_leader, leader, api):
    with rollups_deferred():
        Visit.objects.bulk_create(
            [
                visit_row(cadre=leader, target=household(org.grid1), when=at(DAY)),
                visit_row(cadre=leader, target=household(org.grid2), when=at(DAY)),
            ]
        )
    rollup_range(date_from=DAY, date_to=DAY)
    params = {"date_from": DAY, "date_to": DAY}
    assert api.as_user(street_leader).get("/api/v1/stats/summary/", params).json()["visits"] == 1
    assert api.as_user(leader).get("/api/v1/stats/summary/", params).json()["visits"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_from"),
        ({"campaign": "x"}, "campaign"),
        ({"campaign": "999999"}, "campaign"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(org, leader, api, params, field):
    response = api.as_user(leader).get("/api/v1/stats/summary/", params)
    assert response.status_code == 400 and field in response.json()


def test_ranking_bad_level_answers_400(org, leader, api):
    response = api.as_user(leader).get("/api/v1/stats/ranking/", {"level": "galaxy"})
    assert response.status_code == 400 and "level" in response.json()


def _rated(unit, satisfaction, n=1, **fields):
    return [
        ticket_row(unit=unit, created_at=at(DAY), status="closed", satisfaction=satisfaction,
                   dispatched_at=at(DAY, 11), accepted_at=at(DAY, 12), resolved_at=at(DAY, 13), **fields)
        for _ in range(n)
    ]  # fmt: skip


def test_ranking_flags_top_and_bottom_thirds_and_skips_units_without_ratings(org, leader, api):
    # given: three streets with rated tickets (street3 best), and none in a fourth
    from campaign.models import OrgUnit

    street3 = OrgUnit.objects.create(name="细柳街道", kind="street", parent=org.district)
    OrgUnit.objects.create(name="兴隆街道", kind="street", parent=org.district)
    grid3 = OrgUnit.objects.create(name="细柳网格", kind="grid", parent=street3)
    with rollups_deferred():
        Ticket.objects.bulk_create(
            _rated(org.grid1, "satisfied") + _rated(org.grid1, "unsatisfied")  # street1: 0.5
            + _rated(org.grid2, "unsatisfied")  # street2: 0
            + _rated(grid3, "satisfied", lead_unit=org.dept1)  # street3: 1
        )  # fmt: skip
    rollup_range(date_from=DAY, date_to=DAY)
    # when
    body = (
        api.as_user(leader).get("/api/v1/stats/ranking/", {"level": "street", "date_from": DAY, "date_to": DAY}).json()
    )
    # then
    rows = body["results"]
    assert [(r["unit"]["name"], r["flag"]) for r in rows] == [
        ("细柳街道", "red"), ("丈八街道", None), ("鱼化寨街道", "yellow"), ("兴隆街道", None)
    ]  # fmt: skip
    assert rows[0]["satisfaction_rate"] == 1.0 and rows[0]["score"] == 1.0
    assert rows[3]["score"] is None
    departments = (
        api.as_user(leader)
        .get("/api/v1/stats/ranking/", {"level": "department", "date_from": DAY, "date_to": DAY})
        .json()["results"]
    )
    assert [(r["unit"]["name"], r["satisfaction_rate"]) for r in departments] == [("城管局", 1.0), ("人社局", None)]
