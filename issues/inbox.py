"""The inbox's reads at city scale (SPEC §5, §7, §9): the priority order served by an index, its keyset pages, the
counters (exact for open tickets, capped for the others) and the overdue job that keeps the stored priority current.

The order is "overdue and supervised first, then newest": `Ticket.priority` (issues.models.PRIORITY) is stored, so
`ORDER BY priority DESC, created_at DESC, id DESC` reads ticket_priority_idx backwards and stops after a page. The one
thing a stored value cannot know is time: a ticket whose due_at passed since the overdue job last ran has a stored
priority one short. Those rows (open, past due_at, not marked: ticket_unmarked_due_idx, a handful at any time) are
read apart and merged, so a page is exact whenever the job ran last (docs/decisions.md, "Issue 14 — a flat inbox").
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.db import connections
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from issues.models import OPEN_STATUSES, UNMARKED, Status, Ticket

# A status outside the open ones is counted up to COUNT_CAP and shown as "1000+" beyond (no COUNT(*) over the
# whole history on a request path); the open statuses are counted exactly (partial indexes over open tickets).
# 1,000, not 10,000: a street's scope is an OR (its branch, and the tickets led by or shared with its units), read
# through the heap, and at city size 10,001 of its closed tickets took 0.6 s where 1,001 take 60 ms
# (docs/decisions.md). The exact figures of closed work are the dashboard's.
COUNT_CAP = 1_000
CLOSED_STATUSES = tuple(s for s in Status.values if s not in OPEN_STATUSES)
# The unmarked overdue tickets read apart by priority_page (issues.inbox._late_ids), at most this many.
LATE_CAP = 1_000
Key = tuple[int, dt.datetime, int]
_ORDER = ("-priority", "-created_at", "-id")
_AFTER = "({}, {}.created_at, {}.id) < (%s, %s, %s)"


def encode_cursor(ticket: Ticket) -> str:
    raw = f"{ticket.priority}|{ticket.created_at.isoformat()}|{ticket.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> tuple[int, dt.datetime, int] | None:
    """The last row of the previous page: (priority, created_at, id); nonsense reads as "first page"."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        priority, created_at, pk = raw.split("|")
        moment = dt.datetime.fromisoformat(created_at)
        return int(priority), moment, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None


def unmarked_q(now: dt.datetime) -> Q:
    """Open, past due_at, and not yet marked by the overdue job: stored priority is one short."""
    return UNMARKED & Q(due_at__lt=now)


def _after(qs: QuerySet[Ticket], key: Key | None, *, bump: int) -> QuerySet[Ticket]:
    """Rows strictly after `key` in the order (priority + bump, created_at, id) DESC: one row comparison, which
    PostgreSQL reads as an index range (and SQLite as a row value). The moment goes in as the database stores it
    (SQLite keeps text without an offset, and a raw aware datetime compared as text with "+00:00" on the end)."""
    if key is None:
        return qs
    table = Ticket._meta.db_table
    priority = f"{table}.priority" + (f" + {bump}" if bump else "")
    level, moment, pk = key
    stored = connections[qs.db].ops.adapt_datetimefield_value(moment)
    return qs.extra(where=[_AFTER.format(priority, table, table)], params=[level, stored, pk])


def priority_page(qs: QuerySet[Ticket], after: Key | None, size: int) -> list[Ticket]:
    """Up to size + 1 rows of `qs` after `after`, overdue and supervised first, then newest. First the ids of the few
    unmarked overdue tickets of the whole table (late_ids); then the other rows of `qs` in stored order (an index
    scan that stops after size + 1 rows), and the late rows of `qs` (priority + 1), all of them, unordered, sorted
    and merged in Python; no late ids, no third query. Each row's `priority` is its true priority now (the cursor
    reads it).

    The late rows are not read as `qs.filter(unmarked)`: PostgreSQL cannot know that "open, unmarked and past due"
    is a handful of rows (the unmarked index holds every open ticket not yet due, and most of the table's due_at
    lies in the past), so within a district it read all 57,000 open tickets of the city through ticket_open_id_idx
    (45 ms at city size, for none; bench/README.md, session 17). Ordered by due_at and limited, alone, it reads
    ticket_unmarked_due_idx from its start and stops at the first row not yet due."""
    late_ids = _late_ids(timezone.now())
    rows = list(_after(qs.exclude(pk__in=late_ids), after, bump=0).order_by(*_ORDER)[: size + 1])
    late = list(_after(qs.filter(pk__in=late_ids), after, bump=1).order_by()) if late_ids else []
    for ticket in late:
        ticket.priority += 1
    rows += late
    rows.sort(key=lambda t: (t.priority, t.created_at, t.pk), reverse=True)
    return rows[: size + 1]


def _late_ids(now: dt.datetime) -> list[int]:
    """The ids of the open tickets past due_at that the overdue job has not marked yet, most overdue first, at most
    LATE_CAP: a handful while the job runs each minute. Past the cap (the job down for long) a late ticket is listed
    at its stored priority, one short, until the job marks it; it is never left out."""
    late = Ticket.objects.filter(unmarked_q(now)).order_by("due_at", "id")
    return list(late.values_list("id", flat=True)[:LATE_CAP])


