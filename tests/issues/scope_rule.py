"""The general rule of SPEC §1 for a street's or a department's staff, spelled without any key (no district, branch
or arm): what the scope's faster reads must equal (tests/issues/test_branch_key.py, test_list_arms.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from issues.models import Ticket, TicketCoUnit


def tickets_by_rule(user: Any, **filters: Any) -> QuerySet[Ticket]:
    """The user's tickets: placed, led or shared in their unit's subtree, or raised or led by them."""
    subtree = user.unit.path
    shared = TicketCoUnit.objects.filter(unit__path__startswith=subtree).values("ticket_id")
    rule = (
        Q(unit__path__startswith=subtree)
        | Q(lead_unit__path__startswith=subtree)
        | Q(pk__in=shared)
        | Q(created_by=user)
        | Q(lead_official=user)
    )
    return Ticket.objects.filter(rule, **filters)
