"""Writes of the issues app: creating tickets (with their codes) and in-app notifications.

Moving a ticket between states is issues.machine.ticket_apply; this module holds what comes before and after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.days import local_day
from campaign.errors import Invalid, NotAllowed
from campaign.geo import grid_for_point
from campaign.models import Campaign, Enterprise, Household, OrgUnit, Role, User
from campaign.scope import sees_everything
from campaign.selectors import campaign_of
from issues.models import Export, Kind, Notification, Source, Status, Ticket, TicketEvent, TicketSequence

# Who may open a ticket from which channel (a visit's tickets come through visits.services).
CREATORS = {
    Source.HOTLINE: {Role.DISPATCHER, Role.ADMIN},
    Source.WALK_IN: {Role.DISPATCHER, Role.ADMIN},
    Source.ONLINE: {Role.DISPATCHER, Role.ADMIN},
    Source.SELF_FOUND: {Role.CADRE, Role.DISPATCHER, Role.ADMIN},
    Source.VISIT: {Role.CADRE, Role.HANDLER, Role.ADMIN},
}
TEXT_LIMITS = {"description": 4000, "requester_name": 50, "category": 50}


# --- codes ---------------------------------------------------------------------------------------------------
def ticket_code_next(*, unit: OrgUnit, now: dt.datetime) -> str:
    """`GX-20260512-000031`: the district's short code, the Asia/Shanghai day, the district's sequence that day.

    Call inside the create transaction: the (district, day) counter row stays locked until commit, so two
    concurrent creates never draw the same number. Works on SQLite (one writer) and PostgreSQL (row lock).
    """
    district = unit.district()
    day = local_day(now)
    rows = TicketSequence.objects.filter(district=district, day=day)
    with transaction.atomic():
        if not rows.update(last=F("last") + 1):
            try:
                with transaction.atomic():  # savepoint: a concurrent first insert of the day may win
                    TicketSequence.objects.create(district=district, day=day, last=1)
            except IntegrityError:
                rows.update(last=F("last") + 1)
        number = rows.values_list("last", flat=True).get()
    return f"{district.code or 'ZF'}-{day:%Y%m%d}-{number:06d}"


# --- create --------------------------------------------------------------------------------------------------
def _choice(data: dict[str, Any], name: str, choices: Iterable[str], errors: dict[str, list[str]]) -> str:
    value = data.get(name)
    if value not in set(choices):
        errors[name] = [_("必填，取值之一：%(c)s") % {"c": ", ".join(choices)}]
        return ""
    return str(value)


def _text(data: dict[str, Any], name: str, errors: dict[str, list[str]], *, required: bool = False) -> str:
    value = data.get(name) or ""
    if not isinstance(value, str):
        errors[name] = [_("应为文本。")]
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = [_("此项必填。")]
    elif len(value) > TEXT_LIMITS.get(name, 4000):
        errors[name] = [_("不能超过%(n)d字。") % {"n": TEXT_LIMITS.get(name, 4000)}]
    return value


def _coordinates(data: dict[str, Any], errors: dict[str, list[str]]) -> tuple[float | None, float | None]:
    lat, lng = data.get("lat"), data.get("lng")
    if lat is None and lng is None:
        return None, None
    try:
        flat, flng = float(lat), float(lng)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors["lat"] = [_("经纬度应成对提供且为数字。")]
        return None, None
    if not (-90 <= flat <= 90 and -180 <= flng <= 180):
        errors["lat"] = [_("坐标超出范围。")]
        return None, None
    return flat, flng


def _unit_for(
    *, actor: User, given: Any, lat: float | None, lng: float | None, requester: Household | Enterprise | None
) -> OrgUnit | None:
    """Where the matter is: the given unit (in the actor's scope), else the grid of the point, else the requester's."""
    if given is not None:
        unit = given if isinstance(given, OrgUnit) else OrgUnit.objects.filter(pk=_int_or_none(given)).first()
        if unit is None or not (sees_everything(actor) or (actor.unit is not None and actor.unit.contains(unit))):
            raise Invalid.field("unit", _("单位不存在或不在您的管辖范围内。"))
        return unit
    grid = grid_for_point(lat, lng)
    if grid is not None:
        return grid
    return requester.unit if requester is not None else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def ticket_create(
    *,
    actor: User,
    data: dict[str, Any],
    source: str,
    campaign: Campaign | None = None,
    requester_household: Household | None = None,
    requester_enterprise: Enterprise | None = None,
    visit_id: Any = None,
    resolve_on_site_result: str | None = None,
) -> Ticket:
    """Open a ticket (status `reported`) and write its `report` event; may be called inside an outer atomic
    block (a visit's). With `resolve_on_site_result`, the raising cadre resolves it on the spot (second event).

    `data`: kind, category, description, unit (id or OrgUnit), lat, lng, requester_name, requester_phone,
    attachments. Bad input raises Invalid naming every bad field; nothing is stored.
    """
    if not (actor.is_superuser or actor.role in CREATORS.get(source, set())):  # type: ignore[call-overload]
        raise NotAllowed(_("您的角色不能登记该来源的诉求。"))
    errors: dict[str, list[str]] = {}
    if source not in Source.values:
        errors["source"] = [_("来源无效。")]
    kind = _choice(data, "kind", Kind.values, errors)
    description = _text(data, "description", errors, required=True)
    category = _text(data, "category", errors)
    requester_name = _text(data, "requester_name", errors)
    requester_phone = str(data.get("requester_phone") or "").strip()
    if requester_phone and not (requester_phone.replace("-", "").isdigit() and 7 <= len(requester_phone) <= 20):
        errors["requester_phone"] = [_("电话号码格式不正确。")]
    attachments = data.get("attachments") or []
    if not isinstance(attachments, list) or len(attachments) > 20:
        errors["attachments"] = [_("附件应为列表，最多20项。")]
    lat, lng = _coordinates(data, errors)
    if requester_household is not None and requester_enterprise is not None:
        errors["requester_enterprise"] = [_("诉求人只能是一户住户或一家企业。")]
    requester = requester_household or requester_enterprise
    unit = None
    try:
        unit = _unit_for(actor=actor, given=data.get("unit"), lat=lat, lng=lng, requester=requester)
    except Invalid as exc:
        errors.update(exc.detail)
    if unit is None and "unit" not in errors:
        errors["unit"] = [_("请指定单位，或提供位于某个网格内的坐标。")]
    now = timezone.now()
    if unit is not None and campaign is None:
        campaign = campaign_of(unit, local_day(now))
    if campaign is not None and category and campaign.categories and category not in campaign.categories:
        errors["category"] = [_("类别应为活动配置的类别之一。")]
    if resolve_on_site_result is not None and not resolve_on_site_result.strip():
        errors["result"] = [_("现场解决需填写办理结果。")]
    if errors:
        raise Invalid(errors)
    assert unit is not None
    with transaction.atomic():
        ticket = Ticket.objects.create(
            code=ticket_code_next(unit=unit, now=now),
            source=source,
            kind=kind,
            category=category,
            campaign=campaign,
            requester_household=requester_household,
            requester_enterprise=requester_enterprise,
            requester_name=requester_name,
            requester_phone=requester_phone,
            unit=unit,
            lat=lat,
            lng=lng,
            description=description,
            attachments=attachments,
            status=Status.REPORTED,
            visit_id=visit_id,
            created_by=actor,
            created_at=now,
        )
        TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            action="report",
            from_status="",
            to_status=Status.REPORTED,
            payload={"source": source},
            at=now,
        )
        if resolve_on_site_result is not None:
            from issues.machine import ticket_apply

            ticket = ticket_apply(
                ticket_id=ticket.pk,
                action="resolve_on_site",
                actor=actor,
                version=ticket.version,
                data={"result": resolve_on_site_result},
            )
    return ticket


# --- notifications -------------------------------------------------------------------------------------------
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    from campaign.errors import OutOfScope

    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise OutOfScope()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


# --- exports -------------------------------------------------------------------------------------------------
def export_start(*, owner: User, kind: str, params: dict[str, Any]) -> Export:
    """Record a background export and queue its job after commit."""
    from issues.tasks import export_run_task

    export = Export.objects.create(kind=kind, owner=owner, params=params)
    transaction.on_commit(lambda: export_run_task.delay(str(export.pk)))
    return export


def export_run(*, export_id: str) -> None:
    """Write the export's file in bounded memory, updating progress; running it again rewrites the same file.

    The ledger is read with the owner's scope as it is now (a user who lost scope gets less, never more).
    """
    from issues.exports import export_dir, export_title, ledger_for, write_xlsx

    export = Export.objects.select_related("owner__unit").filter(pk=export_id).first()
    if export is None or export.state == Export.State.DONE:
        return
    try:
        headers, rows, total = ledger_for(export.kind)(export.owner, export.params)
        Export.objects.filter(pk=export.pk).update(state=Export.State.RUNNING, total=total, progress=0)
        relative = f"exports/{export.pk}.xlsx"
        path = export_dir() / f"{export.pk}.xlsx"

        def progress(count: int) -> None:
            Export.objects.filter(pk=export.pk).update(progress=count)

        count = write_xlsx(str(path), export_title(export.kind), headers, rows, on_progress=progress)
    except Exception as exc:  # the job records the failure for the owner to see, then re-raises for the log
        Export.objects.filter(pk=export.pk).update(state=Export.State.FAILED, error=type(exc).__name__[:500])
        raise
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.DONE, progress=count, total=count, file=relative, finished_at=timezone.now()
    )
