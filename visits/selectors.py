"""Reads of the visits app. Every view starts from `visits_visible_to` (SPEC §1: out of scope = 404)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from campaign.models import Role, User
from campaign.scope import sees_everything, within
from issues.models import Ticket
from visits.models import Visit

MAX_GEO_FEATURES = 5000  # the map layer: newest first, never more than this in one answer


def visits_visible_to(user: User) -> QuerySet[Visit]:
    """A cadre sees their own visits; every other role the visits whose unit is in scope, plus their own
    (a department's handler logs door-to-door visits in units outside the department's subtree)."""
    base = Visit.objects.all()
    if not user.is_authenticated:
        return base.none()
    if user.role == Role.CADRE and not user.is_superuser:
        return base.filter(cadre=user)
    if sees_everything(user):
        return base
    return within(base, user) | base.filter(cadre=user)


def with_list_relations(qs: QuerySet[Visit]) -> QuerySet[Visit]:
    return qs.select_related("cadre", "unit", "point_unit", "household", "enterprise", "ticket").prefetch_related(
        "photos"
    )


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of an Asia/Shanghai day (settings.TIME_ZONE) as aware datetimes."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def filter_visits(
    qs: QuerySet[Visit],
    *,
    unit_path: str | None = None,
    cadre_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    geo_status: str | None = None,
) -> QuerySet[Visit]:
    """The list filters of SPEC §7; dates are inclusive Asia/Shanghai days."""
    if unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    if cadre_id is not None:
        qs = qs.filter(cadre_id=cadre_id)
    if date_from is not None:
        qs = qs.filter(visited_at__gte=day_bounds(date_from)[0])
    if date_to is not None:
        qs = qs.filter(visited_at__lt=day_bounds(date_to)[1])
    if geo_status:
        qs = qs.filter(geo_status=geo_status)
    return qs


def tickets_raised_on(visit_ids: Iterable[Any]) -> dict[Any, list[dict[str, Any]]]:
    """{visit id: [{id, code}, ...]} in one query (Ticket.visit_id is a plain UUID, not a relation)."""
    raised: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    ids = list(visit_ids)
    if not ids:
        return raised
    rows = Ticket.objects.filter(visit_id__in=ids).order_by("id").values("id", "code", "visit_id")
    for row in rows:
        raised[row["visit_id"]].append({"id": row["id"], "code": row["code"]})
    return raised
