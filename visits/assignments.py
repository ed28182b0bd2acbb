"""Reads of assignments that need the visits (issue 16 item 1): the phone page's 我包联的 list and the coverage of
assignments per assignee and per assignment list. Writes are campaign.assignments'.

"Visited" means visited by the assignee themselves (包户 is personal: the cadre answers for their doors); households,
enterprises and key projects (a visit names one with target_type "project", issue 16 item 6) are all visited, and
projects are also counted apart (`projects`). A household or enterprise that took part in a meeting the assignee held
(座谈会, visits.meetings) is visited on the meeting's day, as the statistics count it. See docs/decisions.md,
"Assignments".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from campaign.assignments import assignments_visible_to
from campaign.days import day_start
from campaign.models import Assignment, AssignmentTarget, Campaign, OrgUnit, User
from campaign.scope import in_subtree
from campaign.selectors import campaign_of
from campaign.validators import mask_name
from visits.models import Visit, VisitParticipant

MY_ASSIGNMENTS_SHOWN = 50  # the phone page lists this many (not visited first); the count says how many in all
VISITABLE = (AssignmentTarget.HOUSEHOLD, AssignmentTarget.ENTERPRISE, AssignmentTarget.PROJECT)
GROUPS = {"user": ("user_id", "user__username", "user__display_name"), "batch": ("batch",)}


def _assignee_visits(**filters: Any) -> list[QuerySet[Any]]:
    """The assignee's visits of the assignment's target, one queryset per visitable type (each meets an index:
    visit_household_idx / visit_enterprise_idx / visit_project_idx lead with the target), and the meetings the
    assignee held where the household or enterprise took part (participant_household_idx / participant_enterprise_idx;
    the join to the meeting names its `visited_at` too, so PostgreSQL probes one month's partition). `filters` name
    `campaign_id` and `visited_at`, which a participant row carries as its meeting's."""
    own = [
        Visit.objects.filter(cadre=OuterRef("user_id"), **{field: OuterRef(f"{field}_id")}, **filters)
        for field in ("household", "enterprise", "project")
    ]
    met = [
        VisitParticipant.objects.filter(
            visit__cadre=OuterRef("user_id"),
            visit__visited_at=F("visited_at"),
            **{field: OuterRef(f"{field}_id")},
            **filters,
        )
        for field in ("household", "enterprise")
    ]
    return own + met


def _latest(**filters: Any) -> Greatest:
    """The time of the assignee's latest visit of the target, or latest meeting it took part in (None: never). One
    target per assignment, and participants name households and enterprises only: Greatest of the two kinds."""
    latest = [Subquery(qs.order_by("-visited_at").values("visited_at")[:1]) for qs in _assignee_visits(**filters)]
    visit = Coalesce(*latest[:3], output_field=DateTimeField())  # a household's, an enterprise's or a project's
    meeting = Coalesce(*latest[3:], output_field=DateTimeField())
    # PostgreSQL's GREATEST skips a NULL, SQLite's MAX does not: coalesce both ways
    return Greatest(Coalesce(visit, meeting), Coalesce(meeting, visit), output_field=DateTimeField())


@dataclass(frozen=True)
class AssignedRow:
    """One row of 我包联的: what the page shows and what its 记录走访 needs."""

    type: str
    id: int
    name: str  # a household's head masked (SPEC §2)
    address: str
    lat: float | None
    lng: float | None
    batch: str
    visited: bool  # in the current campaign
    last_visit: dt.datetime | None


@dataclass(frozen=True)
class MyAssignments:
    rows: list[AssignedRow]
    total: int
    not_visited: int
    campaign: Campaign | None


def _row(a: Any) -> AssignedRow:
    target = a.household or a.enterprise or a.project
    name = mask_name(a.household.head_name) if a.household else target.name
    return AssignedRow(
        type=a.target_type,
        id=target.pk,
        name=name,
        address=target.address,
        lat=target.lat,
        lng=target.lng,
        batch=a.batch,
        visited=a.campaign_visit is not None,
        last_visit=a.last_visit,
    )


def my_assignments(user: User, *, limit: int = MY_ASSIGNMENTS_SHOWN) -> MyAssignments:
    """The user's own assignments for /m/: not yet visited in the current campaign first (never visited before
    those visited in an earlier one), then by last visit, oldest first; at most `limit` rows, with the counts.
    Three queries (the campaign, the counts, the rows), however many assignments."""
    campaign = campaign_of(user.unit)
    mine = assignments_visible_to(user).filter(user=user)
    in_campaign = _latest(campaign_id=campaign.pk) if campaign else Value(None, output_field=DateTimeField())
    counts = mine.aggregate(
        total=Count("id"),
        # no campaign running: nothing is visited "in the current campaign" (a filter that matches no row)
        visited=Count(
            "id", filter=Q(target_type__in=VISITABLE) & _visited_q(campaign_id=campaign.pk) if campaign else Q(pk=None)
        ),
    )
    rows = (
        mine.select_related("household", "enterprise", "project")
        .annotate(last_visit=_latest(), campaign_visit=in_campaign)
        .order_by(F("campaign_visit").asc(nulls_first=True), F("last_visit").asc(nulls_first=True), "id")[:limit]
    )
    total = counts["total"]
    return MyAssignments(
        rows=[_row(a) for a in rows], total=total, not_visited=total - counts["visited"], campaign=campaign
    )


def _visited_q(**filters: Any) -> Q:
    """The assignee visited the target under `filters`, or met it at a meeting they held."""
    return reduce(or_, [Q(Exists(qs)) for qs in _assignee_visits(**filters)])


def assignment_coverage(
    viewer: User, *, date_from: dt.date, date_to: dt.date, unit: OrgUnit | None = None, by: str = "user"
) -> list[dict[str, Any]]:
    """Coverage of the assignments in the viewer's scope (and in `unit`), per assignee (`by="user"`) or per
    assignment list (`by="batch"`): assigned households and enterprises, how many of them the assignee visited in
    the period (Asia/Shanghai days, inclusive), the fraction (None when nothing is assigned), and projects apart.
    One query, however many users."""
    if by not in GROUPS:
        raise ValueError(f"by must be one of {sorted(GROUPS)}")
    start, end = day_start(date_from), day_start(date_to + dt.timedelta(days=1))
    qs = assignments_visible_to(viewer)
    if unit is not None:
        qs = in_subtree(qs, unit)
    visited = Case(
        When(_visited_q(visited_at__gte=start, visited_at__lt=end), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        qs.values(*GROUPS[by])
        .annotate(
            assigned=Count("id", filter=Q(target_type__in=VISITABLE)),
            projects=Count("id", filter=Q(target_type=AssignmentTarget.PROJECT)),
            visited=Coalesce(Sum(visited), 0),
            assignees=Count("user_id", distinct=True),
        )
        .order_by(*GROUPS[by])
    )
    return [_coverage_row(row, by) for row in rows]


def coverage_of_users(user_ids: list[int], *, date_from: dt.date, date_to: dt.date) -> dict[int, float | None]:
    """{user id: the share of their assigned targets they visited in the period} (None: nothing assigned to them),
    as assignment_coverage counts it, for the rows of a page of users (dashboard.cadres). One query; none for none."""
    if not user_ids:
        return {}
    start, end = day_start(date_from), day_start(date_to + dt.timedelta(days=1))
    visited = Case(
        When(_visited_q(visited_at__gte=start, visited_at__lt=end), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    rows = (
        Assignment.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(assigned=Count("id", filter=Q(target_type__in=VISITABLE)), visited=Coalesce(Sum(visited), 0))
        .order_by()
    )
    return {r["user_id"]: r["visited"] / r["assigned"] if r["assigned"] else None for r in rows}


def _coverage_row(row: dict[str, Any], by: str) -> dict[str, Any]:
    out: dict[str, Any] = (
        {"user": row["user_id"], "username": row["user__username"], "name": row["user__display_name"]}
        if by == "user"
        else {"batch": row["batch"], "assignees": row["assignees"]}
    )
    assigned, visited = row["assigned"], row["visited"]
    out.update(
        assigned=assigned, visited=visited, coverage=visited / assigned if assigned else None, projects=row["projects"]
    )
    return out


def assignments_of(viewer: User) -> QuerySet[Assignment]:
    """The assignment list of the API: scope first, with what each row shows."""
    return assignments_visible_to(viewer).select_related(
        "user", "household", "enterprise", "project", "unit", "assigned_by"
    )
