"""Asia/Shanghai days (STYLE 10): the one home of "which day is this moment" and "when does this day start and end".

Every figure, period, SLA deadline and filter counts days in the campaign's zone (settings.TIME_ZONE), never UTC.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai day a moment falls on."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def today() -> dt.date:
    return local_day(timezone.now())


def day_start(day: dt.date) -> dt.datetime:
    """00:00 of an Asia/Shanghai day, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of an Asia/Shanghai day as aware datetimes: `moment >= start AND moment < end`."""
    return day_start(day), day_start(day + dt.timedelta(days=1))


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59.999999 of an Asia/Shanghai day, as an aware datetime (a deadline "by the end of that day")."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max), timezone.get_default_timezone())