def tickets_mark_overdue(now: dt.datetime | None = None) -> int:
    """The overdue job (every minute, dashboard.tasks.mark_overdue_tickets, and before each escalation run): mark
    the open tickets whose due_at has passed, so that their stored priority counts it. Reads only the unmarked
    open tickets past due_at, by their ids (_late_ids: ticket_unmarked_due_idx; as one UPDATE over the condition,
    PostgreSQL read all 57,000 open tickets of the city each minute to mark none), LATE_CAP at a time."""
    now = now or timezone.now()
    marked = 0
    while ids := _late_ids(now):
        marked += Ticket.objects.filter(unmarked_q(now), pk__in=ids).update(passed_due_at=F("due_at"))
        if len(ids) < LATE_CAP:
            break
    return marked


def _capped_counts(
    qs: QuerySet[Ticket], statuses: tuple[str, ...], arms: list[Q] | None, unscoped: QuerySet[Ticket] | None
) -> list[int]:
    """Per status, COUNT over at most COUNT_CAP + 1 rows, all in one query:
    SELECT (SELECT COUNT(*) FROM (… status = s1 LIMIT n) c0), (… s2 …): each a bounded index range.

    A scope of one condition (`arms` None: a district's staff, or everything) takes the rows in the inbox order:
    the planner then reads the (district,) status, priority index and stops at the cap, where unordered it would
    pick a sequential scan that stops there too but reads ~6 rows for each one counted. A scope that is an OR of
    `arms` (issues.selectors.scope_arms) counts the UNION of each arm's first rows, read through its own index: over
    the OR, the planner could not estimate the arrays of ids and scanned the table, testing each row against an
    array of 1,800 co-unit tickets (a department's closed tickets at city size: 0.35 s → bench/README.md). Each arm
    is read from `unscoped` (the same filters without the scope) where the caller gives it: the arms' union is the
    scope, and an arm read from `qs` carried the whole OR again, a BitmapOr of every arm's index per arm (a
    department handler's counters at city size: 45 ms in the capped counts, bench/README.md, session 12)."""
    parts: list[str] = []
    params: list[Any] = []
    for i, status in enumerate(statuses):
        mine = qs.filter(status=status)
        if arms is None:
            rows = mine.order_by(*_ORDER).values("pk")[: COUNT_CAP + 1]
        else:
            # Each arm stops at the cap too where the database allows it (PostgreSQL): one arm past it puts the union
            # past it, and arms under it are counted whole.
            bound = COUNT_CAP + 1 if connections[qs.db].features.supports_slicing_ordering_in_compound else None
            base = (unscoped if unscoped is not None else qs).filter(status=status)
            first, *others = (base.filter(arm).order_by().values("pk")[:bound] for arm in arms)
            rows = first.union(*others)[: COUNT_CAP + 1]
        sql, sub_params = rows.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c{i})")  # noqa: S608 -- Django-compiled SQL, params apart
        params += sub_params
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return list(cursor.fetchone())


def ticket_counters(
    qs: QuerySet[Ticket], *, arms: list[Q] | None = None, unscoped: QuerySet[Ticket] | None = None
) -> dict[str, Any]:
    """Counts per status, open overdue, open supervised and pending extension requests for `qs`, the tickets of a
    scope that is the OR of `arms` (issues.selectors.scope_arms), or of one condition (None); `unscoped`: the same
    filters over every ticket, from which the capped counts read each arm (their union is the scope).

    The open figures are exact, in one query over the open tickets (the partial indexes). Each other status is
    counted up to COUNT_CAP + 1 rows; a figure past the cap reads COUNT_CAP and its key is listed in `capped`
    (shown as "1000+"), and so is `total` then."""
    now = timezone.now()
    aggregates: dict[str, Any] = {s: Count("pk", filter=Q(status=s)) for s in OPEN_STATUSES}
    aggregates["overdue"] = Count("pk", filter=Q(due_at__lt=now))
    aggregates["supervised"] = Count("pk", filter=Q(supervision__gt=0))
    extension = Q(requested_due_at__isnull=False, status__in=(Status.ACCEPTED, Status.IN_PROGRESS))
    aggregates["extension_requested"] = Count("pk", filter=extension)
    row = qs.filter(status__in=OPEN_STATUSES).order_by().aggregate(**aggregates)
    by_status: dict[str, int] = {str(s): row[s] for s in OPEN_STATUSES}
    capped: list[str] = []
    for status, n in zip(CLOSED_STATUSES, _capped_counts(qs, CLOSED_STATUSES, arms, unscoped), strict=True):
        by_status[status] = min(n, COUNT_CAP)
        if n > COUNT_CAP:
            capped.append(status)
    total = sum(by_status.values())
    return {
        "by_status": {s: by_status[s] for s in Status.values},
        "overdue": row["overdue"],
        "supervised": row["supervised"],
        "extension_requested": row["extension_requested"],
        "total": total,
        "capped": [*capped, "total"] if capped else [],
    }
