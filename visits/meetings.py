"""Meetings and questionnaires (座谈会, 问卷; issue 16 item 6): a visit of target_type "meeting" is held in a unit of
the cadre's scope with a head count and the households and enterprises that took part (VisitParticipant). Each
participant counts as visited on the meeting's day, in its own unit (dashboard.rollups reads the participants beside
the visits), so people covered counts each household once; the meeting itself is one visit of its unit.

The geo proof is judged against the meeting's unit: verified when the phone's point lies in one of the unit's grids
(the grid holding the point is the unit or below it), else by the distance to the unit's centre, as any visit's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal
from django.utils.translation import gettext as _

from campaign.errors import Invalid, OutOfScope
from campaign.geo import haversine_m
from campaign.models import Enterprise, Household, OrgUnit, User
from campaign.scope import enterprises_visible_to, households_visible_to, unit_in_scope
from visits.geo import geo_status_for, point_grid
from visits.models import GeoStatus, TargetType, Visit, VisitParticipant

# Sent with `visit` and `unit_ids` once a meeting's participants are written: the statistics mark each participant
# unit's day (dashboard.signals; visits may not import dashboard), as a visit's own save marks its unit's.
participants_added = Signal()


@dataclass
class Meeting:
    unit: OrgUnit
    members: list[Household | Enterprise]


def meeting_of(actor: User, data: dict[str, Any]) -> Meeting:
    """The meeting's unit (in the actor's scope: 404) and its participants (each in scope: 404; in the meeting's unit,
    once: 400). The head count and the participants' shapes are the serializer's."""
    if data.get("ticket") is not None:
        raise Invalid.field("ticket", _("座谈会不关联工单。"))
    if data.get("target_id") is not None:
        raise Invalid.field("target_id", _("座谈会不指定单个走访对象，请在 participants 中列出参会住户和企业。"))
    if data.get("unit") is None:
        raise Invalid.field("unit", _("请指定座谈会所在单位。"))
    if not data.get("head_count"):
        raise Invalid.field("head_count", _("请填写参会人数。"))
    unit = unit_in_scope(actor, data["unit"])
    wanted = [(p["target_type"], int(p["target_id"])) for p in data.get("participants") or []]
    if len(set(wanted)) != len(wanted):
        raise Invalid.field("participants", _("参会对象有重复。"))
    found: dict[tuple[str, int], Household | Enterprise] = {}
    for kind, visible in (
        (TargetType.HOUSEHOLD, households_visible_to),
        (TargetType.ENTERPRISE, enterprises_visible_to),
    ):
        ids = [pk for t, pk in wanted if t == kind]
        if ids:
            found |= {(kind.value, row.pk): row for row in visible(actor).filter(pk__in=ids)}
    if len(found) != len(wanted):
        raise OutOfScope(_("参会对象不存在或不在您的管辖范围内。"))
    members = [found[key] for key in wanted]
    outside = [i for i, row in enumerate(members) if not unit.contains(row.unit)]
    if outside:
        raise Invalid.field(f"participants[{outside[0]}]", _("参会对象不在座谈会所在单位内。"))
    return Meeting(unit=unit, members=members)


def meeting_geo(
    unit: OrgUnit, lat: float | None, lng: float | None, accuracy: float | None
) -> tuple[str, float | None]:
    """(geo_status, distance to the unit's centre) of a meeting's point."""
    centre = (unit.lat, unit.lng) if unit.lat is not None and unit.lng is not None else None
    distance = haversine_m(lat, lng, *centre) if lat is not None and lng is not None and centre else None
    status = geo_status_for(has_fix=lat is not None, accuracy_m=accuracy, distance_m=distance)
    if status in (GeoStatus.NO_REFERENCE, GeoStatus.FAR):
        grid = point_grid(unit, lat, lng)
        if grid is not None and unit.contains(grid):
            status = GeoStatus.VERIFIED  # in one of the unit's grids: where the meeting is
    return status, distance


def participants_add(visit: Visit, members: list[Household | Enterprise]) -> None:
    """The meeting's participants, in its transaction (visits.services.visit_record); nothing for another visit."""
    if not members:
        return
    VisitParticipant.objects.bulk_create(
        [
            VisitParticipant(
                visit=visit,
                visited_at=visit.visited_at,
                campaign_id=visit.campaign_id,
                unit_id=row.unit_id,
                household=row if isinstance(row, Household) else None,
                enterprise=row if isinstance(row, Enterprise) else None,
            )
            for row in members
        ]
    )
    participants_added.send(sender=VisitParticipant, visit=visit, unit_ids={row.unit_id for row in members})
