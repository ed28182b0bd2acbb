"""A handler's day through the pages only (issue 13): they accept a dispatched door-to-door (上门办) ticket, record
progress, click 记录上门走访, submit the visit on the phone page standing at the requester's door, return to the
ticket and resolve it (办结). Drives Debian's Chromium through Playwright; nothing leaves 127.0.0.1."""

from __future__ import annotations

import pytest

from issues.machine import ticket_apply
from issues.models import Ticket, TicketEvent
from issues.services import ticket_create
from tests.browser import LAUNCH_ARGS, SHOTS, TIMEOUT_MS, Watch, base_url, login, phone_context
from tests.factories import HouseholdFactory
from visits.models import Visit

pytestmark = pytest.mark.browser


def _dispatched_door_to_door(dispatcher, org) -> Ticket:
    """A hotline call from a registered household of grid1 (at PHONE_AT's doorstep), dispatched to 城管局 as 上门办."""
    home = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88, address="丈八街道锦业路66号2单元")
    ticket = ticket_create(
        actor=dispatcher, source="hotline", kind="request", description="家中下水道堵塞，污水外溢",
        requester_household=home.pk, lat=34.19, lng=108.88,
    )  # fmt: skip
    body = {"mode": "door_to_door", "problem": "下水道堵塞", "lead_unit": org.dept1.pk, "responsible_person": "王科长",
            "measures": "上门疏通管道", "expected_effect": "排水通畅"}  # fmt: skip
    return ticket_apply(ticket_id=ticket.pk, action="dispatch", actor=dispatcher, version=ticket.version, data=body)


def _act(page, action: str, **fields: str) -> None:
    """Open the action's form on the ticket page, fill it, submit, and wait for the page to say it is done."""
    if page.locator(f"details[data-action={action}]").count():
        page.click(f"details[data-action={action}] > summary")
    for name, value in fields.items():
        page.fill(f"#id_{action}_{name}", value)
    page.click(f"#act-{action} button[type=submit]")
    page.wait_for_selector(".flash li")


def _accept_and_progress(page, base, ticket) -> None:
    login(page, base, "handler", f"/tickets/{ticket.pk}/")
    assert page.locator("#door-to-door").count() == 0  # not before acceptance
    _act(page, "accept")
    assert "已签收" in page.inner_text(".ticket-head")
    _act(page, "progress", note="已电话联系住户，约定今天下午上门")
    assert "办理中" in page.inner_text(".ticket-head")


def _visit_on_the_phone(page, context, base, ticket, expect) -> None:
    """记录上门走访 → /m/ with the ticket and its requester chosen → 提交走访 in a dead spot: the visit waits on the
    phone, naming the ticket → back online it is sent by itself, and the result names the ticket."""
    page.click("#door-to-door-visit")
    page.wait_for_url(f"{base}/m/?ticket={ticket.pk}")
    page.wait_for_selector("#m-app[data-ready='1']")
    expect(page.locator("#duty")).to_be_visible()
    assert ticket.code in page.inner_text("#duty")
    assert "丈八街道锦业路66号2单元" in page.inner_text("#target-chosen")
    assert page.locator(".m-tabs .tab").all_inner_texts() == ["今日", "上门走访", "本单位工单"]
    page.wait_for_selector("#geo-text:has-text('精度约 12 米')")
    page.fill("#notes", "已上门疏通管道，排水恢复")
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")  # the sticky tabs back at the top
    page.screenshot(path=str(SHOTS / "handler-phone.png"), full_page=True, scale="css")  # the ticket and door chosen
    context.set_offline(True)
    page.click("#visit-submit")
    page.wait_for_selector("#visit-result.pending")
    assert page.evaluate("ZOutbox.all().then(rs => rs.map(r => r.body.ticket))") == [ticket.pk]
    assert Visit.objects.count() == 0
    context.set_offline(False)
    page.wait_for_selector("#visit-result.sent")
    result = page.inner_text("#visit-result")
    assert "定位核验通过" in result and f"已记入工单 {ticket.code} 的办理过程" in result


def _resolve(page, ticket) -> None:
    page.click("#visit-result a.back-to-ticket")
    page.wait_for_url(f"**/tickets/{ticket.pk}/")
    timeline = page.inner_text(".timeline")
    assert "上门走访" in timeline and "位置核验通过" in timeline
    _act(page, "resolve", result="已上门疏通管道，排水通畅")
    assert "“办结”已完成。" in page.inner_text(".flash")
    assert "已办结" in page.inner_text(".ticket-head")


