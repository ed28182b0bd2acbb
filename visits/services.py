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

from campaign.errors import Conflict, DomainError, Invalid, NotAllowed, OutOfScope
from campaign.geo import boundary_contains, gcj02_to_wgs84, grid_for_point, haversine_m
from campaign.models import Campaign, Enterprise, Household, OrgUnit, Role, UnitKind, User
from campaign.models.org import path_prefixes
from campaign.scope import enterprises_visible_to, households_visible_to
from issues.models import Ticket
from issues.selectors import tickets_visible_to
from visits.models import PEOPLE_MET_MAX, Crs, GeoStatus, TargetType, Visit, VisitPhoto

VERIFIED_RADIUS_M = 200.0  # a visit is verified within 200 m + the fix's accuracy of its reference point
POOR_ACCURACY_M = 100.0  # a fix less accurate than this proves nothing
FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # phones' clocks drift
IMPOSSIBLE_SPEED_KMH = 120.0
IMPOSSIBLE_SPEED_MIN_M = 1000.0  # below 1 km a jump is GPS noise, not travel
CHECKLIST_VALUE_MAX = 500
MAX_ISSUES_PER_VISIT = 20

VISIT_ROLES = {Role.CADRE, Role.HANDLER, Role.ADMIN}


def canonical_body_hash(body: Any) -> str:
    """sha256 of the request body re-serialized with sorted keys: key order and spacing do not make it 'different'."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- geo ------------------------------------------------------------------------------------------------------
def geo_status_for(*, has_fix: bool, accuracy_m: float | None, distance_m: float | None) -> GeoStatus:
    """SPEC §4, first match wins: no_fix, poor_accuracy, no_reference, verified (≤ 200 m + accuracy), far."""
    if not has_fix:
        return GeoStatus.NO_FIX
    accuracy = accuracy_m or 0.0
    if accuracy > POOR_ACCURACY_M:
        return GeoStatus.POOR_ACCURACY
    if distance_m is None:
        return GeoStatus.NO_REFERENCE
    if distance_m <= VERIFIED_RADIUS_M + accuracy:
        return GeoStatus.VERIFIED
    return GeoStatus.FAR


def is_impossible_speed(*, distance_m: float, elapsed: dt.timedelta) -> bool:
    """Farther than 1 km from the previous visit at more than 120 km/h (also: any such jump with no time at all)."""
    if distance_m <= IMPOSSIBLE_SPEED_MIN_M:
        return False
    seconds = abs(elapsed.total_seconds())
    if seconds == 0:
        return True
    return distance_m / seconds * 3.6 > IMPOSSIBLE_SPEED_KMH


def _reference_point(target: Household | Enterprise | None, ticket: Ticket | None) -> tuple[float, float] | None:
    """The target's location; with no target, the ticket's requester's location, else the ticket's own."""
    if target is not None:
        return (target.lat, target.lng) if target.lat is not None and target.lng is not None else None
    if ticket is None:
        return None
    requester = ticket.requester_household or ticket.requester_enterprise
    if requester is not None and requester.lat is not None and requester.lng is not None:
        return requester.lat, requester.lng
    if ticket.lat is not None and ticket.lng is not None:
        return ticket.lat, ticket.lng
    return None


def _flags(*, cadre: User, visit: Visit) -> list[str]:
    flags: list[str] = []
    if visit.lat is None or visit.lng is None:
        return flags
    previous = (
        Visit.objects.filter(cadre=cadre, visited_at__lte=visit.visited_at, lat__isnull=False, lng__isnull=False)
        .exclude(pk=visit.pk)
        .only("lat", "lng", "visited_at")
        .order_by("-visited_at", "-id")
        .first()
    )
    if previous is not None:
        jump = haversine_m(previous.lat, previous.lng, visit.lat, visit.lng)  # type: ignore[arg-type]
        if is_impossible_speed(distance_m=jump, elapsed=visit.visited_at - previous.visited_at):
            flags.append("impossible_speed")
    if visit.point_unit_id is not None and visit.unit.kind == UnitKind.GRID and visit.point_unit_id != visit.unit_id:
        flags.append("outside_grid")  # the phone was in another grid than the target's
    return flags


def _point_grid(unit: OrgUnit, lat: float | None, lng: float | None) -> OrgUnit | None:
    """The grid holding the point. Most visits stand in their target's own grid: test it first, without a query."""
    if lat is None or lng is None:
        return None
    if unit.kind == UnitKind.GRID and unit.boundary and boundary_contains(unit.boundary, lat, lng):
        return unit
    return grid_for_point(lat, lng)


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
        raise Invalid.field("target_type", _("请指定走访对象类型（household 或 enterprise）。"))
    if target_id is None:
        raise Invalid.field("target_id", _("请指定走访对象。"))
    model = Household if target_type == TargetType.HOUSEHOLD else Enterprise
    visible = households_visible_to(actor) if model is Household else enterprises_visible_to(actor)
    target = visible.filter(pk=target_id).first()
    if target is None and ticket is not None:
        # A handler's door-to-door visit reaches the ticket's requester or the place of the matter, which lie
        # outside a department's own subtree.
        requester_q = Q(pk=ticket.requester_household_id if model is Household else ticket.requester_enterprise_id)
        target = (
            model.objects.select_related("unit")  # type: ignore[attr-defined]
            .filter(requester_q | Q(unit__path__startswith=ticket.unit.path), pk=target_id)
            .first()
        )
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
    path = actor.unit.path if actor.unit else "\0"
    is_lead = ticket.lead_unit is not None and ticket.lead_unit.path.startswith(path)
    if not (is_lead or ticket.co_units.filter(path__startswith=path).exists()):
        raise NotAllowed(_("只能为本单位牵头或协办的工单登记上门走访。"))


