"""A campaign's questionnaire (issue 16 item 6): the checklist's items may be typed questions (text, choice, number),
and Campaign.clean() (the admin) refuses any shape the phone page and the answers' checks could not read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from campaign.models.campaigns import DEFAULT_CHECKLIST
from campaign.models.questions import QUESTIONS_MAX, Question, questions_errors, questions_of, questions_version
from tests.factories import CampaignFactory

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


@pytest.fixture(autouse=True)
def chinese():
    """The messages are asserted in Chinese, the default language, whatever an earlier test left active."""
    with translation.override("zh-hans"):
        yield


def test_the_four_questions_of_old_stay_text_questions():
    assert questions_errors(DEFAULT_CHECKLIST) == []
    assert [q.type for q in questions_of(DEFAULT_CHECKLIST)] == ["text"] * 4


def test_typed_questions_are_read_with_their_settings():
    questions = questions_of([*DEFAULT_CHECKLIST, SATISFACTION, PEOPLE])
    assert questions[4] == Question(
        key="satisfaction", label="满意度", type="choice", choices=("满意", "基本满意", "不满意")
    )
    assert questions[5] == Question(
        key="people", label="家庭人口", type="number", min=1, max=20, integer=True, required=True
    )
    assert questions[5].brief() == {"key": "people", "label": "家庭人口", "type": "number", "required": True, "min": 1,
                                    "max": 20, "integer": True}  # fmt: skip


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ({"key": "a", "label": "甲", "type": "date"}, "type"),
        ({"key": "a", "label": "甲", "type": "choice"}, "choices"),
        ({"key": "a", "label": "甲", "type": "choice", "choices": []}, "choices"),
        ({"key": "a", "label": "甲", "type": "choice", "choices": ["好", "好"]}, "重复"),
        ({"key": "a", "label": "甲", "type": "choice", "choices": ["好", " "]}, "选项"),
        ({"key": "a", "label": "甲", "type": "choice", "choices": ["好", 1]}, "选项"),
        ({"key": "a", "label": "甲", "type": "choice", "choices": [str(i) for i in range(21)]}, "最多"),
        ({"key": "a", "label": "甲", "type": "choice", "choices": ["好\u0000"]}, "选项"),
        ({"key": "a", "label": "甲", "type": "number", "min": 5, "max": 1}, "min"),
        ({"key": "a", "label": "甲", "type": "number", "min": float("nan")}, "min"),
        ({"key": "a", "label": "甲", "type": "number", "max": float("inf")}, "max"),
        ({"key": "a", "label": "甲", "type": "number", "max": "10"}, "max"),
        ({"key": "a", "label": "甲", "type": "number", "max": True}, "max"),
        ({"key": "a", "label": "甲", "type": "text", "choices": ["好"]}, "choices"),
        ({"key": "a", "label": "甲", "type": "text", "min": 1}, "min"),
        ({"key": "a", "label": "甲", "required": "yes"}, "required"),
        ({"key": "a", "label": "甲", "colour": "red"}, "colour"),
        ({"key": "a", "label": ""}, "label"),
        ({"key": "a", "label": "甲" * 51}, "label"),
        ({"key": "", "label": "甲"}, "key"),
        ({"key": " a", "label": "甲"}, "key"),
        ({"key": "a\u0001", "label": "甲"}, "key"),
        ({"label": "甲"}, "对象"),
        ("family", "对象"),
    ],
)
def test_a_question_of_a_wrong_shape_is_refused(item, says):
    errors = questions_errors([item])
    assert errors and says in " ".join(errors), errors


def test_keys_are_unique_and_the_list_bounded():
    assert "重复" in " ".join(questions_errors([{"key": "a", "label": "甲"}, {"key": "a", "label": "乙"}]))
    many = [{"key": f"k{i}", "label": f"问{i}"} for i in range(QUESTIONS_MAX + 1)]
    assert questions_errors(many) and not questions_errors(many[:QUESTIONS_MAX])
    assert questions_errors({"family": "家庭情况"})


@pytest.mark.django_db
def test_the_admin_refuses_a_campaign_with_a_bad_question_and_takes_a_good_one():
    campaign = CampaignFactory()
    campaign.checklist = [*DEFAULT_CHECKLIST, {**SATISFACTION, "choices": ["满意", "满意"]}]
    with pytest.raises(ValidationError) as refused:
        campaign.full_clean()
    assert "checklist" in refused.value.message_dict
    campaign.checklist = [*DEFAULT_CHECKLIST, SATISFACTION, PEOPLE]
    campaign.full_clean()


def test_a_stored_value_of_another_shape_is_read_as_text_questions_never_guessed():
    # e.g. written by SQL before these rules: the sound items keep their type, the others are text, nothing is lost
    stored = [SATISFACTION, {"key": "odd", "label": "怪", "type": "date"}, "junk", {"key": "odd", "label": "重"}]
    assert [(q.key, q.type) for q in questions_of(stored)] == [("satisfaction", "choice"), ("odd", "text")]
    assert questions_of("junk") == []


def test_the_version_changes_with_the_questions_only():
    base = [*DEFAULT_CHECKLIST, SATISFACTION]
    assert questions_version(base) == questions_version([dict(item) for item in base])
    assert questions_version(base) != questions_version([*DEFAULT_CHECKLIST, {**SATISFACTION, "choices": ["满意"]}])


@pytest.mark.django_db
def test_the_admin_form_says_the_shape_and_refuses_a_bad_question(rf, org, admin_user, campaign_obj):
    import json

    from django.contrib import admin

    from campaign.admin import CampaignAdmin
    from campaign.models import Campaign

    request = rf.get("/admin/")
    request.user = admin_user
    form_class = CampaignAdmin(Campaign, admin.site).get_form(request, campaign_obj)

    def post(checklist):
        data = {
            "name": campaign_obj.name,
            "start_date": campaign_obj.start_date.isoformat(),
            "end_date": campaign_obj.end_date.isoformat(),
            "units": [org.district.pk],
            "checklist": json.dumps(checklist),
            "sla_overrides": "{}",
            "targets": "{}",
            "is_active": "on",
        }
        if "help_counts" in form_class.base_fields:  # issue 16 item 8's field, beside this one
            data["help_counts"] = json.dumps(campaign_obj.help_counts)
        return form_class(data=data, instance=campaign_obj)

    assert '"type": "choice"' in str(form_class().fields["checklist"].help_text)
    refused = post([*DEFAULT_CHECKLIST, {**PEOPLE, "min": 30}])
    assert not refused.is_valid() and "min" in str(refused.errors["checklist"])
    accepted = post([*DEFAULT_CHECKLIST, SATISFACTION, PEOPLE])
    assert accepted.is_valid(), accepted.errors
    accepted.save()
    campaign_obj.refresh_from_db()
    assert [q.type for q in campaign_obj.questions()][-2:] == ["choice", "number"]
