"""Extensions (延期, SPEC §5): the lead unit asks (`request_extension`), a dispatcher grants (`extend`, the requested
date by default) or refuses (`refuse_extension`, a reason); the other side is told after commit.

A pending request is `Ticket.requested_due_at` (+ `extension_reason`): the inbox's "申请延期" filter reads it. A new
request replaces a pending one; `reassign` and `resolve` drop it (the request was the old unit's, or is moot).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from campaign.models import Role, User
from campaign.models.org import path_prefixes
from issues.models import Mode, NotificationKind, Ticket
from issues.rules.context import Ctx
from issues.rules.fields import due_at_field, local_time, text_field
from issues.sla import tracking_limit


def dispatcher_ids_over(ticket: Ticket) -> list[int]:
    """The active dispatchers whose scope holds the ticket (its unit's or its lead unit's chain): one query."""
    prefixes = set(path_prefixes(ticket.unit.path))
    if ticket.lead_unit is not None:
        prefixes |= set(path_prefixes(ticket.lead_unit.path))
    dispatchers = User.objects.filter(role=Role.DISPATCHER, is_active=True, unit__path__in=prefixes)
    return list(dispatchers.values_list("pk", flat=True))


def later_due_at_rule(ctx: Ctx) -> None:
    due_at = due_at_field(ctx)
    ticket = ctx.ticket
    if due_at is not None and ticket.due_at is not None and due_at <= ticket.due_at:
        ctx.error("due_at", _("新的办理时限应晚于当前时限（%(d)s）。") % {"d": local_time(ticket.due_at)})
    if due_at is not None and ticket.mode == Mode.TRACKING and due_at > tracking_limit(ticket.dispatched_at or ctx.now):
        ctx.error("due_at", _("跟踪办的办理时限不能超过派单后180天。"))
    ctx.clean["due_at"] = due_at
    if due_at is not None:
        ctx.payload = {"due_at": due_at.isoformat(), "previous": ticket.due_at.isoformat() if ticket.due_at else None}


def request_extension(ctx: Ctx) -> None:
    """Stores the proposal (later_due_at_rule checked the date) and tells the dispatchers."""
    ticket, due_at = ctx.ticket, ctx.clean["due_at"]
    reason = text_field(ctx, "reason")
    ctx.set(requested_due_at=due_at, extension_reason=reason)
    text = _("工单 %(code)s 申请延期至 %(d)s：%(r)s") % {"code": ticket.code, "d": local_time(due_at), "r": reason[:80]}
    ctx.notify(NotificationKind.EXTENSION_REQUESTED, text, user_ids=dispatcher_ids_over(ticket))


def extension_pending_guard(ticket: Ticket, now: dt.datetime) -> str | None:
    return None if ticket.requested_due_at is not None else _("该工单没有待处理的延期申请。")


def extend_rule(ctx: Ctx) -> None:
    """`due_at` defaults to the pending request's date: granting a request is one click on the pre-filled form."""
    if ctx.data.get("due_at") in (None, "") and ctx.ticket.requested_due_at is not None:
        ctx.data = {**ctx.data, "due_at": ctx.ticket.requested_due_at.isoformat()}
    if ctx.data.get("due_at") in (None, ""):
        ctx.error("due_at", _("此项必填。"))
        return
    later_due_at_rule(ctx)


def extend(ctx: Ctx) -> None:
    ticket, due_at = ctx.ticket, ctx.clean["due_at"]
    if ticket.requested_due_at is not None:
        ctx.payload["requested_due_at"] = ticket.requested_due_at.isoformat()
    ctx.set(due_at=due_at)
    drop_request(ctx)
    text = _("工单 %(code)s 已延期至 %(d)s。") % {"code": ticket.code, "d": local_time(due_at)}
    ctx.notify(NotificationKind.EXTENDED, text, unit_ids=[ticket.lead_unit_id] if ticket.lead_unit_id else [])


def refuse_extension(ctx: Ctx) -> None:
    ticket = ctx.ticket
    ctx.payload = {"requested_due_at": ticket.requested_due_at.isoformat() if ticket.requested_due_at else None}
    drop_request(ctx)
    text = _("工单 %(code)s 的延期申请未获批准：%(r)s") % {"code": ticket.code, "r": ctx.note()[:80]}
    ctx.notify(NotificationKind.EXTENSION_REFUSED, text, unit_ids=[ticket.lead_unit_id] if ticket.lead_unit_id else [])


def drop_request(ctx: Ctx) -> None:
    """Clear a pending request (granted, refused, or moot after reassign / resolve)."""
    if ctx.ticket.requested_due_at is not None or ctx.ticket.extension_reason:
        ctx.set(requested_due_at=None, extension_reason="")
