"""The leaders' usual periods kept precomputed (issue 6): PeriodSummary rows, refreshed by the rollup jobs.

Usual periods all end today: today, the last 7 days, the last 30 days (every campaign together, and each running
campaign), and each running campaign from its start. `periods_refresh` recomputes them for the ancestors of the leaf
units whose rollups just changed (or for every unit; every unit on the first refresh of a day): sums from
DailyRollup, DISTINCT figures from TargetSpan (one row per target, leaf unit and 384-day block: a bit per visit
day), which it first rebuilds for those leaves; coverage's denominator and `overdue` as at the refresh. A few
queries per unit, none of them over the raw visits or tickets. `span_figures` answers any other range the same way.

Every rollup recompute writes a PeriodStale mark of its unit in its own transaction; `periods_refresh` (called at
the end of rollups.rollup_dirty / rollup_range and by the nightly task) deletes the marks it handled in the
transaction that refreshes the rows. stats_summary uses a unit's row only when neither a DirtyDay (change not yet
rolled up) nor a PeriodStale (rolled up, not yet refreshed) exists in its subtree, so a row that is used always
equals the exact computation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from campaign.models import Campaign, Household, OrgUnit, UnitKind
from campaign.models.org import path_prefixes
from dashboard.daybits import bits_select_sql, block_sql, hit_sql
from dashboard.models import (
    DAY_BITS,
    WHOLE_DAY,
    DailyRollup,
    DirtyDay,
    PeriodStale,
    PeriodSummary,
    TargetSpan,
    VisitTargetDay,
)
from dashboard.rollups import TICKET_FIGURES, today
from issues.models import OPEN_STATUSES, Ticket

SUMS = ("visits", *TICKET_FIGURES)
# A refresh holds this transaction-scoped advisory lock (PostgreSQL): refreshes run one at a time, so two
# workers never rebuild the same TargetSpan rows at once. Far from rollups' lock keys.
_REFRESH_LOCK = -(1 << 41)
Period = tuple[int, str, dt.date, dt.date]  # (campaign id or 0, period key, date_from, date_to)


def usual_periods(day: dt.date) -> list[Period]:
    """The usual periods as of `day`: for every campaign together (0) and for each campaign running on `day`."""
    last = (
        (PeriodSummary.TODAY, day),
        (PeriodSummary.LAST_7, day - dt.timedelta(days=6)),
        (PeriodSummary.LAST_30, day - dt.timedelta(days=29)),
    )
    periods: list[Period] = [(0, key, start, day) for key, start in last]
    for campaign in Campaign.objects.filter(start_date__lte=day, end_date__gte=day).order_by("pk"):
        periods += [(campaign.pk, key, start, day) for key, start in last]
        periods.append((campaign.pk, PeriodSummary.CAMPAIGN, campaign.start_date, day))
    return periods


def usual_period(date_from: dt.date, day: dt.date, campaign: Campaign | None) -> str | None:
    """The key of the usual period [date_from, day] (PeriodSummary.TODAY …), or None (no query: stats_summary asks
    it of every request). A campaign's own start wins over a coinciding last-7/30-days start (same figures)."""
    if campaign is not None and campaign.start_date == date_from and campaign.start_date <= day <= campaign.end_date:
        return PeriodSummary.CAMPAIGN
    lengths = {0: PeriodSummary.TODAY, 6: PeriodSummary.LAST_7, 29: PeriodSummary.LAST_30}
    return lengths.get((day - date_from).days)


# A precomputed row (and the spans refreshed with it) may answer while it lags the raw rows by at most this: issue 6
# item 2 lets the dashboard be "a couple of minutes behind". Without the allowance a busy district, where some visit
# is always waiting for its sweep, would never use its rows and every read would take the slow exact path.
MAX_LAG = dt.timedelta(minutes=2)


# What a row must hold to be read (dashboard.selectors); a row written before one of them existed is recomputed by
# the next refresh and meanwhile not used.
ROW_KEYS = frozenset({"households_ever", "registered", "overdue", "overdue_at"})


