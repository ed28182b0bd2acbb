"""Partner systems in /admin/ (issue 17 item 1): a partner is created with its district, and its Open311 key is
generated and shown once on the answer of the save; afterwards only its prefix shows (the table keeps a digest). The
action "生成新的密钥" replaces a lost or leaked key — the old one stops working at once. Rows are scoped like the
partner pages (interop.selectors.partners_visible_to): a district's admin sees its district's partners only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models import User
from campaign.scope import units_visible_to
from interop.models import Partner
from interop.selectors import partners_visible_to


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "key_prefix", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "district", "is_active", "key_prefix"]
    readonly_fields = ["key_prefix"]
    actions = ["new_key"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Partner]:
        user: User = request.user  # type: ignore[assignment]
        return partners_visible_to(user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "district":
            kwargs["queryset"] = units_visible_to(request.user).filter(parent__isnull=True)  # type: ignore[arg-type]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        key = None if change else obj.set_key()
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(request, _("Open311 密钥（只显示这一次，请立即交给对接方）：%(k)s") % {"k": key})

    @admin.action(description=gettext_lazy("生成新的 Open311 密钥（旧密钥立即失效）"))
    def new_key(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        for partner in queryset:
            key = partner.set_key()
            partner.save(update_fields=["key_hash", "key_prefix"])
            messages.warning(
                request, _("%(p)s 的新 Open311 密钥（只显示这一次）：%(k)s") % {"p": partner.name, "k": key}
            )
