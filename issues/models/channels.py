"""The outbox of the SMS and WeChat channels (issue 17 item 4): one row per (recipient, notice, channel), written in
the notice's transaction (issues.channels.outbox.deliveries_plan) and sent after commit by the `notifications`
queue. The row holds what the message needs — the ticket's code and status, by template — and never the phone
number, the OpenID or the text: the address is read from its source when the message is sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.models.notices import NotificationKind
from issues.models.tickets import Ticket

ERROR_MAX = 200  # last_error: the provider's code and a short message, digits runs masked (never a number)


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信模板消息")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    LIMITED = "limited", _("超出频率限制，未发送")
    NO_ADDRESS = "no_address", _("无接收号码或未绑定，未发送")


class ChannelDelivery(models.Model):
    district = models.ForeignKey("campaign.OrgUnit", on_delete=models.PROTECT, related_name="+", db_index=False)
    # The ticket the recipient follows: the notice's ticket for a user, the requester's own ticket for a requester
    # (a merged ticket's requester is told of the ticket it was merged into under their own code).
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    # None: the ticket's requester (no account; the phone is the ticket's).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    at = models.DateTimeField(_("事件时间"))  # the action's moment: part of the key, as a Notification's
    params = models.JSONField(_("模板参数"), default=dict)  # {"code": …, "status": …}: nothing personal
    status = models.CharField(_("状态"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    claimed_at = models.DateTimeField(_("最近发送时间"), null=True, blank=True)  # the rate limit counts these
    sent_at = models.DateTimeField(_("发送成功时间"), null=True, blank=True)
    provider_ref = models.CharField(_("服务商回执"), max_length=64, blank=True)  # BizId / msgid
    last_error = models.CharField(_("最近错误"), max_length=ERROR_MAX, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("短信/微信通知")
        verbose_name_plural = _("短信/微信通知")
        constraints = [
            # each (recipient, notice, channel) once: a notice delivered twice plans nothing more
            models.UniqueConstraint(
                fields=["district", "ticket", "kind", "at", "channel", "user"],
                condition=Q(user__isnull=False),
                name="channel_delivery_user_key",
            ),
            models.UniqueConstraint(
                fields=["district", "ticket", "kind", "at", "channel"],
                condition=Q(user__isnull=True),
                name="channel_delivery_requester_key",
            ),
            models.CheckConstraint(condition=Q(attempts__lte=100), name="channel_delivery_attempts_bounded"),
        ]
        indexes = [
            # the due sweep: status IN (pending, sending) AND next_attempt_at <= now ORDER BY next_attempt_at
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="channel_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} {self.status}"
