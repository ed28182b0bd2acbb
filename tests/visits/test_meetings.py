"""Meetings and questionnaires (座谈会, 问卷; issue 16 item 6): POST /api/v1/visits/ with target_type "meeting", a
unit, a head count and participants. The meeting is one visit of its unit; each participant counts as visited in its
own unit (people covered counts each household once); the geo proof is judged against the meeting's unit."""

from __future__ import annotations

import pytest

from campaign.days import today
from dashboard.rollups import rollup_dirty
from tests.dashboard.brute import brute_summary
from tests.factories import EnterpriseFactory, HouseholdFactory
from tests.visits.conftest import visit_body
from visits.models import Visit, VisitParticipant

pytestmark = pytest.mark.django_db
URL = "/api/v1/visits/"


@pytest.fixture
def residents(org):
    homes = [HouseholdFactory(unit=org.grid1, members=n, lat=34.19, lng=108.88) for n in (2, 3, 4)]
    return homes, EnterpriseFactory(unit=org.grid1)


def meeting(place, homes, firm=None, **overrides):
    people = [{"target_type": "household", "target_id": h.pk} for h in homes]
    if firm is not None:
        people.append({"target_type": "enterprise", "target_id": firm.pk})
    body = {"target_type": "meeting", "unit": place.pk, "head_count": 12, "participants": people}
    return visit_body(None, **{**body, **overrides})


def summary(api, user, unit):
    day = today().isoformat()
    return api.as_user(user).get("/api/v1/stats/summary/", {"unit": unit.pk, "date_from": day, "date_to": day}).json()


def test_a_meeting_is_one_visit_and_each_participant_is_visited(api, cadre, leader, org, residents, campaign_obj):
    homes, firm = residents
    response = api.as_user(cadre).post(URL, meeting(org.grid1, homes, firm), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["target_type"], data["head_count"], data["geo_status"]) == ("meeting", 12, "verified")
    visit = Visit.objects.get()
    assert set(VisitParticipant.objects.filter(visit=visit).values_list("household_id", flat=True)) == {
        *(h.pk for h in homes),
        None,
    }
    # and the statistics: one visit, three households (9 people) and an enterprise, as the brute force counts them
    rollup_dirty()
    figures = summary(api, leader, org.district)
    assert (figures["visits"], figures["households_visited"], figures["people_covered"]) == (1, 3, 9)
    assert figures["enterprises_visited"] == 1
    brute = brute_summary(unit=org.district, date_from=today(), date_to=today())
    assert {k: figures[k] for k in ("visits", "households_visited", "people_covered", "enterprises_visited")} == {
        k: brute[k] for k in ("visits", "households_visited", "people_covered", "enterprises_visited")
    }


def test_a_household_visited_alone_and_at_a_meeting_counts_once(api, cadre, leader, org, residents, campaign_obj):
    homes, _ = residents
    assert api.as_user(cadre).post(URL, visit_body(homes[0]), format="json").status_code == 201
    assert api.as_user(cadre).post(URL, meeting(org.grid1, homes), format="json").status_code == 201
    rollup_dirty()
    figures = summary(api, leader, org.grid1)
    assert (figures["visits"], figures["households_visited"], figures["people_covered"]) == (2, 3, 9)


def test_a_retry_is_the_same_meeting(api, cadre, org, residents, campaign_obj):
    body = meeting(org.grid1, residents[0])
    assert api.as_user(cadre).post(URL, body, format="json").status_code == 201
    assert api.as_user(cadre).post(URL, body, format="json").status_code == 200
    assert (Visit.objects.count(), VisitParticipant.objects.count()) == (1, 3)


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"unit": None}, 400, "unit"),
        ({"head_count": 0}, 400, "head_count"),
        ({"head_count": 10**6}, 400, "head_count"),
        ({"participants": "all"}, 400, "participants"),
        ({"participants": [{"target_type": "household", "target_id": -1}]}, 400, "participants"),
        ({"participants": [{"target_type": "project", "target_id": 1}]}, 400, "participants"),
        ({"target_id": 5}, 400, "target_id"),
    ],
)
def test_bad_meetings_are_refused_and_nothing_stored(api, cadre, org, residents, campaign_obj, change, status, field):
    response = api.as_user(cadre).post(URL, meeting(org.grid1, residents[0], **change), format="json")
    assert response.status_code == status and field in str(response.json()), response.json()
    assert not Visit.objects.exists() and not VisitParticipant.objects.exists()


def test_someone_elses_unit_or_household_is_404_and_a_duplicate_400(api, cadre, org, residents, campaign_obj):
    homes, _ = residents
    elsewhere = HouseholdFactory(unit=org.grid2)
    assert api.as_user(cadre).post(URL, meeting(org.grid2, []), format="json").status_code == 404
    assert api.as_user(cadre).post(URL, meeting(org.grid1, [*homes, elsewhere]), format="json").status_code == 404
    assert api.as_user(cadre).post(URL, meeting(org.grid1, [homes[0], homes[0]]), format="json").status_code == 400
    assert not Visit.objects.exists() and not VisitParticipant.objects.exists()


def test_a_meeting_far_from_its_unit_is_flagged_far(api, cadre, org, residents, campaign_obj):
    body = meeting(org.grid1, residents[0], lat=34.30, lng=108.70)  # kilometres away, outside the grid
    response = api.as_user(cadre).post(URL, body, format="json")
    assert response.status_code == 201 and response.json()["geo_status"] in ("far", "no_reference")
