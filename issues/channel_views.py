"""/accounts/notifications/: a signed-in user chooses their notification channels (issue 17 item 4). GET shows the
choices (the in-app bell always on, SMS and WeChat when they can be chosen, with the reason when not, and the masked
number a message would go to); POST → issues.channels.preferences.notify_preference_set → redirect, or the form again
with the error (400) and nothing stored."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from campaign.errors import Invalid
from campaign.models import User
from campaign.validators import mask_phone
from issues.channels.preferences import channel_problems, notify_preference_of, notify_preference_set
from issues.models import Channel

CHOICES = [
    ("in_app", gettext_lazy("站内通知（始终开启）")),
    (Channel.SMS.value, gettext_lazy("短信")),
    (Channel.WECHAT.value, gettext_lazy("微信模板消息")),
]


class ChannelsForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("通知渠道"), choices=CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    pref = notify_preference_of(user)
    chosen = ["in_app"] + [c for c in (Channel.SMS, Channel.WECHAT) if getattr(pref, c)]
    form = ChannelsForm(request.POST or None, initial={"channels": chosen})
    if request.method == "POST" and form.is_valid():
        try:
            notify_preference_set(user=user, channels=set(form.cleaned_data["channels"]))
        except Invalid as exc:
            for errors in (exc.detail if isinstance(exc.detail, dict) else {}).values():
                form.add_error("channels", errors)
        else:
            flash.success(request, _("通知渠道已保存。"))
            return redirect("notification-settings")
    context = {
        "form": form,
        "problems": channel_problems(user, pref),
        "phone": mask_phone(user.phone or ""),
        "wechat_bound": bool(pref.wechat_openid),
        "sms_per_hour": settings.SMS_PER_HOUR,
        "wechat_per_hour": settings.WECHAT_PER_HOUR,
    }
    return render(request, "accounts/notifications.html", context, status=400 if form.is_bound else 200)
