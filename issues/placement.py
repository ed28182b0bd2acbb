"""A ticket's copies of its unit's place (Ticket.district and Ticket.branch, issue 14) follow the unit when the
organisation tree changes. The trigger of issues/0010 (and Ticket.save) sets them when a ticket's unit is set; this
follows a unit moved under another street (an admin act, campaign.models.org.unit_moved). A move to another district
is not supported (docs/decisions.md, "the district key on tickets"): its tickets keep their district."""

from __future__ import annotations

from typing import Any

from campaign.models import OrgUnit
from campaign.models.org import unit_moved
from issues.models import Ticket


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
