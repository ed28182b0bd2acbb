"""The inbox in a real browser (SPEC §8): a dispatcher dispatches a reported ticket from its page, the handler of
the lead unit accepts and resolves it. Drives Debian's Chromium through Playwright; nothing leaves 127.0.0.1."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from issues.machine import ticket_apply
from issues.models import Notification, Ticket, TicketEvent
from tests.browser import LAUNCH_ARGS, SHOTS, TIMEOUT_MS, Watch, base_url, dispatch_form_submit, login

pytestmark = pytest.mark.browser


def _logout(page) -> None:
    page.click("header form.inline button.link >> text=退出")
    page.wait_for_load_state()


def _more_tickets(tickets, dispatcher, org) -> None:
    """A few neighbours in other states so the inbox screenshot shows cards, overdue days and counters."""
    overdue = tickets.at("accepted", mode="door_to_door")
    Ticket.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - dt.timedelta(days=2))
    red = tickets.at("dispatched", mode="coordinated", co_units=[org.dept2.pk])
    ticket_apply(ticket_id=red.pk, action="supervise", actor=dispatcher, version=None, data={"level": 2})
    yellow = tickets.at("in_progress", mode="public")
    ticket_apply(ticket_id=yellow.pk, action="supervise", actor=dispatcher, version=None, data={"level": 1})
    tickets.at("closed")


def _dispatch(page, base, ticket, org) -> None:
    """The dispatcher opens the reported ticket and fills the dispatch form (立即办, lead unit 城管局)."""
    page.click(f"a:text('{ticket.code}')")
    page.wait_for_url(f"{base}/tickets/{ticket.pk}/")
    page.wait_for_selector("#ticket-map.leaflet-container[data-ready='1']")  # the point is drawn on the map
    dispatch_form_submit(
        page,
        mode="immediate",
        lead_unit_id=org.dept1.pk,
        problem="占道经营影响通行",
        measures="劝离摊贩，设置隔离桩",
        effect="恢复道路通行",
    )


def _accept_and_resolve(page) -> None:
    """The handler of the lead unit accepts the ticket, then resolves it with a result."""
    assert page.locator("#act-dispatch").count() == 0
    page.click("#act-accept button[type=submit]")
    page.wait_for_selector(".flash li")
    assert "已签收" in page.inner_text(".ticket-head")
    page.click("details[data-action=resolve] > summary")
    page.fill("#id_resolve_result", "已劝离摊贩并设置隔离桩，道路恢复通行")
    page.click("#act-resolve button[type=submit]")
    page.wait_for_selector(".flash li")
    assert "已办结" in page.inner_text(".ticket-head")


def _phone_width(browser, watch, base, dispatcher, ticket) -> None:
    """At a phone's width the inbox turns into cards, nothing wider than the screen."""
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True)
    mobile = watch.page(watch.context(phone).new_page())
    login(mobile, base, dispatcher.username, "/tickets/")
    assert mobile.locator("table.inbox thead").is_hidden()
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
    mobile.goto(f"{base}/tickets/{ticket.pk}/")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
    phone.close()


def _drive(chromium_path, base, watch, ticket, dispatcher, handler, org) -> str:
    """The whole journey through the pages; returns the handler's notification badge as they saw it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(watch.context(context).new_page())

        # given the dispatcher, logged in through the login page, in the inbox
        login(page, base, dispatcher.username, "/tickets/")
        assert page.locator("table.inbox").is_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "inbox.png"), full_page=True)

        # when they dispatch the reported ticket from its page, the page says so and shows the new state
        _dispatch(page, base, ticket, org)
        page.wait_for_selector(".flash li")
        assert "“派单”已完成。" in page.inner_text(".flash")
        assert "待签收" in page.inner_text(".ticket-head")
        _logout(page)

        # when the handler of 城管局 logs in: the badge counts the new dispatch; they open the ticket (which reads
        # its notification), accept and resolve it
        login(page, base, handler.username, "/tickets/")
        badge = page.inner_text("header .notify-count")  # checked against the database by the caller
        page.goto(f"{base}/tickets/{ticket.pk}/")
        _accept_and_resolve(page)
        page.wait_for_selector("#ticket-map[data-ready='1']")
        page.screenshot(path=str(SHOTS / "ticket.png"), full_page=True)

        _phone_width(browser, watch, base, dispatcher, ticket)
        context.close()
        browser.close()
    return badge


@pytest.mark.django_db(transaction=True)
def test_dispatcher_dispatches_and_handler_accepts_and_resolves(
    chromium_path, live_server, tickets, dispatcher, handler, org
):
    ticket = tickets.reported(
        description="锦业路与丈八四路交叉口占道经营，早晚高峰影响通行", requester_phone="13812345678"
    )
    _more_tickets(tickets, dispatcher, org)
    watch = Watch()

    badge = _drive(chromium_path, base_url(live_server), watch, ticket, dispatcher, handler, org)

    # then the ticket is resolved, with one event per step
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.mode == "immediate" and ticket.lead_unit_id == org.dept1.pk
    assert ticket.result == "已劝离摊贩并设置隔离桩，道路恢复通行"
    actions = list(TicketEvent.objects.filter(ticket=ticket).order_by("at", "id").values_list("action", "actor_id"))
    assert actions == [
        ("report", tickets.cadre.pk),
        ("dispatch", dispatcher.pk),
        ("accept", handler.pk),
        ("resolve", handler.pk),
    ]
    # the handler was notified of the dispatch, and the badge counted their unread notifications then
    notified = Notification.objects.filter(user=handler, ticket=ticket, kind="dispatched")
    assert notified.count() == 1
    assert badge == str(Notification.objects.filter(user=handler, created_at__lte=notified.get().created_at).count())
    assert notified.get().read_at is not None  # opening the ticket read it
    # base.html names no icon, so the login page's automatic /favicon.ico request answers 404 (not our pages').
    assert watch.errors == []
    assert watch.foreign == []
