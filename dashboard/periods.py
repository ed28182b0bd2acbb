"""The leaders' usual periods kept precomputed (issue 6): PeriodSummary rows, refreshed by the rollup jobs.

Usual periods all end today: today, the last 7 days, the last 30 days (every campaign together, and each running
campaign), and each running campaign from its start. `periods_refresh` recomputes them for the ancestors of the leaf
units whose rollups just changed (or for every unit): sums from DailyRollup, DISTINCT figures from TargetSpan (one
row per target and leaf unit: its last visit day), which it first rebuilds for those leaves. A few queries per
unit, none of them over the raw visits or tickets.

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
from django.db.models import Q
from django.utils import timezone

from campaign.models import Campaign, OrgUnit
from campaign.models.org import PATH_STEP
from dashboard.models import (
    WHOLE_DAY,
    DailyRollup,
    DirtyDay,
    PeriodStale,
    PeriodSummary,
    TargetSpan,
    VisitTargetDay,
)
from dashboard.rollups import TICKET_FIGURES, today

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


def usual_starts(day: dt.date, campaign: Campaign | None) -> set[dt.date]:
    """The first days of the usual periods ending on `day` (no query: stats_summary asks it of every request)."""
    starts = {day, day - dt.timedelta(days=6), day - dt.timedelta(days=29)}
    if campaign is not None and campaign.start_date <= day <= campaign.end_date:
        starts.add(campaign.start_date)
    return starts


def spans_current(unit: OrgUnit, date_to: dt.date) -> bool:
    """TargetSpan of the unit's subtree holds every visit day up to date_to: refreshed today, nothing pending."""
    return date_to <= today() and PeriodSummary.objects.filter(as_of=today()).exists() and is_fresh(unit, date_to)


