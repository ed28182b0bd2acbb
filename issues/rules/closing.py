"""After resolving, and around the workflow: callback (回访), close, supervise (督办) and cancel."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from issues.merging import merged_into
from issues.models import Mode, NotificationKind, Satisfaction, Status, Ticket, TicketEvent
from issues.rules.context import Ctx
from issues.rules.extensions import dispatcher_ids_over
from issues.rules.fields import due_at_field
from issues.selectors import tickets_visible_to
from issues.sla import due_at_for

RESOLVED_WITHOUT_RATING_DAYS = 7
UNREACHABLE_BEFORE_CLOSE = 2


def callback_rule(ctx: Ctx) -> None:
    if ctx.data.get("rating") not in Satisfaction.values:
        ctx.error("rating", _("回访结果应为：%(v)s") % {"v": ", ".join(Satisfaction.values)})
    ctx.clean["due_at"] = due_at_field(ctx) if ctx.data.get("rating") == Satisfaction.UNSATISFIED else None
    ctx.clean["ratings"] = _other_ratings(ctx)


def _other_ratings(ctx: Ctx) -> list[tuple[Ticket, str]]:
    """`ratings`: {ticket id or code: rating} of the requesters of tickets merged into this one — each may be rated
    (or not) in the same callback; a ticket not merged into this one, or an unknown rating, is refused."""
    raw = ctx.data.get("ratings") or {}
    if not isinstance(raw, dict):
        ctx.error("ratings", _("各诉求人的回访结果应为 {工单: 结果}。"))
        return []
    merged = {str(key): t for t in merged_into(ctx.ticket) for key in (t.pk, t.code)} if raw else {}
    found: list[tuple[Ticket, str]] = []
    for key, rating in raw.items():
        other = merged.get(str(key))
        if other is None or rating not in Satisfaction.values:
            ctx.error("ratings", _("工单 %(k)s 不是合并到本工单的诉求，或回访结果无效。") % {"k": str(key)[:32]})
        elif rating and other.pk not in {t.pk for t, _r in found}:
            found.append((other, rating))
    return found


def _record_other_ratings(ctx: Ctx) -> None:
    """Each merged requester's rating on their own ticket (satisfaction counts every rating), with an event there."""
    for other, rating in ctx.clean.get("ratings") or []:
        if rating != Satisfaction.UNREACHABLE:
            other.satisfaction = rating
            other.save(update_fields=["satisfaction", "updated_at"])
        payload = {"rating": rating, "via": ctx.ticket.pk, "via_code": ctx.ticket.code}
        TicketEvent.objects.create(
            ticket=other, actor=ctx.actor, action="callback", from_status=other.status, to_status=other.status,
            note=ctx.note(), payload=payload, at=ctx.now,
        )  # fmt: skip
    if ctx.clean.get("ratings"):
        ctx.payload["ratings"] = {other.code: rating for other, rating in ctx.clean["ratings"]}


def callback(ctx: Ctx) -> None:
    ticket, rating = ctx.ticket, ctx.data["rating"]
    ctx.payload = {"rating": rating}
    _record_other_ratings(ctx)
    if rating == Satisfaction.UNREACHABLE:
        ctx.set(unreachable_count=ticket.unreachable_count + 1)
    elif rating == Satisfaction.UNSATISFIED:  # 群众不认可不罢休: reopen with a new clock
        due_at = ctx.clean["due_at"] or due_at_for(
            mode=ticket.mode or Mode.IMMEDIATE, start=ctx.now, campaign=ticket.campaign
        )
        ctx.set(
            status=Status.IN_PROGRESS,
            satisfaction=rating,
            reopen_count=ticket.reopen_count + 1,
            due_at=due_at,
            resolved_at=None,
            last_progress_at=ctx.now,
        )
        ctx.payload["due_at"] = due_at.isoformat()
        text = _("工单 %(code)s 回访不满意，已重办。") % {"code": ticket.code}
        ctx.notify(NotificationKind.REOPENED, text, unit_ids=[ticket.lead_unit_id] if ticket.lead_unit_id else [])
    else:
        ctx.set(status=Status.CLOSED, satisfaction=rating, closed_at=ctx.now)


