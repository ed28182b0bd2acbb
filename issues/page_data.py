"""Reads behind the officials' inbox page (/tickets/): its keyset pages (overdue and supervised first), the
counters above it (each a link to its list) and the overdue days of a row. Used by issues/views.py.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from campaign.models import User
from campaign.params import read_int
from issues.filters import tickets_filtered
from issues.inbox import decode_cursor, encode_cursor, priority_page, ticket_counters
from issues.models import Kind, Mode, Status, Ticket
from issues.selectors import scope_arms

PAGE_SIZE = 30
MAX_PAGE_SIZE = 100  # a page renders every row: bounded whatever `page_size` asks for


def querystring(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    query.pop("cursor", None)
    for name, value in changes.items():
        query.pop(name, None)
        if value not in (None, ""):
            query[name] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def page_size(params: QueryDict) -> int:
    """A page link never fails: a bad `page_size` reads as the default, any other is kept within 1..MAX_PAGE_SIZE."""
    try:
        return max(1, min(MAX_PAGE_SIZE, read_int(params.get("page_size") or str(PAGE_SIZE))))
    except ValueError:
        return PAGE_SIZE


def ordered_page(qs: QuerySet[Ticket], params: QueryDict, now: dt.datetime) -> tuple[list[Ticket], str | None]:
    """Overdue and supervised first, then newest (issues.inbox.priority_page: the stored priority's index); keyset
    pagination so a deep page costs the same."""
    size = page_size(params)
    rows = priority_page(qs, decode_cursor(params.get("cursor")), size)
    more = encode_cursor(rows[size - 1]) if len(rows) > size else None
    return labelled(rows[:size]), more


# get_FOO_display hashes every lazy label of its choices on each call, a translation each (0.1 ms a call, three a
# row): the page's rows read their labels from these instead.
_LABELS = {"kind": dict(Kind.choices), "status": dict(Status.choices), "mode": dict(Mode.choices)}


def labelled(rows: list[Ticket]) -> list[Ticket]:
    """The rows with `kind_label`, `status_label` and `mode_label` set ("" for a blank mode)."""
    for t in rows:
        for name, labels in _LABELS.items():
            value = getattr(t, name)
            setattr(t, f"{name}_label", str(labels.get(value, value)))
    return rows


def overdue_days(ticket: Ticket, now: dt.datetime) -> int:
    """Whole days (rounded up) an open ticket is past its due_at; 0 when it is not."""
    if not ticket.is_open or ticket.due_at is None or ticket.due_at >= now:
        return 0
    return max(1, math.ceil((now - ticket.due_at).total_seconds() / 86400))


@dataclass
class Counter:
    key: str
    label: str
    count: int
    url: str
    active: bool
    capped: bool = False  # a floor: "1000+" (issues.inbox.COUNT_CAP)


def counters(user: User, params: QueryDict) -> list[Counter]:
    """Counts per status for the same filters (the status filter aside), so each counter is a link to its list."""
    others = params.copy()
    others.pop("status", None)
    arms = scope_arms(user)
    unscoped = tickets_filtered(user, others, Ticket.objects.all()) if arms else None  # each arm read alone
    counts = ticket_counters(tickets_filtered(user, others), arms=arms, unscoped=unscoped)
    chosen = params.get("status", "")
    capped = set(counts["capped"])
    rows = [Counter("", _("全部"), counts["total"], querystring(params, status=None), chosen == "", "total" in capped)]
    for value, label in Status.choices:
        n, url = counts["by_status"][value], querystring(params, status=value)
        rows.append(Counter(value, str(label), n, url, chosen == value, value in capped))
    overdue = params.get("overdue") == "true"
    rows.append(Counter("overdue", _("超期"), counts["overdue"], querystring(params, overdue="true"), overdue))
    supervised = params.get("supervision") == "1,2"
    rows.append(
        Counter("supervised", _("督办"), counts["supervised"], querystring(params, supervision="1,2"), supervised)
    )
    pending = params.get("extension") == "1"
    rows.append(
        Counter("extension", _("申请延期"), counts["extension_requested"], querystring(params, extension="1"), pending)
    )
    return rows
