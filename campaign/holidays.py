"""The official working-day calendar: China's holidays and make-up working days (调休), year by year.

The arrangement of every year the State Council has published ships with the app through the pinned PyPI package
`chinese-calendar` (its `holidays` and `workdays` tables). A year is loaded into CalendarDay whole and marked in
CalendarYear; issues.sla reads only CalendarDay. Who uses this: the data migration 0009_calendar_official (a fresh
`migrate`), `manage.py calendar_load` (after upgrading the package), the seed (after `seed_demo --reset` flushed
the tables), the CalendarYear admin form, the check zoufang.I001 and the notices on /admin/ and the dashboard.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from django.db import transaction

from campaign.days import today
from campaign.models import CalendarDay, CalendarYear

HOLIDAY, WORKDAY = "holiday", "workday"  # CalendarDay.Kind's values (the migration passes historical models)

# The package's short names, as the State Council's notices write them.
NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}

# How far ahead a deadline computed today can land: the longest default SLA counted in working days (proactive,
# 30 working days ≈ 6 weeks, 7 with a week-long holiday) plus room for campaigns that raise it. From 2 November
# the next year's deadlines can be reached, so its arrangement is needed from then on.
REACH = dt.timedelta(days=60)


@dataclass(frozen=True)
class OfficialDay:
    date: dt.date
    kind: str  # HOLIDAY | WORKDAY
    name: str


def package_years() -> list[int]:
    """Every year the installed chinese-calendar knows (it refuses dates outside this range)."""
    years = [day.year for day in chinese_calendar.holidays]
    return list(range(min(years), max(years) + 1))


def package_days(year: int) -> list[OfficialDay]:
    """The package's arrangement of `year`: every day off of a holiday (weekends inside it included) and every
    make-up working day, named after its holiday (国庆节, 国庆节调休)."""
    chinese = {holiday.value: NAMES.get(holiday.chinese, holiday.chinese) for holiday in chinese_calendar.Holiday}
    days = [OfficialDay(d, HOLIDAY, chinese[v]) for d, v in chinese_calendar.holidays.items() if d.year == year]
    days += [
        OfficialDay(d, WORKDAY, f"{chinese[v]}调休") for d, v in chinese_calendar.workdays.items() if d.year == year
    ]
    return sorted(days, key=lambda day: day.date)


def year_replace(*, year: int, days: Iterable[OfficialDay], source: str, models: tuple[Any, Any] | None = None) -> int:
    """Make `year`'s rows exactly `days` and mark the year known, in one transaction; returns the number of rows.
    `models` = (CalendarDay, CalendarYear), historical ones in a migration."""
    day_model, year_model = models or (CalendarDay, CalendarYear)
    rows = [day_model(date=d.date, kind=d.kind, name=d.name) for d in days]
    with transaction.atomic():
        day_model.objects.filter(date__year=year).delete()
        day_model.objects.bulk_create(rows)
        year_model.objects.update_or_create(year=year, defaults={"source": source})
    return len(rows)


def calendar_load(*, years: Iterable[int] | None = None, models: tuple[Any, Any] | None = None) -> dict[int, int]:
    """Load years from the package; returns {year: rows written}.

    Without `years`: every year the package knows and the database does not (a fresh database, or a package
    upgrade that added a year) — a year already known is left as it is, so corrections made in the admin stay.
    With `years`: those years are reloaded from the package, replacing their rows (ValueError if it lacks one).
    """
    day_model, year_model = models or (CalendarDay, CalendarYear)
    known_by_package = package_years()
    if years is None:
        known = set(year_model.objects.values_list("year", flat=True))
        chosen = [year for year in known_by_package if year not in known]
    else:
        chosen = sorted(set(years))
        missing = [year for year in chosen if year not in known_by_package]
        if missing:
            raise ValueError(
                f"chinese-calendar {chinese_calendar.__version__} 没有 {'、'.join(map(str, missing))} 年的数据"
            )
    return {
        year: year_replace(year=year, days=package_days(year), source="package", models=(day_model, year_model))
        for year in chosen
    }


def years_needed(day: dt.date) -> list[int]:
    """The years whose arrangement deadlines computed on `day` may need: this year, and the next one within REACH."""
    return sorted({day.year, (day + REACH).year})


def unknown_years(day: dt.date | None = None) -> list[int]:
    """The needed years (see years_needed) that are not known: their deadlines count weekends only. One query."""
    needed = years_needed(day or today())
    known = set(CalendarYear.objects.filter(year__in=needed).values_list("year", flat=True))
    return [year for year in needed if year not in known]


# --- The arrangement an admin types from the State Council's notice (the CalendarYear admin form) -----------------
ARRANGEMENT_HELP = (
    "每个节日一行：名称、放假日期（单日或“起~止”），再写“上班”和调休上班的日期。日期写 10-01 或 2027-10-01。例如：\n"
    "元旦 01-01\n春节 02-06~02-14 上班 01-31 02-20\n国庆节 10-01~10-07 上班 09-26 10-09"
)
_SPLIT = re.compile(r"[\s,，、;；]+")
_RANGE = re.compile(r"[~～至到]")
_DATE = re.compile(r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?$")
_WORK_WORDS = {"上班", "调休", "调休上班"}


def parse_arrangement(year: int, text: str) -> list[OfficialDay]:
    """The days of `text` (ARRANGEMENT_HELP's format) in `year`; ValueError naming the line of the first mistake."""
    days: dict[dt.date, OfficialDay] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = [token for token in _SPLIT.split(line.strip()) if token]
        if not tokens:
            continue
        try:
            for day in _line_days(year, tokens):
                if day.date in days:
                    raise ValueError(f"{day.date} 出现了两次")
                days[day.date] = day
        except ValueError as error:
            raise ValueError(f"第 {number} 行：{error}") from error
    return sorted(days.values(), key=lambda day: day.date)


def _line_days(year: int, tokens: list[str]) -> list[OfficialDay]:
    name, rest = tokens[0], tokens[1:]
    if _DATE.match(name) or _RANGE.search(name) or len(name) > 28:
        raise ValueError("每行先写节日名称（不超过 28 个字）")
    days: list[OfficialDay] = []
    working = False
    for token in rest:
        if token in _WORK_WORDS:
            working = True
        elif working:
            day = _date(year, token)
            if day.weekday() < 5:
                raise ValueError(f"调休上班日 {day} 不是周六或周日")
            days.append(OfficialDay(day, WORKDAY, f"{name}调休"))
        else:
            first, _, last = _RANGE.sub("~", token).partition("~")
            start, end = _date(year, first), _date(year, last or first)
            if end < start or (end - start).days > 15:
                raise ValueError(f"放假日期 {token} 不对")
            days += [OfficialDay(start + dt.timedelta(days=i), HOLIDAY, name) for i in range((end - start).days + 1)]
    if not any(day.kind == HOLIDAY for day in days):
        raise ValueError(f"{name} 没有放假日期")
    return days


def _date(year: int, token: str) -> dt.date:
    match = _DATE.match(token)
    if not match:
        raise ValueError(f"看不懂日期 {token}")
    given_year, month, day = match.groups()
    try:
        value = dt.date(int(given_year or year), int(month), int(day))
    except ValueError:
        raise ValueError(f"没有 {token} 这一天") from None
    if value.year != year:
        raise ValueError(f"{token} 不在 {year} 年")
    return value
