"""Reads of the visits app. Every view starts from `visits_visible_to` (SPEC §1: out of scope = 404)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet

from campaign.models import Role, User
from campaign.scope import sees_everything, within
from issues.models import Ticket
from visits.filters import VisitFilter
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


def visits_filtered(user: User, params: Mapping[str, str]) -> QuerySet[Visit]:
    """The user's visits narrowed by the list filters (visits/filters.py): scope first, then the FilterSet.
    Invalid (400 naming the field) on a bad value; OutOfScope (404) for a `unit` outside the scope. For callers
    without a request (the ledger export); the API views apply the same FilterSet through DjangoFilterBackend."""
    return VisitFilter(params, queryset=visits_visible_to(user), user=user).filtered()


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
