"""The official working-day calendar ships with the app: a fresh `migrate` (the test database is built by the
migrations) holds every year chinese-calendar knows, deadlines use it, and a year it does not know counts weekends
only and is reported by `manage.py check`."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.core.management import CommandError, call_command

from campaign.checks import calendar_check
from campaign.holidays import calendar_load, package_days, package_years, parse_arrangement, unknown_years, year_replace
from campaign.models import CalendarDay, CalendarYear
from issues.machine import ticket_apply
from issues.services import ticket_create
from issues.sla import due_at_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVE_OF_NATIONAL_DAY = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=SHANGHAI)


# --- what a fresh migrate holds ---------------------------------------------------------------------------------
def test_a_fresh_migrate_holds_every_year_the_package_knows(db):
    assert package_years()[0] == 2004 and package_years()[-1] >= 2026
    assert list(CalendarYear.objects.order_by("year").values_list("year", flat=True)) == package_years()
    assert set(CalendarYear.objects.values_list("source", flat=True)) == {CalendarYear.Source.PACKAGE}


def test_national_day_2026_is_the_official_one(db):
    holidays = CalendarDay.objects.filter(kind=CalendarDay.Kind.HOLIDAY, name="国庆节", date__year=2026)
    assert [d.isoformat() for d in holidays.values_list("date", flat=True)] == [f"2026-10-0{i}" for i in range(1, 8)]
    workdays = CalendarDay.objects.filter(kind=CalendarDay.Kind.WORKDAY, name="国庆节调休")
    assert [d.isoformat() for d in workdays.filter(date__year=2026).values_list("date", flat=True)] == [
        "2026-09-20",  # a Sunday
        "2026-10-10",  # a Saturday
    ]
    assert CalendarDay.objects.get(date="2026-09-25").name == "中秋节"


def test_every_day_of_2025_and_2026_agrees_with_the_package(db):
    day = dt.date(2025, 1, 1)
    exceptions = dict(CalendarDay.objects.filter(date__year__in=[2025, 2026]).values_list("date", "kind"))
    while day.year < 2027:
        kind = exceptions.get(day)
        ours = kind == CalendarDay.Kind.WORKDAY or (kind is None and day.weekday() < 5)
        assert ours == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


# --- deadlines --------------------------------------------------------------------------------------------------
def test_door_to_door_dispatched_on_the_eve_of_national_day_is_due_after_five_official_working_days(
    campaign_obj, cadre, dispatcher, org
):
    # given a campaign counting working days, and a ticket raised on 2026-09-30
    campaign_obj.working_days = True
    campaign_obj.save()
    with time_machine.travel(EVE_OF_NATIONAL_DAY, tick=False):
        ticket = ticket_create(
            actor=cadre, source="self_found", kind="complaint", category="城市管理",
            description="小区门口占道经营，影响通行", lat=34.19, lng=108.88,
        )  # fmt: skip
        # when the dispatcher dispatches it door-to-door (5 working days) at 10:00
        ticket = ticket_apply(
            ticket_id=ticket.pk, action="dispatch", actor=dispatcher, version=ticket.version,
            data={"mode": "door_to_door", "problem": "占道经营", "lead_unit": org.dept1.pk,
                  "responsible_person": "王科长", "measures": "劝离", "expected_effect": "恢复通行"},
        )  # fmt: skip
    # then 10-01..10-07 are off, Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13: due at the end of Tuesday 13 October
    assert ticket.campaign == campaign_obj
    assert ticket.due_at == end_of("2026-10-13")
    assert ticket.due_at.date() == chinese_calendar.find_workday(5, dt.date(2026, 9, 30))


def test_calendar_days_ignore_the_holidays(campaign_obj):
    assert due_at_for(mode="door_to_door", start=EVE_OF_NATIONAL_DAY, campaign=campaign_obj) == end_of("2026-10-05")


def test_a_year_the_package_does_not_know_counts_weekends_only_until_an_admin_adds_it(campaign_obj):
    # given 2027 is unknown, a 5-working-day deadline from Wednesday 2026-12-30 counts New Year's Day as working
    campaign_obj.working_days = True
    start = dt.datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert due_at_for(mode="door_to_door", start=start, campaign=campaign_obj) == end_of("2027-01-06")
    # when the arrangement is entered, 元旦 is off
    year_replace(year=2027, days=parse_arrangement(2027, "元旦 01-01"), source=CalendarYear.Source.ADMIN)
    assert due_at_for(mode="door_to_door", start=start, campaign=campaign_obj) == end_of("2027-01-07")


# --- which years are missing, and the check that says so ---------------------------------------------------------
@pytest.mark.parametrize(
    ("today", "missing"),
    [("2026-06-01", []), ("2026-11-01", []), ("2026-11-02", [2027]), ("2026-12-02", [2027]), ("2027-03-01", [2027])],
)
def test_the_next_year_is_needed_from_november(db, today, missing):
    assert unknown_years(dt.date.fromisoformat(today)) == missing


def test_manage_py_check_names_the_unknown_year_as_info(db):
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)):
        out, err = io.StringIO(), io.StringIO()
        call_command("check", stdout=out, stderr=err)
        messages = calendar_check()
    text = out.getvalue() + err.getvalue()
    assert "(zoufang.I001) 2027 年的法定节假日和调休尚未录入" in text and "INFOS" in text
    assert [(m.id, m.level) for m in messages] == [("zoufang.I001", 20)]


def test_the_check_is_silent_when_the_needed_years_are_known(db):
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)):
        assert calendar_check() == []


def test_the_check_asks_to_load_years_the_package_has_and_the_database_lacks(db):
    CalendarYear.objects.filter(year=2010).delete()
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)):
        (message,) = calendar_check()
    assert message.id == "zoufang.I002" and "2010" in message.msg


# --- calendar_load after a package upgrade ------------------------------------------------------------------------
def test_calendar_load_adds_missing_years_and_keeps_the_admins_corrections(db):
    # given an admin's correction in 2026, and 2010 missing (as after an upgrade that added a year)
    CalendarDay.objects.filter(date="2026-10-07").update(name="国庆节（本地）")
    CalendarYear.objects.filter(year=2010).delete()
    CalendarDay.objects.filter(date__year=2010).delete()
    out = io.StringIO()
    call_command("calendar_load", stdout=out)
    assert "2010 年：" in out.getvalue() and "2026 年：" not in out.getvalue()
    assert CalendarDay.objects.filter(date__year=2010).count() == len(package_days(2010)) > 0
    assert CalendarDay.objects.get(date="2026-10-07").name == "国庆节（本地）"
    # when 2026 is reloaded explicitly, the package's rows replace the year's
    CalendarDay.objects.create(date="2026-12-31", kind=CalendarDay.Kind.HOLIDAY, name="多余")
    call_command("calendar_load", year=[2026], stdout=io.StringIO())
    assert CalendarDay.objects.get(date="2026-10-07").name == "国庆节"
    assert not CalendarDay.objects.filter(date="2026-12-31").exists()
    assert calendar_load() == {}


def test_calendar_load_refuses_a_year_the_package_lacks(db):
    with pytest.raises(CommandError, match="2027"):
        call_command("calendar_load", year=[2027], stdout=io.StringIO())
    assert not CalendarYear.objects.filter(year=2027).exists()


# --- the arrangement an admin types ------------------------------------------------------------------------------
def test_an_arrangement_is_read_line_by_line():
    days = parse_arrangement(2027, "元旦 01-01\n\n国庆节 10-01~10-07，上班 2027-09-26、10月9日")
    assert [(d.date.isoformat(), d.kind, d.name) for d in days][:2] == [
        ("2027-01-01", "holiday", "元旦"),
        ("2027-09-26", "workday", "国庆节调休"),
    ]
    assert len(days) == 10


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("10-01~10-07", "第 1 行：每行先写节日名称"),
        ("国庆节 10-07~10-01", "放假日期 10-07~10-01 不对"),
        ("国庆节 10-01 上班 10-08", "10-08 不是周六或周日"),
        ("元旦 2028-01-01", "不在 2027 年"),
        ("元旦 02-30", "没有 02-30 这一天"),
        ("元旦 01-01\n新年 01-01", "第 2 行：2027-01-01 出现了两次"),
        ("国庆节 上班 09-26", "国庆节 没有放假日期"),
    ],
)
def test_a_wrong_arrangement_names_its_line(text, error):
    with pytest.raises(ValueError, match=error):
        parse_arrangement(2027, text)
