"""Rollup services (SPEC §6): recompute-and-upsert the statistics of a (day, unit), a whole day, or a range.

Every function here recomputes from the raw rows and replaces the derived rows of its key in ONE transaction
(delete + insert), never increments: running it twice, or in two workers at once, leaves identical rows.
Concurrent recomputes are serialised on PostgreSQL by transaction-scoped advisory locks (a whole day takes the
day's lock exclusively; one (day, unit) takes it shared plus its own exclusive lock); SQLite serialises writers
anyway, and each recompute deletes first, so it holds the write lock before it reads.

Days are Asia/Shanghai days. A ticket's figures belong to the day it was created, at its latest state.
Used by dashboard.tasks (Celery), the `rollup` management command and the seed command (`rollup_range`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Max, Q, QuerySet, Value
from django.utils import timezone

from dashboard.models import (
    WHOLE_DAY,
    DailyRollup,
    DayReach,
    DirtyDay,
    OverdueSnapshot,
    PeriodStale,
    VisitTargetDay,
)
from issues.models import OPEN_STATUSES, Kind, Satisfaction, Status, Ticket
from visits.models import Visit

RESPONSE_WINDOW = dt.timedelta(hours=24)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)
RATED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
# Advisory lock keys: a day's lock lives in its own range, far from (day << 32 | unit) keys and other users.
_DAY_LOCK_BASE = -(1 << 40)
# The sweep recomputes at most this many marks per task run (~5–50 ms each), then re-queues itself.
DIRTY_BATCH = 200


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of an Asia/Shanghai day as aware datetimes."""
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), tz)
    return start, end


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def today() -> dt.date:
    return local_day(timezone.now())


# --- computing from raw rows ---------------------------------------------------------------------------------
# The raw rows are grouped by the ORM (so the SQL is right for each backend) and written by INSERT … SELECT:
# a district-day never travels through Python (bench/README.md, "rollup").
TICKET_FIGURES = (
    "issues_collected", "suggestions", "resolved_on_site", "not_cancelled", "closed", "resolved", "resolved_on_time",
    "dispatched", "responded", "rated", "satisfied",
)  # fmt: skip


def _visits_grouped(day: dt.date, unit_id: int | None) -> QuerySet[Any]:
    start, end = day_bounds(day)
    qs = Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return (
        qs.values("unit_id", "campaign_id", "household_id", "enterprise_id")
        .annotate(n=Count("id"), members=Max("household__members"))
        .order_by()
    )


def _ticket_figures() -> dict[str, Any]:
    """Each ticket counted at its latest state (latest due_at, dispatch and rating): SPEC §6."""
    done = Q(status__in=DONE_STATUSES, resolved_at__isnull=False)
    respond_by = ExpressionWrapper(F("dispatched_at") + Value(RESPONSE_WINDOW), output_field=DateTimeField())
    return {
        "issues_collected": Count("id", filter=~Q(kind=Kind.SUGGESTION)),
        "suggestions": Count("id", filter=Q(kind=Kind.SUGGESTION)),
        "resolved_on_site": Count("id", filter=Q(resolved_on_site=True)),
        "not_cancelled": Count("id", filter=~Q(status=Status.CANCELLED)),
        "closed": Count("id", filter=Q(status__in=DONE_STATUSES)),
        "resolved": Count("id", filter=done),
        # Resolved on site (never dispatched) has no due_at: it was resolved at once, so on time.
        "resolved_on_time": Count("id", filter=done & (Q(due_at__isnull=True) | Q(resolved_at__lte=F("due_at")))),
        "dispatched": Count("id", filter=Q(dispatched_at__isnull=False)),
        "responded": Count(
            "id", filter=Q(dispatched_at__isnull=False, accepted_at__isnull=False, accepted_at__lte=respond_by)
        ),
        "rated": Count("id", filter=Q(satisfaction__in=RATED)),
        "satisfied": Count("id", filter=Q(satisfaction__in=SATISFIED)),
    }


def _tickets_grouped(day: dt.date, unit_id: int | None) -> QuerySet[Any]:
    start, end = day_bounds(day)
    qs = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs.values("unit_id", "campaign_id", "category", "lead_unit_id").annotate(**_ticket_figures()).order_by()


def _insert_targets(day: dt.date, unit_id: int | None) -> None:
    inner, params = _visits_grouped(day, unit_id).query.sql_with_params()
    table = VisitTargetDay._meta.db_table
    # Table and column names are ours; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (day, unit_id, campaign_id, household_id, enterprise_id, members, visits) "  # noqa: S608
        f"SELECT %s, t.unit_id, t.campaign_id, t.household_id, t.enterprise_id, COALESCE(t.members, 0), t.n "
        f"FROM ({inner}) t"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day.isoformat(), *params])


