"""Notices of tickets (SPEC §5): the in-app notifications of users and of requesters, and the per-district daily
counter behind ticket codes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from issues.models.tickets import Ticket


class NotificationKind(models.TextChoices):
    DISPATCHED = "dispatched", _("新派单")
    RETURNED = "returned", _("退回")
    SUPERVISED = "supervised", _("督办")
    REOPENED = "reopened", _("重办")
    INSTRUCTED = "instructed", _("领导批示")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENDED = "extended", _("已延期")
    EXTENSION_REFUSED = "extension_refused", _("延期未获批准")
    MERGED = "merged", _("合并办理")
    RESOLVED = "resolved", _("已办结")


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    text = models.CharField(_("内容"), max_length=300)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [
            # My notifications, unread first: user = … ORDER BY read_at IS NULL, created_at DESC.
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return self.text


class RequesterNotice(models.Model):
    """A notice to the requester of `ticket` (a resident has no account: the ticket's own code, with the last digits
    of their phone, is their login on /lookup/, which shows these). The in-app channel's row for requesters; SMS and
    WeChat channels (the interop issue) deliver the same notices. Keyed by (ticket, kind, created_at = the action's
    moment), so a notice delivered twice is written once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="requester_notices")
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    text = models.CharField(_("内容"), max_length=300)
    channel = models.CharField(_("渠道"), max_length=12, default="in_app")
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("诉求人通知")
        verbose_name_plural = _("诉求人通知")
        constraints = [
            # its index serves /lookup/'s read of a ticket's notices too
            models.UniqueConstraint(fields=["ticket", "kind", "created_at", "channel"], name="requester_notice_key"),
        ]

    def __str__(self) -> str:
        return self.text


class TicketSequence(models.Model):
    """Per-district, per-day counter behind ticket codes; the row is locked while a code is drawn.

    Keyed by district so that, sharded by district (Citus), the counter lives on the district's shard.
    """

    district = models.ForeignKey("campaign.OrgUnit", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "day"], name="ticket_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.district_id} {self.day} {self.last}"
