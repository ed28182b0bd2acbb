"""The questionnaire, a key project and a meeting on the phone page in a real browser (issue 16 item 6): a cadre
answers a choice and a number question at a household's door (a number out of bounds is stopped on the phone, nothing
sent), visits a key project of theirs (listed first), then logs a 座谈会 of their grid with a head count and two
participants found with the search box. All land with the API's payload, typed. Drives Debian's Chromium through
Playwright on a phone; nothing leaves 127.0.0.1."""

from __future__ import annotations

import pytest

from campaign.assignments import assignment_create
from campaign.models import KeyProject
from campaign.models.campaigns import DEFAULT_CHECKLIST
from tests.browser import LAUNCH_ARGS, SHOTS, Watch, base_url, login, phone_context
from tests.factories import EnterpriseFactory, HouseholdFactory
from visits.models import Visit, VisitParticipant

pytestmark = pytest.mark.browser

QUESTIONS = [
    *DEFAULT_CHECKLIST,
    {
        "key": "satisfaction",
        "label": "满意度",
        "type": "choice",
        "choices": ["满意", "基本满意", "不满意"],
        "required": True,
    },
    {"key": "people", "label": "家庭人口", "type": "number", "min": 1, "max": 20, "integer": True},
]


def _doors(org):
    homes = [
        HouseholdFactory(unit=org.grid1, head_name=name, address=f"丈八街道锦业路{n}号{n}单元", lat=34.19, lng=108.88)
        for n, name in ((1, "张建国"), (2, "李秀英"), (3, "赵志强"))
    ]
    firm = EnterpriseFactory(unit=org.grid1, name="西安丈八软件科技有限公司", address="丈八街道锦业路6号天谷大厦",
                             lat=34.1901, lng=108.8801)  # fmt: skip
    return homes, firm


def _answer_at_a_door(page, expect, home) -> None:
    page.click(".m-tabs .tab[data-tab=visit]")
    page.locator(f"#target-list li[data-key='household:{home.pk}']").click()
    expect(page.locator("#target-chosen")).to_contain_text("住户：张**")
    expect(page.locator("#geo-text")).to_contain_text("精度约 12 米")
    page.locator("#checklist textarea").first.fill("三口之家，身体健康")
    # the choice question is a radio group, the number question a number input with its bounds
    expect(page.locator(".question.q-choice")).to_contain_text("满意度")
    assert page.get_attribute(".question.q-number input", "max") == "20"
    page.locator(".question.q-choice label", has_text="基本满意").click()
    page.fill(".question.q-number input", "25")
    page.click("#visit-submit")
    expect(page.locator("#visit-error")).to_contain_text("家庭人口")
    assert not Visit.objects.exists()
    page.fill(".question.q-number input", "3")
    # the questionnaire from its heading (below the page's sticky tabs)
    page.locator("#checklist-legend").evaluate("e => { e.scrollIntoView({block: 'start'}); window.scrollBy(0, -64); }")
    page.screenshot(path=str(SHOTS / "cadre-questionnaire.png"), scale="css")
    page.click("#visit-submit")
    page.wait_for_selector("#visit-result.sent")


def _visit_a_key_project(page, expect, project) -> None:
    page.locator("#visit-kinds label", has_text="重点项目").click()
    expect(page.locator("#project-list")).to_contain_text("丈八物流园二期")
    expect(page.locator("#project-list li").first).to_contain_text("本人包联")
    page.locator(f"#project-list li[data-key='project:{project.pk}']").click()
    expect(page.locator("#target-chosen")).to_contain_text("重点项目：丈八物流园二期")
    page.locator(".question.q-choice label", has_text="满意").first.click()
    expect(page.locator("#visit-result")).to_be_hidden()  # the door's result gone: .sent below is this visit's
    page.click("#visit-submit")
    page.wait_for_selector("#visit-result.sent")


def _log_a_meeting(page, expect, homes, firm) -> None:
    page.locator("#visit-kinds label", has_text="座谈会").click()
    expect(page.locator("#meeting-pick")).to_be_visible()
    expect(page.locator("#target-pick")).to_be_hidden()
    expect(page.locator("#issues-box")).to_be_hidden()
    page.fill("#meeting-head-count", "15")
    page.fill("#participant-search", "锦业路2号")
    page.locator(f"#participant-list input[data-key='household:{homes[1].pk}']").check()
    page.fill("#participant-search", "软件")
    page.locator(f"#participant-list input[data-key='enterprise:{firm.pk}']").check()
    page.fill("#participant-search", "")
    expect(page.locator("#participant-count")).to_contain_text("已选 2")
    page.locator(".question.q-choice label", has_text="满意").first.click()
    page.fill("#notes", "居民议事会：小区停车规划")
    page.locator("#meeting-pick").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "cadre-meeting.png"), scale="css")
    expect(page.locator("#visit-result")).to_be_hidden()  # the project's result gone: .sent below is the meeting's
    page.click("#visit-submit")
    page.wait_for_selector("#visit-result.sent")
    expect(page.locator("#visit-result")).to_contain_text("座谈会")


@pytest.mark.django_db(transaction=True)
def test_cadre_answers_the_questionnaire_and_logs_a_meeting(
    chromium_path, live_server, cadre, street_leader, org, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # ORM calls beside Playwright's sync API
    campaign_obj.checklist = QUESTIONS
    campaign_obj.full_clean()
    campaign_obj.save()
    homes, firm = _doors(org)
    project = KeyProject.objects.create(
        name="丈八物流园二期", unit=org.grid1, address="丈八四路", lat=34.19, lng=108.88
    )
    assignment_create(actor=street_leader, user_id=cadre.pk, target_type="project", target_id=project.pk)
    base, watch = base_url(live_server), Watch()
    SHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser, size=(390, 844), touch=True)
        page = watch.page(watch.context(context).new_page())
        login(page, base, cadre.username, next_url="/m/")
        page.wait_for_selector("#m-app[data-ready='1']")

        _answer_at_a_door(page, expect, homes[0])
        door = Visit.objects.get(household=homes[0])
        assert door.checklist == {"family": "三口之家，身体健康", "satisfaction": "基本满意", "people": 3}
        assert "checklist_changed" not in door.flags

        # a key project of theirs (我包联的), from the same form
        _visit_a_key_project(page, expect, project)
        assert Visit.objects.get(target_type="project").project_id == project.pk

        _log_a_meeting(page, expect, homes, firm)
        meeting = Visit.objects.get(target_type="meeting")
        assert (meeting.unit_id, meeting.head_count, meeting.checklist) == (org.grid1.pk, 15, {"satisfaction": "满意"})
        assert set(VisitParticipant.objects.filter(visit=meeting).values_list("household_id", "enterprise_id")) == {
            (homes[1].pk, None),
            (None, firm.pk),
        }
        context.close()
        browser.close()

    assert watch.errors == []
    assert watch.foreign == []
