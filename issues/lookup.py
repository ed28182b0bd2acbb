"""The public lookup `/lookup/` (SPEC §8): a resident enters a ticket code and the last 4 digits of their phone and
sees its progress and the ticket's public reply (公开答复, written at resolve) — of the ticket it was merged into, if
it was (issue 15 item 3) — the notices sent to them (issues.notices' in-app channel), plus the public notices of
`public`-mode tickets. No login; rate limited per client address; nothing personal or internal is shown (no names,
phones, notes, who acted, nor the internal `result`), and a wrong code or wrong digits answer the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campaign.clients import client_address
from campaign.throttles import CACHE_ERRORS, outages
from issues.machine import ACTIONS
from issues.merging import surviving
from issues.models import Mode, RequesterNotice, Status, Ticket
from issues.selectors import ticket_events

LOOKUPS_PER_MINUTE = 10  # per client address: enough for a resident, too few to guess 4 digits for many codes
PUBLIC_NOTICES_SHOWN = 10
REQUESTER_NOTICES_SHOWN = 10
_CODE = re.compile(r"^[A-Z]{1,10}-\d{8}-\d{6}$")
_EVENT_LABELS = {"report": "登记", **{name: action.label for name, action in ACTIONS.items()}}


@dataclass(frozen=True)
class Step:
    label: str
    at: object


def lookup_allowed(request: HttpRequest) -> bool:
    """Count this attempt; False once the address spent its minute's budget. Open while the cache is unreachable."""
    try:
        allowed = _count_attempt(f"lookup:{client_address(request) or 'unknown'}")
    except CACHE_ERRORS as error:
        outages.failed("lookup", error)
        return True
    outages.recovered("lookup")
    return allowed


def _count_attempt(key: str) -> bool:
    cache.add(key, 0, timeout=60)
    try:
        return cache.incr(key) <= LOOKUPS_PER_MINUTE
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)
        return True


def _requester_phones(ticket: Ticket) -> list[str]:
    phones = [ticket.requester_phone]
    if ticket.requester_household is not None:
        phones.append(ticket.requester_household.phone)
    if ticket.requester_enterprise is not None:
        phones.append(ticket.requester_enterprise.contact_phone)
    return [p for p in phones if p]


def ticket_for_lookup(*, code: str, last4: str) -> Ticket | None:
    """The ticket whose code and requester phone's last four digits both match; None otherwise."""
    code = code.strip().upper()
    if not _CODE.match(code) or not re.fullmatch(r"\d{4}", last4 or ""):
        return None
    ticket = (
        Ticket.objects.select_related("requester_household", "requester_enterprise", "lead_unit")
        .filter(code=code)
        .first()
    )
    if ticket is None or not any(phone.endswith(last4) for phone in _requester_phones(ticket)):
        return None
    return ticket


def public_progress(ticket: Ticket) -> list[Step]:
    """The timeline without actors or notes: what happened, when."""
    events = ticket_events(ticket).values_list("action", "at")
    return [Step(label=_(_EVENT_LABELS.get(action, action)), at=at) for action, at in events]


def requester_notices(ticket: Ticket) -> list[RequesterNotice]:
    """The notices to this ticket's requester (the in-app channel: issues.notices), newest first."""
    rows = RequesterNotice.objects.filter(ticket=ticket, channel="in_app").order_by("-created_at", "-id")
    return list(rows[:REQUESTER_NOTICES_SHOWN])


def public_notices() -> list[Ticket]:
    """Recent public notices of `public`-mode tickets (公开办), without any requester data."""
    return list(
        Ticket.objects.filter(mode=Mode.PUBLIC, status__in=[Status.RESOLVED, Status.CLOSED])
        .exclude(public_notice="")
        .only("code", "category", "public_notice", "resolved_at")
        .order_by("-resolved_at", "-id")[:PUBLIC_NOTICES_SHOWN]
    )


@never_cache
@require_http_methods(["GET", "POST"])
def lookup_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"notices": public_notices()}
    status = 200
    if request.method == "POST":
        code, last4 = request.POST.get("code", ""), request.POST.get("last4", "").strip()
        context["code"] = code.strip().upper()[:30]
        if not lookup_allowed(request):
            context["error"] = _("查询过于频繁，请一分钟后再试。")
            status = 429
        else:
            own = ticket_for_lookup(code=code, last4=last4)
            if own is None:
                context["error"] = _("未找到匹配的工单，请核对工单编号和手机号后四位。")
            else:
                # a ticket merged into another (the same matter) shows the one handling it, named as such
                ticket = surviving(own)
                context.update(ticket=ticket, steps=public_progress(ticket), own_notices=requester_notices(own))
                if ticket.pk != own.pk:
                    context["merged_from"] = own.code
    return render(request, "lookup/index.html", context, status=status)
