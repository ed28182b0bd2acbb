"""Reads of the interop app, each starting from the caller's scope (campaign.scope): a partner is seen by the admins
whose scope holds its district (a district's admins, a city's); anything else is 404."""

from __future__ import annotations

from django.db.models import Count, F, QuerySet

from campaign.models import Role, User
from campaign.scope import units_visible_to
from interop.models import DeliveryStatus, Partner, WebhookDelivery, WebhookSubscription

DELIVERIES_SHOWN = 100  # the partner page's newest deliveries (a filter by status narrows them)


def may_manage_partners(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def partners_visible_to(user: User) -> QuerySet[Partner]:
    if not may_manage_partners(user):
        return Partner.objects.none()
    return Partner.objects.filter(district__in=units_visible_to(user)).select_related("district")


def partners_with_counts(user: User) -> list[Partner]:
    """The partners in scope, each with `subscription_count`, `pending_count` and `failed_count`: two queries
    whatever their number (the deliveries' counts read the partial index of the unsent rows)."""
    partners: list[Partner] = list(
        partners_visible_to(user).annotate(subscription_count=Count("subscriptions")).order_by("name")
    )
    counts = (
        WebhookDelivery.objects.filter(
            subscription__partner__in=[p.pk for p in partners],
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
        )
        .values_list("subscription__partner", "status")
        .annotate(n=Count("pk"))
    )
    by_key = {(partner_id, status): n for partner_id, status, n in counts}
    for partner in partners:
        partner.pending_count = by_key.get((partner.pk, DeliveryStatus.PENDING), 0)  # type: ignore[attr-defined]
        partner.failed_count = by_key.get((partner.pk, DeliveryStatus.FAILED), 0)  # type: ignore[attr-defined]
    return partners


def subscriptions_of(partner: Partner) -> QuerySet[WebhookSubscription]:
    return partner.subscriptions.defer("secret").order_by("pk")


def deliveries_of(partner: Partner, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """The partner's newest deliveries, with their subscription and ticket code (one query)."""
    rows = WebhookDelivery.objects.filter(subscription__partner=partner, district=partner.district_id)
    if status:
        rows = rows.filter(status=status)
    return (
        rows.select_related("subscription")
        .defer("payload", "subscription__secret")
        .annotate(ticket_code=F("ticket__code"))
        .order_by("-created_at", "-pk")[:DELIVERIES_SHOWN]
    )
