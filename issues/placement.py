"""A ticket's copies of its unit's place (Ticket.district and Ticket.branch, issue 14) follow the unit when the
organisation tree changes. The trigger of issues/0010 (and Ticket.save) sets them when a ticket's unit is set; this
follows a unit moved under another street (an admin act, campaign.models.org.unit_moved). A move to another district
is not supported (docs/decisions.md, "the district key on tickets"): its tickets keep their district."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet

from campaign.models import OrgUnit
from campaign.models.org import unit_moved
from campaign.scope import in_subtree
from issues.models import Ticket

T = TypeVar("T", bound=Ticket)


def placed_in(qs: QuerySet[T], unit: OrgUnit | None) -> QuerySet[T]:
    """The tickets of `qs` whose matter lies in the unit's subtree, read through the ticket's own keys where one says
    it: a district's are `district = it`, a street's (department's, park's) `branch = it` — each the leading column
    of indexes over open tickets; the subtree's join otherwise read every matching ticket of every unit below
    through a per-unit plan (bench/README.md). Other units (and None: every ticket) as campaign.scope.in_subtree."""
    if unit is not None and unit.depth <= 1:
        return qs.filter(**{"district_id" if unit.depth == 0 else "branch_id": unit.pk})
    return in_subtree(qs, unit)


def tickets_follow_unit(unit: OrgUnit) -> int:
    """Rewrite the branch of the tickets placed in `unit`'s subtree where it changed; returns the rows changed. One
    UPDATE per branch the subtree now lies in (one, unless the moved unit is a district's direct child itself)."""
    by_branch: dict[int | None, list[int]] = {}
    for subunit in OrgUnit.objects.filter(path__startswith=unit.path).only("pk", "path", "depth"):
        by_branch.setdefault(subunit.branch_id, []).append(subunit.pk)
    changed = 0
    for branch, ids in by_branch.items():
        stale = Ticket.objects.filter(unit_id__in=ids)
        stale = stale.exclude(branch_id__isnull=True) if branch is None else stale.exclude(branch_id=branch)
        changed += stale.update(branch_id=branch)
    return changed


def _moved(sender: Any, unit: OrgUnit, **kwargs: Any) -> None:
    tickets_follow_unit(unit)


def connect() -> None:
    unit_moved.connect(_moved, sender=OrgUnit, dispatch_uid="tickets-follow-unit")
