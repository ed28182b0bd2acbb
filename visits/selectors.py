"""Reads of the visits app. Every view starts from `visits_visible_to` (SPEC §1: out of scope = 404)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.errors import Invalid
from campaign.models import Role, User
from campaign.params import day_param, int_param
from campaign.scope import sees_everything, unit_in_scope, within
from issues.models import Ticket
from visits.models import GeoStatus, Visit

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


def visits_filtered(user: User, params: Any) -> QuerySet[Visit]:
    """The user's visits narrowed by the list filters in `params` (a mapping of query parameters); bad values →
    Invalid naming the parameter. The ledger's selector (visits/ledgers.py)."""
    unit_path = unit_in_scope(user, params["unit"]).path if params.get("unit") else None
    geo_status = params.get("geo_status") or None
    if geo_status and geo_status not in GeoStatus.values:
        raise Invalid.field("geo_status", _("取值应为：%(v)s") % {"v": ", ".join(GeoStatus.values)})
    date_from, date_to = day_param(params, "date_from"), day_param(params, "date_to")
    if date_from and date_to and date_from > date_to:
        raise Invalid.field("date_to", _("结束日期不能早于开始日期。"))
    return filter_visits(
        visits_visible_to(user),
        unit_path=unit_path,
        cadre_id=int_param(params, "cadre"),
        date_from=date_from,
        date_to=date_to,
        geo_status=geo_status,
    )


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


def door_to_door_proof_exists(*, ticket: Ticket) -> bool:
    """The door_to_door resolve rule (SPEC §5): a geo-verified visit naming the ticket, logged after the ticket
    was accepted, by a user whose home unit lies in the ticket's lead-unit subtree. Used by issues' machine."""
    if ticket.accepted_at is None or ticket.lead_unit_id is None:
        return False
    lead_path = ticket.lead_unit.path  # type: ignore[union-attr]
    return Visit.objects.filter(
        ticket=ticket,
        geo_status=GeoStatus.VERIFIED,
        visited_at__gt=ticket.accepted_at,
        cadre__unit__path__startswith=lead_path,
    ).exists()
