"""The reporter's phone page (户长/楼长, issue 16 item 4): what templates/m/_reporter.html shows on /m/.

A reporter reports tickets for the households of their groups (POST /api/v1/reports/ with an id the phone chose:
report_record, source `self_found`, the household named: issues.services.ticket_create; a report made in a dead spot
waits in the phone's outbox and lands once) and follows them as a resident follows one on /lookup/: the status,
the last step and, once resolved, the public reply — never the internal result, the actors or the notes. Four
queries however many tickets: the households, the campaign's categories (two), the tickets with their last step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from campaign import categories
from campaign.errors import Conflict, NotAllowed
from campaign.models import Household, User
from campaign.scope import is_reporter, reporter_households
from campaign.selectors import campaign_of
from issues.machine import ACTIONS
from issues.models import Source, Status, Ticket, TicketEvent
from issues.selectors import tickets_visible_to
from issues.services import ticket_create
from visits.models import ReportKey

TICKETS_SHOWN = 30  # the newest; a 户长 raises a few a month
STEP_LABELS = {"report": "登记", **{name: action.label for name, action in ACTIONS.items()}}
REPLY_SHOWN = {Status.RESOLVED, Status.CLOSED}


@dataclass(frozen=True)
class ReportedTicket:
    code: str
    status: str
    status_label: str
    description: str
    address: str
    created_at: Any
    last_step: str
    last_at: Any
    public_reply: str


def _last_event(field: str) -> Subquery:
    # The ticket's newest event: few per ticket, read through the (ticket, at) index once per shown row.
    newest = TicketEvent.objects.filter(ticket=OuterRef("pk")).order_by("-at", "-id").values(field)[:1]
    return Subquery(newest)


def reported_tickets(user: User) -> list[ReportedTicket]:
    """The tickets the reporter raised, newest first, as progress (one query)."""
    rows = (
        tickets_visible_to(user)
        .annotate(last_action=_last_event("action"), last_at=_last_event("at"))
        .order_by("-created_at", "-id")
        .values(
            "code", "status", "description", "requester_household__address", "created_at", "public_reply",
            "last_action", "last_at",
        )[:TICKETS_SHOWN]
    )  # fmt: skip
    return [
        ReportedTicket(
            code=row["code"],
            status=row["status"],
            status_label=str(Status(row["status"]).label),
            description=row["description"],
            address=row["requester_household__address"] or "",
            created_at=row["created_at"],
            last_step=_(STEP_LABELS.get(row["last_action"] or "", row["last_action"] or "")),
            last_at=row["last_at"],
            public_reply=row["public_reply"] if row["status"] in REPLY_SHOWN else "",
        )
        for row in rows
    ]


def reporter_page(user: User) -> dict[str, Any]:
    """The households to report for (address and group; no personal data), the categories and the tickets."""
    households = list(
        reporter_households(user)
        .select_related("group", "unit")
        .only("address", "group__name", "unit__path")
        .order_by("group__name", "address", "pk")
    )
    grid = households[0].unit if households else None
    campaign = campaign_of(grid) if grid is not None else None
    return {
        "households": households,
        "categories": categories.allowed_names(campaign) if households else [],
        "tickets": reported_tickets(user),
    }


def household_label(household: Household) -> str:
    return f"{household.group.name if household.group else ''} · {household.address}"


def _replay(actor: User, report_id: Any, body_hash: str) -> Ticket | None:
    """The ticket already stored under `report_id`, when the same user sent the same body; Conflict (409) for another
    body or another user's id; None when the id is new."""
    key = ReportKey.objects.select_related("ticket").filter(pk=report_id).first()
    if key is None:
        return None
    if key.user_id != actor.pk or key.body_hash != body_hash:
        raise Conflict(_("该上报编号已用于另一条诉求。"))
    return key.ticket


def report_record(*, actor: User, report_id: Any, body_hash: str, fields: dict[str, Any]) -> tuple[Ticket, bool]:
    """A reporter's report, once per client id: (ticket, created). The ticket (source `self_found`) and its key are
    written in one transaction; a twin racing this one fails on the key's primary key, rolls back its ticket and
    answers the winner's. The stored ticket is replayed even if today's rules would refuse it (the household left the
    group since): the report was accepted when it first landed. `fields` are issues.inputs.TicketInput's."""
    if not is_reporter(actor):
        raise NotAllowed(_("只有户长、楼长通过此接口上报。"))
    stored = _replay(actor, report_id, body_hash)
    if stored is not None:
        return stored, False
    try:
        with transaction.atomic():
            ticket = ticket_create(actor=actor, **{**fields, "source": Source.SELF_FOUND})
            ReportKey.objects.create(
                id=report_id, user=actor, ticket=ticket, district_id=ticket.district_id, body_hash=body_hash
            )
    except IntegrityError:
        stored = _replay(actor, report_id, body_hash)  # the twin committed first
        if stored is None:
            raise
        return stored, False
    return ticket, True
