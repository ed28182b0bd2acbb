"""The audit trail (issue 12 item 5): one append-only table of who did what, when, from where.

On PostgreSQL the table is partitioned by month on `at` (its primary key is (id, at), as a partitioned table's must
include the partition key; Django sees `id` alone, which the sequence keeps unique) and a trigger refuses UPDATE and
DELETE: see migration 0004_audit. Old months go as whole partitions (campaign.audit.audit_retention), never as rows.
Rows are written only by campaign.audit.audit_record, which masks personal values before they are stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN_OK = "login_ok", _("登录成功")
    LOGIN_FAILED = "login_failed", _("登录失败")
    REVEAL = "reveal", _("查看完整个人信息")
    EXPORT = "export", _("导出")
    REGISTRY_CREATE = "registry_create", _("台账新增")
    REGISTRY_UPDATE = "registry_update", _("台账修改")
    REGISTRY_DELETE = "registry_delete", _("台账删除")
    REGISTRY_IMPORT = "registry_import", _("台账导入")
    ADMIN_CHANGE = "admin_change", _("后台修改")
    DISPLAY_LINK_CREATE = "display_link_create", _("创建大屏链接")
    DISPLAY_LINK_REVOKE = "display_link_revoke", _("撤销大屏链接")


class AuditEvent(models.Model):
    """One audited act. `changes` holds old/new values as `audit_record` masked them; never a clear ID number."""

    at = models.DateTimeField(_("时间"), default=timezone.now)
    action = models.CharField(_("操作"), max_length=30, choices=AuditAction.choices)
    # No database constraint: the trail outlives the accounts it names (and a partitioned table's rows may not be
    # updated to NULL on a delete); actor_name keeps the account name as it was, and the name typed at a failed login.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("账号"), max_length=150, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=50, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    client_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    changes = models.JSONField(_("内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["at"], name="auditevent_at_idx"),
            models.Index(fields=["object_type", "object_id"], name="auditevent_object_idx"),
            models.Index(fields=["actor", "at"], name="auditevent_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.actor_name} {self.object_type}#{self.object_id}"
