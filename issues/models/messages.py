"""Messages and tasks to cadres (精神早餐, 任务布置; issue 16 item 7): a leader, a dispatcher or an admin sends a
message, or a task with a due date, to the cadres of a unit's subtree; each cadre gets a receipt, read and (for a task)
done on /m/. Written by issues.messages; read through its selectors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

TEXT_MAX = 1000


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("消息")
    TASK = "task", _("任务")


class CadreMessage(models.Model):
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发送人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The root district of `unit`: the key the Citus plan shards by (config/citus_plan.py); its receipts carry it too.
    district = models.ForeignKey(
        "campaign.OrgUnit", verbose_name=_("所在区"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    # The recipients' unit: the active cadres of its subtree when the message is delivered.
    unit = models.ForeignKey("campaign.OrgUnit", verbose_name=_("接收单位"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=MessageKind.choices)
    text = models.CharField(_("内容"), max_length=TEXT_MAX)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("干部消息")
        verbose_name_plural = _("干部消息")
        indexes = [
            # The senders' list (messages_visible_to): newest first, within the scope's units.
            models.Index(fields=["-created_at", "-id"], name="cadre_message_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MessageKind.values), name="cadre_message_kind"),
            # a task has a due date, a message none
            models.CheckConstraint(
                condition=Q(kind=MessageKind.TASK, due_date__isnull=False)
                | Q(kind=MessageKind.MESSAGE, due_date__isnull=True),
                name="cadre_message_due_date_by_kind",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="cadre_message_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class MessageReceipt(models.Model):
    """One cadre's copy of a message: written once per (message, user) after the message's commit (the key settles a
    task delivered twice), read and done by the cadre (done implies read)."""

    message = models.ForeignKey(CadreMessage, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_receipts")
    # The message's district (the shard key, so the key below includes it) and the cadre's unit at delivery: the rates
    # per unit count where the cadre was when told, whatever moves later.
    district = models.ForeignKey("campaign.OrgUnit", on_delete=models.PROTECT, related_name="+", editable=False)
    unit = models.ForeignKey("campaign.OrgUnit", verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息回执")
        verbose_name_plural = _("消息回执")
        indexes = [
            # A cadre's messages, unread first (messages_for_cadre): user = … ORDER BY read_at IS NULL DESC.
            models.Index(fields=["user", "read_at"], name="message_receipt_user_idx"),
        ]
        constraints = [
            # (message, user) once; the district is in the key so that it stays unique per shard (Citus).
            models.UniqueConstraint(fields=["message", "user", "district"], name="message_receipt_key"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(read_at__isnull=False), name="receipt_done_read"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.user_id}"