def trusted_rows(unit: OrgUnit, campaign_id: int, period: str | None) -> tuple[PeriodSummary | None, bool]:
    """(the unit's row of `period` as of today — or its TODAY row of every campaign together, the anchor of any
    other read — and whether it may answer): it may when it was refreshed less than MAX_LAG ago, or when nothing of
    the unit's subtree changed since (no DirtyDay pending, no PeriodStale left). Then the TargetSpan rows of the
    subtree are those of the same refresh. One query, two when the row is older than MAX_LAG."""
    key = {"campaign_id": campaign_id, "period": period} if period else {"campaign_id": 0, "period": "today"}
    row = PeriodSummary.objects.filter(unit=unit, as_of=today(), **key).first()
    if row is None or not ROW_KEYS <= row.figures.keys():  # absent, or written by an older version: not used
        return None, False
    return row, row.computed_at >= timezone.now() - MAX_LAG or is_fresh(unit)


def is_fresh(unit: OrgUnit) -> bool:
    """No recompute pending for the unit's subtree, and no recompute (or registry change) done since its usual
    periods were refreshed."""
    subtree = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
    in_subtree = Q(unit_id=WHOLE_DAY) | Q(unit_id__in=subtree)
    pending = DirtyDay.objects.filter(in_subtree).values("unit_id")
    return not pending.union(PeriodStale.objects.filter(in_subtree).values("unit_id")).exists()  # one query


def periods_refresh(*, everything: bool = False) -> int:
    """Recompute the usual periods made stale by rollup recomputes (PeriodStale), or of every unit; returns the
    number of PeriodSummary rows written. Cheap when nothing is stale. Call outside any transaction of the caller's.
    """
    day = today()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REFRESH_LOCK])
        stale = list(PeriodStale.objects.all())  # read first: a recompute committing later keeps its mark
        # Spans carry a bit per visit day, so a new day needs no rebuild: only what was recomputed (or, after a
        # backfill or an upgrade — a WHOLE_DAY mark — everything). The usual periods move with the day, though:
        # the first refresh of a day recomputes every unit's.
        marked = {mark.unit_id for mark in stale}
        leaves = None if everything or WHOLE_DAY in marked else marked
        new_day = not PeriodSummary.objects.filter(as_of=day).exists()
        if leaves is not None and not leaves and not new_day:
            return 0
        _spans_rebuild(leaves)
        units = _units_to_refresh(None if new_day else leaves)
        periods = usual_periods(day)
        now = timezone.now()
        live = _live_totals(now)
        rows = [
            PeriodSummary(
                unit=unit, campaign_id=campaign_id, period=key, date_from=start, date_to=end, as_of=day,
                figures=figures, computed_at=now,
            )
            for unit in units
            for (campaign_id, key, start, end), figures in _unit_figures(unit, periods, live).items()
        ]  # fmt: skip
        PeriodSummary.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["unit", "campaign_id", "period"],
            update_fields=["date_from", "date_to", "as_of", "figures", "computed_at"],
        )
        PeriodSummary.objects.filter(as_of__lt=day).delete()  # ended campaigns, units no longer refreshed
        for mark in stale:
            PeriodStale.objects.filter(pk=mark.pk, marked_at=mark.marked_at).delete()
    return len(rows)


def _units_to_refresh(leaves: set[int] | None) -> list[OrgUnit]:
    """The ancestors of the stale leaves (or every unit), and every department: a department's `lead` sums count
    tickets anywhere, so any change may move them."""
    if leaves is None:
        return list(OrgUnit.objects.order_by("path"))
    paths = OrgUnit.objects.filter(pk__in=leaves).values_list("path", flat=True)
    prefixes = {prefix for path in paths for prefix in path_prefixes(path)}
    return list(OrgUnit.objects.filter(Q(path__in=prefixes) | Q(kind=UnitKind.DEPARTMENT)).order_by("path"))


