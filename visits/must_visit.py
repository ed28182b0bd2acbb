"""Must-visit lists (四门必敲, issue 16 item 2): which households must be visited, which are overdue, and the coverage
per unit. Reads only; the daily reminders are visits.must_visit_reminders'.

A household is a must-visit on a day when the campaign that governs its unit that day (the rule of
campaign.selectors.campaign_of: the active campaign running that day in which the unit or an ancestor takes part,
the newest start when several do) names must-visit tags and an interval of N days, and the household carries one of
those tags. It is overdue when no visit of it in that campaign (by any cadre) falls in the last N days: never visited,
or last visited more than N days before. A meeting it took part in (座谈会, visits.meetings: a VisitParticipant row)
counts as a visit on the meeting's day, as the statistics count it (visited N days ago: due today, not yet overdue). Overdue by more than 2·N
days is what the grid's leader is told of (visits.must_visit_reminders).

Cost: a fixed number of queries whatever the subtree's size (one for the governing campaigns, then one or two), and
visits are read only since the day − REACH·N of their campaign (a literal lower bound on `visited_at`, so that
PostgreSQL reads only the recent months' partitions of visits_visit). A visit older than that window is not known:
such a household is overdue by more than 2·N days either way, its last visit shown as "not within the window".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest, Substr

from campaign.days import day_start, local_day, today
from campaign.models import Campaign, Household, OrgUnit, Role, User
from campaign.models.must_visit import must_visit_errors
from campaign.models.org import PATH_STEP, path_prefixes
from campaign.scope import households_visible_to, in_subtree
from campaign.validators import mask_name
from visits.models import Visit, VisitParticipant

REACH = 3  # rows read a household's visits of the last 3·N days: enough to tell overdue by more than 2·N
MY_MUST_VISITS_SHOWN = 50  # the phone page lists this many (overdue first); the counts say how many in all


@dataclass(frozen=True)
class Rule:
    """A running campaign's must-visit rule."""

    campaign_id: int
    tags: tuple[str, ...]
    days: int
    start: dt.date


@dataclass(frozen=True)
class Governance:
    """The must-visit rule governing each region (a participating unit's subtree) on `day`: deepest region first, so
    that the first region holding a household names its rule (None: its campaign has no must-visit list)."""

    day: dt.date
    regions: list[tuple[str, Rule | None]]

    @property
    def rules(self) -> list[Rule]:
        return list({rule.campaign_id: rule for _, rule in self.regions if rule is not None}.values())


def governance(unit: OrgUnit | None, day: dt.date) -> Governance:
    """The regions of the campaigns running on `day` that reach `unit`'s subtree (all units: None), each with the rule
    of the campaign that governs it — campaign_of's order: newest start, then newest id. One query."""
    links = Campaign.units.through.objects.filter(
        campaign__is_active=True, campaign__start_date__lte=day, campaign__end_date__gte=day
    )
    if unit is not None:
        links = links.filter(Q(orgunit__path__in=path_prefixes(unit.path)) | Q(orgunit__path__startswith=unit.path))
    rows = list(
        links.values_list(
            "orgunit__path",
            "campaign_id",
            "campaign__start_date",
            "campaign__must_visit_tags",
            "campaign__must_visit_days",
        )
    )
    regions = []
    for path in sorted({row[0] for row in rows}, key=len, reverse=True):
        covering = [row for row in rows if path.startswith(row[0])]
        _, pk, start, tags, days = max(covering, key=lambda row: (row[2], row[1]))
        valid = days is not None and tags and not must_visit_errors(tags, days)  # a refused stored value: no list
        regions.append((path, Rule(pk, tuple(tags), days, start) if days is not None and valid else None))
    return Governance(day, regions)


def tagged_any(tags: tuple[str, ...]) -> Q:
    """Households carrying one of `tags` (Household.tags, a JSON list). PostgreSQL: jsonb `?|` (an array's string
    elements); SQLite (the embedded demo), which has no such lookup: json_each, in the same one query."""
    if connection.vendor == "postgresql":
        return Q(tags__has_any_keys=list(tags))
    marks = ", ".join(["%s"] * len(tags))
    table = Household._meta.db_table
    sql = f'EXISTS (SELECT 1 FROM json_each("{table}"."tags") WHERE json_each.value IN ({marks}))'  # noqa: S608
    return Q(RawSQL(sql, tags, output_field=BooleanField()))


def _campaign_case(gov: Governance) -> Case:
    whens = [
        When(unit__path__startswith=path, then=Value(rule.campaign_id if rule else None)) for path, rule in gov.regions
    ]
    return Case(*whens, default=Value(None), output_field=IntegerField())


