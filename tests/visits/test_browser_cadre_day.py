"""A cadre's day on the phone page through the pages only (issue 13): adding a household found on the spot waits for
a location (refused without one, saved with the phone's fix), a visit to it online whose result names the ticket it
raised, one in a dead spot that lands exactly once when the network returns, and the raised ticket's progress opened
from the phone. Drives Debian's Chromium through Playwright at 360 px; nothing leaves 127.0.0.1."""

from __future__ import annotations

import pytest

from campaign.models import Household
from issues.models import Ticket
from tests.browser import LAUNCH_ARGS, PHONE_AT, SHOTS, Watch, base_url, login, phone_context
from visits.models import Visit

pytestmark = pytest.mark.browser

ADDRESS = "丈八街道锦业路99号5单元"


def _add_household_waiting_for_a_fix(page, context, expect) -> None:
    """No location yet (permission not given): the form refuses and says why; with the fix it saves the point."""
    page.click(".m-tabs .tab[data-tab=household]")
    expect(page.locator("#hh-geo-text")).to_contain_text("未取得定位")
    page.fill("#hh-address", ADDRESS)
    page.fill("#hh-name", "李建国")
    page.fill("#hh-members", "3")
    page.click("#household-form button[type=submit]")
    expect(page.locator("#household-error")).to_contain_text("尚未取得位置")
    assert Household.objects.count() == 0  # never saved silently without a location

    context.grant_permissions(["geolocation"])
    page.click("#hh-geo-refresh")
    expect(page.locator("#hh-geo-text")).to_contain_text("已定位，精度约 12 米")
    page.click("#household-form button[type=submit]")
    expect(page.locator("#household-result")).to_contain_text("已添加住户")


def _log_visit(page, *, note: str, issue: str | None = None) -> None:
    page.click(".m-tabs .tab[data-tab=visit]")
    page.wait_for_selector("#geo-text:has-text('精度约 12 米')")
    page.locator("#target-list li", has_text=ADDRESS).first.click()
    page.locator("#checklist textarea").first.fill("三口之家")
    page.fill("#notes", note)
    if issue is not None:
        page.click("#add-issue")
        page.select_option("#issues .issue-category", "环境卫生")
        page.fill("#issues .issue-description", issue)
        # the resident's words suggest categories (issue 15): a tap takes the best one
        chip = page.locator("#issues .issue-suggest .chip").first
        chip.wait_for()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "cadre-intake-suggest.png"), full_page=False, scale="css")
        suggested = chip.get_attribute("data-category")
        chip.click()
        assert page.eval_on_selector("#issues .issue-category", "s => s.value") == suggested
    page.click("#visit-submit")


def _visit_offline_then_online(page, context, expect) -> str:
    """In a dead spot the visit waits on the phone; back online it is sent by itself. Returns its id."""
    context.set_offline(True)
    page.wait_for_selector("#net-state.off")
    _log_visit(page, note="离线走访")
    page.wait_for_selector("#visit-result.pending")
    expect(page.locator("#outbox-count")).to_contain_text("1 条待发送")
    (waiting,) = page.evaluate("ZOutbox.all().then(rs => rs.map(r => r.id))")
    assert Visit.objects.filter(pk=waiting).count() == 0
    context.set_offline(False)
    expect(page.locator("#outbox-count")).to_have_text("")
    return waiting


@pytest.mark.django_db(transaction=True)
def test_cadre_adds_a_household_with_its_location_visits_online_and_offline_and_follows_the_ticket(
    chromium_path, live_server, cadre, org, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # ORM calls beside Playwright's sync API
    base, watch = base_url(live_server), Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser)
        context.clear_permissions()  # the location is not shared yet
        page = watch.page(watch.context(context).new_page())
        login(page, base, cadre.username, "/m/")
        page.wait_for_selector("#m-app[data-ready='1']")
        assert page.locator(".m-tabs .tab").all_inner_texts() == ["今日", "记录走访", "我的诉求", "新增住户"]

        # given a household found on the spot, added once the phone has its location
        _add_household_waiting_for_a_fix(page, context, expect)
        home = Household.objects.get()
        assert (home.lat, home.lng, home.confirmed) == (PHONE_AT["latitude"], PHONE_AT["longitude"], False)

        # when the cadre visits it online and raises an issue: the result names the new ticket's code
        _log_visit(page, note="在线走访", issue="楼道灯坏了，晚上看不清")
        page.wait_for_selector("#visit-result.sent")
        ticket = Ticket.objects.get()
        assert ticket.category == "住房物业"  # the suggested category the cadre tapped, not the one first chosen
        result = page.inner_text("#visit-result")
        assert "定位核验通过" in result and f"生成诉求工单：{ticket.code}" in result

        # and one more in a dead spot, which lands exactly once when the network returns
        offline_id = _visit_offline_then_online(page, context, expect)
        assert Visit.objects.filter(pk=offline_id).count() == 1 and Visit.objects.count() == 2

        # then today's list holds both, the first linking to its ticket
        page.click(".m-tabs .tab[data-tab=today]")
        expect(page.locator("#count-visits")).to_have_text("2")
        expect(page.locator("#today-list a.ticket-link")).to_have_text(ticket.code)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "cadre-phone.png"), full_page=True, scale="css")

        # and the raised ticket's progress opens from 我的诉求
        page.click(".m-tabs .tab[data-tab=tickets]")
        page.click(f"#ticket-list a:text('{ticket.code}')")
        page.wait_for_url(f"{base}/tickets/{ticket.pk}/")
        assert "办理过程" in page.inner_text("main") and "登记" in page.inner_text(".timeline")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        context.close()
        browser.close()

    assert Visit.objects.filter(household=home, geo_status="verified").count() == 2
    assert watch.errors == []
    assert watch.foreign == []


@pytest.mark.django_db(transaction=True)
def test_without_a_fix_the_cadre_taps_the_households_place_on_the_map(
    chromium_path, live_server, cadre, org, campaign_obj, monkeypatch
):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    base, watch = base_url(live_server), Watch()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = phone_context(browser)
        context.clear_permissions()  # no location at all on this phone
        page = watch.page(watch.context(context).new_page())
        login(page, base, cadre.username, "/m/")
        page.wait_for_selector("#m-app[data-ready='1']")

        # when the cadre, with no fix, taps the household's place on the map (centred on their grid) and saves
        page.click(".m-tabs .tab[data-tab=household]")
        expect(page.locator("#hh-geo-text")).to_contain_text("未取得定位")
        page.fill("#hh-address", ADDRESS)
        page.fill("#hh-name", "李建国")
        page.click("#hh-map")
        expect(page.locator("#hh-geo-text")).to_have_text("已在地图上选定位置")
        page.click("#household-form button[type=submit]")
        expect(page.locator("#household-result")).to_contain_text("已添加住户")
        context.close()
        browser.close()

    # then the household stands where they tapped: the middle of grid1
    home = Household.objects.get()
    assert home.lat == pytest.approx(34.19, abs=5e-4) and home.lng == pytest.approx(108.88, abs=5e-4)
    assert watch.errors == []
    assert watch.foreign == []