def _spans_rebuild(leaves: set[int] | None) -> None:
    """TargetSpan of these leaf units (or all) recomputed from VisitTargetDay: delete, then INSERT … SELECT, one
    row per target and 384-day block with a bit per visit day (dashboard.daybits)."""
    spans, targets = TargetSpan._meta.db_table, VisitTargetDay._meta.db_table
    where, params = "", []
    if leaves is not None:
        if not leaves:
            return
        where = f" WHERE unit_id IN ({', '.join(['%s'] * len(leaves))})"
        params = sorted(leaves)
        TargetSpan.objects.filter(unit_id__in=leaves).delete()
    else:
        TargetSpan.objects.all().delete()
    block = block_sql("day")
    sql = (  # table and column names are ours; every value is a parameter
        f"INSERT INTO {spans} (unit_id, campaign_id, household_id, enterprise_id, block, members, first_day, "  # noqa: S608
        f"{', '.join(DAY_BITS)}) "
        f"SELECT unit_id, campaign_id, household_id, enterprise_id, {block}, MAX(members), MIN(day), "
        f"{bits_select_sql('day')} FROM {targets}{where} "
        f"GROUP BY unit_id, campaign_id, household_id, enterprise_id, {block}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# {path prefix: households registered}, {(path prefix, campaign id or 0): tickets open and past due}
LiveTotals = tuple[dict[str, int], dict[tuple[str, int], int], dt.datetime]


def _live_totals(now: dt.datetime) -> LiveTotals:
    """Coverage's denominator and `overdue` as at `now`, per unit path prefix: two grouped counts for all units.

    Stored in the usual periods' rows: the row is used only while no visit, ticket or household of its subtree
    changed since (PeriodStale), so the registry count still holds, and `overdue` then grows only by the open
    tickets whose due_at passed since `now` (stats_summary counts those: an index range of minutes).
    """
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    registered: dict[str, int] = {}
    for unit_id, n in Household.objects.values("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"):
        for prefix in path_prefixes(paths[unit_id]):
            registered[prefix] = registered.get(prefix, 0) + n
    overdue: dict[tuple[str, int], int] = {}
    late = Ticket.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    for unit_id, campaign_id, n in (
        late.values("unit_id", "campaign_id").annotate(n=Count("pk")).values_list("unit_id", "campaign_id", "n")
    ):
        for prefix in path_prefixes(paths[unit_id]):
            for key in {0, campaign_id or 0}:
                overdue[(prefix, key)] = overdue.get((prefix, key), 0) + n
    return registered, overdue, now


def _unit_figures(unit: OrgUnit, periods: list[Period], live: LiveTotals) -> dict[Period, dict[str, Any]]:
    """The summary figures (but coverage) of each period for one unit's subtree; a department's also summed by the
    tickets it leads (`lead`: its ranking); the TODAY rows also carry `first_days`, {day: households first visited
    that day} (stats/daily's coverage). A few queries per campaign."""
    starts = sorted({start for _, _, start, _ in periods})
    day = periods[0][3]
    sums = _sums_by_campaign(unit, starts, day)
    lead = _sums_by_campaign(unit, starts, day, field="lead_unit_id") if unit.kind == UnitKind.DEPARTMENT else None
    registered, overdue, as_of = live
    result: dict[Period, dict[str, Any]] = {}
    for campaign_id in sorted({p[0] for p in periods}):
        distinct = span_figures(unit, campaign_id, [(start, day) for start in starts], day)
        for period in (p for p in periods if p[0] == campaign_id):
            i = starts.index(period[2])
            figures: dict[str, Any] = {
                **_totals(sums, campaign_id, i),
                **distinct[i],
                "registered": registered.get(unit.path, 0),
                "overdue": overdue.get((unit.path, campaign_id), 0),
                "overdue_at": as_of.isoformat(),
            }
            if lead is not None:
                figures["lead"] = _totals(lead, campaign_id, i)
            if period[1] == PeriodSummary.TODAY:
                figures["first_days"] = first_visits(unit, campaign_id, day)
            result[period] = figures
    return result


def _totals(sums: dict[int, list[dict[str, int]]], campaign_id: int, i: int) -> dict[str, int]:
    """The sums of start i for one campaign (0: every campaign, and visits of none)."""
    totals = dict.fromkeys(SUMS, 0)
    for row_campaign, by_start in sums.items():
        if campaign_id in (0, row_campaign):
            for name in SUMS:
                totals[name] += by_start[i][name]
    return totals


def first_visits(unit: OrgUnit | None, campaign_id: int, up_to: dt.date) -> dict[str, int]:
    """{ISO day: households first visited that day} up to `up_to`, over the subtree's TargetSpan rows (in the
    campaign, or every campaign: 0): coverage's numerator on any day is a running sum of these."""
    where, params = _span_scope(unit, campaign_id)
    where.append("s.household_id IS NOT NULL")
    sql = (  # table and column names are ours; every value is a parameter
        f"SELECT x.first_day, COUNT(*) FROM (SELECT s.household_id, MIN(s.first_day) AS first_day "  # noqa: S608
        f"FROM {TargetSpan._meta.db_table} s JOIN {OrgUnit._meta.db_table} u ON u.id = s.unit_id "
        f"WHERE {' AND '.join(where)} GROUP BY s.household_id) x WHERE x.first_day <= %s GROUP BY x.first_day"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, up_to.isoformat()])
        return {str(first_day)[:10]: int(n) for first_day, n in cursor.fetchall()}