def must_visits(households: QuerySet[Household], gov: Governance) -> QuerySet[Household]:
    """The must-visit households among `households`, each annotated with `mv_campaign` (its governing campaign's id).
    None when no campaign there has a must-visit list."""
    rules = gov.rules
    qs = households.annotate(mv_campaign=_campaign_case(gov))
    if not rules:
        return qs.none()
    return qs.filter(reduce(or_, [Q(mv_campaign=rule.campaign_id) & tagged_any(rule.tags) for rule in rules]))


def _seen(model: type[Visit] | type[VisitParticipant], gov: Governance, reach: int) -> QuerySet[Any]:
    """Visits of the outer household in its governing campaign since day − reach·N of that campaign, up to the end of
    the day: its own visits (model Visit) or the meetings it took part in (model VisitParticipant, which carries the
    meeting's `visited_at` and `campaign_id`). The literal floor (the earliest of those days) lets PostgreSQL skip the
    older months' partitions of visits_visit."""
    rules = gov.rules
    since = {rule.campaign_id: day_start(gov.day - dt.timedelta(days=reach * rule.days)) for rule in rules}
    windows = reduce(or_, [Q(campaign_id=pk, visited_at__gte=moment) for pk, moment in since.items()], Q(pk=None))
    return model.objects.filter(
        windows,
        household=OuterRef("pk"),
        campaign_id=OuterRef("mv_campaign"),
        visited_at__gte=min(since.values(), default=day_start(gov.day)),
        visited_at__lt=day_start(gov.day + dt.timedelta(days=1)),
    )


def _seen_q(gov: Governance, reach: int) -> Q:
    """Visited, or met at a meeting (a participant counts as visited on the meeting's day, visits.meetings), since
    day − reach·N."""
    return Q(Exists(_seen(Visit, gov, reach))) | Q(Exists(_seen(VisitParticipant, gov, reach)))


def _last_seen(gov: Governance) -> Greatest:
    """The latest of its last visit and its last meeting in the window (None: neither). Greatest of the two
    coalesced both ways: PostgreSQL's GREATEST skips a NULL, SQLite's MAX does not."""
    last = [
        Subquery(_seen(model, gov, REACH).order_by("-visited_at").values("visited_at")[:1])
        for model in (Visit, VisitParticipant)
    ]
    return Greatest(Coalesce(last[0], last[1]), Coalesce(last[1], last[0]), output_field=DateTimeField())


def visited_within_n(gov: Governance) -> ExpressionWrapper:
    """Visited (or met at a meeting) within N days: not overdue."""
    return ExpressionWrapper(_seen_q(gov, 1), output_field=BooleanField())


def escalated_q(gov: Governance) -> Q:
    """Overdue by more than 2·N days: no visit (nor meeting) since day − 3·N, in a campaign that began at least 2·N
    days before (never visited in a younger one is overdue by at most 2·N days: days since its start)."""
    old = [r.campaign_id for r in gov.rules if r.start <= gov.day - dt.timedelta(days=(REACH - 1) * r.days)]
    return Q(mv_campaign__in=old) & ~_seen_q(gov, REACH)


@dataclass(frozen=True)
class MustVisitRow:
    """One must-visit household: what the phone page shows, what its 记录走访 needs, and its clock."""

    id: int
    name: str  # the head's name, masked (SPEC §2)
    address: str
    lat: float | None
    lng: float | None
    unit_id: int
    unit_name: str
    tags: list[str]  # the tags that make it a must-visit
    days: int  # N
    last_visit: dt.datetime | None  # its latest visit in the campaign within the last REACH·N days
    due: dt.date | None  # visit again by this day (None: overdue with no visit in the window)
    overdue: bool
    overdue_days: int  # 0 when not overdue; never visited: days since the campaign began; unknown: at least 2·N + 1
    never_visited: bool  # no visit in the campaign at all (the window covers the whole campaign)
    escalated: bool  # overdue by more than 2·N days: the grid's leader is told


def _clock(last: dt.datetime | None, rule: Rule, day: dt.date) -> dict[str, Any]:
    if last is not None:
        due = local_day(last) + dt.timedelta(days=rule.days)
        late = max((day - due).days, 0)
        return {"due": due, "overdue": late > 0, "overdue_days": late, "never_visited": False}
    window_from = day - dt.timedelta(days=REACH * rule.days)
    never = rule.start >= window_from
    late = (day - rule.start).days + 1 if never else (REACH - 1) * rule.days + 1
    return {"due": None, "overdue": True, "overdue_days": late, "never_visited": never}


def _row(household: Any, rules: dict[int, Rule], day: dt.date) -> MustVisitRow:
    rule = rules[household.mv_campaign]
    clock = _clock(household.last_visit, rule, day)
    return MustVisitRow(
        id=household.pk,
        name=mask_name(household.head_name),
        address=household.address,
        lat=household.lat,
        lng=household.lng,
        unit_id=household.unit_id,
        unit_name=household.unit.name,
        tags=[tag for tag in household.tags if tag in rule.tags],
        days=rule.days,
        last_visit=household.last_visit,
        escalated=clock["overdue_days"] > 2 * rule.days,
        **clock,
    )


