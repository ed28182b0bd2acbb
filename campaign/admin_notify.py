"""Users' notification channels in /admin/ (issue 17 item 4): an admin binds a user's WeChat OpenID and may set the
channels (the user sets them on /accounts/notifications/). The OpenID is masked as personal data is
(campaign/admin_personal.py): shown in full only on a logged reveal."""

from __future__ import annotations

from django.contrib import admin

from campaign.admin_personal import PersonalDataAdmin
from campaign.models import NotifyPreference
from campaign.validators import mask_id_number


@admin.register(NotifyPreference)
class NotifyPreferenceAdmin(PersonalDataAdmin):
    personal_fields = {"wechat_openid": mask_id_number}  # keeps a few leading and trailing characters
    list_display = ["user", "sms", "wechat", "wechat_openid_masked", "updated_at"]
    list_filter = ["sms", "wechat"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
