"""Messages and tasks to cadres in a real browser (issue 16 item 7): a leader sends a task from /tickets/messages/; the
cadre reads it on /m/ and taps 已读 and 已完成 in a dead spot — the page keeps both and sends them when the network
returns; the leader's page then shows the task read and done. Debian's Chromium through Playwright; nothing leaves
127.0.0.1."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from campaign.days import today
from issues.models import CadreMessage, MessageReceipt
from tests.browser import LAUNCH_ARGS, SHOTS, TIMEOUT_MS, Watch, base_url, login, phone_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TASK = "今天下午走访辖区独居老人，检查燃气和取暖安全"


def _wait_for(condition, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_task_is_sent_read_and_done_through_a_dead_spot(org, leader, cadre, chromium_path, live_server, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # ORM calls beside Playwright's sync API

    base, watch = base_url(live_server), Watch()
    due = (today() + dt.timedelta(days=1)).isoformat()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        desk.set_default_timeout(TIMEOUT_MS)
        page = watch.page(watch.context(desk).new_page())
        # the leader sends a task to the district's cadres from the page
        login(page, base, "leader", "/tickets/messages/")
        page.select_option("#id_unit", str(org.district.pk))
        page.select_option("#id_kind", "task")
        page.fill("#id_text", TASK)
        page.fill("#id_due_date", due)
        page.click("#message-form button[type=submit]")
        expect(page.locator("#sent-messages")).to_contain_text(TASK[:10])
        message = CadreMessage.objects.get(text=TASK)
        assert _wait_for(lambda: MessageReceipt.objects.filter(message=message, user=cadre).exists())
        # the cadre opens the phone page and sees it, unread
        phone = phone_context(browser)
        mobile = watch.page(watch.context(phone).new_page())
        login(mobile, base, "cadre", "/m/")
        row = mobile.locator(f'#message-list li.message-row[data-id="{message.pk}"]')
        expect(row).to_contain_text(TASK[:10])
        expect(row).to_have_class("message-row unread")
        # … in a dead spot: 已读 and 已完成 are kept on the phone
        phone.set_offline(True)
        row.locator("button.message-ack[data-done='1']").click()
        expect(row.locator(".message-state")).to_contain_text("已记下，联网后发送")
        receipt = MessageReceipt.objects.get(message=message, user=cadre)
        assert receipt.read_at is None and receipt.done_at is None
        mobile.screenshot(path=str(SHOTS / "cadre-task-offline.png"), full_page=True)
        # … and sent when the network returns
        phone.set_offline(False)
        mobile.evaluate("window.dispatchEvent(new Event('online'))")
        assert _wait_for(lambda: MessageReceipt.objects.filter(pk=receipt.pk, done_at__isnull=False).exists())
        expect(row.locator(".message-state")).not_to_contain_text("已记下")
        # the leader's page shows the task read and done by its recipients
        page.reload()
        sent = page.locator(f'#sent-messages tr.message-row[data-id="{message.pk}"]')
        recipients = MessageReceipt.objects.filter(message=message).count()
        expect(sent).to_contain_text(f"1/{recipients}")
        browser.close()
    assert watch.errors == [] and watch.foreign == []
