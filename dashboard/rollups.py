"""Rollup services (SPEC §6): recompute-and-upsert the statistics of a (day, unit), a whole day, or a range.

Every function here recomputes from the raw rows and replaces the derived rows of its key in ONE transaction
(delete + insert), never increments: running it twice, or in two workers at once, leaves identical rows. The
recompute of a (day, leaf unit) writes everything the reads use, in that transaction: DailyRollup (sums),
VisitTargetDay, DayReach (per-day series) and the unit's TargetSpan rows of the day's 384-day block (distinct
figures and coverage of any range). Concurrent recomputes are serialised on PostgreSQL by transaction-scoped
advisory locks (a whole day takes the day's lock exclusively; a (day, unit) takes it shared plus its own exclusive
lock; the spans of a (block, unit) likewise under a block lock); SQLite serialises writers anyway, and each
recompute deletes first, so it holds the write lock before it reads.

Days are Asia/Shanghai days (campaign.days). A ticket's figures belong to the day it was created, at its latest state.
Used by dashboard.tasks (Celery), the `rollup` management command and the seed command (`rollup_range`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, IntegerField, Max, Q, QuerySet, Sum, Value
from django.utils import timezone

from campaign.days import day_bounds, today
from dashboard.daybits import block_of, spans_rebuild
from dashboard.models import (
    SUMS,
    WHOLE_DAY,
    DailyRollup,
    DayReach,
    DirtyDay,
    HelpRollup,
    OverdueSnapshot,
    VisitTargetDay,
)
from dashboard.periods import periods_refresh
from issues.models import OPEN_STATUSES, Kind, Satisfaction, Status, Ticket, TicketHelp
from visits.models import Visit, VisitParticipant

log = logging.getLogger(__name__)

RESPONSE_WINDOW = dt.timedelta(hours=24)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)
RATED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
# Advisory lock keys, each kind in its own range: far from (day << 32 | unit) keys, from each other and other users.
_DAY_LOCK_BASE = -(1 << 40)
_BLOCK_LOCK_BASE = -(1 << 42)
_BLOCK_UNIT_LOCK_BASE = -(1 << 43)
# The sweep recomputes at most this many marks per task run (~5–50 ms each), then re-queues itself.
DIRTY_BATCH = 200


# --- computing from raw rows ---------------------------------------------------------------------------------
# The raw rows are grouped by the ORM (so the SQL is right for each backend) and written by INSERT … SELECT:
# a district-day never travels through Python (bench/README.md, "rollup").
TICKET_FIGURES = SUMS[1:]  # all but visits


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


def _participants_grouped(day: dt.date, unit_id: int | None) -> QuerySet[Any]:
    """A meeting's participants (座谈会, visits.meetings) of the day: each a target visited in its own unit, adding no
    visit (the meeting itself is one, in _visits_grouped)."""
    start, end = day_bounds(day)
    qs = VisitParticipant.objects.filter(visited_at__gte=start, visited_at__lt=end)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return (
        qs.values("unit_id", "campaign_id", "household_id", "enterprise_id")
        .annotate(n=Value(0, output_field=IntegerField()), members=Max("household__members"))
        .order_by()
    )


def _ticket_figures() -> dict[str, Any]:
    """Each ticket counted at its latest state (latest due_at, dispatch and rating): SPEC §6."""
    done = Q(status__in=DONE_STATUSES, resolved_at__isnull=False)
    respond_by = ExpressionWrapper(F("dispatched_at") + Value(RESPONSE_WINDOW), output_field=DateTimeField())
    # A ticket merged into another (a duplicate) is the same matter: counted once, in the surviving ticket.
    collected = ~Q(kind=Kind.SUGGESTION) & Q(merge_into__isnull=True)
    return {
        "issues_collected": Count("id", filter=collected),
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
        "recurred": Count("id", filter=collected & Q(recurs__isnull=False)),
        "router_suggested": Count("id", filter=Q(suggestion_taken__isnull=False)),
        "router_kept": Count("id", filter=Q(suggestion_taken=True)),
        "direct": Count("id", filter=Q(answered_directly=True)),
    }


def _tickets_grouped(day: dt.date, unit_id: int | None) -> QuerySet[Any]:
    start, end = day_bounds(day)
    qs = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs.values("unit_id", "campaign_id", "category", "lead_unit_id").annotate(**_ticket_figures()).order_by()


def _insert_targets(day: dt.date, unit_id: int | None) -> None:
    """One row per (unit, campaign, target) of the day: the visits' and the meetings' participants' together, so a
    household visited alone and at a meeting on one day is one target (its visits: the visits')."""
    visits, params = _visits_grouped(day, unit_id).query.sql_with_params()
    participants, more = _participants_grouped(day, unit_id).query.sql_with_params()
    table = VisitTargetDay._meta.db_table
    # Table and column names are ours; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (day, unit_id, campaign_id, household_id, enterprise_id, members, visits) "  # noqa: S608
        f"SELECT %s, t.unit_id, t.campaign_id, t.household_id, t.enterprise_id, COALESCE(MAX(t.members), 0), SUM(t.n) "
        f"FROM ({visits} UNION ALL {participants}) t "
        f"GROUP BY t.unit_id, t.campaign_id, t.household_id, t.enterprise_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day.isoformat(), *params, *more])


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


def _insert_help(day: dt.date, unit_id: int | None) -> None:
    """帮扶成效 (issue 16 item 8): the amounts recorded by the day's tickets now resolved or closed, per (unit,
    campaign, count key) — HelpRollup, summed like every ticket figure in the day the ticket was created."""
    start, end = day_bounds(day)
    rows = TicketHelp.objects.filter(
        ticket__created_at__gte=start, ticket__created_at__lt=end, ticket__status__in=DONE_STATUSES
    )
    if unit_id is not None:
        rows = rows.filter(ticket__unit_id=unit_id)
    grouped = rows.values(u=F("ticket__unit_id"), c=F("ticket__campaign_id"), k=F("key"))
    query, params = grouped.annotate(total=Sum("amount"), n=Count("id")).order_by().query.sql_with_params()
    sql = (  # table and column names are ours; every value is a parameter
        f'INSERT INTO {HelpRollup._meta.db_table} (day, unit_id, campaign_id, "key", amount, tickets) '  # noqa: S608
        f"SELECT %s, g.u, g.c, g.k, g.total, g.n FROM ({query}) g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day.isoformat(), *params])


# --- recompute and replace -----------------------------------------------------------------------------------
def _lock(day: dt.date, unit_id: int | None, *, spans: bool) -> None:
    """The day's lock (exclusive for a whole day, shared for a unit), then its own; with `spans`, the same pair for
    the (block, unit) whose TargetSpan rows are rebuilt. Always in this order, so two recomputes never deadlock."""
    if connection.vendor != "postgresql":
        return
    block = block_of(day)
    if unit_id is None:
        keys = [(True, _DAY_LOCK_BASE - day.toordinal())] + ([(True, _BLOCK_LOCK_BASE - block)] if spans else [])
    else:
        keys = [(False, _DAY_LOCK_BASE - day.toordinal()), (True, (day.toordinal() << 32) | unit_id)]
        if spans:
            keys += [(False, _BLOCK_LOCK_BASE - block), (True, _BLOCK_UNIT_LOCK_BASE - ((block << 32) | unit_id))]
    with connection.cursor() as cursor:
        for exclusive, key in keys:
            cursor.execute(f"SELECT pg_advisory_xact_lock{'' if exclusive else '_shared'}(%s)", [key])


def _recompute(day: dt.date, unit_id: int | None, *, spans: bool = True) -> None:
    with transaction.atomic():
        _lock(day, unit_id, spans=spans)
        key: dict[str, Any] = {"day": day} if unit_id is None else {"day": day, "unit_id": unit_id}
        DailyRollup.objects.filter(**key).delete()
        VisitTargetDay.objects.filter(**key).delete()
        DayReach.objects.filter(**key).delete()
        HelpRollup.objects.filter(**key).delete()
        _insert_targets(day, unit_id)
        _insert_rollups(day, unit_id)
        _insert_reach(day, unit_id)
        _insert_help(day, unit_id)
        if spans:
            spans_rebuild(block_of(day), unit_id)


def _block_spans(block: int) -> None:
    """Every unit's TargetSpan rows of a block, rebuilt in one transaction (after a range of whole days)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_BLOCK_LOCK_BASE - block])
        spans_rebuild(block, None)


def rollup_day(*, day: dt.date, unit_id: int) -> None:
    """Recompute the rollups of one leaf unit on one day (after a visit or ticket of it changed)."""
    _recompute(day, unit_id)


def rollup_whole_day(*, day: dt.date) -> None:
    """Recompute every unit of a day in one transaction, its block's spans included (nightly job)."""
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
        _lock(day, None, spans=False)
        OverdueSnapshot.objects.filter(day=day).delete()
        OverdueSnapshot.objects.bulk_create(
            [
                OverdueSnapshot(day=day, unit_id=r["unit_id"], campaign_id=r["campaign_id"], overdue=r["n"])
                for r in grouped
            ]
        )


# --- dirty marks ---------------------------------------------------------------------------------------------
def dirty_mark(pairs: Iterable[tuple[dt.date, int]]) -> None:
    """Mark (day, unit) pairs for recompute; re-marking an existing pair refreshes its marked_at (its pending_since
    stays: the older change still waits)."""
    now = timezone.now()
    rows = [DirtyDay(day=day, unit_id=unit_id, marked_at=now, pending_since=now) for day, unit_id in set(pairs)]
    if rows:
        DirtyDay.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["day", "unit_id"], update_fields=["marked_at"]
        )


# Set (in the shared cache: Redis, as the broker) while a sweep is queued and not yet started; the sweep clears it
# as it starts, before it reads the marks (sweep_flag_clear). Saves meanwhile do not enqueue another: the queued one
# reads their marks (dashboard.signals.request_sweep). PENDING_S bounds a flag whose sweep was lost (a worker killed
# before it started): saves enqueue again after it, and the minute sweep catches up before. docs/decisions.md, "One
# queued sweep at a time".
PENDING_KEY = "zf:rollups:sweep-pending"
PENDING_S = 30


def sweep_flag_set() -> bool:
    """Flag a sweep as queued; False if one already was (and has not started). Raises if the cache is down."""
    return bool(cache.add(PENDING_KEY, 1, PENDING_S))


def sweep_flag_clear() -> None:
    """No sweep is queued any more: the sweep begins (dashboard.tasks.rollup_dirty, before it reads the marks), or
    its publish was refused. The next save enqueues another."""
    try:
        cache.delete(PENDING_KEY)
    except Exception as exc:  # gone after PENDING_S anyway
        log.warning("the queued sweep's flag was not cleared (%s)", type(exc).__name__)


def _unmark(key: dict[str, Any], marked_at: dt.datetime, started: dt.datetime) -> None:
    """Delete the marks of `key` last made up to `marked_at`, which a recompute that started at `started` covered;
    one re-marked meanwhile stays, pending only since that start (what changed before it, the recompute read)."""
    DirtyDay.objects.filter(**key, marked_at__lte=marked_at).delete()
    DirtyDay.objects.filter(**key, pending_since__lt=started).update(pending_since=started)


def rollup_dirty(*, batch_size: int = DIRTY_BATCH) -> int:
    """Recompute up to `batch_size` marked (day, unit)s, oldest first; returns how many were done.

    A mark is deleted only if nobody re-marked it meanwhile (same marked_at), so nothing changed mid-recompute is
    ever dropped. Safe to run in several workers at once: they may recompute a key twice, never wrongly. Then
    refreshes the cache of the usual periods above what it recomputed, and any cache row getting old
    (dashboard.periods.periods_refresh), at most once a minute.
    """
    marks = list(DirtyDay.objects.order_by("marked_at", "pk")[:batch_size])
    leaves: set[int] = set()
    for mark in marks:
        if mark.unit_id != WHOLE_DAY:
            started = timezone.now()
            rollup_day(day=mark.day, unit_id=mark.unit_id)
            _unmark({"pk": mark.pk}, mark.marked_at, started)
            leaves.add(mark.unit_id)
    whole = [mark for mark in marks if mark.unit_id == WHOLE_DAY]
    if whole:
        _recompute_days(sorted({mark.day for mark in whole}), {mark.day: mark.marked_at for mark in whole})
    periods_refresh(leaves=None if whole else leaves, paced=True)
    return len(marks)


def _recompute_days(
    days: list[dt.date], marked: dict[dt.date, dt.datetime], progress: Callable[[int], Any] | None = None
) -> None:
    """Recompute whole days (and snapshot overdue for past ones), then rebuild the spans of their blocks once — a
    block's spans are every target's visit days of up to 384 days: rebuilt per day, a 90-day backfill would rebuild
    them 90 times. A day's marks (any made up to `marked[day]`) are deleted once its block's spans are rebuilt, so
    until then the day still shows as pending (the data's age, /healthz)."""
    now_day = today()
    started: dict[dt.date, dt.datetime] = {}
    for day in days:
        started[day] = timezone.now()
        _recompute(day, None, spans=False)
        if day < now_day:
            overdue_snapshot(day=day)
        if progress is not None:
            progress(1)
    for block in sorted({block_of(day) for day in days}):
        _block_spans(block)
        for day in (d for d in days if block_of(d) == block):
            _unmark({"day": day}, marked[day], started[day])


def rollup_range(*, date_from: dt.date, date_to: dt.date, progress: Callable[[int], Any] | None = None) -> int:
    """Backfill: recompute every day in [date_from, date_to] (and snapshot overdue for past days), the spans of
    their blocks, then every unit's usual periods (dashboard.periods).

    The days are first marked dirty as a whole, then recomputed each in its own transaction, and unmarked when
    their spans are rebuilt; a process killed midway leaves the remaining days marked, and the next sweep
    (rollup_dirty) finishes them — so the end state always equals a clean recompute. Used by `manage.py rollup` and
    at the end of the seed command.
    """
    days = [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    dirty_mark((day, WHOLE_DAY) for day in days)
    marked = timezone.now()
    _recompute_days(days, dict.fromkeys(days, marked), progress)
    periods_refresh(everything=True)
    return len(days)
