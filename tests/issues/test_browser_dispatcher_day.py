"""The dispatcher's day through the pages only (issue 13), in Debian's Chromium at desktop width: dispatch a reported
ticket with the five clarities, answer a hotline question at intake (直办, issue 16), answer the lead unit's
extension requests (grant one with the pre-filled date, refuse another with a reason), merge a new report into the resolved ticket it repeats from the ticket page's likely
duplicates (issue 15), and do the callback (回访) of both requesters with one logged reveal of each phone.
The ticket page is photographed at desktop width and at 360 px, where its content comes before its actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaign.models import AccessLog
from issues.models import Notification, RequesterNotice, Ticket, TicketEvent
from issues.services import ticket_create
from tests.browser import LAUNCH_ARGS, SHOTS, TIMEOUT_MS, Watch, base_url, dispatch_form_submit, login

pytestmark = pytest.mark.browser


def _requested(tickets, handler, days: int, reason: str) -> Ticket:
    """An in-progress ticket whose lead unit asked for `days` more days (through the service, as the handler)."""
    ticket = tickets.at("in_progress")
    wanted = timezone.localtime(timezone.now() + dt.timedelta(days=days)).replace(second=0, microsecond=0)
    return tickets.act(ticket, "request_extension", handler, due_at=wanted.isoformat(), reason=reason)


def _dispatch(page, base, ticket, org) -> None:
    page.goto(f"{base}/tickets/?status=reported")
    page.click(f"a:text('{ticket.code}')")
    page.wait_for_url(f"{base}/tickets/{ticket.pk}/")
    dispatch_form_submit(
        page,
        mode="door_to_door",
        lead_unit_id=org.dept1.pk,
        problem="楼道照明损坏，老人夜间出行不便",
        measures="上门更换声控灯",
        effect="楼道夜间照明恢复",
    )
    page.wait_for_selector(".flash li")
    assert "待签收" in page.inner_text(".ticket-head")


def _answer_directly(page, base, consultation) -> None:
    """A hotline question answered at intake (直办): from the inbox's 待派单 list, the ticket page's own form."""
    page.goto(f"{base}/tickets/?status=reported")
    page.click(f"a:text('{consultation.code}')")
    page.wait_for_url(f"{base}/tickets/{consultation.pk}/")
    page.click("details[data-action=answer_directly] > summary")
    form = page.locator("details[data-action=answer_directly] form")
    form.locator("textarea[name=result]").fill("电话中解释了异地就医备案政策，告知办理渠道")
    form.locator("textarea[name=public_reply]").fill("异地就医请先在医保App备案，备案后可直接结算。")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash li")
    assert "直办答复" in page.inner_text(".flash")


def _answer_extensions(page, base, grant, refuse) -> None:
    """From the inbox's 申请延期 counter: grant the first with the pre-filled date, refuse the second."""
    page.goto(f"{base}/tickets/")
    page.click(".counter-extension")
    page.wait_for_url(f"{base}/tickets/?extension=1")
    assert page.locator("table.inbox tbody tr").count() == 2
    page.click(f"a:text('{grant.code}')")
    assert "需采购防水材料" in page.inner_text("#extension-request")
    page.click("details[data-action=extend] > summary")
    prefilled = timezone.localtime(grant.requested_due_at).strftime("%Y-%m-%dT%H:%M")
    assert page.input_value("#id_extend_due_at") == prefilled
    page.screenshot(path=str(SHOTS / "dispatcher-desktop.png"), full_page=True)
    page.click("#act-extend button[type=submit]")
    page.wait_for_selector(".flash li")
    assert page.locator("#extension-request").count() == 0
    page.goto(f"{base}/tickets/{refuse.pk}/")
    page.click("details[data-action=refuse_extension] > summary")
    page.fill("#id_refuse_extension_reason", "材料可向街道借用，请按原时限办结")
    page.click("#act-refuse_extension button[type=submit]")
    page.wait_for_selector(".flash li")
    assert page.locator("#extension-request").count() == 0


def _merge(page, base, duplicate, into) -> None:
    """The new report's page lists the resolved ticket among its likely duplicates: one click merges it there."""
    page.goto(f"{base}/tickets/{duplicate.pk}/")
    row = page.locator("#intake table.duplicates tr", has_text=into.code)
    assert "米" in row.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button").click()
    page.wait_for_selector(".flash li")
    assert "已撤销" in page.inner_text(".ticket-head")


def _callback(page, base, ticket, duplicate) -> None:
    page.goto(f"{base}/tickets/{ticket.pk}/")
    page.click("details[data-action=callback] > summary")
    assert "138******78" in page.inner_text("#callback-phone")
    merged = page.locator(f"#merged-requesters li[data-ticket='{duplicate.pk}']")
    assert duplicate.code in merged.inner_text() and "139******55" in merged.inner_text()
    merged.locator("button.reveal-merged").click()
    page.wait_for_selector("#merged-requesters a.phone.full")
    assert page.inner_text("#merged-requesters a.phone.full") == "13900000055"
    page.click("#reveal-phone")
    page.wait_for_selector("#callback-phone > p a.phone.full")
    assert page.inner_text("#callback-phone > p a.phone.full") == "13812345678"
    page.select_option(f"#id_callback_rating_of_{duplicate.pk}", "basically_satisfied")
    page.select_option("#id_callback_rating", "satisfied")
    page.fill("#id_callback_note", "群众表示满意")
    page.click("#act-callback button[type=submit]")
    page.wait_for_selector(".flash li")
    assert "已关闭" in page.inner_text(".ticket-head")
    assert "13812345678" not in page.content()


