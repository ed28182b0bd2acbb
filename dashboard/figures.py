"""The one path of every statistic (SPEC §6): the functions behind stats/summary, stats/daily, the ranking and the
cache of the usual periods (dashboard.periods), so each figure is computed one way.

- Sums (visits, ticket counts, the rates' numerators and denominators) from the daily rollups: DailyRollup's rows
  as DayReach holds them per leaf unit and day (the same recompute writes both), or by lead unit from DailyRollup.
- Distinct figures (households / enterprises visited, people covered) and coverage's numerator from TargetSpan,
  testing each range's day bits (dashboard.daybits): plain counts over the rows of targets with one row, grouped by
  target over the few with several (SharedTarget: a household visited in two campaigns or two units counts once).
- Coverage's denominator (households registered), `overdue` (open tickets past due now) and `open_in_time` (open
  tickets of the period not past due now) are read live over the open tickets (the partial index
  ticket_open_due_idx holds open tickets only): they change with the clock, not with any row.
- The data's age: figures are complete up to the oldest pending recompute (DirtyDay.pending_since) of the subtree.

All of it reads rollups the recompute of a (day, leaf unit) writes in one transaction (dashboard.rollups); none of
it reads raw visits, or VisitTargetDay (the recompute's own source). Campaign id 0 = every campaign. The raw SQL reads
take campaign.replica.read_connection, so a block of replica reads (campaign.replica) reads them on the replica too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaign.days import day_bounds
from campaign.models import Household, OrgUnit
from campaign.replica import read_connection
from campaign.scope import in_subtree
from dashboard.daybits import TARGET_SQL, hit_sql
from dashboard.models import (
    SUMS,
    WHOLE_DAY,
    DailyRollup,
    DayReach,
    DirtyDay,
    HelpRollup,
    OverdueSnapshot,
    SharedTarget,
    TargetSpan,
)
from issues.help import number as amount_number
from issues.models import OPEN_STATUSES, Ticket
from issues.placement import placed_in

Range = tuple[dt.date, dt.date]
DISTINCT = ("households_visited", "enterprises_visited", "people_covered", "households_ever")
CATEGORY_SUMS = ("issues_collected", "suggestions", "router_suggested", "router_kept")
CENT = Decimal("0.01")
DAY_FIGURES = (*SUMS, "households", "enterprises", "people")  # a day's figures in stats/daily (DayReach's columns)


def range_figures(unit: OrgUnit | None, campaign_id: int, ranges: list[Range]) -> list[dict[str, Any]]:
    """Per range: its sums and its distinct figures, with `households_ever` (visited up to the range's last day:
    coverage's numerator), and `help` (help_sums). Three queries whatever the number of ranges."""
    sums = range_sums(unit, campaign_id, ranges)
    reach = span_figures(unit, campaign_id, ranges)
    helped = help_sums(unit, campaign_id, ranges)
    return [{**s, **r, "help": h} for s, r, h in zip(sums, reach, helped, strict=True)]


def _subtree_sql(unit: OrgUnit | None, column: str) -> tuple[str, list[Any]]:
    """A JOIN of OrgUnit `u` on `column` and the subtree condition (raw SQL: `u.path LIKE`), or nothing."""
    if unit is None:
        return "", []
    return f" JOIN {OrgUnit._meta.db_table} u ON u.id = {column}", [unit.path + "%"]


def range_sums(
    unit: OrgUnit | None, campaign_id: int, ranges: list[Range], *, field: str = "unit_id"
) -> list[dict[str, int]]:
    """The sums of each range over the subtree's rows: of the matter's unit from DayReach (DailyRollup's sums per
    leaf unit and day, campaign 0 = all rows: ~30× fewer rows to add up at city scale), or — departments' ranking,
    `field` "lead_unit_id" — of the ticket's lead unit from DailyRollup. One scan of the days of all the ranges."""
    columns = ", ".join(
        f"SUM(CASE WHEN r.day >= %s AND r.day <= %s THEN r.{name} ELSE 0 END)" for _ in ranges for name in SUMS
    )
    params: list[Any] = [d.isoformat() for date_from, date_to in ranges for _ in SUMS for d in (date_from, date_to)]
    table = (DayReach if field == "unit_id" else DailyRollup)._meta.db_table
    join, join_params = _subtree_sql(unit, f"r.{field}")
    where = ["r.day >= %s", "r.day <= %s", "u.path LIKE %s" if join else f"r.{field} IS NOT NULL"]
    params += [min(r[0] for r in ranges).isoformat(), max(r[1] for r in ranges).isoformat(), *join_params]
    if field == "unit_id":
        where.append("r.campaign_id = %s")
        params.append(campaign_id)
    elif campaign_id:
        where.append("r.campaign_id = %s")
        params.append(campaign_id)
    sql = f"SELECT {columns} FROM {table} r{join} WHERE {' AND '.join(where)}"  # noqa: S608  (names are ours)
    with read_connection(DailyRollup).cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    width = len(SUMS)
    return [{name: int(row[i * width + j] or 0) for j, name in enumerate(SUMS)} for i in range(len(ranges))]


def help_sums(unit: OrgUnit | None, campaign_id: int, ranges: list[Range]) -> list[dict[str, int | float]]:
    """Per range: {count key: amount} of 帮扶成效 (issue 16 item 8) recorded by the resolutions of the tickets of the
    range (now resolved or closed), over the subtree's HelpRollup rows (campaign 0: every campaign); a key no ticket of
    the range recorded is absent. One GROUP BY over the days of all the ranges."""
    columns: list[str] = []
    params: list[Any] = []
    for date_from, date_to in ranges:
        within = "h.day >= %s AND h.day <= %s"
        columns += [f"SUM(CASE WHEN {within} THEN h.amount ELSE 0 END)", f"SUM(CASE WHEN {within} THEN h.tickets END)"]
        params += [date_from.isoformat(), date_to.isoformat()] * 2
    join, join_params = _subtree_sql(unit, "h.unit_id")
    where = ["h.day >= %s", "h.day <= %s", *(["u.path LIKE %s"] if join else [])]
    params += [min(r[0] for r in ranges).isoformat(), max(r[1] for r in ranges).isoformat(), *join_params]
    if campaign_id:
        where.append("h.campaign_id = %s")
        params.append(campaign_id)
    sql = (  # table and column names are ours; every value is a parameter
        f'SELECT h."key", {", ".join(columns)} FROM {HelpRollup._meta.db_table} h{join} '  # noqa: S608
        f'WHERE {" AND ".join(where)} GROUP BY h."key" ORDER BY h."key"'
    )
    found: list[dict[str, int | float]] = [{} for _ in ranges]
    with read_connection(HelpRollup).cursor() as cursor:
        cursor.execute(sql, params)
        for key, *values in cursor.fetchall():
            for i, per_range in enumerate(found):
                if values[2 * i + 1]:  # some ticket of the range recorded it (an amount may be 0)
                    per_range[key] = amount_number(Decimal(str(values[2 * i] or 0)).quantize(CENT))
    return found


def help_series(
    unit: OrgUnit | None, campaign_id: int, date_from: dt.date, date_to: dt.date
) -> dict[dt.date, dict[str, int | float]]:
    """{day: {count key: amount}} of 帮扶成效 for the days of [date_from, date_to] with any (stats/daily's `help`): the
    same HelpRollup rows as help_sums, one GROUP BY (day, key) over the subtree's rows."""
    qs = in_subtree(HelpRollup.objects.filter(day__gte=date_from, day__lte=date_to), unit)
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    found: dict[dt.date, dict[str, int | float]] = {}
    for row in qs.values("day", "key").annotate(total=Sum("amount"), n=Sum("tickets")).order_by("day", "key"):
        if row["n"]:
            found.setdefault(row["day"], {})[row["key"]] = amount_number(Decimal(str(row["total"])).quantize(CENT))
    return found


def series_help(series: dict[dt.date, dict[str, int | float]], date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """The help sums of [date_from, date_to] from a help_series covering it: what help_sums reads from the same rows
    (the cache refresh reads them once for both)."""
    totals: dict[str, Decimal] = {}
    for day, amounts in series.items():
        if date_from <= day <= date_to:
            for key, amount in amounts.items():
                totals[key] = totals.get(key, Decimal(0)) + Decimal(str(amount))
    return {key: amount_number(total.quantize(CENT)) for key, total in sorted(totals.items())}


def _span_scope(unit: OrgUnit | None, campaign_id: int, *, shared: bool) -> tuple[str, list[Any]]:
    """FROM … WHERE for the TargetSpan rows `s` in the unit's subtree and the campaign (0: every campaign) whose
    target has several span rows (`shared`: SharedTarget) or one (then counting rows counts targets)."""
    join, params = _subtree_sql(unit, "s.unit_id")
    where = ["u.path LIKE %s"] if join else []
    if campaign_id:
        where.append("s.campaign_id = %s")
        params.append(campaign_id)
    marked = f"SELECT m.target FROM {SharedTarget._meta.db_table} m WHERE m.target = {TARGET_SQL.format(a='s')}"  # noqa: S608
    where.append(f"{'' if shared else 'NOT '}EXISTS ({marked})")
    return f"FROM {TargetSpan._meta.db_table} s{join} WHERE {' AND '.join(where)}", params


def span_figures(unit: OrgUnit | None, campaign_id: int, ranges: list[Range]) -> list[dict[str, int]]:
    """Per range: households / enterprises visited in it, people covered, and households ever visited up to its
    last day — one pass over the subtree's TargetSpan rows of single-row targets (plain counts) and one over those
    of the targets with several rows, grouped by target (SharedTarget: few)."""
    single, shared = _span_single(unit, campaign_id, ranges), _span_shared(unit, campaign_id, ranges)
    return [
        {name: int(single[4 * i + j] or 0) + int(shared[4 * i + j] or 0) for j, name in enumerate(DISTINCT)}
        for i in range(len(ranges))
    ]


def _span_single(unit: OrgUnit | None, campaign_id: int, ranges: list[Range]) -> tuple[Any, ...]:
    columns, params = [], []
    for date_from, date_to in ranges:
        hit, hit_params = hit_sql("s", date_from, date_to)
        columns += [
            f"COUNT(CASE WHEN s.household_id IS NOT NULL AND {hit} THEN 1 END)",
            f"COUNT(CASE WHEN s.enterprise_id IS NOT NULL AND {hit} THEN 1 END)",
            f"SUM(CASE WHEN s.household_id IS NOT NULL AND {hit} THEN s.members ELSE 0 END)",
            "COUNT(CASE WHEN s.household_id IS NOT NULL AND s.first_day <= %s THEN 1 END)",
        ]
        params += [*hit_params, *hit_params, *hit_params, date_to.isoformat()]
    source, scope_params = _span_scope(unit, campaign_id, shared=False)
    with read_connection(TargetSpan).cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} {source}", [*params, *scope_params])  # noqa: S608
        return tuple(cursor.fetchone())


def _span_shared(unit: OrgUnit | None, campaign_id: int, ranges: list[Range]) -> tuple[Any, ...]:
    hits, hit_params = [], []
    for i, (date_from, date_to) in enumerate(ranges):
        condition, params = hit_sql("s", date_from, date_to)
        hits.append(f"MAX(CASE WHEN {condition} THEN 1 ELSE 0 END) AS h{i}")
        hit_params += params
    columns = ", ".join(
        f"COUNT(CASE WHEN x.household_id IS NOT NULL AND x.h{i} = 1 THEN 1 END), "
        f"COUNT(CASE WHEN x.enterprise_id IS NOT NULL AND x.h{i} = 1 THEN 1 END), "
        f"SUM(CASE WHEN x.household_id IS NOT NULL AND x.h{i} = 1 THEN x.members ELSE 0 END), "
        f"COUNT(CASE WHEN x.household_id IS NOT NULL AND x.first_day <= %s THEN 1 END)"
        for i in range(len(ranges))
    )
    source, params = _span_scope(unit, campaign_id, shared=True)
    sql = (  # table and column names are ours; every value is a parameter
        f"SELECT {columns} FROM (SELECT s.household_id, s.enterprise_id, MAX(s.members) AS members, "  # noqa: S608
        f"MIN(s.first_day) AS first_day, {', '.join(hits)} {source} GROUP BY s.household_id, s.enterprise_id) x"
    )
    with read_connection(TargetSpan).cursor() as cursor:
        cursor.execute(sql, [*(r[1].isoformat() for r in ranges), *hit_params, *params])
        return tuple(cursor.fetchone())


def first_visits(unit: OrgUnit | None, campaign_id: int, up_to: dt.date) -> dict[str, int]:
    """{ISO day: households first visited that day} up to `up_to`, over the subtree's TargetSpan rows (in the
    campaign, or every campaign: 0): coverage's numerator on any day is a running sum of these."""
    single, params = _span_scope(unit, campaign_id, shared=False)
    shared, shared_params = _span_scope(unit, campaign_id, shared=True)
    sql = (  # table and column names are ours; every value is a parameter
        f"SELECT s.first_day, COUNT(*) {single} AND s.household_id IS NOT NULL AND s.first_day <= %s "  # noqa: S608
        f"GROUP BY s.first_day UNION ALL "
        f"SELECT x.first_day, COUNT(*) FROM (SELECT s.household_id, MIN(s.first_day) AS first_day "
        f"{shared} AND s.household_id IS NOT NULL GROUP BY s.household_id) x WHERE x.first_day <= %s "
        f"GROUP BY x.first_day"
    )
    found: dict[str, int] = {}
    with read_connection(TargetSpan).cursor() as cursor:
        cursor.execute(sql, [*params, up_to.isoformat(), *shared_params, up_to.isoformat()])
        for first_day, n in cursor.fetchall():
            found[str(first_day)[:10]] = found.get(str(first_day)[:10], 0) + int(n)
    return found


def day_series(
    unit: OrgUnit | None, campaign_id: int, date_from: dt.date, date_to: dt.date
) -> dict[dt.date, list[int]]:
    """{day: its DAY_FIGURES, in that order} of the days of [date_from, date_to] with any row: every figure of
    stats/daily but coverage and overdue — one GROUP BY over the subtree's DayReach rows (a row per leaf and day)."""
    reach = in_subtree(DayReach.objects.filter(day__gte=date_from, day__lte=date_to, campaign_id=campaign_id), unit)
    rows = reach.values("day").annotate(**{name: Sum(name) for name in DAY_FIGURES}).order_by()
    return {row["day"]: [int(row[name] or 0) for name in DAY_FIGURES] for row in rows}


def series_sums(series: dict[dt.date, list[int]], date_from: dt.date, date_to: dt.date) -> dict[str, int]:
    """The sums of [date_from, date_to] from a day_series covering it: what range_sums reads from the same DayReach
    rows (the cache refresh reads the rows once for both)."""
    totals = [0] * len(SUMS)
    for day, values in series.items():
        if date_from <= day <= date_to:
            for i in range(len(SUMS)):
                totals[i] += values[i]
    return dict(zip(SUMS, totals, strict=True))


def overdue_series(unit: OrgUnit | None, campaign_id: int, date_from: dt.date, date_to: dt.date) -> dict[dt.date, int]:
    """{day: open tickets past due at its end} from the nightly snapshots of the subtree (campaign 0: all)."""
    qs = in_subtree(OverdueSnapshot.objects.filter(day__gte=date_from, day__lte=date_to), unit)
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    return {row["day"]: int(row["n"] or 0) for row in qs.values("day").annotate(n=Sum("overdue")).order_by()}


def category_sums(unit: OrgUnit | None, ranges: list[Range]) -> list[dict[str, list[int]]]:
    """Per range: {category: [issues, suggestions, router_suggested, router_kept]} of the tickets created in it (every
    campaign), over the subtree's DailyRollup rows — one GROUP BY over the days of all the ranges (the dashboard's
    category breakdown, with the router's acceptance per category)."""
    start, end = min(r[0] for r in ranges), max(r[1] for r in ranges)
    qs = in_subtree(DailyRollup.objects.filter(day__gte=start, day__lte=end).exclude(category=""), unit)
    columns = {}
    for i, (date_from, date_to) in enumerate(ranges):
        within = Q(day__gte=date_from, day__lte=date_to)
        for j, name in enumerate(CATEGORY_SUMS):
            columns[f"c{i}_{j}"] = Sum(name, filter=within)
    found: list[dict[str, list[int]]] = [{} for _ in ranges]
    for row in qs.values("category").annotate(**columns).order_by():
        for i, per_range in enumerate(found):
            values = [int(row[f"c{i}_{j}"] or 0) for j in range(len(CATEGORY_SUMS))]
            if any(values):
                per_range[row["category"]] = values
    return found


def registered_households(unit: OrgUnit | None) -> int:
    """Coverage's denominator: households registered in the subtree now."""
    return in_subtree(Household.objects.all(), unit).count()


def overdue_now(unit: OrgUnit | None, campaign_id: int, *, since: dt.datetime | None = None) -> int:
    """Open tickets of the subtree past due now (with `since`: only those that fell due after it)."""
    qs = in_subtree(Ticket.objects.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now()), unit)
    if since is not None:
        qs = qs.filter(due_at__gte=since)
    return (qs.filter(campaign_id=campaign_id) if campaign_id else qs).count()


