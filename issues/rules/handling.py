"""Handling a dispatched ticket: instructions, progress, co-units' parts and resolving (with the
public and door-to-door modes' proofs)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from campaign.scope import subtree_q
from issues.help import help_field, help_record
from issues.merging import merged_into
from issues.models import Mode, NotificationKind, Source, Ticket
from issues.rules.context import NOTE_LIMIT, Ctx
from issues.rules.extensions import drop_request
from issues.rules.fields import text_field
from issues.who import co_links, handler_co_links


def instruct(ctx: Ctx) -> None:
    ticket = ctx.ticket
    text = _("领导批示 %(code)s：%(n)s") % {"code": ticket.code, "n": ctx.note()[:80]}
    ctx.notify(NotificationKind.INSTRUCTED, text, unit_ids=[ticket.lead_unit_id] if ticket.lead_unit_id else [])


def progress(ctx: Ctx) -> None:
    ctx.set(last_progress_at=ctx.now)


def assist(ctx: Ctx) -> None:
    part = text_field(ctx, "part")[:NOTE_LIMIT]
    links = handler_co_links(ctx.ticket, ctx.actor)  # type: ignore[arg-type]
    for link in links:
        link.part, link.submitted_at, link.submitted_by = part, ctx.now, ctx.actor
        link.save(update_fields=["part", "submitted_at", "submitted_by"])
    ctx.payload = {"co_units": [link.unit_id for link in links], "part": part[:200]}


def resolve_rule(ctx: Ctx) -> None:
    ticket = ctx.ticket
    notice = text_field(ctx, "public_notice", fallback=ticket.public_notice)
    if ticket.mode == Mode.PUBLIC and not notice:
        ctx.error("public_notice", _("公开办须填写公开说明后方可办结。"))
    ctx.clean["public_notice"] = notice
    ctx.clean["public_reply"] = text_field(ctx, "public_reply")
    if ticket.mode == Mode.COORDINATED:
        missing = [link.unit.name for link in co_links(ticket) if link.submitted_at is None]
        if missing:
            ctx.error("co_units", _("以下协办单位尚未提交协办情况：%(u)s") % {"u": "、".join(missing)})
    if ticket.mode == Mode.DOOR_TO_DOOR and not _door_to_door_proof(ticket):
        ctx.error("visit", _("需要上门走访核实记录"))
    help_field(ctx)  # 帮扶成效 (issue 16 item 8): optional amounts of the campaign's counts


def _door_to_door_proof(ticket: Ticket) -> bool:
    """SPEC §5: a geo-verified visit naming the ticket (Visit.ticket, related_name "visits"), logged after the
    ticket was accepted, by a user whose home unit lies in the lead unit's subtree. A plain query on the reverse
    relation: the issues app reads the visits table without importing the visits app (layers: visits > issues)."""
    if ticket.accepted_at is None or ticket.lead_unit is None:
        return False
    return ticket.visits.filter(
        subtree_q(ticket.lead_unit, "cadre__unit"), geo_status="verified", visited_at__gt=ticket.accepted_at
    ).exists()


def resolve(ctx: Ctx) -> None:
    ctx.set(
        result=text_field(ctx, "result"),
        public_notice=ctx.clean["public_notice"],
        resolved_at=ctx.now,
        public_reply=ctx.clean["public_reply"],
        unreachable_count=0,  # the callbacks counted towards `close` are those of this resolution
    )
    drop_request(ctx)
    help_record(ctx)  # replaces the previous resolution's amounts (a reopened ticket)
    reply = ctx.clean["public_reply"] or ""
    text = _("您的诉求（工单 %(code)s）已办结。%(reply)s") % {"code": ctx.ticket.code, "reply": reply[:200]}
    ctx.notify_requesters(NotificationKind.RESOLVED, text, [ctx.ticket.pk, *(t.pk for t in merged_into(ctx.ticket))])


# 直办 answers the matters brought to the dispatcher (by phone, at the window, online); a cadre's visit has its own
# way of answering at once (resolve_on_site), and a matter once dispatched is 转办 however it ends. A partner's
# (Open311) matter came in like an online one, so it may be answered at intake too.
DIRECT_SOURCES = frozenset({Source.HOTLINE, Source.WALK_IN, Source.ONLINE, Source.PARTNER})


def answer_directly_guard(ticket: Ticket, now: object) -> str | None:
    if ticket.dispatched_at is not None:
        return _("工单已派过单（转办），不能再直办，请由承办单位办结。")
    if ticket.source not in DIRECT_SOURCES:
        return _("直办适用于热线、窗口和网上诉求；走访中收集的诉求由走访干部现场解决。")
    return None


def answer_directly_rule(ctx: Ctx) -> None:
    ctx.clean["public_reply"] = text_field(ctx, "public_reply")
    help_field(ctx)  # 帮扶成效: an answer at intake may have found a job or filed an application too


def resolve_on_site_rule(ctx: Ctx) -> None:
    help_field(ctx)  # 帮扶成效: what the cadre solved at the door, counted like any resolution


def answer_directly(ctx: Ctx) -> None:
    """直办 (SPEC §5): the dispatcher answers at intake (policy explained, question answered); the requester is told,
    with the public reply when there is one."""
    ctx.set(
        answered_directly=True,
        result=text_field(ctx, "result"),
        public_reply=ctx.clean["public_reply"],
        resolved_at=ctx.now,
        unreachable_count=0,
    )
    help_record(ctx)
    reply = ctx.clean["public_reply"] or ""
    text = _("您的诉求（工单 %(code)s）已直接答复。%(reply)s") % {"code": ctx.ticket.code, "reply": reply[:200]}
    ctx.notify_requesters(NotificationKind.RESOLVED, text, [ctx.ticket.pk, *(t.pk for t in merged_into(ctx.ticket))])


def resolve_on_site(ctx: Ctx) -> None:
    ctx.set(
        mode=Mode.IMMEDIATE,
        resolved_on_site=True,
        result=text_field(ctx, "result"),
        resolved_at=ctx.now,
        unreachable_count=0,
    )
    help_record(ctx)