def _campaign_for(unit: OrgUnit, campaign_id: int | None) -> Campaign | None:
    """The named campaign, if the unit takes part in it; by default the unit's newest active campaign."""
    qs = Campaign.objects.filter(units__path__in=path_prefixes(unit.path))
    if campaign_id is not None:
        campaign = qs.filter(pk=campaign_id).first()
        if campaign is None:
            raise Invalid.field("campaign", _("该活动不存在，或走访对象所在单位未参加该活动。"))
        return campaign
    return qs.filter(is_active=True).order_by("-start_date", "-id").first()


def _check_time(visited_at: dt.datetime, campaign: Campaign | None) -> None:
    if visited_at > timezone.now() + FUTURE_TOLERANCE:
        raise Invalid.field("visited_at", _("走访时间不能晚于当前时间 5 分钟以上。"))
    if campaign is not None:
        start = dt.datetime.combine(campaign.start_date, dt.time.min, tzinfo=timezone.get_default_timezone())
        if visited_at < start:
            raise Invalid.field(
                "visited_at", _("走访时间早于活动开始日期（%(date)s）。") % {"date": campaign.start_date}
            )


def _check_checklist(checklist: dict[str, str], campaign: Campaign | None) -> None:
    known = campaign.checklist_keys() if campaign else set()
    unknown = sorted(set(checklist) - known)
    if unknown:
        raise Invalid.field("checklist", _("未知的清单项：%(keys)s") % {"keys": ", ".join(unknown)})


def _coordinates(data: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    lat, lng, accuracy = data.get("lat"), data.get("lng"), data.get("accuracy_m")
    if (lat is None) != (lng is None):
        raise Invalid.field("lng" if lng is None else "lat", _("纬度和经度须同时提供。"))
    if lat is None or lng is None:
        return None, None, accuracy
    if accuracy is None:
        raise Invalid.field("accuracy_m", _("提供坐标时须同时提供定位精度（米）。"))
    if data.get("crs") == Crs.GCJ02:
        lat, lng = gcj02_to_wgs84(lat, lng)
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
    ticket = _resolve_ticket(actor, data.get("ticket"))
    target = _resolve_target(actor, data.get("target_type"), data.get("target_id"), ticket)
    _check_role(actor, ticket)
    if target is None and ticket is None:
        raise Invalid.field("target_type", _("请选择走访对象（住户或企业），或关联一张工单。"))
    unit = target.unit if target is not None else ticket.unit  # type: ignore[union-attr]
    campaign = _campaign_for(unit, data.get("campaign"))
    visited_at: dt.datetime = data["visited_at"]
    _check_time(visited_at, campaign)
    checklist = data.get("checklist") or {}
    _check_checklist(checklist, campaign)
    lat, lng, accuracy = _coordinates(data)
    reference = _reference_point(target, ticket)
    distance = haversine_m(lat, lng, *reference) if lat is not None and lng is not None and reference else None
    visit = Visit(
        id=data["id"],
        cadre=actor,
        target_type=data.get("target_type") or "",
        household=target if isinstance(target, Household) else None,
        enterprise=target if isinstance(target, Enterprise) else None,
        ticket=ticket,
        campaign=campaign,
        unit=unit,
        point_unit=_point_grid(unit, lat, lng),
        visited_at=visited_at,
        lat=lat,
        lng=lng,
        accuracy_m=accuracy,
        crs=data.get("crs") or Crs.WGS84,
        distance_m=round(distance, 1) if distance is not None else None,
        geo_status=geo_status_for(has_fix=lat is not None, accuracy_m=accuracy, distance_m=distance),
        people_met=min(int(data.get("people_met") or 0), PEOPLE_MET_MAX),
        notes=data.get("notes") or "",
        checklist=checklist,
        body_hash=body_hash,
    )
    visit.flags = _flags(cadre=actor, visit=visit)
    return visit, list(data.get("issues") or [])


def _raise_issues(*, actor: User, visit: Visit, issues: list[dict[str, Any]]) -> list[Ticket]:
    """Create the tickets raised on this visit. Call inside the visit's transaction: one bad issue undoes all."""
    from issues.services import ticket_create

    tickets: list[Ticket] = []

    for index, issue in enumerate(issues):
        fields = dict(issue)
        on_site = bool(fields.pop("resolved_on_site", False))
        result = fields.pop("result", None)
        if on_site and not (isinstance(result, str) and result.strip()):
            raise Invalid.field(f"issues[{index}].result", _("现场解决的诉求须填写办理结果。"))
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
            photo.save(force_insert=True)
    except IntegrityError:
        existing = VisitPhoto.objects.filter(visit=visit, sha256=digest).first()
        if existing is None:
            raise
        return existing, False
    return photo, True
