"""A user's choice of notification channels (issue 17 item 4): the in-app bell always, SMS and WeChat template
messages when the user asks for them. No row = in-app only (the default). Read by issues.channels.outbox when a
notice is sent; edited by the user on /accounts/notifications/ and by an admin in /admin/."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# A WeChat OpenID: 28 characters of [A-Za-z0-9_-] for an Official Account; bounded and charset-checked, never shown.
validate_openid = RegexValidator(r"^[A-Za-z0-9_-]{6,64}$", _("OpenID 应为 6–64 位字母、数字、下划线或连字符。"))


class NotifyPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="notify_preference"
    )
    sms = models.BooleanField(_("短信通知"), default=False)
    wechat = models.BooleanField(_("微信通知"), default=False)
    # Bound by an admin (or a later OAuth binding): the user's OpenID under the configured Official Account.
    wechat_openid = models.CharField(_("微信 OpenID"), max_length=64, blank=True, validators=[validate_openid])
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知渠道设置")
        verbose_name_plural = _("通知渠道设置")

    def __str__(self) -> str:
        return f"{self.user_id}"