def _insert_rollups(day: dt.date, unit_id: int | None) -> None:
    """Ticket groups and the visit counts (summed from the targets just written) merged into one row per key."""
    tickets, params = _tickets_grouped(day, unit_id).query.sql_with_params()
    targets = VisitTargetDay._meta.db_table
    unit_filter = "" if unit_id is None else " AND unit_id = %s"
    zeros = ", ".join(f"0 AS {name}" for name in TICKET_FIGURES)
    figures = ", ".join(f"t.{name}" for name in TICKET_FIGURES)
    sums = ", ".join(f"SUM({name})" for name in TICKET_FIGURES)
    sql = (  # table and column names are ours; every value is a parameter
        f"INSERT INTO {DailyRollup._meta.db_table} (day, unit_id, campaign_id, category, lead_unit_id, visits, "  # noqa: S608
        f"{', '.join(TICKET_FIGURES)}) "
        f"SELECT %s, unit_id, campaign_id, category, lead_unit_id, SUM(visits), {sums} FROM ("
        f"SELECT t.unit_id, t.campaign_id, t.category, t.lead_unit_id, 0 AS visits, {figures} FROM ({tickets}) t "
        f"UNION ALL SELECT unit_id, campaign_id, '' AS category, CAST(NULL AS BIGINT) AS lead_unit_id, visits, {zeros} "
        f"FROM {targets} WHERE day = %s{unit_filter}"
        f") u GROUP BY unit_id, campaign_id, category, lead_unit_id"
    )
    extra: list[Any] = [day.isoformat()] if unit_id is None else [day.isoformat(), unit_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, [day.isoformat(), *params, *extra])


def _insert_reach(day: dt.date, unit_id: int | None) -> None:
    """DayReach from the day's rows just written: the distinct figures from VisitTargetDay (every campaign together,
    campaign 0: a target once per unit at its largest members; then each campaign, where a target is one row
    already) and the sums from DailyRollup (campaign 0: all rows; then each campaign's), merged per unit and campaign.
    """
    targets, rollups = VisitTargetDay._meta.db_table, DailyRollup._meta.db_table
    unit_filter = "" if unit_id is None else " AND unit_id = %s"
    people = "SUM(CASE WHEN household_id IS NOT NULL THEN {m} ELSE 0 END)"
    names = ("visits", *TICKET_FIGURES)
    zeros = ", ".join(f"0 AS {name}" for name in names)
    sums = ", ".join(f"SUM({name}) AS {name}" for name in names)
    sql = (  # table and column names are ours; every value is a parameter
        f"INSERT INTO {DayReach._meta.db_table} (day, unit_id, campaign_id, households, enterprises, people, "  # noqa: S608
        f"{', '.join(names)}) "
        f"SELECT %s, unit_id, campaign_id, SUM(households), SUM(enterprises), SUM(people), {sums} FROM ("
        f"SELECT unit_id, 0 AS campaign_id, COUNT(household_id) AS households, COUNT(enterprise_id) AS enterprises, "
        f"{people.format(m='m')} AS people, {zeros} FROM ("
        f"SELECT unit_id, household_id, enterprise_id, MAX(members) AS m FROM {targets} WHERE day = %s{unit_filter} "
        f"GROUP BY unit_id, household_id, enterprise_id) t GROUP BY unit_id "
        f"UNION ALL SELECT unit_id, campaign_id, COUNT(household_id), COUNT(enterprise_id), "
        f"{people.format(m='members')}, {zeros} FROM {targets} WHERE day = %s{unit_filter} "
        f"AND campaign_id IS NOT NULL GROUP BY unit_id, campaign_id "
        f"UNION ALL SELECT unit_id, 0, 0, 0, 0, {sums} FROM {rollups} WHERE day = %s{unit_filter} GROUP BY unit_id "
        f"UNION ALL SELECT unit_id, campaign_id, 0, 0, 0, {sums} FROM {rollups} WHERE day = %s{unit_filter} "
        f"AND campaign_id IS NOT NULL GROUP BY unit_id, campaign_id"
        f") u GROUP BY unit_id, campaign_id"
    )
    key: list[Any] = [day.isoformat()] if unit_id is None else [day.isoformat(), unit_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, [day.isoformat(), *key, *key, *key, *key])


# --- recompute and replace -----------------------------------------------------------------------------------
def _lock(day: dt.date, unit_id: int | None) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if unit_id is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_DAY_LOCK_BASE - day.toordinal()])
        else:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_DAY_LOCK_BASE - day.toordinal()])
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(day.toordinal() << 32) | unit_id])


def _recompute(day: dt.date, unit_id: int | None) -> None:
    with transaction.atomic():
        _lock(day, unit_id)
        key: dict[str, Any] = {"day": day} if unit_id is None else {"day": day, "unit_id": unit_id}
        DailyRollup.objects.filter(**key).delete()
        VisitTargetDay.objects.filter(**key).delete()
        DayReach.objects.filter(**key).delete()
        _insert_targets(day, unit_id)
        _insert_rollups(day, unit_id)
        _insert_reach(day, unit_id)
        # The usual periods above this unit no longer hold: mark them in the same transaction (dashboard.periods).
        stale_mark([WHOLE_DAY if unit_id is None else unit_id])


