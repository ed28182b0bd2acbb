"""Filing a partner's request (POST requests) as a ticket: issues.services.ticket_create with source `partner`, so
the code, the place and its checks, the campaign's categories, the recurrence and topic links and the `report` event
are exactly a hotline ticket's.

The ticket is filed by the partner's intake account: an inactive user (it cannot log in, and notices skip it) with
the dispatcher role in the partner's district — the role issues.services.CREATORS lets file `partner` tickets, and
whose home unit bounds the point (the district's area, else 400 on lat/long). The timeline then names the partner.

A client that did not hear the answer posts again: the same body from the same partner within REPLAY_WINDOW answers
the ticket already filed (200) instead of filing a second one. Two such posts at once are serialised by a
transaction-scoped advisory lock on (partner, body), so the check and the insert cannot interleave."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import connection, transaction
from django.utils import timezone

from campaign.models import Role, User
from campaign.selectors import grid_for_point
from interop.models import Partner
from interop.open311.inputs import NewRequest
from interop.open311.selectors import intake_username
from issues.models import Source, Ticket
from issues.services import ticket_create

REPLAY_WINDOW = dt.timedelta(minutes=10)
LOCK_NAMESPACE = 0x0311  # pg_advisory_xact_lock(namespace, key): keeps these locks apart from any other use


def intake_account(partner: Partner) -> User:
    """The partner's intake account, made on its first request; follows the partner to another district."""
    user, created = User.objects.get_or_create(
        username=intake_username(partner),
        defaults={
            "role": Role.DISPATCHER,
            "unit": partner.district,
            "is_active": False,
            "display_name": f"Open311：{partner.name}"[:50],  # what the timeline and the ticket page show
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.unit_id != partner.district_id or user.is_active or user.role != Role.DISPATCHER:
        user.unit, user.is_active, user.role = partner.district, False, Role.DISPATCHER
        user.save(update_fields=["unit", "is_active", "role"])
    return user


def _lock(partner: Partner, body: NewRequest) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite has one writer: nothing to serialise
    digest = hashlib.sha256(f"{partner.pk}|{body!r}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, int.from_bytes(digest[:4], "big", signed=True)]
        )


def _replayed(account: User, body: NewRequest, now: dt.datetime) -> Ticket | None:
    """The ticket this partner filed from the same body within REPLAY_WINDOW (ticket_created_by_idx serves it)."""
    return (
        Ticket.objects.filter(
            created_by=account,
            created_at__gte=now - REPLAY_WINDOW,
            source=Source.PARTNER,
            category=body.category,
            kind=body.kind,
            description=body.description,
            lat=body.lat,
            lng=body.lng,
            requester_name=body.requester_name,
            requester_phone=body.requester_phone,
        )
        .order_by("-created_at")
        .first()
    )


def request_file(*, partner: Partner, body: NewRequest) -> tuple[Ticket, bool]:
    """File the request as a `reported` ticket in the partner's district; (ticket, created). The place: the grid
    of the point when it lies in the district, else the district itself; ticket_create checks the point lies in
    the district's area (Invalid on lat/lng) and the category is the campaign's (Invalid on category)."""
    grid = grid_for_point(body.lat, body.lng)
    unit = grid if grid is not None and grid.district_id == partner.district_id else partner.district
    with transaction.atomic():
        account = intake_account(partner)
        _lock(partner, body)
        found = _replayed(account, body, timezone.now())
        if found is not None:
            return found, False
        ticket = ticket_create(
            actor=account,
            source=Source.PARTNER,
            kind=body.kind,
            description=body.description,
            category=body.category,
            unit=unit,
            lat=body.lat,
            lng=body.lng,
            requester_name=body.requester_name,
            requester_phone=body.requester_phone,
        )
    return ticket, True
