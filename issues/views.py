"""Pages of the issues app: the officials' inbox (/tickets/), the ticket page, its action forms and notifications.

Every page starts from the scope selectors (tickets_for_list / ticket_detail: out of scope → 404); every change
goes through issues.machine.ticket_apply (POST → redirect → GET). No inline script or style: the ticket's map
reads its point from data- attributes (static/js/tickets/ticket.js).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign import reveal as personal_data
from campaign.errors import DomainError, Invalid, OutOfScope, StaleVersion
from campaign.models import RevealReason, UnitKind, User
from campaign.validators import mask_name, mask_phone
from issues.filters import tickets_filtered
from issues.forms import ACTION_FORMS, ActionForm, CallbackForm, FilterForm, action_form
from issues.help import help_figures
from issues.intake import ticket_page_intake
from issues.machine import ACTIONS, allowed_actions, ticket_apply
from issues.merging import merged_into
from issues.models import Mode, Notification, Satisfaction, Status, Ticket, TicketEvent
from issues.page_data import counters, ordered_page, overdue_days, querystring
from issues.selectors import notifications_of, ticket_detail, tickets_for_list
from issues.services import (
    notification_mark_read,
    notifications_mark_all_read,
    notifications_mark_read_for_ticket,
)
from issues.who import co_links

NOTIFICATIONS_SHOWN = 100
TICKET_NOTIFICATIONS_SHOWN = 20
EVENT_LABELS = {"report": "登记", **{name: a.label for name, a in ACTIONS.items()}}


# --- the inbox -------------------------------------------------------------------------------------------------
@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """/tickets/: the tickets in the official's scope (a cadre: also those they raised), filtered and prioritised."""
    user: User = request.user  # type: ignore[assignment]
    params = request.GET
    now = timezone.now()
    context: dict[str, Any] = {"form": FilterForm(params or None, user=user), "rows": [], "more": None}
    try:
        rows, more = ordered_page(tickets_filtered(user, params, tickets_for_list(user)), params, now)
        context["counters"] = counters(user, params)
    except DomainError as exc:  # a bad filter value (400) or a unit out of scope (404): say which, list nothing
        context["filter_error"] = _messages_of(exc)
        return render(request, "tickets/inbox.html", context, status=exc.status_code)
    for ticket in rows:
        ticket.overdue_days = days = overdue_days(ticket, now)  # type: ignore[attr-defined]
        ticket.overdue_text = _("超期 %(days)s 天") % {"days": days} if days else ""  # type: ignore[attr-defined]
    context.update(
        rows=rows,
        more=querystring(params, cursor=more) if more else None,
        first_page=querystring(params) if params.get("cursor") else None,
    )
    return render(request, "tickets/inbox.html", context)


def _messages_of(exc: DomainError) -> list[str]:
    if isinstance(exc.detail, dict):
        return [str(m) for msgs in exc.detail.values() for m in (msgs if isinstance(msgs, list) else [msgs])]
    return [str(exc.detail)]


# --- the ticket page -------------------------------------------------------------------------------------------
def _ticket_or_404(user: User, pk: Any) -> Ticket:
    try:
        return ticket_detail(user, pk)
    except OutOfScope:
        raise Http404 from None


def requester_of(ticket: Ticket) -> dict[str, str]:
    """Who raised the matter, masked (SPEC §2: names and phones masked by default)."""
    if ticket.requester_household is not None:
        h = ticket.requester_household
        return {"kind": _("住户"), "name": mask_name(h.head_name), "phone": mask_phone(h.phone), "address": h.address}
    if ticket.requester_enterprise is not None:
        e = ticket.requester_enterprise
        return {
            "kind": _("企业"),
            "name": e.name,
            "contact": mask_name(e.contact_name),
            "phone": mask_phone(e.contact_phone),
            "address": e.address,
        }
    return {"kind": _("个人"), "name": mask_name(ticket.requester_name), "phone": mask_phone(ticket.requester_phone)}


def requester_phone(ticket: Ticket) -> tuple[str, str]:
    """The requester's phone in full and the field it is read from (for the access log); ("", "") when none."""
    if ticket.requester_household is not None:
        return ticket.requester_household.phone, "requester_household.phone"
    if ticket.requester_enterprise is not None:
        return ticket.requester_enterprise.contact_phone, "requester_enterprise.contact_phone"
    return ticket.requester_phone, "requester_phone"


def _map_point(ticket: Ticket) -> tuple[float, float] | None:
    for holder in (ticket, ticket.requester_household, ticket.requester_enterprise, ticket.unit):
        if holder is not None and holder.lat is not None and holder.lng is not None:
            return holder.lat, holder.lng
    return None


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


