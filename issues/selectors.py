"""Reads of the issues app. Every API view and page starts from tickets_visible_to(user) (STYLE 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils import timezone

from campaign.errors import OutOfScope
from campaign.models import OrgUnit, User
from campaign.scope import is_reporter, sees_everything, subtree_ids, subtree_q
from issues.models import OPEN_STATUSES, Notification, Status, Ticket, TicketCoUnit, TicketEvent
from issues.who import co_links


def ticket_scope_q(user: User) -> Q:
    """Tickets whose unit, lead_unit or a co-unit lies in the user's scope (SPEC §1); cadres also see the tickets
    they raised and a leader the tickets they lead (包案). An OR of indexed conditions and one EXISTS: no DISTINCT."""
    if sees_everything(user):
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])
    if is_reporter(user):
        return Q(created_by=user)  # 户长/楼长: the tickets they raised, nothing of their home unit (SPEC §1)
    if (district := staff_district(user)) is not None:
        # A district's own staff: every unit of a ticket lies in its district (Ticket.district), and so does every
        # ticket they could raise or lead (a ticket's place and its lead official are checked against the scope),
        # so the conditions below are exactly `district = theirs`: one indexed column however wide the district,
        # which the planner estimates and reads as an index range (counters, pages; docs/decisions.md).
        return Q(district_id=district)
    arms = scope_arms(user) or [Q(pk__in=[])]
    scope = arms[0]
    for arm in arms[1:]:
        scope |= arm
    return scope


def scope_arms(user: User) -> list[Q] | None:
    """The conditions whose OR is the user's scope (ticket_scope_q), each served by an index of its own; None for
    a scope that is one condition (everything, a district's staff). The inbox's capped counts read them apart
    (issues.inbox.ticket_counters): over their OR the planner, unable to estimate the arrays, scanned the table."""
    if sees_everything(user) or not user.is_authenticated or staff_district(user) is not None:
        return None
    if is_reporter(user):
        return [Q(created_by=user)]
    arms = [Q(created_by=user), Q(lead_official=user)]
    if user.unit is None:
        return arms
    if user.unit.depth == 1:
        # A street's (or a department's, or a park's) staff: the tickets placed in their subtree are exactly
        # `branch = theirs` (Ticket.branch, one index range in the inbox's order); the rest of the OR — tickets led
        # by or shared with their units, raised or led by them — is the few crossing in from elsewhere.
        arms.append(Q(branch_id=user.unit.pk))
    elif connection.vendor == "postgresql":
        arms.append(Q(unit_id__in=subtree_ids(user.unit)))
    else:
        arms.append(subtree_q(user.unit, "unit"))
    return [*arms, *_led_or_shared(user.unit)]


def overdue_of_scope(user: User, now: dt.datetime) -> Q | None:
    """For a scope that is an OR of arms (scope_arms) on PostgreSQL: `id = ANY(ARRAY(…))` of its open tickets past
    due, the UNION of each arm's through its own index. The list filters by it too, so the planner reads the few
    ids, then sorts them: over the OR it walked the newest-first index through a street's history (353,452 rows
    to find 51 at city size, 219 ms; bench/README.md). None where the scope is one condition (the district key and
    its partial index already serve it)."""
    arms = scope_arms(user)
    if not arms or connection.vendor != "postgresql":
        return None
    overdue = overdue_q(now)
    return _id_among([Ticket.objects.filter(arm, overdue).order_by().values("pk") for arm in arms])


def newest_of_arms(arms: list[QuerySet[Ticket]], order: tuple[str, ...], limit: int) -> Q:
    """`id = ANY(ARRAY(…))` of the first `limit` rows in `order` of each of `arms` — the scope's arms (scope_arms),
    each already filtered as the list is and past its cursor — so that a list in that order reads at most `limit`
    rows per arm, each through its own index, and sorts those. Exact: the first `limit` rows of the OR are among them.
    Over the OR PostgreSQL read every row of the status and sorted them: a city department's 1,733 tickets in
    progress, 1,702 heap blocks, for a page of 50 (bench/README.md, session 16)."""
    return _id_among([qs.order_by(*order).values("pk")[:limit] for qs in arms], every=True)


def _id_among(ids: list[QuerySet[Any]], *, every: bool = False) -> Q:
    """`id = ANY(ARRAY(q1 UNION q2 …))` of querysets of ids, each read through its own index (UNION ALL with `every`:
    the ids may repeat, the outer condition does not care)."""
    first, *others = ids
    return Q(AnyOf(F("id"), Subquery(first.union(*others, all=every))))


class AnyOf(Func):
    """`column = ANY(ARRAY(subquery))`: PostgreSQL runs the subquery once (an InitPlan) and reads the column's index
    with the array, so an OR of such conditions becomes a BitmapOr of index scans (IN (subquery) inside an OR
    cannot: it stays a per-row filter over a sequential scan)."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        subquery_sql, subquery_params = compiler.compile(subquery)
        return f"{column_sql} = ANY(ARRAY{subquery_sql})", (*column_params, *subquery_params)


def _led_or_shared(unit: OrgUnit) -> list[Q]:
    """Tickets whose lead unit lies in `unit`'s subtree, and those of which a co-unit does. On PostgreSQL on the
    ticket's own columns — lead_unit_id or id among the ids of the subtree / of its co-unit links, each served by its
    index (issue 14, docs/decisions.md); elsewhere a subtree join and an EXISTS."""
    if connection.vendor != "postgresql":
        co_unit_in_scope = TicketCoUnit.objects.filter(subtree_q(unit), ticket=OuterRef("pk"))
        return [subtree_q(unit, "lead_unit"), Q(Exists(co_unit_in_scope))]
    units = subtree_ids(unit)
    co_tickets = TicketCoUnit.objects.filter(unit_id__in=units).order_by().values("ticket_id")
    return [Q(lead_unit_id__in=units), Q(AnyOf(F("id"), Subquery(co_tickets)))]


