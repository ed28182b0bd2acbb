"""The ticket filters of SPEC §7, declared once (django-filter): the list, the counters, the map, the ledger export
and the inbox page (/tickets/) all read them through TicketFilter, so a bad value answers 400 naming the
parameter ({"status": ["…"]}) everywhere, and the OpenAPI schema documents each one from this declaration.

TicketFilter is built from the shared pieces of campaign/filters.py (days, units, choices, booleans, the scoped
form): a unit out of the user's scope answers 404 before any 400, as every out-of-scope read does (SPEC §1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from campaign.filters import (
    BoolFilter,
    ChoicesFilter,
    DayFromFilter,
    DayToFilter,
    ScopedFilterSet,
    SubtreeFilter,
    query_parameters,
)
from campaign.models import OrgUnit, Role, User
from issues.models import Kind, Mode, Source, Status, Ticket
from issues.placement import placed_in
from issues.selectors import extension_pending_q, overdue_of_scope, overdue_q, tickets_visible_to

MAX_QUERY_LENGTH = 100
CATEGORY_MAX_LENGTH = 50
SUPERVISION_LEVELS = ("0", "1", "2")


class PlaceFilter(SubtreeFilter):
    """`unit` / `lead_unit`: this unit and its subtree, read through the ticket's own keys where one says it — a
    district's or a street's tickets are `district` / `branch = it` (Ticket's keys, kept with the unit), a unit
    without children is its id — each an index range in the inbox's order (the subtree's join reads every row of it
    before the order applies: bench/README.md, "Inbox at city scale"). Other units: the subtree."""

    def filter(self, qs: QuerySet[Any], value: OrgUnit | None) -> QuerySet[Any]:
        if value is None:
            return qs
        if self.field_name == "unit" and value.depth <= 1:
            return placed_in(qs, value)
        if not OrgUnit.objects.filter(parent=value).exists():
            return qs.filter(**{f"{self.field_name}_id": value.pk})
        return super().filter(qs, value)


class TicketFilter(ScopedFilterSet):
    """The filters of SPEC §7. Needs the user (a `request` from DRF, or `user=` from a selector): units are
    resolved in their scope and `mine` means the tickets they raised."""

    status = ChoicesFilter(values=Status.values)
    mode = ChoicesFilter(values=Mode.values)
    kind = ChoicesFilter(values=Kind.values)
    source = ChoicesFilter(values=Source.values)
    category = django_filters.CharFilter(method="filter_category", help_text="the category, exactly")
    unit = PlaceFilter(help_text="where the matter is: this unit and its subtree")
    lead_unit = PlaceFilter("lead_unit", help_text="lead unit and its subtree")
    overdue = BoolFilter(method="filter_overdue", help_text="open and past due_at (true/false)")
    supervision = ChoicesFilter(values=SUPERVISION_LEVELS)
    extension = BoolFilter(method="filter_extension", help_text="a pending extension request (申请延期): true/false")
    date_from = DayFromFilter(field_name="created_at", help_text="created on or after (Asia/Shanghai day)")
    date_to = DayToFilter(field_name="created_at", help_text="created on or before (Asia/Shanghai day)")
    q = django_filters.CharFilter(method="filter_q", help_text="code or description")
    mine = BoolFilter(method="filter_mine", help_text="cadres: only the tickets I raised")
    ordering = django_filters.ChoiceFilter(
        choices=[("priority", "priority")], method="filter_ordering", help_text="supervised and overdue first"
    )

    class Meta(ScopedFilterSet.Meta):
        model = Ticket
        fields: list[str] = []

    # Applied to one arm of a scope (tickets_filtered_each), not to the whole scope: see filter_overdue.
    one_arm = False

    def filter_category(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return qs.filter(category=value[:CATEGORY_MAX_LENGTH])

    def filter_overdue(self, qs: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        now = timezone.now()
        overdue = overdue_q(now)
        if not value:
            return qs.exclude(overdue)
        # a narrow scope's few overdue ids, read arm by arm; not within one arm, which its own index already narrows
        few = None if self.one_arm else overdue_of_scope(self.user, now)
        return qs.filter(overdue) if few is None else qs.filter(overdue, few)

    def filter_extension(self, qs: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        pending = extension_pending_q()
        return qs.filter(pending) if value else qs.exclude(pending)

    def filter_q(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        q = (value or "").strip()[:MAX_QUERY_LENGTH]
        if not q:
            return qs
        return qs.filter(Q(code__iexact=q) | Q(code__startswith=q.upper()) | Q(description__icontains=q))

    def filter_mine(self, qs: QuerySet[Ticket], name: str, value: bool) -> QuerySet[Ticket]:
        return qs.filter(created_by=self.user) if value and self.user.role == Role.CADRE else qs

    def filter_ordering(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        """`priority`: overdue and supervised first, then newest. The order is the paginator's (issues.api.tickets
        PriorityPage reads it with issues.inbox.priority_page): nothing to do here."""
        return qs


def tickets_filtered(user: User, params: Mapping[str, Any], qs: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The user's tickets (`qs`, by default tickets_visible_to(user)) narrowed by the query parameters `params`.
    Bad values raise Invalid naming each parameter (400); a unit out of scope raises OutOfScope (404).
    Used by the counters, the map, the ledger export and the inbox page."""
    base = qs if qs is not None else tickets_visible_to(user)
    return TicketFilter(params, queryset=base, user=user).filtered()


def tickets_filtered_each(
    user: User, params: Mapping[str, Any], bases: list[QuerySet[Ticket]]
) -> list[QuerySet[Ticket]]:
    """Each of `bases` narrowed by the same parameters, validated once (a FilterSet's set-up — its filters and form
    copied — costs more than applying it): the list's scope arms (issues.api.tickets.TicketPage). Each arm is
    filtered as itself: the overdue filter does not add the whole scope's overdue ids (selectors.overdue_of_scope) to
    each, which the list's own filter holds once (five arms each holding all five: 7 ms to plan, 25 ms to build in
    Django for a street at city size; bench/README.md, session 17)."""
    filters = TicketFilter(params, queryset=Ticket.objects.none(), user=user)
    filters.filtered()  # raises Invalid as tickets_filtered does
    filters.one_arm = True
    return [filters.filter_queryset(base) for base in bases]


# The same declaration as query parameters, for the views that read the filters without listing tickets (their
# schema would not ask the filter backend): counters, map, ledger export.
FILTER_PARAMETERS = query_parameters(TicketFilter, exclude={"ordering"})
