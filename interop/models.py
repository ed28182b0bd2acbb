"""A partner system (issue 17): another platform — the city's 12345, a FixMyStreet-like site — that reads and files
its district's tickets through Open311 and receives their events by webhook.

A partner holds one API key. Only its SHA-256 is stored (`key_hash`): the keys are long random strings, so a plain
digest is enough and a leaked table reveals no key; `key_prefix` (its first characters) lets an admin tell keys apart.
Sharded by district like the tickets it reads (config/citus_plan.py).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.fields import EncryptedTextField
from interop.ssrf import validate_webhook_url

KEY_PREFIX_LENGTH = 8


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Partner(models.Model):
    name = models.CharField(_("对接方名称"), max_length=100)
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所属区"), on_delete=models.PROTECT, related_name="partners"
    )
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("密钥前缀"), max_length=KEY_PREFIX_LENGTH, editable=False)
    is_active = models.BooleanField(_("启用"), default=True, db_default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("对接方")
        verbose_name_plural = _("对接方")
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="partner_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    def set_key(self, key: str | None = None) -> str:
        """Give the partner a key (a new random one unless given) and return it: the only time it can be read."""
        key = key or secrets.token_urlsafe(32)
        self.key_hash = key_digest(key)
        self.key_prefix = key[:KEY_PREFIX_LENGTH]
        return key

    @classmethod
    def by_key(cls, key: str) -> Partner | None:
        """The active partner holding `key`, or None."""
        if not key or len(key) > 200:
            return None
        return cls.objects.filter(key_hash=key_digest(key), is_active=True).select_related("district").first()


# --- outbound webhooks (issue 17 item 2; interop/outbox.py writes, interop/delivery.py sends) -----------------------


class WebhookEvent(models.TextChoices):
    """The ticket events a partner may subscribe to (interop.outbox.event_type maps a TicketEvent onto one)."""

    CREATED = "created", _("新建")
    DISPATCHED = "dispatched", _("派单")
    RESOLVED = "resolved", _("办结")
    CLOSED = "closed", _("关闭")
    REOPENED = "reopened", _("重办")


def validate_events(value: object) -> None:
    """A non-empty list of distinct WebhookEvent values."""
    if (
        not isinstance(value, list)
        or not value
        or len(set(value)) != len(value)
        or any(v not in WebhookEvent.values for v in value)
    ):
        raise ValidationError(_("事件应为以下值组成的列表：%(v)s") % {"v": ", ".join(WebhookEvent.values)})


class WebhookSubscription(models.Model):
    """A partner's endpoint for its district's ticket events. The HMAC secret is generated here (`set_secret`, shown
    once) and kept encrypted at rest with the personal-data keys (campaign.fields.EncryptedTextField): the sender
    must read it back to sign, so a hash would not do."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("对接方"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    # The partner's district, copied on save: the shard key, and the one filter of the outbox's lookup.
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所属区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    url = models.URLField(_("接收地址"), max_length=500, validators=[validate_webhook_url])
    secret = EncryptedTextField(_("签名密钥"), editable=False)
    events = models.JSONField(_("订阅事件"), default=list, validators=[validate_events])
    is_active = models.BooleanField(_("启用"), default=True, db_default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("事件推送订阅")
        verbose_name_plural = _("事件推送订阅")
        indexes = [
            # interop.outbox: the active subscriptions of a ticket's district, on every mapped ticket event.
            models.Index(fields=["district", "is_active"], name="webhook_sub_district_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner.name} → {self.url}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.partner.district_id
        super().save(*args, **kwargs)

    def event_labels(self) -> str:
        """The subscribed events in Chinese, for the partner page."""
        labels = dict(WebhookEvent.choices)
        return "、".join(str(labels.get(event, event)) for event in self.events or [])

    def set_secret(self) -> str:
        """Give the subscription a new random secret and return it: show it once, then it is only used to sign."""
        self.secret = secrets.token_urlsafe(32)
        return self.secret


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("失败")


LAST_ERROR_LENGTH = 200


class WebhookDelivery(models.Model):
    """The transactional outbox: one row per (subscription, ticket event), written in the event's own transaction
    (interop.outbox), sent by interop.delivery. `event_id` is the idempotency id the receiver sees on every attempt
    and every replay of this row. The payload names the ticket, never a person (no requester, no texts)."""

    event_id = models.UUIDField(_("事件编号"), default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("订阅"), on_delete=models.PROTECT, related_name="deliveries"
    )
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所属区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    ticket = models.ForeignKey(
        "issues.Ticket", verbose_name=_("工单"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    # TicketEvent is partitioned by month (primary key (id, at)): a plain id, no foreign key.
    ticket_event_id = models.BigIntegerField(_("工单事件"), editable=False)
    event = models.CharField(_("事件"), max_length=12, choices=WebhookEvent.choices)
    payload = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=LAST_ERROR_LENGTH, blank=True)
    created_at = models.DateTimeField(_("生成时间"))
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事件推送")
        verbose_name_plural = _("事件推送")
        constraints = [
            models.UniqueConstraint(fields=["district", "event_id"], name="webhook_delivery_event_id"),
            # One row per subscription and ticket event, whoever writes it twice.
            models.UniqueConstraint(
                fields=["district", "subscription", "ticket_event_id"], name="webhook_delivery_once"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=DeliveryStatus.PENDING) | models.Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_has_time",
            ),
        ]
        indexes = [
            # interop.delivery.deliveries_due (the beat sweep): pending rows whose time has come, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status=DeliveryStatus.PENDING),
                name="webhook_delivery_due_idx",
            ),
            # The partner pages' counts of unsent rows (interop.selectors.partners_with_counts).
            models.Index(
                fields=["subscription", "status"],
                condition=models.Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
                name="webhook_delivery_unsent_idx",
            ),
            # The partner page: a subscription's newest deliveries.
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.ticket_id} ({self.status})"
