"""A person's account at a sign-on provider (docs/integration.md, "单点登录 (OIDC)").

One row per (provider, subject): the provider's stable id of the person (OIDC `sub`, 企业微信's `userid`, 浙政钉's
`accountId`). A first sign-in records the row as pending and creates no account; an admin links it to an existing
user or refuses it (sso.services). Only the display name the provider gave is kept besides the id, so the admin can
tell who asks: nothing else of the claims is stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdentityStatus(models.TextChoices):
    PENDING = "pending", _("待关联")
    LINKED = "linked", _("已关联")
    REFUSED = "refused", _("已拒绝")


class SsoIdentity(models.Model):
    provider = models.CharField(_("认证源"), max_length=32)
    subject = models.CharField(_("认证源用户标识"), max_length=255)
    # Deleting an account deletes its links: the next sign-in of that person is pending again.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关联账号"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sso_identities",
    )
    status = models.CharField(_("状态"), max_length=8, choices=IdentityStatus.choices, default=IdentityStatus.PENDING)
    display_name = models.CharField(_("认证源姓名"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("首次登录"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("最近登录"), default=timezone.now)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("统一身份认证账号")
        verbose_name_plural = _("统一身份认证账号")
        constraints = [
            # The sign-in's lookup, and no person twice per provider.
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_identity_unique"),
            # One account holds at most one identity of a provider.
            models.UniqueConstraint(
                fields=["provider", "user"],
                condition=Q(user__isnull=False),
                name="sso_identity_user_unique",
                violation_error_message=_("该账号已关联此认证源的另一身份。"),
            ),
            # Linked exactly when it names an account.
            models.CheckConstraint(
                condition=Q(status=IdentityStatus.LINKED, user__isnull=False)
                | Q(status__in=[IdentityStatus.PENDING, IdentityStatus.REFUSED], user__isnull=True),
                name="sso_identity_linked_has_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"
