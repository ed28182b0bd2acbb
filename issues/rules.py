"""The rules and effects named in the machine's table (issues/machine.py): field parsing, mode rules, changes.

A rule adds field errors to ctx.errors (the machine answers 400 naming every one); an effect changes the locked
ticket and lists what it changed in ctx.changed; a guard returns a message for a 409. Nothing here saves the
ticket or writes the event: ticket_apply does, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from campaign.days import end_of_day
from campaign.models import OrgUnit, Role, User
from campaign.models.org import path_prefixes
from campaign.scope import subtree_q, units_visible_to
from issues.models import Mode, NotificationKind, Satisfaction, Status, Ticket, TicketCoUnit, TicketEvent
from issues.sla import due_at_for, tracking_limit
from issues.who import co_links, handler_co_links

CLARITY_TEXTS = ("problem", "responsible_person", "measures", "expected_effect")
RESOLVED_WITHOUT_RATING_DAYS = 7
UNREACHABLE_BEFORE_CLOSE = 2
NOTE_LIMIT = 4000


@dataclass
class Notice:
    """An in-app notification to send after commit: to the users of `unit_ids` and to `user_ids`."""

    ticket_id: int
    kind: str
    text: str
    unit_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    exclude_user_id: int | None = None

    def send(self) -> None:
        from issues.services import notifications_send

        recipients = set(self.user_ids)
        if self.unit_ids:
            recipients |= set(
                User.objects.filter(unit_id__in=self.unit_ids, is_active=True).values_list("pk", flat=True)
            )
        recipients.discard(self.exclude_user_id)  # type: ignore[arg-type]
        notifications_send(ticket_id=self.ticket_id, kind=self.kind, text=self.text, user_ids=recipients)


@dataclass
class Ctx:
    ticket: Ticket
    actor: User | None
    data: dict[str, Any]
    now: dt.datetime
    errors: dict[str, list[str]]
    clean: dict[str, Any] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    payload: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self.ticket, name, value)
            self.changed.add(name)

    def note(self) -> str:
        value = self.data.get("note") or self.data.get("reason") or ""
        return str(value).strip()[:NOTE_LIMIT]

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def notify(self, kind: str, text: str, *, unit_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> None:
        self.notices.append(
            Notice(
                ticket_id=self.ticket.pk,
                kind=kind,
                text=text,
                unit_ids=[u for u in unit_ids if u],
                user_ids=[u for u in user_ids if u],
                exclude_user_id=self.actor.pk if self.actor else None,
            )
        )


# --- parsing ---------------------------------------------------------------------------------------------------
def parse_moment(value: Any) -> dt.datetime | None:
    """An ISO datetime (naive = Asia/Shanghai), or a date meaning the end of that Asia/Shanghai day."""
    if isinstance(value, dt.datetime):
        moment: dt.datetime | None = value
    elif isinstance(value, str):
        moment = parse_datetime(value.strip())
        if moment is None:
            day = parse_date(value.strip()) if len(value.strip()) == 10 else None
            return end_of_day(day) if day else None
    else:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _text(ctx: Ctx, name: str, *, fallback: str = "") -> str:
    value = ctx.data.get(name, fallback)
    if value is None:
        value = ""
    if not isinstance(value, str):
        ctx.error(name, _("应为文本。"))
        return ""
    value = value.strip()
    if len(value) > NOTE_LIMIT:
        ctx.error(name, _("不能超过%(n)d字。") % {"n": NOTE_LIMIT})
    return value


def _unit(ctx: Ctx, raw: Any, name: str) -> OrgUnit | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        ctx.error(name, _("应为单位编号。"))
        return None
    unit = units_visible_to(ctx.actor).filter(pk=pk).first() if ctx.actor else OrgUnit.objects.filter(pk=pk).first()
    if unit is None:
        ctx.error(name, _("单位不存在或不在您的管辖范围内。"))
    return unit


def _units(ctx: Ctx, name: str) -> list[OrgUnit] | None:
    raw = ctx.data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > 20:
        ctx.error(name, _("应为单位编号的列表（最多20个）。"))
        return None
    units = [u for u in (_unit(ctx, item, name) for item in dict.fromkeys(raw)) if u is not None]
    return units


def _due_at(ctx: Ctx) -> dt.datetime | None:
    raw = ctx.data.get("due_at")
    if raw in (None, ""):
        return None
    moment = parse_moment(raw)
    if moment is None:
        ctx.error("due_at", _("时间格式应为 ISO 8601（如 2026-05-20T18:00:00+08:00）或日期。"))
    elif moment <= ctx.now:
        ctx.error("due_at", _("办理时限应晚于当前时间。"))
        return None
    return moment


def _set_co_units(ctx: Ctx, units: list[OrgUnit]) -> list[int]:
    """Replace the co-units; returns the ids of the newly added ones (to notify)."""
    ticket = ctx.ticket
    current = {link.unit_id: link for link in co_links(ticket)}
    wanted = {u.pk for u in units}
    TicketCoUnit.objects.filter(ticket=ticket).exclude(unit_id__in=wanted).delete()
    added = [pk for pk in wanted if pk not in current]
    TicketCoUnit.objects.bulk_create([TicketCoUnit(ticket=ticket, unit_id=pk) for pk in added])
    if hasattr(ticket, "_prefetched_objects_cache"):
        ticket._prefetched_objects_cache.pop("co_unit_links", None)
    return added


# --- dispatch and reassign -------------------------------------------------------------------------------------
def dispatch_rule(ctx: Ctx) -> None:
    """Five clarities (五个明确) + the mode's dispatch rule; values already on the ticket (a returned one) count."""
    ticket, data = ctx.ticket, ctx.data
    mode = data.get("mode") or ticket.mode
    if mode not in Mode.values:
        ctx.error("mode", _("请选择办理方式（六办工作法）之一：%(m)s") % {"m": ", ".join(Mode.values)})
        mode = None
    for name in CLARITY_TEXTS:
        ctx.clean[name] = _text(ctx, name, fallback=getattr(ticket, name))
        if not ctx.clean[name] and name not in ctx.errors:
            ctx.error(name, _("五个明确：此项必填。"))
    lead_unit = _unit(ctx, data["lead_unit"], "lead_unit") if data.get("lead_unit") else ticket.lead_unit
    if lead_unit is None and "lead_unit" not in ctx.errors:
        ctx.error("lead_unit", _("五个明确：请指定牵头单位。"))
    ctx.clean["lead_unit"] = lead_unit
    due_at = _due_at(ctx)
    if mode == Mode.TRACKING:
        if due_at is None and "due_at" not in ctx.errors:
            ctx.error("due_at", _("跟踪办须由派单人设定办理时限（不超过180天）。"))
        elif due_at is not None and due_at > tracking_limit(ctx.now):
            ctx.error("due_at", _("跟踪办的办理时限不能超过180天。"))
    elif mode and due_at is not None:
        default = due_at_for(mode=mode, start=ctx.now, campaign=ticket.campaign)
        if due_at > default:
            ctx.error("due_at", _("办理时限只能早于该办理方式的默认时限（%(d)s）。") % {"d": _local(default)})
    ctx.clean["due_at"] = due_at
    co_units = _units(ctx, "co_units")
    if co_units is None:
        co_units = [link.unit for link in co_links(ticket)]
    if lead_unit is not None and any(u.pk == lead_unit.pk for u in co_units):
        ctx.error("co_units", _("协办单位不能与牵头单位相同。"))
    if mode == Mode.COORDINATED and not co_units and "co_units" not in ctx.errors:
        ctx.error("co_units", _("积极办须指定至少一个协办单位。"))
    ctx.clean["co_units"] = co_units
    ctx.clean["mode"] = mode
    ctx.clean["lead_official"] = _lead_official(ctx, mode, lead_unit)


