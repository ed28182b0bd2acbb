"""The partner pages (issue 17 item 2) for a district's admins: /interop/partners/ lists the partners of their scope,
/interop/partners/<id>/ shows one partner's webhook subscriptions and newest deliveries, failures first to the eye,
with a 重发 (replay) button per failed delivery. Subscriptions are created in the Django admin (their secret is shown
there once). Another scope's partner is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaign.models import User
from interop.models import DeliveryStatus, WebhookDelivery
from interop.outbox import delivery_replay
from interop.selectors import (
    deliveries_of,
    may_manage_partners,
    partners_visible_to,
    partners_with_counts,
    subscriptions_of,
)


def _manager(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not may_manage_partners(user):
        raise PermissionDenied()
    return user


@login_required
@require_GET
def partners_page(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    return render(request, "interop/partners.html", {"partners": partners_with_counts(user)})


@login_required
@require_GET
def partner_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _manager(request)
    partner = get_object_or_404(partners_visible_to(user), pk=pk)
    status = request.GET.get("status") or ""
    if status not in DeliveryStatus.values:
        status = ""
    context = {
        "partner": partner,
        "subscriptions": subscriptions_of(partner),
        "deliveries": deliveries_of(partner, status or None),
        "status": status,
        "statuses": DeliveryStatus.choices,
    }
    return render(request, "interop/partner.html", context)


@login_required
@require_POST
def delivery_replay_view(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    """Queue a failed delivery again with its event id (the receiver's idempotency id)."""
    user = _manager(request)
    partner = get_object_or_404(partners_visible_to(user), pk=pk)
    delivery = get_object_or_404(WebhookDelivery.objects.filter(subscription__partner=partner), pk=delivery_id)
    if delivery_replay(delivery=delivery, actor=user):
        messages.success(request, _("已重新排队发送，事件编号不变。"))
    else:
        messages.warning(request, _("只有发送失败的推送可以重发。"))
    return redirect("interop-partner", pk=partner.pk)