def _span_scope(unit: OrgUnit | None, campaign_id: int) -> tuple[list[str], list[Any]]:
    """WHERE conditions (and their parameters) for TargetSpan `s` joined to OrgUnit `u`: the unit's subtree, the
    campaign (0: every campaign)."""
    where: list[str] = []
    params: list[Any] = []
    if unit is not None:
        where.append("u.path LIKE %s")
        params.append(unit.path + "%")
    if campaign_id:
        where.append("s.campaign_id = %s")
        params.append(campaign_id)
    return where, params


def _sums_by_campaign(
    unit: OrgUnit, starts: list[dt.date], day: dt.date, *, field: str = "unit_id"
) -> dict[int, list[dict[str, int]]]:
    """{campaign id (0 = none): [sums of the days from each start to `day`]} over the unit's subtree — of the rows
    whose `field` is in it: the matter's unit, or (departments' ranking) the ticket's lead unit."""
    columns = ", ".join(
        f"SUM(CASE WHEN r.day >= %s THEN r.{name} ELSE 0 END)" for i in range(len(starts)) for name in SUMS
    )
    sql = (  # table and column names are ours; every value is a parameter
        f"SELECT COALESCE(r.campaign_id, 0), {columns} FROM {DailyRollup._meta.db_table} r "  # noqa: S608
        f"JOIN {OrgUnit._meta.db_table} u ON u.id = r.{field} "
        f"WHERE u.path LIKE %s AND r.day >= %s AND r.day <= %s GROUP BY COALESCE(r.campaign_id, 0)"
    )
    params = [start.isoformat() for start in starts for _ in SUMS]
    params += [unit.path + "%", starts[0].isoformat(), day.isoformat()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(SUMS)
    return {
        int(row[0]): [
            {name: int(row[1 + i * width + j] or 0) for j, name in enumerate(SUMS)} for i in range(len(starts))
        ]
        for row in rows
    }


def span_figures(
    unit: OrgUnit | None, campaign_id: int, ranges: list[tuple[dt.date, dt.date]], ever_to: dt.date
) -> list[dict[str, int]]:
    """Per range: households / enterprises visited in it and people covered; and households ever visited up to
    `ever_to` (coverage's numerator) — one pass over the subtree's TargetSpan rows, grouped by target.

    Every campaign together when campaign_id is 0 (a household visited in two campaigns counts once).
    """
    hits, hit_params = [], []
    for i, (date_from, date_to) in enumerate(ranges):
        condition, params = hit_sql("s", date_from, date_to)
        hits.append(f"MAX(CASE WHEN {condition} THEN 1 ELSE 0 END) AS h{i}")
        hit_params += params
    columns = ", ".join(
        f"COUNT(CASE WHEN x.household_id IS NOT NULL AND x.h{i} = 1 THEN 1 END), "
        f"COUNT(CASE WHEN x.enterprise_id IS NOT NULL AND x.h{i} = 1 THEN 1 END), "
        f"SUM(CASE WHEN x.household_id IS NOT NULL AND x.h{i} = 1 THEN x.members ELSE 0 END)"
        for i in range(len(ranges))
    )
    where, params = _span_scope(unit, campaign_id)
    sql = (  # table and column names are ours; every value is a parameter
        f"SELECT {columns}, COUNT(CASE WHEN x.household_id IS NOT NULL AND x.first_day <= %s THEN 1 END) FROM ("  # noqa: S608
        f"SELECT s.household_id, s.enterprise_id, MAX(s.members) AS members, MIN(s.first_day) AS first_day, "
        f"{', '.join(hits)} FROM {TargetSpan._meta.db_table} s JOIN {OrgUnit._meta.db_table} u ON u.id = s.unit_id"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} GROUP BY s.household_id, s.enterprise_id) x"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ever_to.isoformat(), *hit_params, *params])
        row = cursor.fetchone()
    ever = int(row[-1] or 0)
    return [
        {
            "households_visited": int(row[3 * i] or 0),
            "enterprises_visited": int(row[3 * i + 1] or 0),
            "people_covered": int(row[3 * i + 2] or 0),
            "households_ever": ever,
        }
        for i in range(len(ranges))
    ]