def _lead_official(ctx: Ctx, mode: str | None, lead_unit: OrgUnit | None) -> User | None:
    raw = ctx.data.get("lead_official") or ctx.ticket.lead_official_id
    if not raw:
        if mode == Mode.PROACTIVE:
            ctx.error("lead_official", _("主动办须指定包案领导。"))
        return None
    try:
        official = User.objects.select_related("unit").filter(pk=int(raw), is_active=True, role=Role.LEADER).first()
    except (TypeError, ValueError):
        official = None
    held = (ctx.ticket.unit, lead_unit)
    if official is None or official.unit is None or not any(u is not None and official.unit.contains(u) for u in held):
        ctx.error("lead_official", _("包案领导应为管辖该工单的领导。"))
        return None
    return official


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def dispatch(ctx: Ctx) -> None:
    c, ticket = ctx.clean, ctx.ticket
    due_at = c["due_at"] or due_at_for(mode=c["mode"], start=ctx.now, campaign=ticket.campaign)
    ctx.set(
        mode=c["mode"],
        lead_unit=c["lead_unit"],
        due_at=due_at,
        lead_official=c["lead_official"],
        dispatched_at=ctx.now,
        accepted_at=None,
        **{name: c[name] for name in CLARITY_TEXTS},
    )
    _set_co_units(ctx, c["co_units"])
    ctx.payload = {
        "mode": c["mode"],
        "lead_unit": c["lead_unit"].pk,
        "due_at": due_at.isoformat(),
        "co_units": [u.pk for u in c["co_units"]],
        "lead_official": c["lead_official"].pk if c["lead_official"] else None,
    }
    text = _("新派单 %(code)s：%(p)s") % {"code": ticket.code, "p": c["problem"][:80]}
    ctx.notify(NotificationKind.DISPATCHED, text, unit_ids=[c["lead_unit"].pk, *(u.pk for u in c["co_units"])])