def is_fresh(unit: OrgUnit, date_to: dt.date) -> bool:
    """No recompute pending for the unit's subtree up to date_to (coverage reads every day up to it), and no
    recompute done since its usual periods were refreshed."""
    subtree = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
    in_subtree = Q(unit_id=WHOLE_DAY) | Q(unit_id__in=subtree)
    pending = DirtyDay.objects.filter(in_subtree, day__lte=date_to).values("unit_id")
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
        if everything or not PeriodSummary.objects.filter(as_of=day).exists():
            leaves = None  # the first refresh of a day rebuilds every span with the new cutoff
        elif any(mark.unit_id == WHOLE_DAY for mark in stale):
            leaves = None
        else:
            leaves = {mark.unit_id for mark in stale}
            if not leaves:
                return 0
        _spans_rebuild(leaves, day)
        units = _units_to_refresh(leaves)
        periods = usual_periods(day)
        now = timezone.now()
        rows = [
            PeriodSummary(
                unit=unit, campaign_id=campaign_id, period=key, date_from=start, date_to=end, as_of=day,
                figures=figures, computed_at=now,
            )
            for unit in units
            for (campaign_id, key, start, end), figures in _unit_figures(unit, periods).items()
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
    if leaves is None:
        return list(OrgUnit.objects.order_by("path"))
    paths = OrgUnit.objects.filter(pk__in=leaves).values_list("path", flat=True)
    prefixes = {path[:end] for path in paths for end in range(PATH_STEP, len(path) + 1, PATH_STEP)}
    return list(OrgUnit.objects.filter(path__in=prefixes).order_by("path"))


def _spans_rebuild(leaves: set[int] | None, day: dt.date) -> None:
    """TargetSpan of these leaf units (or all) recomputed from VisitTargetDay's days up to `day` (a visit may be
    dated a few minutes ahead, into tomorrow: it must not count today): delete, then INSERT … SELECT."""
    spans, targets = TargetSpan._meta.db_table, VisitTargetDay._meta.db_table
    where = " WHERE day <= %s"
    params: list[Any] = [day.isoformat()]
    if leaves is not None:
        if not leaves:
            return
        where += f" AND unit_id IN ({', '.join(['%s'] * len(leaves))})"
        params += sorted(leaves)
        TargetSpan.objects.filter(unit_id__in=leaves).delete()
    else:
        TargetSpan.objects.all().delete()
    sql = (  # table and column names are ours; every value is a parameter
        f"INSERT INTO {spans} (unit_id, campaign_id, household_id, enterprise_id, members, first_day, last_day) "  # noqa: S608
        f"SELECT unit_id, campaign_id, household_id, enterprise_id, MAX(members), MIN(day), MAX(day) "
        f"FROM {targets}{where} "
        f"GROUP BY unit_id, campaign_id, household_id, enterprise_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _unit_figures(unit: OrgUnit, periods: list[Period]) -> dict[Period, dict[str, Any]]:
    """The summary figures (but coverage and overdue) of each period for one unit's subtree: 1 + campaigns queries."""
    starts = sorted({start for _, _, start, _ in periods})
    day = periods[0][3]
    sums = _sums_by_campaign(unit, starts, day)
    result: dict[Period, dict[str, Any]] = {}
    for campaign_id in sorted({p[0] for p in periods}):
        distinct = _distinct(unit, campaign_id, starts)
        for period in (p for p in periods if p[0] == campaign_id):
            i = starts.index(period[2])
            totals = dict.fromkeys(SUMS, 0)
            for row_campaign, by_start in sums.items():
                if campaign_id in (0, row_campaign):
                    for name in SUMS:
                        totals[name] += by_start[i][name]
            result[period] = {**totals, **distinct[i]}
    return result


def _sums_by_campaign(unit: OrgUnit, starts: list[dt.date], day: dt.date) -> dict[int, list[dict[str, int]]]:
    """{campaign id (0 = none): [sums of the days from each start to `day`]} over the unit's subtree."""
    columns = ", ".join(
        f"SUM(CASE WHEN r.day >= %s THEN r.{name} ELSE 0 END)" for i in range(len(starts)) for name in SUMS
    )
    sql = (  # table and column names are ours; every value is a parameter
        f"SELECT COALESCE(r.campaign_id, 0), {columns} FROM {DailyRollup._meta.db_table} r "  # noqa: S608
        f"JOIN {OrgUnit._meta.db_table} u ON u.id = r.unit_id "
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


def _distinct(unit: OrgUnit, campaign_id: int, starts: list[dt.date]) -> list[dict[str, int]]:
    """Per start: households / enterprises visited since it, people covered, and households ever visited."""
    columns = ", ".join(
        "COUNT(CASE WHEN x.household_id IS NOT NULL AND x.last_day >= %s THEN 1 END), "
        "COUNT(CASE WHEN x.enterprise_id IS NOT NULL AND x.last_day >= %s THEN 1 END), "
        "SUM(CASE WHEN x.household_id IS NOT NULL AND x.last_day >= %s THEN x.members ELSE 0 END)"
        for _ in starts
    )
    campaign_filter = " AND s.campaign_id = %s" if campaign_id else ""
    sql = (  # table and column names are ours; every value is a parameter
        f"SELECT {columns}, COUNT(x.household_id) FROM ("  # noqa: S608
        f"SELECT s.household_id, s.enterprise_id, MAX(s.last_day) AS last_day, MAX(s.members) AS members "
        f"FROM {TargetSpan._meta.db_table} s JOIN {OrgUnit._meta.db_table} u ON u.id = s.unit_id "
        f"WHERE u.path LIKE %s{campaign_filter} GROUP BY s.household_id, s.enterprise_id) x"
    )
    params: list[Any] = [start.isoformat() for start in starts for _ in range(3)] + [unit.path + "%"]
    if campaign_id:
        params.append(campaign_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    ever = int(row[-1] or 0)
    return [
        {
            "households_visited": int(row[3 * i] or 0),
            "enterprises_visited": int(row[3 * i + 1] or 0),
            "people_covered": int(row[3 * i + 2] or 0),
            "households_ever": ever,
        }
        for i in range(len(starts))
    ]
