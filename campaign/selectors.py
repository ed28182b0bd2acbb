"""Reads of the campaign core that every app shares."""

from __future__ import annotations

import datetime as dt

from campaign.days import today
from campaign.geo import boundary_contains
from campaign.models import Campaign, OrgUnit, UnitKind
from campaign.models.org import path_prefixes


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