def reassign_rule(ctx: Ctx) -> None:
    lead_unit = _unit(ctx, ctx.data["lead_unit"], "lead_unit") if ctx.data.get("lead_unit") else None
    co_units = _units(ctx, "co_units")
    if lead_unit is None and co_units is None and not ctx.errors.get("lead_unit"):
        ctx.error("lead_unit", _("请指定新的牵头单位和/或协办单位。"))
    final_lead = lead_unit or ctx.ticket.lead_unit
    final_co = co_units if co_units is not None else [link.unit for link in co_links(ctx.ticket)]
    if final_lead is not None and any(u.pk == final_lead.pk for u in final_co):
        ctx.error("co_units", _("协办单位不能与牵头单位相同。"))
    if ctx.ticket.mode == Mode.COORDINATED and not final_co:
        ctx.error("co_units", _("积极办须保留至少一个协办单位。"))
    ctx.clean.update(lead_unit=lead_unit, co_units=co_units)


def reassign(ctx: Ctx) -> None:
    c, ticket = ctx.clean, ctx.ticket
    notify_units: list[int] = []
    if c["lead_unit"] is not None:
        ctx.payload["lead_unit"] = {"from": ticket.lead_unit_id, "to": c["lead_unit"].pk}
        ctx.set(lead_unit=c["lead_unit"])
        notify_units.append(c["lead_unit"].pk)
    if c["co_units"] is not None:
        ctx.payload["co_units"] = [u.pk for u in c["co_units"]]
        notify_units += _set_co_units(ctx, c["co_units"])
    ctx.set(dispatched_at=ctx.now, accepted_at=None)  # the new lead unit must accept: a new response clock
    text = _("改派工单 %(code)s，请签收。") % {"code": ticket.code}
    ctx.notify(NotificationKind.DISPATCHED, text, unit_ids=notify_units)


