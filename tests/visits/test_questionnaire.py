"""Questionnaires (问卷, issue 16 item 6): a visit's answers are checked against its campaign's typed questions
(visits.answers); a hostile or wrong answer is a 400 and nothing is stored; an answer recorded offline against
questions the campaign has changed since is still accepted, what no longer fits dropped and the visit flagged; the
ledger has one column per question, a number as a number."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from campaign.models import Assignment, KeyProject
from campaign.models.campaigns import DEFAULT_CHECKLIST
from campaign.models.questions import questions_version
from tests.factories import HouseholdFactory
from tests.visits.conftest import visit_body
from visits.answers import STALE_FLAG
from visits.models import Visit, VisitParticipant

pytestmark = pytest.mark.django_db
URL = "/api/v1/visits/"
SATISFACTION = {"key": "satisfaction", "label": "满意度", "type": "choice", "choices": ["满意", "基本满意", "不满意"]}
PEOPLE = {
    "key": "people",
    "label": "家庭人口",
    "type": "number",
    "min": 1,
    "max": 20,
    "integer": True,
    "required": True,
}
INCOME = {"key": "income", "label": "月收入（元）", "type": "number", "min": 0}


@pytest.fixture
def survey(campaign_obj):
    campaign_obj.checklist = [*DEFAULT_CHECKLIST, SATISFACTION, PEOPLE, INCOME]
    campaign_obj.full_clean()
    campaign_obj.save()
    return campaign_obj


def answered(household, **answers):
    return visit_body(household, checklist={"family": "三口之家", "people": 3, **answers})


def test_typed_answers_are_stored_as_typed(api, cadre, household, survey):
    body = answered(household, satisfaction="基本满意", income=3500.5, people=4.0)
    response = api.as_user(cadre).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    stored = Visit.objects.get().checklist
    assert stored == {"family": "三口之家", "people": 4, "satisfaction": "基本满意", "income": 3500.5}
    assert isinstance(stored["people"], int) and response.json()["checklist"]["people"] == 4


HOSTILE = [
    ("a choice not offered", {"satisfaction": "非常满意"}, "满意度"),
    ("a choice as a number", {"satisfaction": 1}, "满意度"),
    ("a number as a string", {"people": "3"}, "家庭人口"),
    ("a number below min", {"people": 0}, "家庭人口"),
    ("a number above max", {"people": 21}, "家庭人口"),
    ("a fraction of an integer question", {"people": 2.5}, "家庭人口"),
    ("a negative income", {"income": -1}, "月收入"),
    ("a boolean", {"people": True}, "checklist"),
    ("an object", {"satisfaction": {"v": "满意"}}, "checklist"),
    ("a list", {"satisfaction": ["满意"]}, "checklist"),
    ("null", {"satisfaction": None}, "checklist"),
    ("a huge number", {"income": 1e300}, "checklist"),
    ("a number for a text question", {"family": 3}, "家庭情况"),
    ("text too long", {"family": "好" * 501}, "checklist"),
    ("a control character", {"opinions": "好\u0007"}, "checklist"),
    ("an unknown question", {"horoscope": "吉"}, "horoscope"),
]


@pytest.mark.parametrize(("name", "answers", "says"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_wrong_answer_is_refused_and_nothing_stored(api, cadre, household, survey, name, answers, says):
    response = api.as_user(cadre).post(URL, answered(household, **answers), format="json")
    assert response.status_code == 400 and "checklist" in response.json() and says in str(response.json()), name
    assert not Visit.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(api, cadre, household, survey, literal):
    text = json.dumps(answered(household)).replace('"people": 3', f'"people": {literal}')
    assert literal in text
    response = api.as_user(cadre).post(URL, text, content_type="application/json")
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_a_required_question_is_asked_at_a_door_but_not_at_a_meeting_or_a_project(api, cadre, household, survey, org):
    body = visit_body(household, checklist={"family": "三口之家"})
    response = api.as_user(cadre).post(URL, body, format="json")
    assert response.status_code == 400 and "家庭人口" in str(response.json())
    blank = visit_body(household, checklist={"people": 3, "family": "   "})  # a blank text is no answer, not stored
    assert api.as_user(cadre).post(URL, blank, format="json").status_code == 201
    assert Visit.objects.get().checklist == {"people": 3}
    meeting = visit_body(
        None, target_type="meeting", unit=org.grid1.pk, head_count=8, checklist={"satisfaction": "满意"}
    )
    assert api.as_user(cadre).post(URL, meeting, format="json").status_code == 201
    project = KeyProject.objects.create(name="丈八物流园", unit=org.grid1, lat=34.19, lng=108.88)
    visit = visit_body(None, target_type="project", target_id=project.pk, checklist={})
    assert api.as_user(cadre).post(URL, visit, format="json").status_code == 201


def test_a_meetings_answers_are_checked_too(api, cadre, household, survey, org):
    people = [{"target_type": "household", "target_id": household.pk}]
    body = visit_body(None, target_type="meeting", unit=org.grid1.pk, head_count=8, participants=people,
                      checklist={"satisfaction": "还行"})  # fmt: skip
    assert api.as_user(cadre).post(URL, body, format="json").status_code == 400
    assert not Visit.objects.exists() and not VisitParticipant.objects.exists()


def test_answers_recorded_offline_against_older_questions_are_accepted(api, cadre, household, survey):
    # given a phone that downloaded the questions, then the campaign changed them: 满意度 lost 基本满意, a required
    # question was added and 月收入 was removed
    old_version = questions_version(survey.checklist)
    survey.checklist = [
        *DEFAULT_CHECKLIST, {**SATISFACTION, "choices": ["满意", "不满意"]}, PEOPLE,
        {"key": "housing", "label": "住房情况", "type": "text", "required": True},
    ]  # fmt: skip
    survey.save()
    body = answered(household, satisfaction="基本满意", income=3000)
    body["checklist_version"] = old_version
    # when the phone sends the visit it recorded offline
    response = api.as_user(cadre).post(URL, body, format="json")
    # then the visit is accepted, what still fits kept, the rest dropped, and the visit says so
    assert response.status_code == 201, response.json()
    visit = Visit.objects.get()
    assert visit.checklist == {"family": "三口之家", "people": 3}
    assert STALE_FLAG in visit.flags
    # a retry is the same visit; but today's version (or none) gets every rule
    assert api.as_user(cadre).post(URL, body, format="json").status_code == 200
    fresh = {**answered(household, satisfaction="基本满意"), "checklist_version": questions_version(survey.checklist)}
    assert api.as_user(cadre).post(URL, fresh, format="json").status_code == 400
    # even from an old phone, a hostile value is refused before any question is consulted
    hostile = {**answered(household, satisfaction={"x": 1}), "checklist_version": old_version}
    assert api.as_user(cadre).post(URL, hostile, format="json").status_code == 400
    assert Visit.objects.count() == 1


def test_the_phone_keeps_the_typed_questions_units_and_projects(api, cadre, survey, org):
    project = KeyProject.objects.create(name="丈八物流园", unit=org.grid1)
    other = KeyProject.objects.create(name="鱼化寨项目", unit=org.grid2)
    Assignment.objects.create(user=cadre, target_type="project", project=project, unit=org.grid1, district=org.district)
    data = api.as_user(cadre).get("/api/v1/m/bootstrap/").json()
    questions = {q["key"]: q for q in data["campaign"]["checklist"]}
    assert questions["satisfaction"]["choices"] == ["满意", "基本满意", "不满意"]
    assert (questions["people"]["min"], questions["people"]["max"], questions["people"]["required"]) == (1, 20, True)
    assert questions["family"] == {"key": "family", "label": "家庭情况", "type": "text", "required": False}
    assert data["campaign"]["checklist_version"] == questions_version(survey.checklist)
    assert [u["id"] for u in data["meeting_units"]] == [org.grid1.pk]
    assert [(p["id"], p["assigned"]) for p in data["projects"]] == [(project.pk, True)]
    assert other.pk not in [p["id"] for p in data["projects"]]


def test_the_ledger_has_a_column_per_question_and_numbers_as_numbers(api, cadre, leader, household, survey, org):
    api.as_user(cadre).post(URL, answered(household, satisfaction="满意", income=4200), format="json")
    api.as_user(cadre).post(URL, answered(HouseholdFactory(unit=org.grid1), people=2), format="json")
    assert Visit.objects.count() == 2
    response = api.as_user(leader).get(f"{URL}export.xlsx", {"campaign": survey.pk})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    header = list(rows[0])
    for label in ("家庭情况", "生产生活", "意见建议", "困难诉求", "满意度", "家庭人口", "月收入（元）"):
        assert label in header
    by_people = {row[header.index("家庭人口")]: row for row in rows[1:]}
    assert set(by_people) == {2, 3}  # numbers, not text
    assert by_people[3][header.index("满意度")] == "满意" and by_people[3][header.index("月收入（元）")] == 4200
    assert by_people[2][header.index("满意度")] in ("", None)
    # another campaign's filter: no rows
    elsewhere = api.as_user(leader).get(f"{URL}export.xlsx", {"campaign": survey.pk + 1000})
    assert len(list(load_workbook(io.BytesIO(b"".join(elsewhere.streaming_content))).active.iter_rows())) == 1