def _event_detail(event: TicketEvent) -> str:
    """A line summing up what the event changed, beside its note."""
    p = event.payload or {}
    parts: list[str] = []
    if p.get("mode") in Mode.values:
        parts.append(str(Mode(p["mode"]).label))
    if p.get("due_at"):
        label = _("申请延期至 %(d)s") if event.action == "request_extension" else _("时限 %(d)s")
        parts += [label % {"d": d} for d in _moments(p["due_at"])]
    if event.action == "refuse_extension" and p.get("requested_due_at"):
        parts += [_("未批准延期至 %(d)s") % {"d": d} for d in _moments(p["requested_due_at"])]
    if event.action == "supervise" and p.get("level") in (1, 2):
        parts.append(_("红牌") if p["level"] == 2 else _("黄牌"))
    if p.get("rating") in Satisfaction.values:
        parts.append(str(Satisfaction(p["rating"]).label))
    if p.get("merge_into_code"):
        parts.append(_("合并至 %(c)s") % {"c": p["merge_into_code"]})
    return " · ".join(parts)


def _moments(value: Any) -> list[str]:
    """An event payload's ISO moment as the page shows it; [] when it is not one."""
    try:
        return [timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")]
    except (TypeError, ValueError):
        return []


def _visit_entries(ticket: Ticket) -> list[dict[str, Any]]:
    """The visits naming the ticket (the door-to-door proof, SPEC §5) as timeline rows: read through the reverse
    relation, as issues.rules.handling does (layers: visits > issues)."""
    rows = []
    for v in ticket.visits.select_related("cadre").order_by("visited_at", "pk"):
        where = _("距离 %(d)d 米") % {"d": round(v.distance_m)} if v.distance_m is not None else ""
        detail = " · ".join(filter(None, [v.get_geo_status_display(), where]))
        rows.append({"at": v.visited_at, "actor": str(v.cadre), "label": _("上门走访"), "action": "visit", "from": "",
                     "to": "", "note": v.notes, "detail": detail})  # fmt: skip
    return rows


def _timeline(ticket: Ticket) -> list[dict[str, Any]]:
    events = sorted(ticket.events.all(), key=lambda e: (e.at, e.pk))  # prefetched by ticket_detail
    rows = [
        {
            "at": e.at,
            "actor": str(e.actor) if e.actor else _("系统"),
            "label": EVENT_LABELS.get(e.action, e.action),
            "action": e.action,
            "from": _status_label(e.from_status) if e.from_status else "",
            "to": _status_label(e.to_status) if e.to_status and e.to_status != e.from_status else "",
            "note": e.note,
            "detail": _event_detail(e),
        }
        for e in events
    ]
    return sorted(rows + _visit_entries(ticket), key=lambda row: row["at"])  # stable: events keep their order


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: ActionForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
    callback_phone: str = "",
    revealed: dict[int, str] | None = None,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    now = timezone.now()
    actions = allowed_actions(ticket, user)
    revealed = revealed or {}
    forms = [
        bound if bound is not None and bound.action == name else action_form(name, ticket=ticket, user=user)
        for name in actions
        if name in ACTION_FORMS
    ]
    point = _map_point(ticket)
    boundary = ticket.unit.boundary if ticket.unit.kind == UnitKind.GRID else None
    context = {
        "ticket": ticket,
        "overdue_days": overdue_days(ticket, now),
        "requester": requester_of(ticket),
        "point": point,
        "boundary_json": json.dumps(boundary) if boundary else "",
        "co_links": co_links(ticket),
        "timeline": _timeline(ticket),
        "notifications": Notification.objects.filter(ticket=ticket)
        .select_related("user")
        .order_by("-created_at", "-id")[:TICKET_NOTIFICATIONS_SHOWN],
        "action_forms": forms,
        "open_action": bound.action if bound is not None else ("callback" if callback_phone or revealed else ""),
        "action_errors": errors or [],
        "callback_phone": callback_phone,
        "has_phone": bool(requester_phone(ticket)[0]),
        "merged_requesters": _merged_requesters(forms, revealed),
        "help_figures": help_figures(ticket),  # 帮扶成效 the latest resolution recorded (issues.help)
        **ticket_page_intake(user, ticket, actions),
    }
    return render(request, "tickets/ticket.html", context, status=status)


def _merged_requesters(forms: list[ActionForm], revealed: dict[int, str]) -> list[dict[str, Any]]:
    """The requesters of the tickets merged into this one (the callback form's, which rates each), masked (a phone
    revealed for this callback in full); none without a callback form (issue 15 item 3)."""
    callback = next((form for form in forms if isinstance(form, CallbackForm)), None)
    return [
        {
            "ticket": other,
            "requester": requester_of(other),
            "phone": revealed.get(other.pk, ""),
            "has_phone": bool(requester_phone(other)[0]),
        }
        for other in (callback.merged if callback is not None else [])
    ]


@login_required
@require_GET
def ticket_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket; opening it marks my notifications of it read (an action redirects here, so acting does too)."""
    ticket = _ticket_or_404(request.user, pk)  # type: ignore[arg-type]
    notifications_mark_read_for_ticket(user=request.user, ticket_id=ticket.pk)  # type: ignore[arg-type]
    return _render_ticket(request, ticket)


@login_required
@require_POST
def ticket_reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """POST /tickets/<id>/reveal-phone/: the requester's full phone for the callback (回访), to whoever may call back
    now; one logged reveal (campaign.reveal: AccessLog + audit, reason 回访). The page answers with the number shown
    once: reloading it masks it again, so every display is a logged read."""
    user: User = request.user  # type: ignore[assignment]
    ticket = _ticket_or_404(user, pk)
    # `of`: a ticket merged into this one, whose requester is called back with it (logged against that ticket)
    of = request.POST.get("of", "")
    merged = {str(t.pk): t for t in merged_into(ticket)} if of else {}
    if of and of not in merged:
        raise Http404
    called = merged[of] if of else ticket
    phone, field = requester_phone(called)
    if "callback" not in allowed_actions(ticket, user) or not phone:
        raise PermissionDenied(_("只有回访人员可在回访时查看完整号码。"))
    if not personal_data.reveal(request, user, called, [field], {"reveal": "1", "reason": RevealReason.CALLBACK}):
        raise PermissionDenied(_("您的角色不能查看完整号码。"))
    if of:
        return _render_ticket(request, ticket, revealed={called.pk: phone}, callback_phone="")
    return _render_ticket(request, ticket, callback_phone=phone)


@login_required
@require_POST
def ticket_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST /tickets/<id>/act/<action>/: one action through the machine; errors re-render the page with its code."""
    user: User = request.user  # type: ignore[assignment]
    ticket = _ticket_or_404(user, pk)
    if action not in ACTION_FORMS:
        raise Http404
    form = action_form(action, ticket=ticket, user=user, data=request.POST)
    try:
        ticket_apply(
            ticket_id=ticket.pk,
            action=action,
            actor=user,
            version=request.POST.get("version"),
            data=form.machine_data(),
        )
    except OutOfScope:
        raise Http404 from None
    except DomainError as exc:
        return _action_failed(request, pk, action, form, exc)
    messages.success(request, _("“%(a)s”已完成。") % {"a": ACTIONS[action].label})
    return redirect("tickets-detail", pk=ticket.pk)


def _action_failed(request: HttpRequest, pk: int, action: str, form: ActionForm, exc: DomainError) -> HttpResponse:
    """Nothing changed. 400: the field errors beside the fields; 403/409: why, above the page, as it is now."""
    ticket = _ticket_or_404(request.user, pk)  # type: ignore[arg-type]
    if isinstance(exc, Invalid) and isinstance(exc.detail, dict):
        form.add_machine_errors(exc.detail)
        return _render_ticket(request, ticket, bound=form, errors=[_("请按提示修改后重新提交。")], status=400)
    errors = _messages_of(exc)
    bound = None
    if isinstance(exc, StaleVersion):
        errors = [_("工单已被他人更新，请刷新：先查看下方最新进展，再决定是否重新提交。"), *errors]
        # Keep what the official typed, now against the current version: resubmitting is a deliberate choice.
        data = request.POST.copy()
        data["version"] = str(ticket.version)
        bound = action_form(action, ticket=ticket, user=request.user, data=data)  # type: ignore[arg-type]
    return _render_ticket(request, ticket, bound=bound, errors=errors, status=exc.status_code)


# --- notifications ---------------------------------------------------------------------------------------------
@login_required
@require_GET
def notifications_page(request: HttpRequest) -> HttpResponse:
    """Mine, unread first, newest first; bounded (older ones stay reachable from their tickets)."""
    rows = list(notifications_of(request.user)[:NOTIFICATIONS_SHOWN])  # type: ignore[arg-type]
    return render(request, "tickets/notifications.html", {"notifications": rows, "limit": NOTIFICATIONS_SHOWN})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of mine read; with next=ticket, open its ticket (the "查看" button)."""
    try:
        notification = notification_mark_read(user=request.user, notification_id=pk)  # type: ignore[arg-type]
    except OutOfScope:
        raise Http404 from None
    if request.POST.get("next") == "ticket":
        return redirect("tickets-detail", pk=notification.ticket_id)
    return _back(request)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    done = notifications_mark_all_read(user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": done})
    return _back(request)


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("back") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(reverse("tickets-notifications"))
