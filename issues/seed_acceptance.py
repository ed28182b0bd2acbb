"""The demo's record of the router's suggestions (issue 15 item 2): what its dispatchers kept.

The demo's tickets are written in bulk (issues.seed), not through the machine, so no dispatch of theirs recorded
the suggestion. The seed command trains the router on the tickets created before a cut-off — the model a night
before then would have had — and this replays the dispatches after it: the router's best category of the ticket's
campaign for its words, and whether the category the demo's dispatcher chose is that one (issues.rules.dispatch
records the same at a real dispatch). The acceptance rate the dashboard then shows is measured on texts the model
never saw.
"""

from __future__ import annotations

import datetime as dt

from campaign.categories import allowed_names
from issues.models import Ticket
from issues.router.suggest import suggestion_kept


def replay_acceptance(since: dt.datetime) -> tuple[int, int]:
    """Set suggestion_taken on the tickets created since `since` and dispatched; returns (suggested, kept)."""
    allowed: dict[int | None, list[str]] = {}
    decided: dict[bool | None, list[int]] = {True: [], False: [], None: []}
    rows = Ticket.objects.filter(created_at__gte=since, dispatched_at__isnull=False).select_related("campaign")
    for ticket in rows.only("pk", "description", "category", "campaign").iterator(chunk_size=500):
        if ticket.campaign_id not in allowed:
            allowed[ticket.campaign_id] = allowed_names(ticket.campaign)
        _top, taken = suggestion_kept(ticket.description, allowed[ticket.campaign_id], ticket.category)
        decided[taken].append(ticket.pk)
    for value, ids in decided.items():
        if ids and value is not None:
            Ticket.objects.filter(pk__in=ids).update(suggestion_taken=value)
    return len(decided[True]) + len(decided[False]), len(decided[True])
