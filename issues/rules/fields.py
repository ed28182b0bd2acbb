"""Field parsing shared by the rules: texts, units in the actor's scope, due dates; errors go to ctx.errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from campaign.days import end_of_day
from campaign.models import OrgUnit
from campaign.scope import units_visible_to
from issues.models import TicketCoUnit
from issues.rules.context import NOTE_LIMIT, Ctx
from issues.who import co_links


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


def text_field(ctx: Ctx, name: str, *, fallback: str = "") -> str:
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


def unit_field(ctx: Ctx, raw: Any, name: str) -> OrgUnit | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        ctx.error(name, _("应为单位编号。"))
        return None
    unit = units_visible_to(ctx.actor).filter(pk=pk).first() if ctx.actor else OrgUnit.objects.filter(pk=pk).first()
    if unit is None:
        ctx.error(name, _("单位不存在或不在您的管辖范围内。"))
    elif unit.district_id != ctx.ticket.district_id:
        # A ticket and every unit on it lie in one district (the scope of a district's staff is that key alone:
        # issues.selectors.ticket_scope_q, docs/decisions.md); another district's unit is not offered.
        ctx.error(name, _("只能指定工单所在区的单位。"))
        return None
    return unit


def units_field(ctx: Ctx, name: str) -> list[OrgUnit] | None:
    raw = ctx.data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > 20:
        ctx.error(name, _("应为单位编号的列表（最多20个）。"))
        return None
    units = [u for u in (unit_field(ctx, item, name) for item in dict.fromkeys(raw)) if u is not None]
    return units


def due_at_field(ctx: Ctx) -> dt.datetime | None:
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


def set_co_units(ctx: Ctx, units: list[OrgUnit]) -> list[int]:
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


def local_time(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
