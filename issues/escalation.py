"""The escalation job (SPEC §5, Celery beat every 15 min via dashboard.tasks.supervise_tickets): raise cards.

Level 1 (黄牌): open past due_at; tracking/proactive with no progress for 7 days; reported but not dispatched for
24 h; dispatched but not accepted for 24 h; a co-unit's part missing at due_at (named in the event).
Level 2 (红牌): overdue by more than half the SLA (due_at − dispatched_at). Each raise goes through the machine
as the system (one event, notifications), so running it twice raises nothing more. Written in chunks, each one
short transaction (bench/embedded.py: the district demo's first run, ~540 cards, in a few seconds on SQLite).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.machine import ACTIONS
from issues.models import OPEN_STATUSES, Mode, Status, Ticket, TicketCoUnit, TicketEvent
from issues.notices import notices_queue
from issues.rules.context import Ctx
from issues.who import co_links

# Tickets examined per run: two queries to read them, then per CHUNK of cards raised one short write transaction
# (lock and re-read, one UPDATE, one INSERT of events; a dispatchers' query per undispatched ticket) and one INSERT
# of notifications after its commit.
ESCALATION_BATCH = 500
CHUNK = 50
_CO_LINKS = Prefetch("co_unit_links", queryset=TicketCoUnit.objects.select_related("unit").order_by("id"))
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
    """One batch of candidate ids above `after_id`: returns (cards raised, last id seen, batch was full).

    The batch is read once without a lock; only the tickets that deserve a higher card are written, CHUNK at a
    time, each chunk in one short transaction (SQLite has a single writer: a user's write waits at most one chunk).
    """
    now = timezone.now()
    batch = list(
        Ticket.objects.annotate(progress=Coalesce("last_progress_at", "accepted_at", "dispatched_at"))
        .filter(_candidates(now), pk__gt=after_id)
        .prefetch_related(_CO_LINKS)
        .order_by("pk")[:batch_size]
    )
    due = [ticket.pk for ticket in batch if target_level(ticket, now)[0] > ticket.supervision]
    raised = sum(_raise_chunk(due[i : i + CHUNK], now) for i in range(0, len(due), CHUNK))
    return raised, batch[-1].pk if batch else after_id, len(batch) == batch_size


def _raise_chunk(ids: list[int], now: dt.datetime) -> int:
    """Raise the cards of these tickets through the machine's own `supervise` rule and effect (one event and the
    notices each, as ticket_apply would), re-read and locked as they are now; written with one UPDATE, one INSERT
    of events and, after commit, one INSERT of notifications. A ticket changed meanwhile (closed, already red) is
    left as it is. No rollup mark: the statistics do not read `supervision` (dashboard.rollups)."""
    spec = ACTIONS["supervise"]
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(of=("self",))
            .select_related("unit")
            .prefetch_related(_CO_LINKS)
            .filter(pk__in=ids, status__in=spec.frm)
            .order_by("pk")
        )
        done: list[tuple[Ticket, Ctx]] = []
        for ticket in tickets:
            if spec.guard is not None and spec.guard(ticket, now):
                continue
            level, reason, co_unit = target_level(ticket, now)
            data: dict[str, object] = {"level": level, "reason": reason, **({"co_unit": co_unit} if co_unit else {})}
            ctx = Ctx(ticket=ticket, actor=None, data=data, now=now, errors={})
            if spec.rule is not None:
                spec.rule(ctx)
            if ctx.errors:  # not higher than the card it has now
                continue
            if spec.effect is not None:
                spec.effect(ctx)
            ticket.updated_at = now
            done.append((ticket, ctx))
        if not done:
            return 0
        changed = set().union(*(ctx.changed for _t, ctx in done)) | {"updated_at"}
        Ticket.objects.bulk_update([ticket for ticket, _c in done], sorted(changed))
        TicketEvent.objects.bulk_create(
            TicketEvent(ticket=ticket, actor=None, action=spec.name, from_status=ticket.status,
                        to_status=ticket.status, note=ctx.note(), payload=ctx.payload, at=now)
            for ticket, ctx in done
        )  # fmt: skip
        notices = [notice for _t, ctx in done for notice in ctx.notices]
        transaction.on_commit(lambda: notices_queue(notices))
    return len(done)
