"""Writes of the issues app: creating tickets (with their codes), reading notifications, exports.

Moving a ticket between states is issues.machine.ticket_apply; this module holds what comes before and after.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import categories
from campaign.days import local_day
from campaign.errors import Invalid, NotAllowed, OutOfScope
from campaign.models import Campaign, Enterprise, Household, OrgUnit, Role, User
from campaign.scope import enterprises_visible_to, households_visible_to, is_reporter, sees_everything
from campaign.selectors import area_margin_m, campaign_of, grid_for_point, point_in_area
from issues.machine import ticket_apply
from issues.models import Notification, Source, Status, Ticket, TicketEvent, TicketSequence
from issues.recurrence import earlier_resolved
from issues.topics import attach as attach_to_topic

# Who may open a ticket from which channel (a visit's tickets come through visits.services).
CREATORS = {
    Source.HOTLINE: {Role.DISPATCHER, Role.ADMIN},
    Source.WALK_IN: {Role.DISPATCHER, Role.ADMIN},
    Source.ONLINE: {Role.DISPATCHER, Role.ADMIN},
    # 户长/楼长 report for their groups' households as 自行发现 (docs/decisions.md: no new source), a household named
    Source.SELF_FOUND: {Role.CADRE, Role.DISPATCHER, Role.ADMIN, Role.REPORTER},
    Source.VISIT: {Role.CADRE, Role.HANDLER, Role.ADMIN},
    # A partner system's requests (Open311), filed by its inactive intake account (interop.open311.services); the
    # tickets API refuses the source (issues.inputs.TicketInput), so no person files one.
    Source.PARTNER: {Role.DISPATCHER},
}


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
def _requester(actor: User, household_id: int | None, enterprise_id: int | None) -> Household | Enterprise | None:
    """The requester named by id, in the actor's scope (out of scope: 404, as every read of another's row)."""
    if household_id is not None:
        household = households_visible_to(actor).filter(pk=household_id).first()
        if household is None:
            raise OutOfScope(_("住户不存在或不在您的管辖范围内。"))
        return household
    if enterprise_id is not None:
        enterprise = enterprises_visible_to(actor).filter(pk=enterprise_id).first()
        if enterprise is None:
            raise OutOfScope(_("企业不存在或不在您的管辖范围内。"))
        return enterprise
    return None


def _place(
    unit: OrgUnit | None, lat: float | None, lng: float | None, requester: Household | Enterprise | None
) -> OrgUnit:
    """Where the matter is: the given unit, else the grid of the point, else the requester's (scope: _check_place)."""
    if unit is not None:
        return unit
    place = grid_for_point(lat, lng) if lat is not None and lng is not None else None
    place = place or (requester.unit if requester is not None else None)
    if place is None:
        raise Invalid.field("unit", _("请指定单位，或提供位于某个网格内的坐标。"))
    return place


def _check_place(
    actor: User, scope: OrgUnit | None, unit: OrgUnit | None, point: tuple[float | None, float | None, float | None]
) -> None:
    """A ticket's point places it, so both must lie where the actor works: a named unit in the scope (else 404, as
    every write naming another's row) and the point in the scope's area — its grids, or its district's for a unit
    without grids, within 200 m plus the fix's accuracy (campaign.selectors.point_in_area) — else 400 on lat/lng.
    `scope` is the actor's home unit unless the caller judges by another (a handler's door-to-door visit: the
    ticket's unit); a superuser without a home unit is not bounded."""
    if scope is None:
        if sees_everything(actor):
            return
        scope = actor.unit
    if unit is not None and (scope is None or not scope.contains(unit)):
        raise OutOfScope(_("单位不存在或不在您的管辖范围内。"))
    lat, lng, accuracy_m = point
    if lat is None or lng is None:
        return
    if scope is None or not point_in_area(scope, lat, lng, area_margin_m(accuracy_m)):
        message = _("坐标不在您的管辖区域内。")
        raise Invalid({"lat": [message], "lng": [message]})


def _check_creator(actor: User, source: str, requester: Household | Enterprise | None) -> None:
    """The role may raise from `source` (403); a reporter (户长/楼长) names a household of their groups (400)."""
    if not (actor.is_superuser or actor.role in CREATORS.get(source, set())):  # type: ignore[call-overload]
        raise NotAllowed(_("您的角色不能登记该来源的诉求。"))
    if is_reporter(actor) and not isinstance(requester, Household):
        raise Invalid.field("requester_household", _("户长/楼长上报诉求须选择本户区的住户。"))