def close_guard(ticket: Ticket, now: dt.datetime) -> str | None:
    waited = ticket.resolved_at is not None and ticket.resolved_at <= now - dt.timedelta(
        days=RESOLVED_WITHOUT_RATING_DAYS
    )
    if ticket.unreachable_count >= UNREACHABLE_BEFORE_CLOSE or waited:
        return None
    return _("须两次回访无法联系，或办结满7天未评价，方可关闭。")


def close(ctx: Ctx) -> None:
    ctx.set(closed_at=ctx.now)
    ctx.payload = {"unreachable_count": ctx.ticket.unreachable_count}


def supervise_guard(ticket: Ticket, now: dt.datetime) -> str | None:
    return _("已是最高督办等级（红牌）。") if ticket.supervision >= 2 else None


def supervise_rule(ctx: Ctx) -> None:
    current = ctx.ticket.supervision
    raw = ctx.data.get("level", current + 1)
    try:
        level = int(raw)
    except (TypeError, ValueError):
        level = -1
    if level not in (1, 2) or level <= current:
        ctx.error("level", _("督办等级应高于当前等级（1 黄牌，2 红牌）。"))
    ctx.clean["level"] = level


def supervise(ctx: Ctx) -> None:
    ticket, level = ctx.ticket, ctx.clean["level"]
    ctx.payload = {"level": level, "from": ticket.supervision}
    if ctx.data.get("co_unit"):
        ctx.payload["co_unit"] = ctx.data["co_unit"]
    ctx.set(supervision=level)
    card = _("红牌") if level == 2 else _("黄牌")
    text = _("工单 %(code)s 被%(card)s督办。") % {"code": ticket.code, "card": card}
    if ticket.lead_unit_id:
        ctx.notify(NotificationKind.SUPERVISED, text, unit_ids=[ticket.lead_unit_id])
    else:  # not dispatched yet: the dispatchers whose scope holds it
        ctx.notify(NotificationKind.SUPERVISED, text, user_ids=dispatcher_ids_over(ticket))


def cancel_rule(ctx: Ctx) -> None:
    raw = ctx.data.get("merge_into")
    if raw in (None, ""):
        ctx.clean["merge_into"] = None
        return
    visible = tickets_visible_to(ctx.actor) if ctx.actor else Ticket.objects.all()
    target = visible.filter(code=str(raw)).first() or (
        visible.filter(pk=int(str(raw))).first() if str(raw).isdigit() else None
    )
    if target is None or target.pk == ctx.ticket.pk or target.status == Status.CANCELLED:
        ctx.error("merge_into", _("合并目标工单不存在、不可见或已撤销。"))
    ctx.clean["merge_into"] = target


def cancel(ctx: Ctx) -> None:
    target = ctx.clean["merge_into"]
    if target is not None:
        ctx.set(merge_into=target)
        ctx.payload = {"merge_into": target.pk, "merge_into_code": target.code}
        # every requester that now follows the target: this ticket's, and those of tickets merged into it before
        following = [ctx.ticket.pk, *(t.pk for t in merged_into(ctx.ticket))]
        text = _("您反映的问题与工单 %(code)s 是同一件事，已合并办理；仍可用您的工单编号查询进度。") % {
            "code": target.code
        }
        ctx.notify_requesters(NotificationKind.MERGED, text, following)
        if target.lead_unit_id:
            done = _("工单 %(a)s 与 %(b)s 重复，已合并至 %(b)s。") % {"a": ctx.ticket.code, "b": target.code}
            ctx.notify(NotificationKind.MERGED, done, unit_ids=[target.lead_unit_id])