def _desktop_view(browser, watch, base, ticket) -> None:
    """The same ticket at a desktop's width, as the handler's office sees it: resolved, the visit in its timeline."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = watch.page(watch.context(context).new_page())
    login(page, base, "handler", f"/tickets/{ticket.pk}/")
    page.wait_for_selector("#ticket-map[data-ready='1']")
    page.screenshot(path=str(SHOTS / "handler-desktop.png"), full_page=True)
    context.close()


@pytest.mark.django_db(transaction=True)
def test_handler_accepts_visits_the_door_from_the_ticket_page_and_resolves(
    chromium_path, live_server, dispatcher, handler, org, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # ORM calls beside Playwright's sync API
    ticket = _dispatched_door_to_door(dispatcher, org)
    base, watch = base_url(live_server), Watch()
    SHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser)  # standing at the requester's door, location shared
        page = watch.page(watch.context(context).new_page())

        # given the handler of 城管局, who accepts the ticket and records progress on its page
        _accept_and_progress(page, base, ticket)

        # when they click 记录上门走访 and submit the visit on the phone page (in a dead spot, sent when back online)
        _visit_on_the_phone(page, context, base, ticket, expect)

        # then back on the ticket the visit is in its timeline, and 办结 goes through
        _resolve(page, ticket)
        context.close()
        _desktop_view(browser, watch, base, ticket)
        browser.close()

    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.result == "已上门疏通管道，排水通畅"
    visit = Visit.objects.get()
    assert (visit.ticket_id, visit.cadre_id, visit.geo_status) == (ticket.pk, handler.pk, "verified")
    assert visit.household_id == ticket.requester_household_id
    actions = list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "id").values_list("action", flat=True))
    assert actions == ["report", "dispatch", "accept", "progress", "resolve"]
    assert watch.errors == []
    assert watch.foreign == []


@pytest.mark.django_db(transaction=True)
def test_handler_visits_a_callers_place_chosen_from_the_phones_ticket_list(
    chromium_path, live_server, dispatcher, handler, org, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    # given an accepted 上门办 ticket of a caller with no registered home, the matter ~15 m from where the phone stands
    ticket = ticket_create(
        actor=dispatcher, source="hotline", kind="complaint", description="路灯不亮", lat=34.1901, lng=108.8801,
        requester_name="赵六", requester_phone="13900001234",
    )  # fmt: skip
    body = {"mode": "door_to_door", "problem": "路灯不亮", "lead_unit": org.dept1.pk, "responsible_person": "王科长",
            "measures": "上门查看并维修", "expected_effect": "路灯恢复"}  # fmt: skip
    ticket = ticket_apply(ticket_id=ticket.pk, action="dispatch", actor=dispatcher, version=ticket.version, data=body)
    ticket_apply(ticket_id=ticket.pk, action="accept", actor=handler, version=ticket.version, data={})
    base, watch = base_url(live_server), Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser)
        page = watch.page(watch.context(context).new_page())
        login(page, base, "handler", "/m/")
        page.wait_for_selector("#m-app[data-ready='1']")

        # the visit tab asks for a ticket first
        page.click(".m-tabs .tab[data-tab=visit]")
        expect(page.locator("#duty-none")).to_be_visible()
        expect(page.locator("#visit-form")).to_be_hidden()

        # when they choose the ticket from 本单位工单 and submit the visit at the ticket's place
        page.click(".m-tabs .tab[data-tab=tickets]")
        page.locator("#ticket-list li", has_text=ticket.code).locator("button.door-visit").click()
        expect(page.locator("#duty")).to_contain_text(ticket.code)
        expect(page.locator("#target-chosen")).to_contain_text("工单位置")
        page.wait_for_selector("#geo-text:has-text('精度约 12 米')")
        page.click("#visit-submit")
        page.wait_for_selector("#visit-result.sent")
        assert "定位核验通过" in page.inner_text("#visit-result")

        # then today's list shows it with a link to the ticket
        page.click(".m-tabs .tab[data-tab=today]")
        expect(page.locator("#today-list li")).to_contain_text("工单位置")
        page.click("#today-list a.ticket-link")
        page.wait_for_url(f"{base}/tickets/{ticket.pk}/")
        assert "上门走访" in page.inner_text(".timeline")
        context.close()
        browser.close()

    visit = Visit.objects.get()
    assert (visit.target_type, visit.ticket_id, visit.geo_status) == ("", ticket.pk, "verified")
    assert watch.errors == []
    assert watch.foreign == []
