"""Reads of the visits app. Every view starts from `visits_visible_to` (SPEC §1: out of scope = 404)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from campaign.errors import OutOfScope
from campaign.models import Role, User
from campaign.scope import sees_everything, within
from campaign.validators import mask_name
from issues.models import Mode, Status, Ticket
from issues.selectors import tickets_visible_to
from issues.who import lead_unit_handler
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


# --- the door-to-door visit of a ticket (SPEC §4, §8) -----------------------------------------------------------
DOOR_TO_DOOR_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS)


def door_to_door_due(ticket: Ticket, user: User) -> bool:
    """Must `user`'s unit visit the requester of this ticket now? A door_to_door ticket their unit leads, accepted
    and not yet resolved: the visit (after acceptance, by the lead unit) is what `resolve` asks for. The ticket
    page's 记录上门走访 button (visits.templatetags.door_to_door) shows on this answer."""
    return (
        ticket.mode == Mode.DOOR_TO_DOOR and ticket.status in DOOR_TO_DOOR_STATUSES and lead_unit_handler(ticket, user)
    )


def _requester_target(ticket: Ticket) -> dict[str, Any] | None:
    """The registered requester as a target row of the phone page (personal names masked, as in the bootstrap)."""
    if ticket.requester_household is not None:
        h = ticket.requester_household
        return {
            "type": "household",
            "id": h.pk,
            "name": mask_name(h.head_name),
            "address": h.address,
            "lat": h.lat,
            "lng": h.lng,
            "unit": h.unit_id,
            "confirmed": h.confirmed,
        }
    if ticket.requester_enterprise is not None:
        e = ticket.requester_enterprise
        return {
            "type": "enterprise",
            "id": e.pk,
            "name": e.name,
            "address": e.address,
            "lat": e.lat,
            "lng": e.lng,
            "unit": e.unit_id,
        }
    return None


def ticket_visit_brief(user: User, ticket_id: int) -> dict[str, Any]:
    """What the phone page needs to log a visit naming this ticket: its code, the requester to visit (a household
    or enterprise row) or, for a requester without one, the ticket's own point as the place to go. Scoped: a ticket
    the user cannot see is OutOfScope (404). Kept on the phone, so the visit can be logged in a dead spot."""
    ticket = (
        tickets_visible_to(user)
        .select_related("unit", "lead_unit", "requester_household", "requester_enterprise")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise OutOfScope()
    target = _requester_target(ticket)
    if target is not None and (target["lat"] is None or target["lng"] is None):
        target = None  # a requester with no location proves nothing: the ticket's point is the reference instead
    return {
        "id": ticket.pk,
        "code": ticket.code,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "mode": ticket.mode,
        "mode_label": ticket.get_mode_display() if ticket.mode else "",
        "description": ticket.description[:200],
        "url": reverse("tickets-detail", args=[ticket.pk]),
        "door_to_door_due": door_to_door_due(ticket, user),
        "target": target,
        # With no registered requester the visit's reference point is the ticket's own (visits.geo.reference_point).
        "place": None if target else {"name": ticket.unit.name, "lat": ticket.lat, "lng": ticket.lng},
    }
