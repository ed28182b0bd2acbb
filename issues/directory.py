"""The dispatch directory's answer for one ticket (issue 15 item 1): the most specific matching row.

A row matches a ticket when its category is the ticket's category — or that category's parent, when the ticket's is
a sub-item — and its area is the ticket's unit, an ancestor of it, or empty (everywhere); its lead unit must lie in
the ticket's district (a unit of another district is never offered, issues.rules.fields.unit_field). Of the matching
rows, the most specific wins: the exact category before its parent, then the deepest area, then "everywhere"
(docs/decisions.md, "Issue 15 — the dispatch directory"). One query, by the category and the unit's ancestors.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone

from campaign.models import Category, OrgUnit
from campaign.models.org import PATH_STEP, path_prefixes
from issues.models import DirectoryRow


@dataclass(frozen=True)
class Proposal:
    """What a matching row proposes for a ticket: its lead unit, default co-units and mode."""

    row_id: int
    lead_unit_id: int
    lead_unit_name: str
    co_unit_ids: tuple[int, ...]
    mode: str


def _categories(name: str) -> list[tuple[int, int]]:
    """(category id, rank) for `name` and its parent: rank 0 the exact category, 1 its parent."""
    found = Category.objects.filter(name=name).values_list("pk", "parent_id").first()
    if found is None:
        return []
    pk, parent = found
    return [(pk, 0)] + ([(parent, 1)] if parent else [])


def matching_rows(category: str, unit: OrgUnit) -> list[DirectoryRow]:
    """Every active row that matches a ticket of `category` at `unit`, most specific first."""
    ranks = dict(_categories(category))
    if not ranks or not unit.path:
        return []
    rows = (
        DirectoryRow.objects.filter(
            active=True, category_id__in=list(ranks), lead_unit__path__startswith=unit.path[:PATH_STEP]
        )
        .filter(Q(area__isnull=True) | Q(area__path__in=path_prefixes(unit.path)))
        .select_related("lead_unit", "area")
    )
    return sorted(rows, key=lambda r: (ranks[r.category_id], -(r.area.depth if r.area else -1), r.pk))


def proposal_for(category: str, unit: OrgUnit | None) -> Proposal | None:
    """The most specific row's proposal for a ticket of `category` at `unit`, or None (no row, no category)."""
    if not category or unit is None:
        return None
    rows = matching_rows(category, unit)
    if not rows:
        return None
    row = rows[0]
    co_units = tuple(row.co_units.filter(path__startswith=unit.path[:PATH_STEP]).values_list("pk", flat=True))
    return Proposal(
        row_id=row.pk,
        lead_unit_id=row.lead_unit_id,
        lead_unit_name=row.lead_unit.name,
        co_unit_ids=co_units,
        mode=row.mode,
    )


def count_not_our_duty(row_id: int) -> None:
    """A ticket this row chose the lead unit of came back "not our duty": the row's count, at once (the caller's
    transaction)."""
    DirectoryRow.objects.filter(pk=row_id).update(
        not_our_duty_returns=F("not_our_duty_returns") + 1, last_returned_at=timezone.now()
    )
