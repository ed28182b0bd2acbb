"""due_at for each mode: calendar days end at the end of an Asia/Shanghai day; working days skip holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from campaign.models import CalendarDay
from issues.sla import due_at_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Tuesday 2026-05-12 23:30 in Shanghai is still Tuesday there, though 15:30 UTC.
TUESDAY_NIGHT = dt.datetime(2026, 5, 12, 15, 30, tzinfo=dt.UTC)


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("mode", "due"),
    [
        ("immediate", "2026-05-13"),
        ("door_to_door", "2026-05-17"),
        ("coordinated", "2026-05-22"),
        ("public", "2026-05-27"),
        ("proactive", "2026-06-11"),
    ],
)
def test_default_sla_of_each_mode_ends_at_the_end_of_a_shanghai_day(db, mode, due):
    assert due_at_for(mode=mode, start=TUESDAY_NIGHT, campaign=None) == end_of(due)


def test_shanghai_day_not_utc_day_counts(db):
    # 2026-05-12 16:30 UTC is already Wednesday 00:30 in Shanghai
    start = dt.datetime(2026, 5, 12, 16, 30, tzinfo=dt.UTC)
    assert due_at_for(mode="immediate", start=start, campaign=None) == end_of("2026-05-14")


def test_campaign_override_replaces_the_default_days(campaign_obj):
    campaign_obj.sla_overrides = {"door_to_door": 3}
    assert due_at_for(mode="door_to_door", start=TUESDAY_NIGHT, campaign=campaign_obj) == end_of("2026-05-15")


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days(campaign_obj):
    # given working days, a holiday on Friday 2026-05-15 and a make-up working day on Sunday 2026-05-17
    campaign_obj.working_days = True
    CalendarDay.objects.create(date=dt.date(2026, 5, 15), kind=CalendarDay.Kind.HOLIDAY, name="假日")
    CalendarDay.objects.create(date=dt.date(2026, 5, 17), kind=CalendarDay.Kind.WORKDAY, name="调休")
    # when a door-to-door ticket (5 days) is dispatched on Tuesday
    due = due_at_for(mode="door_to_door", start=TUESDAY_NIGHT, campaign=campaign_obj)
    # then Wed 13, Thu 14, (Fri 15 holiday, Sat 16), Sun 17 make-up, Mon 18, Tue 19 → Tuesday 19 ends it
    assert due == end_of("2026-05-19")


def test_explicit_days_win(db):
    assert due_at_for(mode="tracking", start=TUESDAY_NIGHT, campaign=None, days=2) == end_of("2026-05-14")
