"""Reads behind the leaders' dashboard page (/dashboard/) that the stats selectors do not give.

Used by dashboard/views.py and dashboard/export.py. The headline figures and the ranking come from
dashboard.selectors (the same functions as /api/v1/stats/…, so page and API agree); here live the period a page
asks for, the category breakdown (one GROUP BY over the rollups), the overdue / supervised list (20 rows) and the
grid boundaries of a subtree for the map. Each is one bounded query whatever the data size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Min, Q, QuerySet, Sum
from django.http import QueryDict
from django.utils import timezone

from campaign.days import today
from campaign.errors import Invalid
from campaign.models import Campaign, OrgUnit, UnitKind, User
from campaign.models.org import path_prefixes
from campaign.params import day_param
from campaign.scope import in_subtree
from dashboard.models import DailyRollup
from issues.models import OPEN_STATUSES, Ticket
from issues.selectors import overdue_q, tickets_for_list, with_priority

PERIODS = ("today", "7d", "30d", "all", "custom")
DEFAULT_PERIOD = "30d"
MAX_PERIOD_DAYS = 3660  # ten campaign years: anything longer is a typo, not a question
OVERDUE_SHOWN = 20
CATEGORIES_SHOWN = 12
MAX_GRIDS = 3000  # the map draws at most this many boundaries (a district has a few hundred grids)

# The level ranked under a unit (SPEC §6: streets under a district, communities under a street, …).
CHILD_LEVEL = {
    UnitKind.DISTRICT: UnitKind.STREET,
    UnitKind.STREET: UnitKind.COMMUNITY,
    UnitKind.COMMUNITY: UnitKind.GRID,
}


@dataclass(frozen=True)
class Period:
    key: str  # one of PERIODS
    date_from: dt.date
    date_to: dt.date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Period | None:
        """The period of the same length just before this one; none for the whole campaign."""
        if self.key == "all":
            return None
        date_to = self.date_from - dt.timedelta(days=1)
        return Period(self.key, date_to - dt.timedelta(days=self.days - 1), date_to)


def campaign_start(unit: OrgUnit | None) -> dt.date | None:
    """The first day of the campaign the unit takes part in (through itself or an ancestor); one query."""
    qs = Campaign.objects.filter(is_active=True)
    if unit is not None:
        qs = qs.filter(units__path__in=path_prefixes(unit.path))
    return qs.aggregate(first=Min("start_date"))["first"]


def period_of(params: QueryDict, unit: OrgUnit | None) -> Period:
    """`period=today|7d|30d|all`, or date_from/date_to (a custom range); bad values → Invalid naming the field."""
    key = params.get("period") or ("custom" if params.get("date_from") or params.get("date_to") else DEFAULT_PERIOD)
    if key not in PERIODS:
        raise Invalid.field("period", "可选：" + ", ".join(PERIODS))
    now_day = today()
    if key == "custom":
        date_to = day_param(params, "date_to", now_day)
        date_from = day_param(params, "date_from", date_to - dt.timedelta(days=29))
    elif key == "all":
        date_to, date_from = now_day, campaign_start(unit) or now_day - dt.timedelta(days=89)
    else:
        date_to = now_day
        date_from = now_day - dt.timedelta(days={"today": 0, "7d": 6, "30d": 29}[key])
    if date_from > date_to:
        raise Invalid.field("date_from", "开始日期不能晚于结束日期。")
    if (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
        raise Invalid.field("date_from", "时间范围过长。")
    return Period(key, date_from, date_to)


def categories(unit: OrgUnit | None, period: Period) -> list[dict[str, Any]]:
    """Issues and suggestions per category of the tickets created in the period, most first (one GROUP BY)."""
    qs = DailyRollup.objects.filter(day__gte=period.date_from, day__lte=period.date_to).exclude(category="")
    qs = in_subtree(qs, unit)
    rows = (
        qs.values("category")
        .annotate(issues=Sum("issues_collected"), suggestions=Sum("suggestions"))
        .order_by("-issues", "category")
    )
    result = [
        {"category": r["category"], "issues": r["issues"] or 0, "suggestions": r["suggestions"] or 0}
        for r in rows[: CATEGORIES_SHOWN * 4]
        if (r["issues"] or 0) + (r["suggestions"] or 0)
    ]
    return result[:CATEGORIES_SHOWN]


def overdue_and_supervised(user: User, unit: OrgUnit | None) -> list[Ticket]:
    """Open tickets of the unit's subtree that are overdue or supervised (督办): both first, then the most overdue."""
    now = timezone.now()
    qs: QuerySet[Ticket] = in_subtree(tickets_for_list(user).filter(status__in=OPEN_STATUSES), unit)
    qs = qs.filter(overdue_q(now) | Q(supervision__gt=0))
    rows = list(with_priority(qs, now).order_by("-priority", "-supervision", "due_at", "-id")[:OVERDUE_SHOWN])
    for ticket in rows:
        late = ticket.due_at is not None and ticket.due_at < now
        ticket.overdue_days = max(1, -(-int((now - ticket.due_at).total_seconds()) // 86400)) if late else 0  # type: ignore[attr-defined, operator]
    return rows


def grids_geojson(unit: OrgUnit | None, period: Period) -> dict[str, Any]:
    """The boundaries of the grids in the subtree (at most MAX_GRIDS) and their bounding box, as GeoJSON, each with
    its visits in the period (from the rollups: the map's default shading, flat at any scale)."""
    qs = OrgUnit.objects.filter(kind=UnitKind.GRID, boundary__isnull=False)
    if unit is not None:
        qs = qs.subtree_of(unit)
    rows = list(qs.order_by("path").values("id", "name", "boundary", "parent__name")[: MAX_GRIDS + 1])
    box = qs.aggregate(a=Min("min_lng"), b=Min("min_lat"), c=Max("max_lng"), d=Max("max_lat"))
    visits = visits_by_unit(unit, period)
    features = [
        {
            "type": "Feature",
            "geometry": r["boundary"],
            "properties": {
                "id": r["id"],
                "name": r["name"],
                "community": r["parent__name"],
                "visits": visits.get(r["id"], 0),
            },
        }
        for r in rows[:MAX_GRIDS]
    ]
    bbox = [box["a"], box["b"], box["c"], box["d"]] if None not in box.values() else None
    return {"type": "FeatureCollection", "features": features, "bbox": bbox, "truncated": len(rows) > MAX_GRIDS}


def visits_by_unit(unit: OrgUnit | None, period: Period) -> dict[int, int]:
    """{leaf unit id: visits in the period} over the subtree: one GROUP BY over the rollups' visit rows."""
    qs = DailyRollup.objects.filter(day__gte=period.date_from, day__lte=period.date_to, category="", visits__gt=0)
    qs = in_subtree(qs, unit)
    return {r["unit_id"]: r["n"] for r in qs.values("unit_id").annotate(n=Sum("visits")).order_by()}
