"""The escalation job (SPEC §5, Celery beat every 15 min via dashboard.tasks.supervise_tickets): raise cards.

Level 1 (黄牌): open past due_at; tracking/proactive with no progress for 7 days; reported but not dispatched for
24 h; dispatched but not accepted for 24 h; a co-unit's part missing at due_at (named in the event).
Level 2 (红牌): overdue by more than half the SLA (due_at − dispatched_at). Each raise goes through the machine
as the system (one event, notifications), so running it twice raises nothing more.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.errors import DomainError
from issues.machine import ticket_apply
from issues.models import OPEN_STATUSES, Mode, Status, Ticket
from issues.who import co_links

ESCALATION_BATCH = 500  # tickets examined per run: one candidate query + ≤ 3 queries per card raised
STALL = dt.timedelta(days=7)
WAIT = dt.timedelta(hours=24)


def _candidates(now: dt.datetime) -> Q:
    stalled = Q(
        mode__in=(Mode.TRACKING, Mode.PROACTIVE),
        status__in=(Status.ACCEPTED, Status.IN_PROGRESS),
        progress__lt=now - STALL,
    )
    return Q(status__in=OPEN_STATUSES, supervision__lt=2) & (
        Q(due_at__lt=now)
        | Q(status=Status.REPORTED, created_at__lt=now - WAIT)
        | Q(status=Status.DISPATCHED, dispatched_at__lt=now - WAIT)
        | stalled
    )


def target_level(ticket: Ticket, now: dt.datetime) -> tuple[int, str, int | None]:
    """(level, reason, co-unit id) this ticket deserves now."""
    if ticket.due_at is not None and ticket.due_at < now:
        sla = ticket.due_at - (ticket.dispatched_at or ticket.created_at)
        if now - ticket.due_at > sla / 2:
            return 2, _("超期超过办理时限的一半"), None
        if ticket.mode == Mode.COORDINATED:
            missing = [link for link in co_links(ticket) if link.submitted_at is None]
            if missing:
                return 1, _("协办单位%(u)s逾期未提交协办情况") % {"u": missing[0].unit.name}, missing[0].unit_id
        return 1, _("超过办理时限"), None
    if ticket.status == Status.REPORTED:
        return 1, _("登记超过24小时未派单"), None
    if ticket.status == Status.DISPATCHED:
        return 1, _("派单超过24小时未签收"), None
    return 1, _("超过7天无办理进展"), None


def tickets_escalate(*, after_id: int = 0, batch_size: int = ESCALATION_BATCH) -> tuple[int, int, bool]:
    """One batch of candidate ids above `after_id`: returns (cards raised, last id seen, batch was full)."""
    now = timezone.now()
    batch = list(
        Ticket.objects.annotate(progress=Coalesce("last_progress_at", "accepted_at", "dispatched_at"))
        .filter(_candidates(now), pk__gt=after_id)
        .order_by("pk")[:batch_size]
    )
    raised = 0
    for ticket in batch:
        level, reason, co_unit = target_level(ticket, now)
        if level <= ticket.supervision:
            continue
        data: dict[str, object] = {"level": level, "reason": reason}
        if co_unit:
            data["co_unit"] = co_unit
        try:
            ticket_apply(ticket_id=ticket.pk, action="supervise", actor=None, version=None, data=data)
            raised += 1
        except DomainError:  # changed meanwhile (closed, already red): the next run sees it as it is
            continue
    return raised, batch[-1].pk if batch else after_id, len(batch) == batch_size
