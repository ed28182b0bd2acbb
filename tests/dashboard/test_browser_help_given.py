"""帮扶成效 (issue 16 item 8) in a real browser: a handler records the help a resolution brought on the ticket page,
the ticket page shows it, and the leader's dashboard shows the card of the demo district's sums — also at a phone's
width. Debian's Chromium through Playwright; nothing leaves 127.0.0.1; saves the screenshots."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from tests.browser import LAUNCH_ARGS, SHOTS, Watch, base_url, login

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000


def _workable_ticket(username: str):
    """A ticket the demo handler may resolve now, in a mode with no proof to bring (立即办, 主动办, 跟踪办)."""
    from campaign.models import User
    from issues.models import Ticket

    handler = User.objects.get(username=username)
    return (
        Ticket.objects.filter(lead_unit=handler.unit, status__in=["accepted", "in_progress"])
        .filter(mode__in=["immediate", "proactive", "tracking"])
        .order_by("pk")
        .first()
    )


@pytest.mark.django_db(transaction=True)
def test_a_handler_records_help_and_the_leader_sees_the_sums(chromium_path, live_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    from issues.models import TicketHelp

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    call_command("seed_demo", size="small", verbosity=0)
    ticket = _workable_ticket("handler2")  # 人社局: jobs found
    assert ticket is not None
    base = base_url(live_server)
    watch = Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")  # fmt: skip
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(watch.context(context).new_page())

        # given the handler of 人社局 on a ticket of theirs
        login(page, base, "handler2", f"/tickets/{ticket.pk}/", password="zoufang-demo")
        # when they resolve it, recording two people employed and 1.5 万元
        page.click("details[data-action=resolve] > summary")
        page.fill("#id_resolve_result", "已推荐两人上岗，申请稳岗补贴")
        page.fill("#id_resolve_help_employed", "2")
        page.fill("#id_resolve_help_money", "1.5")
        page.click("#act-resolve button[type=submit]")
        page.wait_for_selector("#help-figures")
        # then the ticket page shows the amounts, and they are stored once
        assert page.locator('#help-figures [data-help="employed"]').inner_text() == "2 人"
        assert page.locator('#help-figures [data-help="money"]').inner_text() == "1.5 万元"
        assert dict(TicketHelp.objects.filter(ticket=ticket).values_list("key", "amount")) == {
            "employed": Decimal("2.00"), "money": Decimal("1.50"),
        }  # fmt: skip
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".ticket-content").screenshot(path=str(SHOTS / "ticket-help-given.png"))

        # and the district leader's dashboard shows the card with the sums of the demo's resolutions
        leader = watch.context(browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN"))
        leader.set_default_timeout(TIMEOUT_MS)
        board = watch.page(leader.new_page())
        login(board, base, "leader", "/dashboard/?period=30d", password="zoufang-demo")
        card = board.locator("#help-given")
        assert card.is_visible()
        tiles = card.locator(".help-figure")
        assert tiles.count() == 3
        assert any(float(tiles.nth(i).get_attribute("data-value") or 0) > 0 for i in range(3))
        card.screenshot(path=str(SHOTS / "dashboard-help-given.png"))

        # at a phone's width the tiles wrap: nothing scrolls sideways
        phone = watch.context(browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN"))
        phone.add_cookies(leader.cookies())
        small = watch.page(phone.new_page())
        small.goto(f"{base}/dashboard/?period=30d")
        small.wait_for_selector("#help-given")
        assert small.evaluate("document.documentElement.scrollWidth") <= 360
        browser.close()

    assert watch.errors == []
    assert watch.foreign == []
