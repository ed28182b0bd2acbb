"""People: the custom user (role + home unit) and the access log of full personal-data reads."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaign.validators import validate_mobile


class Role(models.TextChoices):
    CADRE = "cadre", _("走访干部")
    HANDLER = "handler", _("承办人")
    DISPATCHER = "dispatcher", _("指挥中心/工作专班")
    LEADER = "leader", _("领导")
    ADMIN = "admin", _("管理员")
    REPORTER = "reporter", _("户长/楼长")


class User(AbstractUser):
    """One role and one home unit; scope = the home unit's subtree (SPEC §1)."""

    role = models.CharField(_("角色"), max_length=12, choices=Role.choices, default=Role.CADRE)
    unit = models.ForeignKey(
        "campaign.OrgUnit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("手机号"), max_length=11, blank=True, validators=[validate_mobile])
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        indexes = [models.Index(fields=["unit", "role"], name="user_unit_role_idx")]  # notify a unit's users

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class RevealReason(models.TextChoices):
    """Why someone asked for full personal values (`?reveal=1&reason=…`); the list is fixed so that it can be
    reviewed and counted."""

    CALLBACK = "回访", _("回访")
    VERIFY = "核实", _("核实")
    HANDLE = "办理", _("办理")
    CONTACT = "联系", _("联系")
    INSPECT = "督查", _("督查")


class AccessLog(models.Model):
    """Who read which full personal value, when, from where and why (SPEC §2). Append-only; never holds the value."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    object_type = models.CharField(max_length=30)
    object_id = models.CharField(max_length=40)
    fields = models.CharField(max_length=200)
    reason = models.CharField(_("原因"), max_length=10, choices=RevealReason.choices, blank=True)
    client = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="accesslog_object_idx"),
            models.Index(fields=["-at"], name="accesslog_at_idx"),  # the review page, newest first
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.object_type}#{self.object_id}"


class PasswordHistory(models.Model):
    """A user's past password hashes (never a password): a new password may not be one of the last few."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)  # the hash, as in User.password
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-at"], name="passwordhistory_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.at:%Y-%m-%d %H:%M}"