def return_(ctx: Ctx) -> None:
    ticket = ctx.ticket
    last_dispatcher = (
        TicketEvent.objects.filter(ticket=ticket, action__in=("dispatch", "reassign"))
        .order_by("-at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    ctx.payload = {"lead_unit": ticket.lead_unit_id}
    text = _("工单 %(code)s 被%(unit)s退回：%(r)s") % {
        "code": ticket.code,
        "unit": ticket.lead_unit.name if ticket.lead_unit else "",
        "r": ctx.note()[:80],
    }
    ctx.notify(NotificationKind.RETURNED, text, user_ids=[last_dispatcher] if last_dispatcher else [])


def accept(ctx: Ctx) -> None:
    ctx.set(accepted_at=ctx.now)


# --- handling ----------------------------------------------------------------------------------------------------
def later_due_at_rule(ctx: Ctx) -> None:
    due_at = _due_at(ctx)
    ticket = ctx.ticket
    if due_at is not None and ticket.due_at is not None and due_at <= ticket.due_at:
        ctx.error("due_at", _("新的办理时限应晚于当前时限（%(d)s）。") % {"d": _local(ticket.due_at)})
    if due_at is not None and ticket.mode == Mode.TRACKING and due_at > tracking_limit(ticket.dispatched_at or ctx.now):
        ctx.error("due_at", _("跟踪办的办理时限不能超过派单后180天。"))
    ctx.clean["due_at"] = due_at
    if due_at is not None:
        ctx.payload = {"due_at": due_at.isoformat(), "previous": ticket.due_at.isoformat() if ticket.due_at else None}


def extend(ctx: Ctx) -> None:
    ctx.set(due_at=ctx.clean["due_at"])


def instruct(ctx: Ctx) -> None:
    ticket = ctx.ticket
    text = _("领导批示 %(code)s：%(n)s") % {"code": ticket.code, "n": ctx.note()[:80]}
    ctx.notify(NotificationKind.INSTRUCTED, text, unit_ids=[ticket.lead_unit_id] if ticket.lead_unit_id else [])


def progress(ctx: Ctx) -> None:
    ctx.set(last_progress_at=ctx.now)


def assist(ctx: Ctx) -> None:
    part = _text(ctx, "part")[:NOTE_LIMIT]
    links = handler_co_links(ctx.ticket, ctx.actor)  # type: ignore[arg-type]
    for link in links:
        link.part, link.submitted_at, link.submitted_by = part, ctx.now, ctx.actor
        link.save(update_fields=["part", "submitted_at", "submitted_by"])
    ctx.payload = {"co_units": [link.unit_id for link in links], "part": part[:200]}


def resolve_rule(ctx: Ctx) -> None:
    ticket = ctx.ticket
    notice = _text(ctx, "public_notice", fallback=ticket.public_notice)
    if ticket.mode == Mode.PUBLIC and not notice:
        ctx.error("public_notice", _("公开办须填写公开说明后方可办结。"))
    ctx.clean["public_notice"] = notice
    if ticket.mode == Mode.COORDINATED:
        missing = [link.unit.name for link in co_links(ticket) if link.submitted_at is None]
        if missing:
            ctx.error("co_units", _("以下协办单位尚未提交协办情况：%(u)s") % {"u": "、".join(missing)})
    if ticket.mode == Mode.DOOR_TO_DOOR and not _door_to_door_proof(ticket):
        ctx.error("visit", _("需要上门走访核实记录"))


def _door_to_door_proof(ticket: Ticket) -> bool:
    """SPEC §5: a geo-verified visit naming the ticket (Visit.ticket, related_name "visits"), logged after the
    ticket was accepted, by a user whose home unit lies in the lead unit's subtree. A plain query on the reverse
    relation: the issues app reads the visits table without importing the visits app (layers: visits > issues)."""
    if ticket.accepted_at is None or ticket.lead_unit is None:
        return False
    return ticket.visits.filter(  # type: ignore[attr-defined]
        subtree_q(ticket.lead_unit, "cadre__unit"), geo_status="verified", visited_at__gt=ticket.accepted_at
    ).exists()


def resolve(ctx: Ctx) -> None:
    ctx.set(
        result=_text(ctx, "result"),
        public_notice=ctx.clean["public_notice"],
        resolved_at=ctx.now,
        unreachable_count=0,  # the callbacks counted towards `close` are those of this resolution
    )


def resolve_on_site(ctx: Ctx) -> None:
    ctx.set(
        mode=Mode.IMMEDIATE,
        resolved_on_site=True,
        result=_text(ctx, "result"),
        resolved_at=ctx.now,
        unreachable_count=0,
    )


# --- callback, close, supervise, cancel ---------------------------------------------------------------------------
def callback_rule(ctx: Ctx) -> None:
    if ctx.data.get("rating") not in Satisfaction.values:
        ctx.error("rating", _("回访结果应为：%(v)s") % {"v": ", ".join(Satisfaction.values)})
    ctx.clean["due_at"] = _due_at(ctx) if ctx.data.get("rating") == Satisfaction.UNSATISFIED else None


def callback(ctx: Ctx) -> None:
    ticket, rating = ctx.ticket, ctx.data["rating"]
    ctx.payload = {"rating": rating}
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
        prefixes = path_prefixes(ticket.unit.path)
        dispatchers = User.objects.filter(role=Role.DISPATCHER, is_active=True, unit__path__in=prefixes)
        ctx.notify(NotificationKind.SUPERVISED, text, user_ids=list(dispatchers.values_list("pk", flat=True)))


def cancel_rule(ctx: Ctx) -> None:
    raw = ctx.data.get("merge_into")
    if raw in (None, ""):
        ctx.clean["merge_into"] = None
        return
    from issues.selectors import tickets_visible_to

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
