"""我包联的 on the phone page in a real browser (issue 16 item 1): a cadre sees the doors assigned to them, not yet
visited first, taps 记录走访 on one, logs the visit through the page's usual form, and after a reload that door has
left the not-visited group. Drives Debian's Chromium through Playwright at 390 px; nothing leaves 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from campaign.assignments import assignments_bulk_by_unit
from tests.browser import LAUNCH_ARGS, SHOTS, Watch, base_url, login, phone_context
from tests.factories import EnterpriseFactory, HouseholdFactory
from visits.models import Visit

pytestmark = pytest.mark.browser

SCREENSHOT = SHOTS / "cadre-assigned.png"
NOT_VISITED = "#assigned-list li.assigned-row.not-visited"


def _doors(org):
    """Three households and an enterprise of grid1, around the phone's spot (PHONE_AT, ~25 m away)."""
    households = [
        HouseholdFactory(unit=org.grid1, head_name=name, address=f"丈八街道锦业路{n}号{n}单元", lat=34.19, lng=108.88)
        for n, name in ((1, "张建国"), (2, "李秀英"), (3, "赵志强"))
    ]
    return households, EnterpriseFactory(
        unit=org.grid1, name="西安丈八软件科技有限公司", address="丈八街道锦业路6号天谷大厦", lat=34.1901, lng=108.8801
    )


def _visited_before(cadre, household, campaign) -> None:
    """A visit of two days ago in the campaign: that door counts as visited in this round."""
    Visit.objects.create(
        id=uuid.uuid4(),
        cadre=cadre,
        target_type="household",
        household=household,
        unit=household.unit,
        campaign=campaign,
        visited_at=timezone.now() - dt.timedelta(days=2),
        geo_status="verified",
        body_hash="x",
    )


def _rows(page) -> list[tuple[str, str, bool]]:
    """(type, id, not visited) of each row of 我包联的, in the page's order."""
    return page.eval_on_selector_all(
        "#assigned-list li.assigned-row",
        "rows => rows.map(r => [r.dataset.type, r.dataset.id, r.classList.contains('not-visited')])",
    )


def _log_visit_from_the_list(page, expect, row) -> None:
    """Tap 记录走访 on `row`: the visit tab opens with that door chosen; log it with the form's usual steps."""
    row.locator("button.assigned-visit").click()
    expect(page.locator("#panel-visit")).to_be_visible()
    expect(page.locator("#target-chosen")).to_contain_text("住户：李**")
    expect(page.locator("#geo-text")).to_contain_text("精度约 12 米")
    page.locator("#checklist textarea").first.fill("两代同住，身体健康")
    page.fill("#people-met", "2")
    page.fill("#notes", "包联户走访")
    page.click("#visit-submit")
    page.wait_for_selector("#visit-result.sent")
    assert "定位核验通过" in page.inner_text("#visit-result")


@pytest.mark.django_db(transaction=True)
def test_cadre_logs_a_visit_from_my_assigned_list_and_the_door_leaves_the_not_visited_group(
    chromium_path, live_server, cadre, street_leader, org, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # ORM calls beside Playwright's sync API
    (zhang, li, zhao), firm = _doors(org)
    # given grid1's doors assigned to the cadre, one of them already visited in this round
    assignments_bulk_by_unit(actor=street_leader, user_id=cadre.pk, unit_id=org.grid1.pk)
    _visited_before(cadre, zhang, campaign_obj)
    base, watch = base_url(live_server), Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser, size=(390, 844), touch=True)
        page = watch.page(watch.context(context).new_page())
        login(page, base, cadre.username, next_url="/m/")
        page.wait_for_selector("#m-app[data-ready='1']")

        # then 我包联的 lists the three doors not yet visited before the one visited
        expect(page.locator("#assigned")).to_contain_text("我包联的")
        expect(page.locator("#assigned-count")).to_contain_text("共 4 个，本轮未走访 3 个")
        rows = _rows(page)
        assert [not_visited for *_key, not_visited in rows] == [True, True, True, False]
        assert rows[-1][:2] == ["household", str(zhang.pk)]
        assert {tuple(r[:2]) for r in rows[:3]} == {("household", str(li.pk)), ("household", str(zhao.pk)),
                                                    ("enterprise", str(firm.pk))}  # fmt: skip

        # when they tap 记录走访 on 李秀英's door and log the visit
        _log_visit_from_the_list(page, expect, page.locator(f"{NOT_VISITED}[data-id='{li.pk}'][data-type=household]"))

        # then the server has it for that door, and after a reload the door is no longer among the not visited
        landed = Visit.objects.get(cadre=cadre, household=li)
        assert landed.geo_status == "verified" and landed.campaign_id == campaign_obj.pk
        page.reload()
        page.wait_for_selector("#m-app[data-ready='1']")
        expect(page.locator("#assigned-count")).to_contain_text("本轮未走访 2 个")
        assert page.locator(f"{NOT_VISITED}[data-id='{li.pk}'][data-type=household]").count() == 0
        assert [r[2] for r in _rows(page)] == [True, True, False, False]

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True, scale="css")
        context.close()
        browser.close()

    assert watch.errors == []
    assert watch.foreign == []