def staff_district(user: User) -> int | None:
    """The district whose staff the user is (their unit is a tree root), or None: their scope is then that
    district's tickets exactly (ticket_scope_q, ticket_in_scope)."""
    if user.is_authenticated and user.unit is not None and user.unit.depth == 0 and not is_reporter(user):
        return user.unit.pk
    return None


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(ticket_scope_q(user))


def ticket_is_visible(*, user: User, ticket_id: int) -> bool:
    return tickets_visible_to(user).filter(pk=ticket_id).exists()


def ticket_in_scope(ticket: Ticket, user: User) -> bool:
    """The same rule as ticket_scope_q for one loaded ticket (unit and lead_unit selected): a query only for
    co-units. Used by the machine on the locked row."""
    if sees_everything(user):
        return True
    if not user.is_authenticated:
        return False
    if is_reporter(user):
        return ticket.created_by_id == user.pk
    if (district := staff_district(user)) is not None:
        return ticket.district_id == district
    if user.pk in (ticket.created_by_id, ticket.lead_official_id):
        return True
    if user.unit is None:
        return False
    home = user.unit
    if home.contains(ticket.unit) or (ticket.lead_unit is not None and home.contains(ticket.lead_unit)):
        return True
    return any(home.contains(link.unit) for link in co_links(ticket))


def tickets_for_list(user: User) -> QuerySet[Ticket]:
    """The list / inbox rows: what the list serializer reads, in a fixed number of queries."""
    # A unit's boundary (a grid's polygon, parsed from JSON per row) is never shown in a list: not read.
    return (
        tickets_visible_to(user)
        .select_related("unit", "lead_unit")
        .defer("unit__boundary", "lead_unit__boundary")
        .prefetch_related(
            Prefetch("co_unit_links", TicketCoUnit.objects.select_related("unit").defer("unit__boundary"))
        )
    )


def ticket_detail(user: User, ticket_id: Any) -> Ticket:
    try:
        pk = int(ticket_id)
    except (TypeError, ValueError):
        raise OutOfScope() from None
    # Joined: what every ticket has or shows. Fetched by key: the rarely set (a prefetch of keys that are all empty
    # costs no query) and the author. One join of all ten took PostgreSQL 8-12 ms to plan, 1.5 ms with five
    # (docs/decisions.md, "The ticket's read joins five tables").
    ticket = (
        tickets_visible_to(user)
        .select_related("unit", "lead_unit", "campaign", "requester_household", "requester_enterprise")
        .prefetch_related("created_by", "lead_official", "merge_into", "recurs", "topic")
        .prefetch_related("co_unit_links__unit", "co_unit_links__submitted_by", "help_rows")
        .filter(pk=pk)
        .first()
    )
    if ticket is None:
        raise OutOfScope()
    prefetch_related_objects([ticket], Prefetch("events", queryset=ticket_events(ticket)), "events__actor")
    return ticket


def ticket_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's timeline, oldest first. Bounded by the ticket's own times so that PostgreSQL reads only the
    months of its life (issues_ticketevent is partitioned by month on `at`): every event is written at or after the
    ticket's creation, and by the writer that saves the ticket's `updated_at` (machine, escalation, ticket_create)."""
    return TicketEvent.objects.filter(ticket=ticket, at__gte=ticket.created_at, at__lte=ticket.updated_at).order_by(
        "at", "id"
    )


def overdue_q(now: dt.datetime) -> Q:
    return Q(status__in=OPEN_STATUSES, due_at__lt=now)


def extension_pending_q() -> Q:
    """A lead unit's extension request waits for a dispatcher (the inbox's "申请延期")."""
    return Q(requested_due_at__isnull=False, status__in=(Status.ACCEPTED, Status.IN_PROGRESS))


def with_priority(qs: QuerySet[Ticket], now: dt.datetime) -> QuerySet[Ticket]:
    """`live_priority` = 2 supervised (any card) and overdue now, 1 either, 0 neither, computed per row: for small
    sets (the dashboard's overdue list). The inbox orders by the stored Ticket.priority instead (issues.inbox)."""
    overdue = Case(When(overdue_q(now), then=Value(1)), default=Value(0), output_field=IntegerField())
    supervised = Case(When(supervision__gt=0, status__in=OPEN_STATUSES, then=Value(1)), default=Value(0))
    return qs.annotate(live_priority=overdue + supervised)


def notifications_of(user: User) -> QuerySet[Notification]:
    """Mine, unread first, then newest."""
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return Notification.objects.filter(user=user).select_related("ticket").order_by(unread_first, "-created_at", "-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def ticket_points(
    qs: QuerySet[Ticket], bbox: tuple[float, float, float, float], *, fields: tuple[str, ...], limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """The tickets of `qs` in the box as GeoJSON points, supervised then newest first, at most `limit`: `fields` as
    properties plus `overdue` (open and past due now); and whether more were left out. Used by the map layer of the
    API and by the wall screen's display link, which asks for fewer fields."""
    min_lng, min_lat, max_lng, max_lat = bbox
    rows = list(
        qs.filter(lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng)
        .order_by("-supervision", "-created_at", "-id")
        .values(*fields, "status", "due_at", "lat", "lng")[: limit + 1]
    )
    now = timezone.now()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r["lng"], r["lat"]]},
            "properties": {
                **{name: r[name] for name in fields},
                "overdue": bool(r["due_at"] and r["due_at"] < now and r["status"] in OPEN_STATUSES),
            },
        }
        for r in rows[:limit]
    ]
    return features, len(rows) > limit
