"""The SMS and WeChat outbox in /admin/ (issue 17 item 4): read-only, for an operator following a message that did
not arrive. A row holds no phone number, OpenID or text — only the template's parameters (ticket code and status) —
so there is nothing to mask; the recipient shows as a user or "诉求人"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from issues.models import ChannelDelivery


@admin.register(ChannelDelivery)
class ChannelDeliveryAdmin(admin.ModelAdmin):
    list_display = ["pk", "channel", "kind", "ticket", "recipient", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["channel", "status", "kind"]
    list_select_related = ["ticket", "user"]
    search_fields = ["ticket__code"]
    raw_id_fields = ["ticket", "user", "district"]
    readonly_fields = [f.name for f in ChannelDelivery._meta.fields]

    @admin.display(description=_("接收人"))
    def recipient(self, obj: ChannelDelivery) -> str:
        return str(obj.user) if obj.user_id else str(_("诉求人"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
