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


def _ranks(names: list[str]) -> dict[str, dict[int, int]]:
    """{category name: {category id: rank}} for `names`: rank 0 the exact category, 1 its parent (one query)."""
    found = Category.objects.filter(name__in=names).values_list("name", "pk", "parent_id")
    return {name: {pk: 0, **({parent: 1} if parent else {})} for name, pk, parent in found}


def _rows(ids: set[int], unit: OrgUnit) -> list[DirectoryRow]:
    """The active rows of the categories `ids` whose area holds `unit` and whose lead unit is of its district: only
    what a proposal shows is read (a unit's boundary, a district's polygon, is not)."""
    return list(
        DirectoryRow.objects.filter(active=True, category_id__in=ids, lead_unit__path__startswith=unit.path[:PATH_STEP])
        .filter(Q(area__isnull=True) | Q(area__path__in=path_prefixes(unit.path)))
        .select_related("lead_unit", "area")
        .only("pk", "category_id", "mode", "area__depth", "lead_unit__name")
    )


def _ranked(rows: list[DirectoryRow], ranks: dict[int, int]) -> list[DirectoryRow]:
    mine = [r for r in rows if r.category_id in ranks]
    return sorted(mine, key=lambda r: (ranks[r.category_id], -(r.area.depth if r.area else -1), r.pk))


def matching_rows(category: str, unit: OrgUnit) -> list[DirectoryRow]:
    """Every active row that matches a ticket of `category` at `unit`, most specific first."""
    ranks = _ranks([category]).get(category)
    if not ranks or not unit.path:
        return []
    return _ranked(_rows(set(ranks), unit), ranks)


def proposals_for(categories: list[str], unit: OrgUnit | None) -> dict[str, Proposal]:
    """The most specific row's proposal for each of `categories` at `unit` (those with a matching row), in three
    queries however many categories: their ids, the rows, the chosen rows' co-units."""
    if unit is None or not unit.path:
        return {}
    ranks = _ranks([c for c in categories if c])
    rows = _rows({pk for by_id in ranks.values() for pk in by_id}, unit) if ranks else []
    chosen = {name: found[0] for name, by_id in ranks.items() if (found := _ranked(rows, by_id))}
    links = DirectoryRow.co_units.through.objects.filter(
        directoryrow_id__in={row.pk for row in chosen.values()}, orgunit__path__startswith=unit.path[:PATH_STEP]
    ).values_list("directoryrow_id", "orgunit_id")
    co_units: dict[int, list[int]] = {}
    for row_id, unit_id in links:
        co_units.setdefault(row_id, []).append(unit_id)
    return {
        name: Proposal(
            row_id=row.pk,
            lead_unit_id=row.lead_unit_id,
            lead_unit_name=row.lead_unit.name,
            co_unit_ids=tuple(sorted(co_units.get(row.pk, []))),
            mode=row.mode,
        )
        for name, row in chosen.items()
    }


def proposal_for(category: str, unit: OrgUnit | None) -> Proposal | None:
    """The most specific row's proposal for a ticket of `category` at `unit`, or None (no row, no category)."""
    if not category:
        return None
    return proposals_for([category], unit).get(category)


def count_not_our_duty(row_id: int) -> None:
    """A ticket this row chose the lead unit of came back "not our duty": the row's count, at once (the caller's
    transaction)."""
    DirectoryRow.objects.filter(pk=row_id).update(
        not_our_duty_returns=F("not_our_duty_returns") + 1, last_returned_at=timezone.now()
    )
