"""Writes of the visits app: recording a visit (SPEC §4) and adding its photos.

`visit_record` is what POST /api/v1/visits/ calls. Its contract, in the order the checks run:
the ticket and the target must be in the caller's scope (404), the role must be allowed (403), the fields must
hold (400); then the row is inserted. The client's UUID is the primary key: a retried post either inserts
(201) or hits the key, and the stored body hash decides between 200 (same body) and 409 (different body).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.assignments import key_projects_visible_to
from campaign.days import day_start, local_day
from campaign.errors import Conflict, DomainError, Invalid, NotAllowed, OutOfScope
from campaign.geo import haversine_m, to_wgs84
from campaign.models import Campaign, Enterprise, Household, KeyProject, OrgUnit, Role, User
from campaign.models.org import path_prefixes
from campaign.scope import enterprises_visible_to, households_visible_to, subtree_q
from campaign.selectors import campaign_of
from issues.models import Ticket
from issues.selectors import tickets_visible_to
from issues.services import ticket_create
from visits.answers import STALE_FLAG, Answers, answers_check
from visits.geo import geo_status_for, point_grid, reference_point, visit_flags
from visits.meetings import meeting_geo, meeting_of, participants_add
from visits.models import PEOPLE_MET_MAX, Crs, TargetType, Visit, VisitPhoto

FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # phones' clocks drift
CHECKLIST_VALUE_MAX = 500
MAX_ISSUES_PER_VISIT = 20


def canonical_body_hash(body: Any) -> str:
    """sha256 of the request body re-serialized with sorted keys: key order and spacing do not make it 'different'."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- scope and rules ------------------------------------------------------------------------------------------
@dataclass
class _Resolved:
    target: Household | Enterprise | None
    ticket: Ticket | None
    unit: OrgUnit