def rollup_day(*, day: dt.date, unit_id: int) -> None:
    """Recompute the rollups of one leaf unit on one day (after a visit or ticket of it changed)."""
    _recompute(day, unit_id)


def rollup_whole_day(*, day: dt.date) -> None:
    """Recompute every unit of a day in one transaction (nightly job, backfill)."""
    _recompute(day, None)


def overdue_snapshot(*, day: dt.date) -> None:
    """Snapshot, per unit and campaign, the tickets open and past due at the end of `day`.

    Run at 01:00 for yesterday it is exact but for the last hour's changes. Run for an older day (backfill) it
    reads each ticket's latest due_at and counts as open the tickets open now or resolved after that day.
    """
    _, end = day_bounds(day)
    open_then = Q(status__in=OPEN_STATUSES) | Q(resolved_at__gte=end)
    qs = Ticket.objects.filter(open_then, due_at__lt=end, created_at__lt=end)
    grouped = qs.values("unit_id", "campaign_id").annotate(n=Count("id")).order_by()
    with transaction.atomic():
        _lock(day, None)
        OverdueSnapshot.objects.filter(day=day).delete()
        OverdueSnapshot.objects.bulk_create(
            [
                OverdueSnapshot(day=day, unit_id=r["unit_id"], campaign_id=r["campaign_id"], overdue=r["n"])
                for r in grouped
            ]
        )


# --- dirty marks ---------------------------------------------------------------------------------------------
def stale_mark(unit_ids: Iterable[int]) -> None:
    """Mark units whose usual periods (and TargetSpan rows) no longer hold: a recompute, a registry change."""
    now = timezone.now()
    PeriodStale.objects.bulk_create(
        [PeriodStale(unit_id=unit_id, marked_at=now) for unit_id in set(unit_ids)],
        update_conflicts=True,
        unique_fields=["unit_id"],
        update_fields=["marked_at"],
    )


def dirty_mark(pairs: Iterable[tuple[dt.date, int]]) -> None:
    """Mark (day, unit) pairs for recompute; re-marking an existing pair refreshes its marked_at."""
    now = timezone.now()
    rows = [DirtyDay(day=day, unit_id=unit_id, marked_at=now) for day, unit_id in set(pairs)]
    if rows:
        DirtyDay.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["day", "unit_id"], update_fields=["marked_at"]
        )


def rollup_dirty(*, batch_size: int = DIRTY_BATCH) -> int:
    """Recompute up to `batch_size` marked (day, unit)s, oldest first; returns how many were done.

    A mark is deleted only if nobody re-marked it meanwhile (same marked_at), so nothing changed mid-recompute is
    ever dropped. Safe to run in several workers at once: they may recompute a key twice, never wrongly.
    Then refreshes the usual periods the recomputes made stale (dashboard.periods).
    """
    from dashboard.periods import periods_refresh  # periods reads this module's helpers

    marks = list(DirtyDay.objects.order_by("marked_at", "pk")[:batch_size])
    now_day = today()
    for mark in marks:
        if mark.unit_id == WHOLE_DAY:
            rollup_whole_day(day=mark.day)
            if mark.day < now_day:
                overdue_snapshot(day=mark.day)
            DirtyDay.objects.filter(day=mark.day, marked_at__lte=mark.marked_at).delete()
        else:
            rollup_day(day=mark.day, unit_id=mark.unit_id)
            DirtyDay.objects.filter(pk=mark.pk, marked_at=mark.marked_at).delete()
    periods_refresh()
    return len(marks)


def rollup_range(*, date_from: dt.date, date_to: dt.date, progress: Callable[[int], Any] | None = None) -> int:
    """Backfill: recompute every day in [date_from, date_to] (and snapshot overdue for past days), then every
    unit's usual periods (dashboard.periods).

    Each day is first marked dirty as a whole, then recomputed in its own transaction and unmarked; a process
    killed midway leaves the remaining days marked, and the next sweep (rollup_dirty) finishes them — so the
    end state always equals a clean recompute. Used by `manage.py rollup` and at the end of the seed command.
    """
    from dashboard.periods import periods_refresh  # periods reads this module's helpers

    days = [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    dirty_mark((day, WHOLE_DAY) for day in days)
    now_day = today()
    for day in days:
        started = timezone.now()
        rollup_whole_day(day=day)
        if day < now_day:
            overdue_snapshot(day=day)
        DirtyDay.objects.filter(day=day, marked_at__lte=started).delete()
        if progress is not None:
            progress(1)
    periods_refresh(everything=True)
    return len(days)
