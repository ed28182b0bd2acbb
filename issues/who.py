"""Who may take an action (SPEC §1 and §5): predicates of (ticket, user) used by the machine's table.

Scope is checked before these (404); a predicate only answers "may this role/person do it" (403).
A handler acts for the lead unit (or a co-unit) when their home unit is that unit or one of its ancestors.
`admin` holds the dispatcher's and the leader's powers, not a department's signature (accept, resolve…).
"""

from __future__ import annotations

from campaign.models import OrgUnit, Role, User
from issues.models import Ticket, TicketCoUnit


def _is_admin(user: User) -> bool:
    return user.role == Role.ADMIN or user.is_superuser


def _unit_holds(user: User, unit: OrgUnit | None) -> bool:
    """Does the user's home unit hold `unit` (it, or an ancestor of it)?"""
    return unit is not None and user.unit is not None and user.unit.contains(unit)


def dispatcher(ticket: Ticket, user: User | None) -> bool:
    return user is not None and (user.role == Role.DISPATCHER or _is_admin(user))


def raising_cadre(ticket: Ticket, user: User | None) -> bool:
    return user is not None and user.role == Role.CADRE and ticket.created_by_id == user.pk


def lead_unit_handler(ticket: Ticket, user: User | None) -> bool:
    return (
        user is not None
        and user.role == Role.HANDLER
        and ticket.lead_unit_id is not None
        and _unit_holds(user, ticket.lead_unit)
    )


def co_unit_handler(ticket: Ticket, user: User | None) -> bool:
    if user is None or user.role != Role.HANDLER or user.unit is None:
        return False
    return any(_unit_holds(user, link.unit) for link in co_links(ticket))


def co_links(ticket: Ticket) -> list[TicketCoUnit]:
    """The ticket's co-unit links with their units: the prefetched ones when the selector prefetched them."""
    cache = getattr(ticket, "_prefetched_objects_cache", {})
    if "co_unit_links" in cache:
        return list(cache["co_unit_links"])
    return list(ticket.co_unit_links.select_related("unit").order_by("id"))


def handler_co_links(ticket: Ticket, user: User) -> list[TicketCoUnit]:
    """The co-unit links this handler acts for."""
    return [link for link in co_links(ticket) if _unit_holds(user, link.unit)]


def any_leader(ticket: Ticket, user: User | None) -> bool:
    """Leaders in scope (scope checked first), the ticket's lead official (包案领导) included."""
    return user is not None and (user.role == Role.LEADER or _is_admin(user) or ticket.lead_official_id == user.pk)


def supervisor(ticket: Ticket, user: User | None) -> bool:
    """Dispatchers, leaders, or the escalation job (user None)."""
    return user is None or dispatcher(ticket, user) or any_leader(ticket, user)
