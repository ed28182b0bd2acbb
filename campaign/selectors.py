"""Reads of the campaign core that every app shares."""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import QuerySet

from campaign.days import today
from campaign.geo import bbox_around, boundary_contains, boundary_distance_m
from campaign.models import Campaign, OrgUnit, UnitKind
from campaign.models.org import path_prefixes

# A ticket's point may lie this far outside its author's area (plus the fix's accuracy): a doorstep on the grid's
# edge is placed, another street is not.
AREA_MARGIN_M = 200.0
# A fix worse than this proves nothing (SPEC §4, poor_accuracy): it does not widen the area any further.
AREA_ACCURACY_CAP_M = 100.0


def campaign_of(unit: OrgUnit | None, day: dt.date | None = None) -> Campaign | None:
    """The unit's campaign on `day` (default today): an active campaign running that day (start ≤ day ≤ end) in which
    the unit or one of its ancestors takes part; the newest start when several do. The one rule behind a visit's or
    a ticket's default campaign and the phone page's checklist."""
    if unit is None:
        return None
    day = day or today()
    return (
        Campaign.objects.filter(
            is_active=True, start_date__lte=day, end_date__gte=day, units__path__in=path_prefixes(unit.path)
        )
        .order_by("-start_date", "-id")
        .first()
    )


def grid_for_point(lat: float | None, lng: float | None) -> OrgUnit | None:
    """The grid whose boundary holds the point, or None. One indexed bbox query, then exact polygon tests."""
    if lat is None or lng is None:
        return None
    candidates = OrgUnit.objects.filter(
        kind=UnitKind.GRID, min_lat__lte=lat, max_lat__gte=lat, min_lng__lte=lng, max_lng__gte=lng
    ).order_by("path")
    for grid in candidates:
        if grid.boundary and boundary_contains(grid.boundary, lat, lng):
            return grid
    return None


def _bounded_grids(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.subtree_of(unit).filter(kind=UnitKind.GRID, min_lat__isnull=False)


def area_unit(unit: OrgUnit) -> OrgUnit | None:
    """The unit whose grids make `unit`'s area: the unit itself when its subtree holds grids with a boundary, else
    its district (a department, a grid drawn without a boundary); None when the district has none either."""
    if _bounded_grids(unit).exists():
        return unit
    district = unit.district()
    if district.pk != unit.pk and _bounded_grids(district).exists():
        return district
    return None


def area_margin_m(accuracy_m: float | None) -> float:
    """How far outside the area a point may lie: 200 m plus the fix's accuracy (capped, see AREA_ACCURACY_CAP_M)."""
    accuracy = accuracy_m if accuracy_m is not None and math.isfinite(accuracy_m) and accuracy_m > 0 else 0.0
    return AREA_MARGIN_M + min(accuracy, AREA_ACCURACY_CAP_M)


def point_in_area(unit: OrgUnit, lat: float, lng: float, margin_m: float) -> bool:
    """Does the point lie in `unit`'s area (see area_unit) or within `margin_m` metres of it?

    An indexed bounding-box prefilter on the grids' bbox columns, widened by the margin, then the exact distance to
    each candidate polygon in metres (campaign.geo.boundary_distance_m). A unit whose district has no drawn grid has
    no area to judge by: every point is accepted (nothing would otherwise place a ticket).
    """
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return False
    area = area_unit(unit)
    if area is None:
        return True
    min_lat, max_lat, min_lng, max_lng = bbox_around(lat, lng, margin_m)
    candidates = _bounded_grids(area).filter(
        min_lat__lte=max_lat, max_lat__gte=min_lat, min_lng__lte=max_lng, max_lng__gte=min_lng
    )
    return any(
        grid.boundary and boundary_distance_m(grid.boundary, lat, lng) <= margin_m
        for grid in candidates.only("boundary")
    )
