"""Dispatch (the five clarities, 五个明确, and each mode's dispatch rule), reassign, return and accept."""

from __future__ import annotations

from django.utils.translation import gettext as _

from campaign import categories
from campaign.models import OrgUnit, Role, User
from issues.directory import count_not_our_duty, proposal_for
from issues.models import Mode, NotificationKind, ReturnReason, TicketEvent
from issues.router.suggest import suggestion_kept
from issues.rules.context import Ctx
from issues.rules.extensions import drop_request
from issues.rules.fields import due_at_field, local_time, set_co_units, text_field, unit_field, units_field
from issues.sla import due_at_for, tracking_limit
from issues.who import co_links

CLARITY_TEXTS = ("problem", "responsible_person", "measures", "expected_effect")


def dispatch_rule(ctx: Ctx) -> None:
    """Five clarities (五个明确) + the mode's dispatch rule; values already on the ticket (a returned one) count."""
    ticket, data = ctx.ticket, ctx.data
    mode = data.get("mode") or ticket.mode
    if mode not in Mode.values:
        ctx.error("mode", _("请选择办理方式（六办工作法）之一：%(m)s") % {"m": ", ".join(Mode.values)})
        mode = None
    for name in CLARITY_TEXTS:
        ctx.clean[name] = text_field(ctx, name, fallback=getattr(ticket, name))
        if not ctx.clean[name] and name not in ctx.errors:
            ctx.error(name, _("五个明确：此项必填。"))
    category_field(ctx)
    lead_unit = unit_field(ctx, data["lead_unit"], "lead_unit") if data.get("lead_unit") else ticket.lead_unit
    if lead_unit is None and "lead_unit" not in ctx.errors:
        ctx.error("lead_unit", _("五个明确：请指定牵头单位。"))
    ctx.clean["lead_unit"] = lead_unit
    due_at = due_at_field(ctx)
    if mode == Mode.TRACKING:
        if due_at is None and "due_at" not in ctx.errors:
            ctx.error("due_at", _("跟踪办须由派单人设定办理时限（不超过180天）。"))
        elif due_at is not None and due_at > tracking_limit(ctx.now):
            ctx.error("due_at", _("跟踪办的办理时限不能超过180天。"))
    elif mode and due_at is not None:
        default = due_at_for(mode=mode, start=ctx.now, campaign=ticket.campaign)
        if due_at > default:
            ctx.error("due_at", _("办理时限只能早于该办理方式的默认时限（%(d)s）。") % {"d": local_time(default)})
    ctx.clean["due_at"] = due_at
    co_units = units_field(ctx, "co_units")
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


def category_field(ctx: Ctx) -> None:
    """`category`: the dispatcher confirms the ticket's category or changes it to another the campaign allows."""
    raw = ctx.data.get("category")
    if raw in (None, "") or raw == ctx.ticket.category:
        ctx.clean["category"] = ctx.ticket.category
        return
    if not isinstance(raw, str) or not categories.is_allowed(ctx.ticket.campaign, raw):
        ctx.error("category", _("类别应为启用的类别之一（活动配置了类别时，为活动的类别之一）。"))
    ctx.clean["category"] = raw


def _suggestion_taken(ticket_description: str, campaign: object, category: str) -> dict[str, object]:
    """What the router suggested for the text (the campaign's best category: "" when it ranks none) and whether the
    dispatch kept it (None: nothing was suggested)."""
    top, taken = suggestion_kept(ticket_description, categories.allowed_names(campaign), category)  # type: ignore[arg-type]
    return {"suggested_category": top, "suggestion_taken": taken}


def dispatch(ctx: Ctx) -> None:
    c, ticket = ctx.clean, ctx.ticket
    if c["category"] != ticket.category:
        ctx.set(category=c["category"])
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
    set_co_units(ctx, c["co_units"])
    ctx.payload = {
        "mode": c["mode"],
        "lead_unit": c["lead_unit"].pk,
        "due_at": due_at.isoformat(),
        "co_units": [u.pk for u in c["co_units"]],
        "lead_official": c["lead_official"].pk if c["lead_official"] else None,
    }
    suggestion = _suggestion_taken(ticket.description, ticket.campaign, ticket.category)
    ctx.set(suggestion_taken=suggestion["suggestion_taken"])
    ctx.payload.update(category=ticket.category, **suggestion)
    # The directory row whose lead unit the dispatcher took: a "not our duty" return then counts against it.
    proposal = proposal_for(ticket.category, ticket.unit)
    if proposal is not None and proposal.lead_unit_id == c["lead_unit"].pk:
        ctx.payload["directory_row"] = proposal.row_id
    text = _("新派单 %(code)s：%(p)s") % {"code": ticket.code, "p": c["problem"][:80]}
    ctx.notify(NotificationKind.DISPATCHED, text, unit_ids=[c["lead_unit"].pk, *(u.pk for u in c["co_units"])])


def reassign_rule(ctx: Ctx) -> None:
    lead_unit = unit_field(ctx, ctx.data["lead_unit"], "lead_unit") if ctx.data.get("lead_unit") else None
    co_units = units_field(ctx, "co_units")
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
        notify_units += set_co_units(ctx, c["co_units"])
    ctx.set(dispatched_at=ctx.now, accepted_at=None)  # the new lead unit must accept: a new response clock
    drop_request(ctx)  # a pending extension request was the old lead unit's
    text = _("改派工单 %(code)s，请签收。") % {"code": ticket.code}
    ctx.notify(NotificationKind.DISPATCHED, text, unit_ids=notify_units)


def return_rule(ctx: Ctx) -> None:
    """`reason_code`: one of ReturnReason (`other` when left out, as before the directory)."""
    code = ctx.data.get("reason_code") or ReturnReason.OTHER
    if code not in ReturnReason.values:
        ctx.error("reason_code", _("退回原因应为以下之一：%(c)s") % {"c": ", ".join(ReturnReason.values)})
    ctx.clean["reason_code"] = code


def return_(ctx: Ctx) -> None:
    ticket, code = ctx.ticket, ctx.clean["reason_code"]
    last_dispatcher, dispatched = (
        TicketEvent.objects.filter(ticket=ticket, action__in=("dispatch", "reassign"))
        .order_by("-at", "-id")
        .values_list("actor_id", "payload")
        .first()
    ) or (None, {})
    ctx.payload = {"lead_unit": ticket.lead_unit_id, "reason_code": code}
    row = (dispatched or {}).get("directory_row")
    if code == ReturnReason.NOT_OUR_DUTY and isinstance(row, int):
        ctx.payload["directory_row"] = row
        count_not_our_duty(row)
    text = _("工单 %(code)s 被%(unit)s退回：%(r)s") % {
        "code": ticket.code,
        "unit": ticket.lead_unit.name if ticket.lead_unit else "",
        "r": ctx.note()[:80],
    }
    ctx.notify(NotificationKind.RETURNED, text, user_ids=[last_dispatcher] if last_dispatcher else [])


def accept(ctx: Ctx) -> None:
    ctx.set(accepted_at=ctx.now)