def _resolve_ticket(actor: User, ticket_id: int | None) -> Ticket | None:
    if ticket_id is None:
        return None
    ticket = (
        tickets_visible_to(actor)
        .select_related("unit", "lead_unit", "requester_household", "requester_enterprise")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise OutOfScope(_("工单不存在或不在您的管辖范围内。"))
    return ticket


def _resolve_target(actor: User, target_type: str | None, target_id: int | None, ticket: Ticket | None) -> Any:
    if not target_type and target_id is None:
        return None
    if not target_type:
        raise Invalid.field("target_type", _("请指定走访对象类型（household、enterprise 或 project）。"))
    if target_id is None:
        raise Invalid.field("target_id", _("请指定走访对象。"))
    if target_type == TargetType.PROJECT:
        # A key project (重点项目) of the actor's area; a door-to-door proof names a household or the ticket's place.
        project = key_projects_visible_to(actor).filter(pk=target_id, active=True).select_related("unit").first()
        if project is None:
            raise OutOfScope(_("重点项目不存在、已结束或不在您的管辖范围内。"))
        return project
    model = Household if target_type == TargetType.HOUSEHOLD else Enterprise
    visible = households_visible_to(actor) if model is Household else enterprises_visible_to(actor)
    target = visible.filter(pk=target_id).first()
    if target is None and ticket is not None:
        # A handler's door-to-door visit reaches the ticket's requester or the place of the matter, which lie
        # outside a department's own subtree.
        requester_q = Q(pk=ticket.requester_household_id if model is Household else ticket.requester_enterprise_id)
        target = model.objects.select_related("unit").filter(requester_q | subtree_q(ticket.unit), pk=target_id).first()
    if target is None:
        # Out of scope answers 404 (not 400 on target_id): a write must not confirm that a row exists elsewhere.
        raise OutOfScope(_("走访对象不存在或不在您的管辖范围内。"))
    return target


def _check_role(actor: User, ticket: Ticket | None) -> None:
    if actor.is_superuser or actor.role in (Role.CADRE, Role.ADMIN):
        return
    if actor.role != Role.HANDLER:
        raise NotAllowed(_("您的角色不能登记走访。"))
    if ticket is None:
        raise Invalid.field("ticket", _("承办人登记走访须关联本单位承办的工单。"))
    home = actor.unit
    is_lead = home is not None and ticket.lead_unit is not None and home.contains(ticket.lead_unit)
    co_unit_here = home is not None and OrgUnit.objects.subtree_of(home).filter(pk__in=ticket.co_units.all()).exists()
    if not (is_lead or co_unit_here):
        raise NotAllowed(_("只能为本单位牵头或协办的工单登记上门走访。"))


def _campaign_for(unit: OrgUnit, campaign_id: int | None, visited_at: dt.datetime) -> Campaign | None:
    """The named campaign, if the unit takes part in it; by default the unit's campaign on the day of the visit."""
    if campaign_id is not None:
        campaign = Campaign.objects.filter(units__path__in=path_prefixes(unit.path), pk=campaign_id).first()
        if campaign is None:
            raise Invalid.field("campaign", _("该活动不存在，或走访对象所在单位未参加该活动。"))
        return campaign
    campaign = campaign_of(unit, local_day(visited_at))
    if campaign is None:
        # No campaign that day: a visit dated before the unit's current campaign is refused, not filed outside it
        # (SPEC §4: not older than the campaign).
        _check_time(visited_at, campaign_of(unit))
    return campaign


def _check_time(visited_at: dt.datetime, campaign: Campaign | None) -> None:
    if visited_at > timezone.now() + FUTURE_TOLERANCE:
        raise Invalid.field("visited_at", _("走访时间不能晚于当前时间 5 分钟以上。"))
    if campaign is not None:
        if visited_at < day_start(campaign.start_date):
            raise Invalid.field(
                "visited_at", _("走访时间早于活动开始日期（%(date)s）。") % {"date": campaign.start_date}
            )


def _answers(data: dict[str, Any], campaign: Campaign | None, *, door_step: bool) -> Answers:
    """The questionnaire's answers as stored (visits.answers: checked against the campaign's questions)."""
    checklist = data.get("checklist") or {}
    return answers_check(checklist, campaign, version=data.get("checklist_version"), door_step=door_step)


def _coordinates(data: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    lat, lng, accuracy = data.get("lat"), data.get("lng"), data.get("accuracy_m")
    if (lat is None) != (lng is None):
        raise Invalid.field("lng" if lng is None else "lat", _("纬度和经度须同时提供。"))
    if lat is None or lng is None:
        return None, None, accuracy
    if accuracy is None:
        raise Invalid.field("accuracy_m", _("提供坐标时须同时提供定位精度（米）。"))
    lat, lng = to_wgs84(lat, lng, data.get("crs"))
    return lat, lng, accuracy


# --- the service -------------------------------------------------------------------------------------------------
def visit_record(*, actor: User, data: dict[str, Any], body_hash: str) -> tuple[Visit, bool]:
    """Record a visit from validated API data; returns (visit, created). Exactly-once by the client's UUID.

    `data` holds the shapes checked by the API serializer (types, ranges); the rules are checked here.
    """
    try:
        visit, issues = _build_visit(actor=actor, data=data, body_hash=body_hash)
    except DomainError:
        # A retry of a stored visit must get the stored visit even if the world moved on since (e.g. its
        # ticket was resolved): look for the key before answering the error.
        existing = Visit.objects.filter(pk=data["id"]).first()
        if existing is None:
            raise
        return _replay(existing, actor=actor, body_hash=body_hash), False
    try:
        with transaction.atomic():
            # The insert comes first: the primary key decides (not a prior SELECT). A duplicate aborts this
            # transaction (or savepoint, when nested) before anything else was written.
            visit.save(force_insert=True)
            participants_add(visit, getattr(visit, "pending_members", []))
            tickets = _raise_issues(actor=actor, visit=visit, issues=issues)
    except IntegrityError:
        existing = Visit.objects.filter(pk=visit.pk).first()
        if existing is None:
            raise
        return _replay(existing, actor=actor, body_hash=body_hash), False
    # What the 201 answer shows, without reading back what was just written: no photos yet, these tickets.
    visit.raised_tickets = [{"id": t.pk, "code": t.code} for t in tickets]  # type: ignore[attr-defined]
    visit._prefetched_objects_cache = {"photos": VisitPhoto.objects.none()}  # type: ignore[attr-defined]
    return visit, True


def _replay(existing: Visit, *, actor: User, body_hash: str) -> Visit:
    if existing.cadre_id == actor.pk and existing.body_hash == body_hash:
        return existing
    raise Conflict(_("该走访编号已被使用，且内容与已保存的记录不同。"))


def _build_visit(*, actor: User, data: dict[str, Any], body_hash: str) -> tuple[Visit, list[dict[str, Any]]]:
    if data.get("target_type") == TargetType.MEETING:
        return _build_meeting(actor=actor, data=data, body_hash=body_hash), []
    ticket = _resolve_ticket(actor, data.get("ticket"))
    target = _resolve_target(actor, data.get("target_type"), data.get("target_id"), ticket)
    _check_role(actor, ticket)
    if target is None and ticket is None:
        raise Invalid.field("target_type", _("请选择走访对象（住户或企业），或关联一张工单。"))
    unit = target.unit if target is not None else ticket.unit  # type: ignore[union-attr]
    visited_at: dt.datetime = data["visited_at"]
    campaign = _campaign_for(unit, data.get("campaign"), visited_at)
    _check_time(visited_at, campaign)
    answers = _answers(data, campaign, door_step=ticket is None and isinstance(target, Household | Enterprise))
    lat, lng, accuracy = _coordinates(data)
    reference = reference_point(target, ticket)
    distance = haversine_m(lat, lng, *reference) if lat is not None and lng is not None and reference else None
    visit = Visit(
        id=data["id"],
        cadre=actor,
        target_type=data.get("target_type") or "",
        household=target if isinstance(target, Household) else None,
        enterprise=target if isinstance(target, Enterprise) else None,
        project=target if isinstance(target, KeyProject) else None,
        ticket=ticket,
        campaign=campaign,
        unit=unit,
        point_unit=point_grid(unit, lat, lng),
        visited_at=visited_at,
        lat=lat,
        lng=lng,
        accuracy_m=accuracy,
        crs=data.get("crs") or Crs.WGS84,
        distance_m=round(distance, 1) if distance is not None else None,
        geo_status=geo_status_for(has_fix=lat is not None, accuracy_m=accuracy, distance_m=distance),
        people_met=min(int(data.get("people_met") or 0), PEOPLE_MET_MAX),
        notes=data.get("notes") or "",
        checklist=answers.values,
        body_hash=body_hash,
    )
    visit.flags = visit_flags(cadre=actor, visit=visit) + ([STALE_FLAG] if answers.dropped else [])
    return visit, list(data.get("issues") or [])


def _build_meeting(*, actor: User, data: dict[str, Any], body_hash: str) -> Visit:
    """A meeting (座谈会/问卷, visits.meetings): in a unit of the actor's scope, its participants kept on the visit
    (`pending_members`) for visit_record to write in the visit's transaction."""
    _check_role(actor, None)
    meeting = meeting_of(actor, data)
    visited_at: dt.datetime = data["visited_at"]
    campaign = _campaign_for(meeting.unit, data.get("campaign"), visited_at)
    _check_time(visited_at, campaign)
    answers = _answers(data, campaign, door_step=False)
    lat, lng, accuracy = _coordinates(data)
    status, distance = meeting_geo(meeting.unit, lat, lng, accuracy)
    visit = Visit(
        id=data["id"], cadre=actor, target_type=TargetType.MEETING, campaign=campaign, unit=meeting.unit,
        point_unit=point_grid(meeting.unit, lat, lng), visited_at=visited_at, lat=lat, lng=lng, accuracy_m=accuracy,
        crs=data.get("crs") or Crs.WGS84, distance_m=round(distance, 1) if distance is not None else None,
        geo_status=status, head_count=int(data["head_count"]), people_met=min(int(data["head_count"]), PEOPLE_MET_MAX),
        notes=data.get("notes") or "", checklist=answers.values, body_hash=body_hash,
    )  # fmt: skip
    visit.flags = visit_flags(cadre=actor, visit=visit) + ([STALE_FLAG] if answers.dropped else [])
    visit.pending_members = meeting.members  # type: ignore[attr-defined]
    return visit


def _issue_scope(actor: User, visit: Visit) -> OrgUnit | None:
    """Whose area judges a visit's issues: the actor's own (None), but a handler's door-to-door visit is judged by
    its ticket's unit — the handler's department has no area of the matter — or by the visited target's unit when
    the visit reached the ticket's requester outside it."""
    if actor.is_superuser or actor.role != Role.HANDLER or visit.ticket is None:
        return None
    ticket_unit = visit.ticket.unit
    return ticket_unit if ticket_unit.contains(visit.unit) else visit.unit


def _issue_point_to_wgs84(fields: dict[str, Any], visit: Visit) -> None:
    """An issue's point in the issue's `crs`, else the visit's (GCJ-02 from a phone's map SDK), stored as WGS-84 like
    every point (SPEC §4): unconverted it would land some 460 m off."""
    crs = fields.pop("crs", None) or visit.crs
    if fields.get("lat") is not None and fields.get("lng") is not None:
        fields["lat"], fields["lng"] = to_wgs84(fields["lat"], fields["lng"], crs)


def _raise_issues(*, actor: User, visit: Visit, issues: list[dict[str, Any]]) -> list[Ticket]:
    """Create the tickets raised on this visit. Call inside the visit's transaction: one bad issue undoes all.

    An issue's point places its ticket, so it is judged like any ticket's (issues.services.ticket_create: in the
    actor's area, with the visit's accuracy); the visit's own point stays evidence (geo_status)."""
    tickets: list[Ticket] = []
    scope = _issue_scope(actor, visit)
    for index, issue in enumerate(issues):
        fields = dict(issue)
        on_site = bool(fields.pop("resolved_on_site", False))
        result = fields.pop("result", None)
        if on_site and not (isinstance(result, str) and result.strip()):
            raise Invalid.field(f"issues[{index}].result", _("现场解决的诉求须填写办理结果。"))
        _issue_point_to_wgs84(fields, visit)
        if fields.get("lat") is None and fields.get("unit") is None:
            fields["unit"] = visit.unit  # the matter is where the visited target is
        try:
            ticket = ticket_create(
                actor=actor,
                source="visit",
                campaign=visit.campaign,
                requester_household=visit.household_id,
                requester_enterprise=visit.enterprise_id,
                visit_id=visit.pk,
                resolve_on_site_result=result if on_site else None,
                accuracy_m=visit.accuracy_m,
                scope=scope,
                **fields,
            )
        except Invalid as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
            raise Invalid({f"issues[{index}].{name}": messages for name, messages in detail.items()}) from None
        tickets.append(ticket)
    return tickets


# --- photos ----------------------------------------------------------------------------------------------------
def _write_atomically(relative: str, content: bytes) -> None:
    """Write under MEDIA_ROOT via a temporary file + rename: a concurrent retry writes the same bytes, never half."""
    import os
    import tempfile
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def visit_photo_add(*, actor: User, visit: Visit, content: bytes) -> tuple[VisitPhoto, bool]:
    """Add a photo to a visit; returns (photo, created). The same bytes again return the stored photo.

    Only the visit's author (or an admin) may add. The image work and file writes run before the (short)
    insert; the (visit, sha256) unique constraint settles concurrent retries.
    """
    from visits.photos import MAX_UPLOAD_BYTES, process_photo

    if not (visit.cadre_id == actor.pk or actor.is_superuser or actor.role == Role.ADMIN):
        raise NotAllowed(_("只有走访人本人可以上传该走访的照片。"))
    if len(content) > MAX_UPLOAD_BYTES:
        raise Invalid.field("file", _("图片不能超过 10 MB。"))
    digest = hashlib.sha256(content).hexdigest()
    existing = VisitPhoto.objects.filter(visit=visit, sha256=digest).first()
    if existing is not None:
        return existing, False
    processed = process_photo(content)
    base = f"visits/{visit.pk}/{digest}"
    _write_atomically(f"{base}.jpg", processed.image)
    _write_atomically(f"{base}.thumb.jpg", processed.thumbnail)
    photo = VisitPhoto(
        visit=visit,
        sha256=digest,
        uploaded_by=actor,
        file=f"{base}.jpg",
        thumbnail=f"{base}.thumb.jpg",
        original_format=processed.original_format,
        width=processed.width,
        height=processed.height,
        size_bytes=len(content),
        lat=processed.lat,
        lng=processed.lng,
        taken_at=processed.taken_at,
    )
    try:
        with transaction.atomic():
            # No photo of a missing visit (VisitPhoto.visit has no database constraint, see models): on PostgreSQL the
            # key table's foreign key refuses it too; on SQLite (one writer) this check cannot be raced.
            if not Visit.objects.filter(pk=visit.pk).exists():
                raise OutOfScope(_("走访不存在。"))
            photo.save(force_insert=True)
    except IntegrityError:
        existing = VisitPhoto.objects.filter(visit=visit, sha256=digest).first()
        if existing is None:
            raise
        return existing, False
    return photo, True
