"""Cadre activity (issue 16 item 3): per cadre of a unit's subtree over a period — visits, distinct targets, tickets
raised, days active, last visit, the `inactive` flag. Used by GET /api/v1/stats/cadres/ (dashboard.cadre_api) and
the dashboard page's panel "干部走访活跃度" (dashboard.page_data.cadre_panel).

Read from the raw rows, not the rollups: the rollups are per unit and day, not per person. What keeps that flat:
- visits_visit is partitioned by month on `visited_at` (visits 0003): every visit read here is bounded by constant
  `visited_at` limits, so PostgreSQL touches only the months of the window (plan-time pruning), then the index
  visit_cadre_time_idx (cadre, visited_at) inside each; tickets through ticket_created_by_idx (created_by, created_at).
- one query of users, each figure a correlated subquery of that cadre's rows: the page's ordering and LIMIT happen
  in the database, and the query count is the same for 2 cadres or 20,000 (PostgreSQL computes the subqueries not
  needed for the ORDER BY only for the rows of the page).

Definitions (docs/decisions.md, "Cadre activity"): `last_visit` is the last visit *in the period*; a cadre is
`inactive` when they logged no visit on any of the `inactive_days` Asia/Shanghai days ending on the period's last
day (or today, if the period ends later). Both stay inside the months of the period and of that window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from campaign.days import day_start, today
from campaign.models import OrgUnit, Role, User
from campaign.scope import in_subtree
from issues.models import Ticket
from visits.assignments import coverage_of_users
from visits.models import Visit

# ?ordering= → ORDER BY (id last: a stable page order). "last_visit" puts the cadres without a visit in the period
# first: the question a leader asks of it is "who has not been out".
ORDERINGS: dict[str, tuple[Any, ...]] = {
    "-visits": (F("visit_count").desc(), F("last_visit").desc(nulls_last=True), "id"),
    "visits": (F("visit_count").asc(), F("last_visit").asc(nulls_first=True), "id"),
    "-last_visit": (F("last_visit").desc(nulls_last=True), "id"),
    "last_visit": (F("last_visit").asc(nulls_first=True), "id"),
    "name": ("display_name", "username", "id"),
}
DEFAULT_ORDERING = "-visits"
PANEL_SHOWN = 10  # the dashboard panel's rows; the rest through stats/cadres/
INACTIVE_DAYS_RANGE = (1, 366)


@dataclass(frozen=True)
class CadreQuery:
    """A scoped question: `unit` already went through campaign.scope (None: everything, a superuser)."""

    unit: OrgUnit | None
    date_from: dt.date
    date_to: dt.date
    inactive_days: int
    campaign_id: int = 0  # 0: every campaign
    only: int | None = None  # a cadre reading the list: their own row alone
    inactive: bool | None = None  # keep only the inactive (True) or the active (False) cadres

    @property
    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the period as aware datetimes: Asia/Shanghai days (campaign.days)."""
        return day_start(self.date_from), day_start(self.date_to + dt.timedelta(days=1))

    @property
    def reference_day(self) -> dt.date:
        """The day `inactive` is judged at: the period's last day, or today if the period ends later."""
        return min(self.date_to, today())

    @property
    def recent(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the `inactive_days` days ending on reference_day: a visit in it makes a cadre active."""
        last = self.reference_day
        return day_start(last - dt.timedelta(days=self.inactive_days - 1)), day_start(last + dt.timedelta(days=1))


def cadres_in(q: CadreQuery) -> QuerySet[User]:
    """Active accounts of role cadre whose home unit lies in the subtree (one of them: `only`)."""
    qs = in_subtree(User.objects.filter(role=Role.CADRE, is_active=True), q.unit)
    return qs.filter(pk=q.only) if q.only is not None else qs


def _visits(q: CadreQuery, start: dt.datetime, end: dt.datetime) -> QuerySet[Visit]:
    """The cadre's (OuterRef) visits in [start, end): constant bounds on visited_at, so only their months are read."""
    qs = Visit.objects.filter(cadre=OuterRef("pk"), visited_at__gte=start, visited_at__lt=end)
    return qs.filter(campaign_id=q.campaign_id) if q.campaign_id else qs


def _per_cadre(rows: QuerySet[Any], aggregate: Any, key: str = "cadre") -> Subquery:
    """One aggregate over the cadre's rows, as a scalar subquery (GROUP BY the cadre: one row or none)."""
    return Subquery(rows.order_by().values(key).annotate(v=aggregate).values("v")[:1])


def activity(q: CadreQuery, ordering: str = DEFAULT_ORDERING) -> QuerySet[User]:
    """The cadres of the question, each annotated with its figures, in `ordering` (one of ORDERINGS): one query
    however many cadres (slice it for a page)."""
    start, end = q.period
    period = _visits(q, start, end)
    tickets = Ticket.objects.filter(created_by=OuterRef("pk"), created_at__gte=start, created_at__lt=end)
    if q.campaign_id:
        tickets = tickets.filter(campaign_id=q.campaign_id)
    zero = Value(0, output_field=IntegerField())
    local_day = TruncDate("visited_at", tzinfo=timezone.get_default_timezone())
    qs = (
        cadres_in(q)
        .select_related("unit")
        .annotate(
            visit_count=Coalesce(_per_cadre(period, Count("pk")), zero),  # not `visits`: User.visits is the relation
            last_visit=_per_cadre(period, Max("visited_at")),
            target_count=Coalesce(
                _per_cadre(period, Count("household", distinct=True) + Count("enterprise", distinct=True)), zero
            ),
            days_active=Coalesce(_per_cadre(period, Count(local_day, distinct=True)), zero),
            tickets_raised=Coalesce(_per_cadre(tickets, Count("pk"), key="created_by"), zero),
            active_lately=Exists(_visits(q, *q.recent)),
        )
    )
    if q.inactive is not None:
        qs = qs.filter(active_lately=not q.inactive)
    return qs.order_by(*ORDERINGS[ordering])


def cadre_counts(q: CadreQuery) -> tuple[int, int]:
    """How many cadres the question has, and how many of them are inactive (the dashboard panel's headline): one
    query."""
    qs = cadres_in(q).annotate(active_lately=Exists(_visits(q, *q.recent)))
    found = qs.aggregate(total=Count("pk"), inactive=Count("pk", filter=Q(active_lately=False)))
    return int(found["total"]), int(found["inactive"])


def rows_of(users: list[User], q: CadreQuery) -> list[dict[str, Any]]:
    """The rows of a page of users from `activity`, with the share of their assignments (包户/包企/挂点) each visited
    in the period (visits.assignments.coverage_of_users: one query for the page; None: nothing assigned)."""
    coverage = coverage_of_users([user.pk for user in users], date_from=q.date_from, date_to=q.date_to)
    return [row_of(user, coverage.get(user.pk)) for user in users]


def row_of(user: User, coverage: float | None = None) -> dict[str, Any]:
    """The API's row (dashboard.cadre_api.CadreActivitySerializer) of one annotated user from `activity`."""
    unit = user.unit
    return {
        "cadre": {"id": user.pk, "name": str(user)},
        "unit": {"id": unit.pk, "name": unit.name} if unit is not None else None,
        "visits": user.visit_count,  # type: ignore[attr-defined]
        "targets": user.target_count,  # type: ignore[attr-defined]
        "tickets_raised": user.tickets_raised,  # type: ignore[attr-defined]
        "days_active": user.days_active,  # type: ignore[attr-defined]
        "last_visit": user.last_visit,  # type: ignore[attr-defined]
        "inactive": not user.active_lately,  # type: ignore[attr-defined]
        "assignment_coverage": coverage,
    }


def top_cadres(q: CadreQuery, n: int) -> list[dict[str, Any]]:
    """The first `n` rows in the default order (most visits first), with their assignment coverage: two queries."""
    return rows_of(list(activity(q)[:n]), q)


def panel(unit: OrgUnit | None, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """The dashboard's panel "干部走访活跃度": the PANEL_SHOWN cadres of the subtree with the most visits in the period
    (stats/cadres/' default order), how many cadres there are and how many are inactive (no visit on any of the last
    CADRE_INACTIVE_DAYS days of the period). Three queries, whatever the number of cadres. The wide units' cache rows
    keep it for the usual periods (dashboard.periods, as `panel_stored`)."""
    query = CadreQuery(unit=unit, date_from=date_from, date_to=date_to, inactive_days=int(settings.CADRE_INACTIVE_DAYS))
    total, inactive = cadre_counts(query)
    return {
        "rows": top_cadres(query, PANEL_SHOWN),
        "total": total,
        "inactive": inactive,
        "inactive_days": query.inactive_days,
    }


def panel_stored(shown: dict[str, Any]) -> dict[str, Any]:
    """`panel` as JSON keeps it: each row's `last_visit` as ISO text (panel_loaded reads it back)."""
    rows = [
        {**row, "last_visit": row["last_visit"].isoformat() if row["last_visit"] else None} for row in shown["rows"]
    ]
    return {**shown, "rows": rows}


def panel_loaded(stored: dict[str, Any]) -> dict[str, Any]:
    rows = [
        {**row, "last_visit": dt.datetime.fromisoformat(row["last_visit"]) if row["last_visit"] else None}
        for row in stored["rows"]
    ]
    return {**stored, "rows": rows}
