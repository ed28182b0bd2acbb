"""Merged tickets (issue 15 item 3): a duplicate is cancelled with `merge_into` the ticket that goes on, and its
requester follows that ticket — on /lookup/ with their own code, in the callback (a rating of their own), in the
notices. A ticket merged into one that is later merged again follows the chain to the ticket still standing.

Chains are short (a duplicate of a duplicate at most, in practice): each step is one query, and MAX_HOPS bounds
them whatever the data says.
"""

from __future__ import annotations

from issues.models import Ticket

MAX_HOPS = 5


def surviving(ticket: Ticket) -> Ticket:
    """The ticket `ticket`'s matter is handled in: itself, or the end of its merge_into chain."""
    current, seen = ticket, {ticket.pk}
    for _hop in range(MAX_HOPS):
        if current.merge_into_id is None or current.merge_into_id in seen:
            break
        found = Ticket.objects.select_related("lead_unit").filter(pk=current.merge_into_id).first()
        if found is None:
            break
        seen.add(found.pk)
        current = found
    return current


def merged_into(ticket: Ticket) -> list[Ticket]:
    """Every ticket merged into `ticket`, directly or through another merged one, oldest first: their requesters
    follow it. One query per step of the chains."""
    found: list[Ticket] = []
    frontier, seen = [ticket.pk], {ticket.pk}
    for _hop in range(MAX_HOPS):
        step = [
            t
            for t in Ticket.objects.filter(merge_into_id__in=frontier).order_by("created_at", "pk")
            if t.pk not in seen
        ]
        if not step:
            break
        found += step
        seen.update(t.pk for t in step)
        frontier = [t.pk for t in step]
    return sorted(found, key=lambda t: (t.created_at, t.pk))