def open_in_time_by_day(
    unit: OrgUnit | None, campaign_id: int, date_from: dt.date, date_to: dt.date
) -> dict[dt.date, int]:
    """{creation day: tickets of that day still open and not past due now} over [date_from, date_to] (SPEC §6
    `open_in_time`). A ticket with no due_at yet (reported, not dispatched) has no deadline to miss: it counts as in
    time, so that closed + open in time + open overdue = tickets not cancelled, for any day. One GROUP BY over the
    open tickets only (status IN open: the rows of the partial index ticket_open_due_idx), whatever the history."""
    start, end = day_bounds(date_from)[0], day_bounds(date_to)[1]
    in_time = Q(due_at__isnull=True) | Q(due_at__gte=timezone.now())
    qs = Ticket.objects.filter(in_time, status__in=OPEN_STATUSES, created_at__gte=start, created_at__lt=end)
    qs = placed_in(qs, unit)  # a district's or street's by its key: the subtree's join read ~60 ms per 1,000 units
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    days = qs.annotate(day=TruncDate("created_at", tzinfo=timezone.get_default_timezone())).values("day")
    return {row["day"]: row["n"] for row in days.annotate(n=Count("id")).order_by()}


def pending_since(unit: OrgUnit | None) -> dt.datetime | None:
    """Since when the oldest change of the subtree waits for its recompute (None: nothing pending)."""
    marks = DirtyDay.objects.all()
    if unit is not None:
        subtree = OrgUnit.objects.subtree_of(unit).values("pk")
        marks = marks.filter(Q(unit_id=WHOLE_DAY) | Q(unit_id__in=subtree))
    return marks.aggregate(oldest=Min("pending_since"))["oldest"]


def unit_state(unit: OrgUnit | None, campaign_id: int) -> dict[str, Any]:
    """What does not depend on the range: households registered, `overdue` now (and when: `overdue_at`), and the
    data's age `updated_at` (ISO: the oldest pending recompute of the subtree, or now)."""
    now = timezone.now()
    pending = pending_since(unit)
    return {
        "registered": registered_households(unit),
        "overdue": overdue_now(unit, campaign_id),
        "overdue_at": now.isoformat(),
        "updated_at": (min(pending, now) if pending else now).isoformat(),
    }
