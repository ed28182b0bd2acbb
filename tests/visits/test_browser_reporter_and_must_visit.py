"""Two phone sections of /m/ in a real browser (issue 16): the 户长 (role reporter) reports a problem for a household
of their group, sees it under 我上报的 and cannot open the inbox; a cadre sees an overdue must-visit (四门必敲) first,
logs the visit from it, and after a reload it has left the overdue list. Debian's Chromium through Playwright on a
phone (tests.browser.phone_context); nothing leaves 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from campaign.household_groups import household_group_save
from campaign.models import HouseholdGroup, Role
from issues.models import Ticket
from tests.browser import LAUNCH_ARGS, SHOTS, Watch, base_url, login, phone_context
from tests.factories import HouseholdFactory, UserFactory
from visits.models import Visit

pytestmark = pytest.mark.browser


def _browse(p, chromium_path, watch):
    browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
    context = phone_context(browser, size=(390, 844), touch=True)
    return browser, context, watch.page(watch.context(context).new_page())


@pytest.mark.django_db(transaction=True)
def test_the_household_head_reports_for_their_group_and_follows_it_but_has_no_inbox(
    chromium_path, live_server, org, admin_user, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # ORM calls beside Playwright's sync API
    # given a 户长 heading 一号户区 (two households of grid1) and a neighbour outside the group
    head = UserFactory(username="huzhang", role=Role.REPORTER, unit=org.grid1, display_name="刘桂兰")
    homes = [
        HouseholdFactory(unit=org.grid1, address=f"丈八街道锦业路{n}号{n}单元", head_name="张建国") for n in (1, 2)
    ]
    household_group_save(
        actor=admin_user, group=HouseholdGroup(name="锦业路一号户区", unit=org.grid1, head=head), households=homes
    )
    outsider = HouseholdFactory(unit=org.grid1, address="丈八街道锦业路9号")
    base, watch = base_url(live_server), Watch()

    with sync_playwright() as p:
        browser, context, page = _browse(p, chromium_path, watch)
        login(page, base, head.username, next_url="/m/")
        expect(page.locator("#panel-reporter")).to_be_visible()
        offered = page.eval_on_selector_all("#reporter-household option", "os => os.map(o => o.value)")
        assert sorted(offered) == sorted(str(h.pk) for h in homes) and str(outsider.pk) not in offered
        assert "张建国" not in page.content()  # addresses only: no resident's name on the 户长's phone

        # when they report a broken stair light for the second household
        page.select_option("#reporter-household", str(homes[1].pk))
        page.select_option("#reporter-kind", "request")
        page.fill("#reporter-description", "2单元楼道声控灯坏了一周，老人晚上上下楼看不见")
        page.click("#reporter-submit")
        expect(page.locator("#reporter-result")).to_contain_text("已上报，工单号")

        # then the ticket is stored as self-found for that household, and after the reload it is under 我上报的
        ticket = Ticket.objects.get()
        assert (ticket.source, ticket.requester_household_id, ticket.created_by_id) == (
            "self_found",
            homes[1].pk,
            head.pk,
        )
        expect(page.locator("#reporter-tickets li.reported-ticket")).to_have_count(1)
        row = page.locator("#reporter-tickets li.reported-ticket").first
        expect(row).to_contain_text(ticket.code)
        expect(row).to_contain_text("锦业路2号")
        expect(row).to_contain_text("最新进展：登记")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "reporter.png"), full_page=True, scale="css")

        # and the inbox is closed to them
        answer = page.goto(f"{base}/tickets/")
        assert answer is not None and answer.status == 403
        context.close()
        browser.close()

    assert watch.errors == [] or all("403" in e for e in watch.errors)  # the refused page's own load, nothing else
    assert watch.foreign == []


@pytest.mark.django_db(transaction=True)
def test_a_cadre_logs_an_overdue_must_visit_first_and_it_leaves_the_overdue_list(
    chromium_path, live_server, org, cadre, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    # given a campaign whose elderly alone are visited every 30 days: 李秀英 never visited, 王大妈 visited 3 days ago
    campaign_obj.must_visit_tags, campaign_obj.must_visit_days = ["独居老人"], 30
    campaign_obj.save()
    li = HouseholdFactory(
        unit=org.grid1, head_name="李秀英", address="丈八街道锦业路3号", tags=["独居老人"], lat=34.19, lng=108.88
    )
    wang = HouseholdFactory(unit=org.grid1, head_name="王大妈", address="丈八街道锦业路5号", tags=["独居老人", "低保"])
    Visit.objects.create(
        id=uuid.uuid4(), cadre=cadre, target_type="household", household=wang, unit=wang.unit, campaign=campaign_obj,
        visited_at=timezone.now() - dt.timedelta(days=3), geo_status="verified", body_hash="x",
    )  # fmt: skip
    base, watch = base_url(live_server), Watch()

    with sync_playwright() as p:
        browser, context, page = _browse(p, chromium_path, watch)
        login(page, base, cadre.username, next_url="/m/")
        page.wait_for_selector("#m-app[data-ready='1']")

        # then the overdue must-visit comes first
        expect(page.locator("#must-visit-count")).to_contain_text("共 2 户，逾期 1 户")
        rows = page.locator("#must-visit-list li.must-visit-row")
        expect(rows.first).to_have_attribute("data-id", str(li.pk))
        expect(rows.first).to_contain_text("逾期")  # not visited within the window: overdue by more than 2·N days
        assert "overdue" in (rows.first.get_attribute("class") or "")

        # when they tap 记录走访 on it and log the visit with the usual form
        rows.first.locator("button.must-visit-log").click()
        expect(page.locator("#panel-visit")).to_be_visible()
        expect(page.locator("#target-chosen")).to_contain_text("住户：李**")
        expect(page.locator("#geo-text")).to_contain_text("精度约 12 米")
        page.locator("#checklist textarea").first.fill("独居，身体尚可，子女每周来")
        page.fill("#people-met", "1")
        page.fill("#notes", "四门必敲：独居老人走访")
        page.click("#visit-submit")
        page.wait_for_selector("#visit-result.sent")

        # then after a reload nothing is overdue: 李秀英 is due again in 30 days
        assert Visit.objects.filter(household=li, campaign=campaign_obj).count() == 1
        page.reload()
        page.wait_for_selector("#m-app[data-ready='1']")
        expect(page.locator("#must-visit-count")).to_contain_text("共 2 户，逾期 0 户")
        assert page.locator("#must-visit-list li.overdue").count() == 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("#must-visit").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "cadre-must-visit.png"), full_page=True, scale="css")
        context.close()
        browser.close()

    assert watch.errors == []
    assert watch.foreign == []


@pytest.mark.django_db(transaction=True)
def test_a_report_made_in_a_dead_spot_waits_on_the_phone_and_lands_once_on_reconnect(
    chromium_path, live_server, org, admin_user, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    head = UserFactory(username="huzhang", role=Role.REPORTER, unit=org.grid1)
    home = HouseholdFactory(unit=org.grid1, address="丈八街道锦业路7号")
    household_group_save(
        actor=admin_user, group=HouseholdGroup(name="七号户区", unit=org.grid1, head=head), households=[home]
    )
    base, watch = base_url(live_server), Watch()

    with sync_playwright() as p:
        browser, context, page = _browse(p, chromium_path, watch)
        login(page, base, head.username, next_url="/m/")
        # given the phone loses the network, when the 户长 reports
        context.set_offline(True)
        page.fill("#reporter-description", "地下室积水，电梯停运")
        page.click("#reporter-submit")
        # then it waits on the phone, and nothing has reached the server
        expect(page.locator("#reporter-result")).to_contain_text("联网后自动上报")
        expect(page.locator("#reporter-pending li.pending-report")).to_have_count(1)
        assert Ticket.objects.count() == 0
        # when the network comes back, it is sent (the `online` event), and the page lists it under 我上报的
        with page.expect_navigation():
            context.set_offline(False)
        expect(page.locator("#reporter-tickets li.reported-ticket")).to_have_count(1)
        assert page.locator("#reporter-pending li").count() == 0
        # and resending (another `online`, the timer) adds nothing: the queue is empty, the id was spent once
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_timeout(300)
        context.close()
        browser.close()

    ticket = Ticket.objects.get()
    assert (ticket.requester_household_id, ticket.description) == (home.pk, "地下室积水，电梯停运")
    assert watch.foreign == []