def _phone(browser, watch, base, dispatcher, ticket) -> None:
    """At 360 px the ticket's content and its five clarities come before the actions; nothing wider than the screen."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    phone = watch.page(watch.context(context).new_page())
    login(phone, base, dispatcher.username, f"/tickets/{ticket.pk}/")
    content = phone.locator(".ticket-content").bounding_box()
    actions = phone.locator("#actions").bounding_box()
    assert content is not None and actions is not None and content["y"] < actions["y"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.click("details[data-action=extend] > summary")
    phone.screenshot(path=str(SHOTS / "dispatcher-phone.png"), full_page=True)
    context.close()


def _drive(chromium_path, base, watch, dispatcher, org, reported, grant, refuse, resolved, duplicate, asked) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(watch.context(context).new_page())
        SHOTS.mkdir(parents=True, exist_ok=True)
        _phone(browser, watch, base, dispatcher, grant)
        login(page, base, dispatcher.username, "/tickets/")
        assert page.inner_text(".counter-extension .n") == "2"
        _dispatch(page, base, reported, org)
        _answer_directly(page, base, asked)
        _answer_extensions(page, base, grant, refuse)
        _merge(page, base, duplicate, resolved)
        _callback(page, base, resolved, duplicate)
        context.close()
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_dispatches_answers_extensions_and_calls_back(
    chromium_path, live_server, tickets, dispatcher, handler, org
):
    # given a reported ticket, two extension requests of 城管局 and a resolved ticket with the requester's phone
    reported = tickets.reported(description="3号楼2单元楼道灯坏了一个月，老人晚上下楼不便")
    grant = _requested(tickets, handler, 20, "需采购防水材料")
    refuse = _requested(tickets, handler, 30, "施工队排期已满")
    resolved = tickets.at("resolved")
    Ticket.objects.filter(pk=resolved.pk).update(requester_name="李秀英", requester_phone="13812345678")
    wanted = grant.requested_due_at
    refused_due = refuse.due_at
    # and a new report of the same matter by another resident (their phone on the ticket)
    duplicate = tickets.reported(requester_name="张桂兰", requester_phone="13900000055")
    # and a hotline call asking how to claim medical costs in another city (a question, answered at intake: 直办)
    asked = ticket_create(
        actor=dispatcher, source="hotline", kind="consultation", category="城市管理", description="咨询异地就医报销",
        requester_phone="13700001234", lat=34.19, lng=108.88,
    )  # fmt: skip
    watch = Watch()

    # when the dispatcher does the day through the pages
    base = base_url(live_server)
    _drive(chromium_path, base, watch, dispatcher, org, reported, grant, refuse, resolved, duplicate, asked)

    # then: dispatched with the five clarities, one event
    reported.refresh_from_db()
    assert (reported.status, reported.mode, reported.lead_unit_id) == ("dispatched", "door_to_door", org.dept1.pk)
    # the hotline question answered at intake: resolved, 直办, never dispatched, its requester told the reply
    asked.refresh_from_db()
    assert (asked.status, asked.answered_directly, asked.dispatched_at) == ("resolved", True, None)
    assert "医保App备案" in RequesterNotice.objects.get(ticket=asked).text
    # the request granted at the requested date, the other refused (deadline kept), each one event, handler told
    grant.refresh_from_db()
    refuse.refresh_from_db()
    assert (grant.due_at, grant.requested_due_at) == (wanted, None)
    assert (refuse.due_at, refuse.requested_due_at) == (refused_due, None)
    assert TicketEvent.objects.filter(ticket=grant, action="extend", actor=dispatcher).count() == 1
    assert TicketEvent.objects.filter(ticket=refuse, action="refuse_extension", actor=dispatcher).count() == 1
    assert set(Notification.objects.filter(user=handler).values_list("kind", flat=True)) >= {
        "extended",
        "extension_refused",
    }
    # the callback closed the ticket, after one logged reveal with the reason 回访
    resolved.refresh_from_db()
    assert (resolved.status, resolved.satisfaction) == ("closed", "satisfied")
    reveals = AccessLog.objects.filter(user=dispatcher, object_type="ticket", object_id=str(resolved.pk))
    assert list(reveals.values_list("reason", flat=True)) == ["回访"]
    # the duplicate merged into it, its requester rated in the same callback, their own reveal logged on their ticket
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merge_into_id) == ("cancelled", resolved.pk)
    assert duplicate.satisfaction == "basically_satisfied"
    theirs = AccessLog.objects.filter(user=dispatcher, object_type="ticket", object_id=str(duplicate.pk))
    assert list(theirs.values_list("reason", flat=True)) == ["回访"]
    assert watch.errors == []
    assert watch.foreign == []
