"""Meetings tick the clocks (issue 16): a household or enterprise that took part in a meeting (座谈会, a visit of
target_type "meeting" with VisitParticipant rows) counts as visited on the meeting's day by the must-visit lists
(visits.must_visit) and by 我包联的 and the assignments' coverage (visits.assignments: a meeting the assignee held),
once, at the same fixed number of queries."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from campaign.assignments import assignments_bulk_by_unit
from campaign.days import day_start, today
from tests.factories import CampaignFactory, EnterpriseFactory, HouseholdFactory, UserFactory
from visits.assignments import assignment_coverage, coverage_of_users, my_assignments
from visits.meetings import participants_add
from visits.models import Visit
from visits.must_visit import must_visit_coverage, my_must_visits, overdue_must_visits
from visits.must_visit_reminders import must_visit_remind

pytestmark = pytest.mark.django_db
N = 30
DAY = today()


def at(days_ago: int) -> dt.datetime:
    return day_start(DAY - dt.timedelta(days=days_ago)) + dt.timedelta(hours=10)


def meeting(cadre, unit, members, *, days_ago: int, campaign) -> Visit:
    """A meeting held by `cadre` in `unit`, `days_ago` days before DAY, with `members` taking part (as
    visits.services.visit_record writes one: the visit, then its participants in the same transaction)."""
    visit = Visit.objects.create(
        id=uuid.uuid4(),
        cadre=cadre,
        target_type="meeting",
        head_count=len(members) + 3,
        unit=unit,
        campaign=campaign,
        visited_at=at(days_ago),
        geo_status="verified",
        body_hash="x",
    )
    participants_add(visit, members)
    return visit


def visit(cadre, household, *, days_ago: int, campaign) -> Visit:
    return Visit.objects.create(
        id=uuid.uuid4(),
        cadre=cadre,
        target_type="household",
        household=household,
        unit=household.unit,
        campaign=campaign,
        visited_at=at(days_ago),
        geo_status="verified",
        body_hash="x",
    )


@pytest.fixture
def must_campaign(campaign_obj):
    campaign_obj.must_visit_tags = ["独居老人"]
    campaign_obj.must_visit_days = N
    campaign_obj.full_clean()
    campaign_obj.save()
    return campaign_obj


@pytest.fixture
def elders(org):
    """Three elderly-alone households of grid1: `met` only at a meeting 2 days ago, `both` visited alone and met
    the same week, `alone` never seen."""
    return {
        name: HouseholdFactory(unit=org.grid1, tags=["独居老人"], head_name="李大爷")
        for name in ("met", "both", "alone")
    }


# --- must-visits -----------------------------------------------------------------------------------------------------
def test_a_household_only_met_at_a_meeting_is_not_overdue(org, cadre, cadre2, elders, must_campaign):
    meeting(cadre2, org.grid1, [elders["met"], elders["both"]], days_ago=2, campaign=must_campaign)
    visit(cadre, elders["both"], days_ago=5, campaign=must_campaign)

    rows = {row.id: row for row in my_must_visits(cadre, DAY).rows}
    met = rows[elders["met"].pk]
    assert (met.overdue, met.last_visit, met.due) == (False, at(2), DAY + dt.timedelta(days=N - 2))
    assert rows[elders["both"].pk].last_visit == at(2)  # the later of the visit and the meeting
    assert rows[elders["alone"].pk].overdue
    overdue = overdue_must_visits(org.district, DAY, limit=50)
    assert [row.id for row in overdue.rows] == [elders["alone"].pk] and (overdue.total, overdue.overdue) == (3, 1)


def test_coverage_counts_a_household_met_and_visited_once(org, cadre, elders, must_campaign):
    meeting(cadre, org.grid1, [elders["met"], elders["both"]], days_ago=2, campaign=must_campaign)
    meeting(cadre, org.grid1, [elders["both"]], days_ago=1, campaign=must_campaign)  # met twice
    visit(cadre, elders["both"], days_ago=5, campaign=must_campaign)

    (row,) = must_visit_coverage(org.community1, DAY)
    assert (row["must_visit"], row["visited"], row["overdue"], row["coverage"]) == (3, 2, 1, 0.6667)


def test_a_meeting_too_long_ago_or_of_another_campaign_does_not_count(org, cadre, elders, must_campaign):
    meeting(cadre, org.grid1, [elders["met"]], days_ago=N + 1, campaign=must_campaign)
    other = CampaignFactory(name="另一场活动")
    meeting(cadre, org.grid1, [elders["both"]], days_ago=1, campaign=other)

    rows = {row.id: row for row in my_must_visits(cadre, DAY).rows}
    assert rows[elders["met"].pk].overdue and rows[elders["met"].pk].overdue_days == 1
    assert rows[elders["both"].pk].overdue and rows[elders["both"].pk].last_visit is None


def test_the_reminders_leave_out_a_household_met_at_a_meeting(org, cadre, elders, must_campaign):
    meeting(cadre, org.grid1, list(elders.values()), days_ago=3, campaign=must_campaign)
    assert must_visit_remind(DAY) == 0  # nothing overdue: nobody reminded


def test_the_must_visit_reads_keep_their_query_counts_with_meetings(
    org, cadre, elders, must_campaign, django_assert_max_num_queries
):
    for i in range(6):
        homes = [HouseholdFactory(unit=org.grid1, tags=["独居老人"]) for _ in range(3)]
        meeting(cadre, org.grid1, homes, days_ago=i * 10, campaign=must_campaign)
    with django_assert_max_num_queries(3):
        my_must_visits(cadre, DAY)
    with django_assert_max_num_queries(3):
        overdue_must_visits(org.district, DAY, limit=50)
    with django_assert_max_num_queries(3):
        must_visit_coverage(org.district, DAY)


# --- 我包联的 and coverage ------------------------------------------------------------------------------------------
@pytest.fixture
def assigned(org, street_leader, cadre):
    """Three households and an enterprise of grid1 assigned to cadre."""
    homes = [HouseholdFactory(unit=org.grid1, address=f"丈八三路{i}号") for i in range(3)]
    firm = EnterpriseFactory(unit=org.grid1)
    assignments_bulk_by_unit(actor=street_leader, user_id=cadre.pk, unit_id=org.grid1.pk)
    return homes, firm


def test_a_meeting_the_assignee_held_ticks_the_door_and_the_firm(org, cadre, campaign_obj, assigned):
    (h0, h1, h2), firm = assigned
    meeting(cadre, org.grid1, [h1, firm], days_ago=1, campaign=campaign_obj)
    visit(cadre, h2, days_ago=3, campaign=campaign_obj)

    mine = my_assignments(cadre)
    assert [(r.id, r.visited) for r in mine.rows] == [(h0.pk, False), (h2.pk, True), (h1.pk, True), (firm.pk, True)]
    assert (mine.total, mine.not_visited) == (4, 1)
    assert mine.rows[2].last_visit == at(1)


def test_someone_elses_meeting_does_not_tick_my_door(org, cadre, campaign_obj, assigned):
    (h0, _, _), firm = assigned
    colleague = UserFactory(username="colleague", role="cadre", unit=org.grid1)
    meeting(colleague, org.grid1, [h0, firm], days_ago=1, campaign=campaign_obj)
    assert my_assignments(cadre).not_visited == 4


def test_coverage_counts_a_door_met_and_visited_once(org, leader, cadre, campaign_obj, assigned):
    (h0, h1, _), _firm = assigned
    visit(cadre, h0, days_ago=1, campaign=campaign_obj)
    meeting(cadre, org.grid1, [h0, h1], days_ago=1, campaign=campaign_obj)
    meeting(cadre, org.grid1, [h0], days_ago=20, campaign=campaign_obj)  # before the period

    week = {"date_from": DAY - dt.timedelta(days=7), "date_to": DAY}
    (row,) = assignment_coverage(leader, **week)
    assert (row["assigned"], row["visited"], row["coverage"]) == (4, 2, 0.5)
    assert coverage_of_users([cadre.pk], **week) == {cadre.pk: 0.5}


def test_the_assignment_reads_keep_their_query_counts_with_meetings(
    org, leader, cadre, campaign_obj, assigned, django_assert_num_queries
):
    homes, firm = assigned
    for i in range(4):
        meeting(cadre, org.grid1, [*homes, firm], days_ago=i, campaign=campaign_obj)
    with django_assert_num_queries(3):  # the campaign, the counts, the rows
        my_assignments(cadre)
    with django_assert_num_queries(1):
        assignment_coverage(leader, date_from=DAY - dt.timedelta(days=7), date_to=DAY)
    with django_assert_num_queries(1):
        coverage_of_users([cadre.pk], date_from=DAY - dt.timedelta(days=7), date_to=DAY)
