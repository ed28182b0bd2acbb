"""A user's notification channels: the read and the write behind /accounts/notifications/ (issue 17 item 4). The
in-app bell is always on; SMS needs the channel configured and a mobile number on the account, WeChat the channel
configured and an OpenID bound by an admin. Turning a channel off is always allowed."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from campaign.errors import Invalid
from campaign.models import NotifyPreference, User
from issues.channels.outbox import ADAPTERS, MOBILE
from issues.models import Channel


def notify_preference_of(user: User) -> NotifyPreference:
    """The user's preference row, or an unsaved default one (in-app only)."""
    return NotifyPreference.objects.filter(user=user).first() or NotifyPreference(user=user)


def channel_problems(user: User, pref: NotifyPreference) -> dict[str, str]:
    """Why a channel cannot be chosen now, by channel; a channel absent here may be chosen."""
    problems: dict[str, str] = {}
    if not ADAPTERS[Channel.SMS].enabled():
        problems[Channel.SMS] = _("本系统未开通短信通知。")
    elif not MOBILE.fullmatch(user.phone or ""):
        problems[Channel.SMS] = _("您的账号没有登记手机号，请联系管理员登记后再开启。")
    if not ADAPTERS[Channel.WECHAT].enabled():
        problems[Channel.WECHAT] = _("本系统未开通微信通知。")
    elif not pref.wechat_openid:
        problems[Channel.WECHAT] = _("您尚未绑定微信，请联系管理员绑定后再开启。")
    return problems


def notify_preference_set(*, user: User, channels: set[str]) -> NotifyPreference:
    """Choose the user's channels besides the in-app one: Invalid (400, field `channels`) for an unknown channel or
    one that cannot be chosen now; nothing is stored then. The row is locked while it changes."""
    unknown = channels - {"in_app", Channel.SMS, Channel.WECHAT}
    if unknown:
        raise Invalid.field("channels", _("未知的通知渠道。"))
    with transaction.atomic():
        NotifyPreference.objects.get_or_create(user=user)
        pref = NotifyPreference.objects.select_for_update().get(user=user)
        problems = channel_problems(user, pref)
        refused = [problems[c] for c in sorted(channels) if c in problems]
        if refused:
            raise Invalid({"channels": refused})
        pref.sms, pref.wechat = Channel.SMS in channels, Channel.WECHAT in channels
        pref.save(update_fields=["sms", "wechat", "updated_at"])
    return pref
