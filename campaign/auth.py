"""Accounts (issue 12 item 3): the lockout's answer, and the end of a user's API tokens when their password
changes or their account is deactivated.

The lockout itself is django-axes (config/settings.py, AXES_*): its backend refuses a locked-out account name or
client address before any password is checked, and its middleware turns the refusal into `lockout_response`.
Page sessions need nothing here: Django keeps a hash of the password in each session and drops a session whose
hash no longer matches, and ModelBackend refuses an inactive user's session.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save, pre_save
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from knox.models import AuthToken

from campaign.models import User

_OLD_STATE = "_accounts_old_state"  # (password hash, is_active) as stored before this save


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("登录失败次数过多，已锁定 %(minutes)d 分钟，请稍后再试或联系管理员解锁。") % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """403 with one message, the same for every account name, existing or not (the API in DRF's error shape)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=403)
    context = {"locked_message": lockout_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=403)


def _remember_old_state(sender: type[User], instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    old = None
    # A login saves last_login alone (update_fields): no query then.
    if instance.pk is not None and (update_fields is None or {"password", "is_active"} & set(update_fields)):
        old = User.objects.filter(pk=instance.pk).values_list("password", "is_active").first()
    instance.__dict__[_OLD_STATE] = old


def _end_tokens_on_change(sender: type[User], instance: User, created: bool = False, **kwargs: Any) -> None:
    old = instance.__dict__.pop(_OLD_STATE, None)
    if created or old is None:
        return
    old_password, was_active = old
    if old_password != instance.password or (was_active and not instance.is_active):
        AuthToken.objects.filter(user=instance).delete()


def connect() -> None:
    pre_save.connect(_remember_old_state, sender=User, dispatch_uid="accounts-remember-old-state")
    post_save.connect(_end_tokens_on_change, sender=User, dispatch_uid="accounts-end-tokens")
