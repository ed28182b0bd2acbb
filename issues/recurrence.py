"""重复诉求 (issue 15 item 4): a new ticket that repeats a matter resolved lately.

A new ticket repeats a resolved one (resolved or closed, its resolution within WINDOW_DAYS) of the same district when
it names the same household or enterprise, or has the same category within RADIUS_M of it. The latest such
resolution is the one linked (Ticket.recurs), shown on the ticket with a link. Read through the requester's index or
ticket_place_idx (district, lat, lng): a few rows, whatever the city's size.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from campaign.geo import bbox_around, haversine_m
from issues.models import Status, Ticket

WINDOW_DAYS = 90
RADIUS_M = 100.0
CANDIDATES = 50


def earlier_resolved(ticket: Ticket, now: dt.datetime) -> Ticket | None:
    """The resolved ticket `ticket` (not yet saved, its place set) repeats, or None."""
    resolved = Ticket.objects.filter(
        district_id=ticket.district_id,
        status__in=[Status.RESOLVED, Status.CLOSED],
        resolved_at__gte=now - dt.timedelta(days=WINDOW_DAYS),
    ).only("pk", "code", "lat", "lng", "resolved_at", "category")
    arms = []
    if ticket.requester_household_id is not None:
        arms.append(resolved.filter(requester_household_id=ticket.requester_household_id))
    if ticket.requester_enterprise_id is not None:
        arms.append(resolved.filter(requester_enterprise_id=ticket.requester_enterprise_id))
    found = [t for arm in arms for t in arm.order_by("-resolved_at")[:1]]
    if ticket.category and ticket.lat is not None and ticket.lng is not None:
        lat, lng = ticket.lat, ticket.lng
        min_lat, max_lat, min_lng, max_lng = bbox_around(lat, lng, RADIUS_M)
        near = resolved.filter(
            Q(lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng), category=ticket.category
        )[:CANDIDATES]
        found += [
            t
            for t in near
            if t.lat is not None and t.lng is not None and haversine_m(lat, lng, t.lat, t.lng) <= RADIUS_M
        ]
    return max(found, key=lambda t: (t.resolved_at, t.pk), default=None)
