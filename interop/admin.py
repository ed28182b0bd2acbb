"""Admin of the partners' webhooks (issue 17 item 2): subscriptions — created here, their secret generated and shown
once on the answer of the save (then only its use is visible: the signatures) — and their deliveries, read-only, with
the replay of failed ones. Rows are scoped like the partner pages (interop.selectors): a district's admin sees its
district's partners only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.models import User
from interop.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from interop.outbox import delivery_replay
from interop.selectors import partners_visible_to


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("接收地址"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=gettext_lazy("订阅事件"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["partner", "url", "events", "is_active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["partner", "url", "events", "is_active", "created_at"]
    list_filter = ["is_active"]
    actions = ["new_secret"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookSubscription]:
        user: User = request.user  # type: ignore[assignment]
        return super().get_queryset(request).filter(partner__in=partners_visible_to(user)).select_related("partner")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "partner":
            kwargs["queryset"] = partners_visible_to(request.user)  # type: ignore[arg-type]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool) -> None:
        secret = None if change else obj.set_secret()
        super().save_model(request, obj, form, change)
        if secret:
            messages.warning(request, _("签名密钥（只显示这一次，请立即交给对接方）：%(s)s") % {"s": secret})

    @admin.action(description=gettext_lazy("生成新的签名密钥"))
    def new_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            secret = subscription.set_secret()
            subscription.save(update_fields=["secret"])
            messages.warning(
                request, _("%(sub)s 的新签名密钥（只显示这一次）：%(s)s") % {"sub": subscription, "s": secret}
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event", "ticket_id", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "event"]
    search_fields = ["=event_id"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["replay"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        user: User = request.user  # type: ignore[assignment]
        return super().get_queryset(request).filter(subscription__partner__in=partners_visible_to(user))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("重发失败的推送（事件编号不变）"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        user: User = request.user  # type: ignore[assignment]
        done = sum(delivery_replay(delivery=delivery, actor=user) for delivery in queryset)
        messages.success(request, _("已重新排队 %(n)d 条推送。") % {"n": done})
