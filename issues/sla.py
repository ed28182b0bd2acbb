"""SLA math in one function (STYLE 10): when is a ticket of a mode due, dispatched at `start`?

N days from `start` end at the end (23:59:59.999999) of the N-th Asia/Shanghai day after the start's day:
a ticket dispatched on Tuesday 10:00 with a 1-day SLA is due Wednesday 23:59:59.999999.
With the campaign's `working_days`, only working days count: Monday–Friday, minus official holidays, plus
make-up working days (调休), both read from campaign.models.CalendarDay. The official arrangement of every year the
pinned chinese-calendar knows is loaded by a migration (campaign/holidays.py); in a year not known yet (no
CalendarYear row) only weekends are skipped, and `manage.py check` (zoufang.I001), /admin/ and the dashboard say so.
"""

from __future__ import annotations

import datetime as dt

from campaign.days import end_of_day, local_day
from campaign.models import CalendarDay, Campaign

DEFAULT_SLA_DAYS = {
    "immediate": 1,
    "proactive": 30,
    "door_to_door": 5,
    "public": 15,
    "coordinated": 10,
    # tracking: the dispatcher sets due_at (≤ 180 days); this default only serves reopening without a due_at.
    "tracking": 30,
}
TRACKING_MAX_DAYS = 180


def sla_days(*, mode: str, campaign: Campaign | None) -> int:
    overrides = (campaign.sla_overrides if campaign else None) or {}
    days = overrides.get(mode, DEFAULT_SLA_DAYS.get(mode, 1))
    try:
        return max(1, int(days))
    except (TypeError, ValueError):
        return DEFAULT_SLA_DAYS.get(mode, 1)


def _nth_working_day_after(day: dt.date, n: int) -> dt.date:
    # One query for the calendar exceptions of a window wide enough for n working days (holidays are at most
    # a couple of weeks a year): 2n + 30 calendar days.
    horizon = day + dt.timedelta(days=2 * n + 30)
    exceptions = dict(CalendarDay.objects.filter(date__gt=day, date__lte=horizon).values_list("date", "kind"))
    current, counted = day, 0
    while counted < n:
        current += dt.timedelta(days=1)
        kind = exceptions.get(current)
        working = kind == CalendarDay.Kind.WORKDAY or (kind != CalendarDay.Kind.HOLIDAY and current.weekday() < 5)
        if working:
            counted += 1
        if current > horizon:  # an implausibly long holiday table: fall back to plain weekdays beyond it
            exceptions = {}
    return current


def due_at_for(*, mode: str, start: dt.datetime, campaign: Campaign | None, days: int | None = None) -> dt.datetime:
    """The due moment of a `mode` ticket whose clock starts at `start` (dispatch, or reopening)."""
    n = days if days is not None else sla_days(mode=mode, campaign=campaign)
    first = local_day(start)
    if campaign is not None and campaign.working_days:
        last = _nth_working_day_after(first, n)
    else:
        last = first + dt.timedelta(days=n)
    return end_of_day(last)


def tracking_limit(start: dt.datetime) -> dt.datetime:
    """The latest due_at a dispatcher may set on a tracking ticket."""
    return end_of_day(local_day(start) + dt.timedelta(days=TRACKING_MAX_DAYS))
