"""Where a visit stood (SPEC §4): its geo status against the reference point, the flags of an implausible fix,
and the grid holding the point. visits.services.visit_record calls these before it inserts the visit."""

from __future__ import annotations

import datetime as dt

from campaign.geo import boundary_contains, haversine_m
from campaign.models import Enterprise, Household, KeyProject, OrgUnit, UnitKind, User
from campaign.selectors import grid_for_point
from issues.models import Ticket
from visits.models import GeoStatus, Visit

VERIFIED_RADIUS_M = 200.0  # a visit is verified within 200 m + the fix's accuracy of its reference point
POOR_ACCURACY_M = 100.0  # a fix less accurate than this proves nothing
IMPOSSIBLE_SPEED_KMH = 120.0
IMPOSSIBLE_SPEED_MIN_M = 1000.0  # below 1 km a jump is GPS noise, not travel


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


def reference_point(
    target: Household | Enterprise | KeyProject | None, ticket: Ticket | None
) -> tuple[float, float] | None:
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


def visit_flags(*, cadre: User, visit: Visit) -> list[str]:
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


def point_grid(unit: OrgUnit, lat: float | None, lng: float | None) -> OrgUnit | None:
    """The grid holding the point. Most visits stand in their target's own grid: test it first, without a query."""
    if lat is None or lng is None:
        return None
    if unit.kind == UnitKind.GRID and unit.boundary and boundary_contains(unit.boundary, lat, lng):
        return unit
    return grid_for_point(lat, lng)