def _check_fields(campaign: Campaign | None, category: str, resolve_on_site_result: str | None) -> None:
    errors: dict[str, list[str]] = {}
    if category and not categories.is_allowed(campaign, category):
        errors["category"] = [_("类别应为启用的类别之一（活动配置了类别时，为活动的类别之一）。")]
    if resolve_on_site_result is not None and not resolve_on_site_result.strip():
        errors["result"] = [_("现场解决需填写办理结果。")]
    if errors:
        raise Invalid(errors)


def ticket_create(
    *,
    actor: User,
    source: str,
    kind: str,
    description: str,
    category: str = "",
    unit: OrgUnit | None = None,
    lat: float | None = None,
    lng: float | None = None,
    requester_name: str = "",
    requester_phone: str = "",
    requester_household: int | None = None,
    requester_enterprise: int | None = None,
    attachments: list[str] | None = None,
    campaign: Campaign | None = None,
    visit_id: uuid.UUID | None = None,
    resolve_on_site_result: str | None = None,
    accuracy_m: float | None = None,
    scope: OrgUnit | None = None,
) -> Ticket:
    """Open a ticket (status `reported`) and write its `report` event; may be called inside an outer atomic
    block (a visit's). With `resolve_on_site_result`, the raising cadre resolves it on the spot (second event).

    The fields have the shapes issues.inputs.TicketInput checks; the rules, in SPEC §1's order: the requester in
    the actor's scope (404), the role may raise from `source` (403), the unit in scope (404), then the fields
    (400): the point in the area of `scope` (default the actor's unit; _check_place), a place (the unit, the grid
    of the point or the requester's unit), a category of the campaign (by default the unit's campaign on the day:
    campaign.selectors.campaign_of), a result when resolving on site. Nothing is stored if one fails.
    """
    requester = _requester(actor, requester_household, requester_enterprise)
    _check_creator(actor, source, requester)
    _check_place(actor, scope, unit, (lat, lng, accuracy_m))
    now = timezone.now()
    place = _place(unit, lat, lng, requester)
    campaign = campaign or campaign_of(place, local_day(now))
    _check_fields(campaign, category, resolve_on_site_result)
    ticket = Ticket(
        source=source,
        kind=kind,
        category=category,
        campaign=campaign,
        requester_household=requester if isinstance(requester, Household) else None,
        requester_enterprise=requester if isinstance(requester, Enterprise) else None,
        requester_name=requester_name,
        requester_phone=requester_phone,
        unit=place,
        lat=lat,
        lng=lng,
        description=description,
        attachments=attachments or [],
        status=Status.REPORTED,
        visit_id=visit_id,
        created_by=actor,
        created_at=now,
    )
    ticket.district_id = place.district_id  # save() sets it too; the recurrence check reads it first
    ticket.recurs = earlier_resolved(ticket, now)
    return _report(ticket, actor=actor, now=now, resolve_on_site_result=resolve_on_site_result)


def _report(ticket: Ticket, *, actor: User, now: dt.datetime, resolve_on_site_result: str | None) -> Ticket:
    """Insert the new ticket with its code and its `report` event; with a result, resolve it on the spot."""
    attach_to_topic(ticket)  # 专题 (issue 15 item 5): the open topic whose radius holds its point, inserted with it
    with transaction.atomic():
        ticket.code = ticket_code_next(unit=ticket.unit, now=now)
        ticket.save(force_insert=True)
        TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            action="report",
            from_status="",
            to_status=Status.REPORTED,
            payload={"source": ticket.source},
            at=now,
        )
        if resolve_on_site_result is not None:
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
    notification = Notification.objects.filter(user=user, pk=notification_id).first()
    if notification is None:
        raise OutOfScope()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_read_for_ticket(*, user: User, ticket_id: int) -> int:
    """Mark my unread notifications of one ticket read (I opened it or acted on it): one UPDATE; how many."""
    unread = Notification.objects.filter(user=user, ticket_id=ticket_id, read_at__isnull=True)
    return unread.update(read_at=timezone.now())


def notifications_mark_all_read(*, user: User) -> int:
    """The "全部已读" button: one UPDATE of my unread rows; how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