@dataclass(frozen=True)
class MustVisitList:
    rows: list[MustVisitRow]
    total: int  # must-visit households in all
    overdue: int  # of which overdue


def _listed(
    households: QuerySet[Household],
    day: dt.date,
    gov: Governance,
    limit: int,
    only_overdue: bool,
    counted: tuple[int, int] | None = None,
) -> MustVisitList:
    """Overdue first (never visited, then the oldest last visit), then the soonest due; at most `limit` rows, with the
    counts. Two queries after the governance's; one given the counts (`counted`: total, overdue). Within one campaign
    (one N) the order of the last visit is the order of the due day; a subtree under campaigns of different N is
    ordered by last visit alone."""
    qs = must_visits(households, gov)
    if not gov.rules:
        return MustVisitList(rows=[], total=0, overdue=0)
    if counted is None:
        counts = qs.annotate(recent=visited_within_n(gov)).aggregate(
            total=Count("id"), overdue=Count("id", filter=Q(recent=False))
        )
    else:
        counts = {"total": counted[0], "overdue": counted[1]}
    if only_overdue:
        qs = qs.filter(~_seen_q(gov, 1))
    rows = qs.annotate(last_visit=_last_seen(gov)).order_by(F("last_visit").asc(nulls_first=True), "id")[:limit]
    rules = {rule.campaign_id: rule for rule in gov.rules}
    return MustVisitList(rows=[_row(h, rules, day) for h in rows], total=counts["total"], overdue=counts["overdue"])


def my_must_visits(
    user: User, day: dt.date | None = None, *, limit: int = MY_MUST_VISITS_SHOWN
) -> MustVisitList | None:
    """The must-visits of a cadre's scope (their grid, or their community's grids) on `day` (default today) for /m/:
    overdue first. None for other roles (the page shows no section then). Three queries, however many households."""
    if user.role != Role.CADRE or user.unit is None:
        return None
    day = day or today()
    return _listed(households_visible_to(user), day, governance(user.unit, day), limit, only_overdue=False)


def overdue_must_visits(
    unit: OrgUnit,
    day: dt.date,
    limit: int,
    gov: Governance | None = None,
    counted: tuple[int, int] | None = None,
) -> MustVisitList:
    """The overdue must-visits of `unit`'s subtree, the longest overdue first, at most `limit` rows, with the counts
    (for the dashboard's list; the caller checks the unit is in scope). Three queries; two given `gov`, the unit's
    governance(unit, day) the caller read already; one given `gov` and `counted` (total, overdue), which the
    dashboard sums from must_visit_coverage's rows (the same households under the same clock)."""
    households = in_subtree(Household.objects.select_related("unit"), unit)
    return _listed(households, day, gov or governance(unit, day), limit, only_overdue=True, counted=counted)


def must_visit_coverage(unit: OrgUnit, day: dt.date, gov: Governance | None = None) -> list[dict[str, Any]]:
    """Per child unit of `unit` (and `unit` itself when must-visit households lie at its own level, or when it has no
    children): must-visit households, those visited within their N days, overdue, and the coverage fraction (None
    when there is none), in the tree's order. Three queries, whatever the subtree's size (for the dashboard; the
    caller checks the unit is in scope); two given `gov`, as overdue_must_visits."""
    gov = gov or governance(unit, day)
    branch = Substr("unit__path", 1, len(unit.path) + PATH_STEP)
    counts: dict[str, dict[str, int]] = {}
    if gov.rules:
        grouped = (
            must_visits(in_subtree(Household.objects.all(), unit), gov)
            .annotate(branch=branch, recent=visited_within_n(gov))
            .values("branch")
            .annotate(must_visit=Count("id"), visited=Count("id", filter=Q(recent=True)))
            .order_by()
        )
        counts = {row["branch"]: row for row in grouped}
    units = OrgUnit.objects.filter(Q(parent=unit) | Q(pk=unit.pk)).only("pk", "name", "path").order_by("path")
    out = []
    for child in units:
        row = counts.get(child.path, {})
        must, visited = row.get("must_visit", 0), row.get("visited", 0)
        if child.pk == unit.pk and not must and len(units) > 1:
            continue  # nothing at the unit's own level: its children's rows are the whole
        out.append(
            {
                "unit": child.pk,
                "name": child.name,
                "must_visit": must,
                "visited": visited,
                "overdue": must - visited,
                "coverage": round(visited / must, 4) if must else None,
            }
        )
    return out
