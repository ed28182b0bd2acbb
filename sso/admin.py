"""Admin of sign-on identities (docs/integration.md, "单点登录 (OIDC)"): where an admin links a pending identity
to an existing account, or refuses it. Registered by config/urls.py (SimpleAdminConfig).

Scoped like the rest of the admin's people: an admin with a home unit sees the identities not yet linked (they
belong to no unit until then) and those linked to accounts of their subtree, and may link only to active accounts of
their subtree (sso.services.identity_link). The provider's display name is masked as other personal names are
(campaign/admin_personal.py). Identities are never added here: a sign-in records them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.admin_personal import PersonalDataAdmin
from campaign.errors import Invalid
from campaign.models import User
from campaign.scope import sees_everything, subtree_q, within
from campaign.validators import mask_name
from sso.models import IdentityStatus, SsoIdentity
from sso.services import identity_link, identity_refuse


class IdentityForm(forms.ModelForm):
    class Meta:
        model = SsoIdentity
        fields = ["status", "user"]

    def clean(self) -> dict[str, Any]:
        """Choosing an account links; refusing drops the account; a decided identity is not pending again."""
        data = super().clean() or {}
        status, user = data.get("status"), data.get("user")
        if status == IdentityStatus.PENDING and user is not None:
            data["status"] = status = IdentityStatus.LINKED
        if status == IdentityStatus.LINKED and user is None:
            self.add_error("user", _("关联时须选择账号。"))
        if status == IdentityStatus.REFUSED:
            data["user"] = user = None
        # The form has no `provider` field, so Django's constraint validation skips the (provider, user) one.
        others = SsoIdentity.objects.filter(provider=self.instance.provider, user=user).exclude(pk=self.instance.pk)
        if user is not None and others.exists():
            self.add_error("user", _("该账号已关联此认证源的另一身份。"))
        if status == IdentityStatus.PENDING and self.instance.status != IdentityStatus.PENDING:
            self.add_error("status", _("已处理的身份不能改回待关联：请关联或拒绝。"))
        return data


@admin.action(description=gettext_lazy("拒绝所选身份"))
def refuse_identities(modeladmin: Any, request: HttpRequest, queryset: QuerySet[SsoIdentity]) -> None:
    for identity in queryset:
        identity_refuse(identity=identity, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("已拒绝 %(n)d 个身份。") % {"n": len(queryset)})


@admin.register(SsoIdentity)
class SsoIdentityAdmin(PersonalDataAdmin):
    personal_fields = {"display_name": mask_name}
    form = IdentityForm
    list_display = ["id", "provider", "subject", "display_name_masked", "status", "user", "last_seen_at"]
    list_filter = ["status", "provider"]
    search_fields = ["=subject"]
    list_select_related = ["user"]
    readonly_fields = ["provider", "subject", "created_at", "last_seen_at", "decided_at", "decided_by"]
    actions = [refuse_identities]
    ordering = ["status", "-last_seen_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SsoIdentity]:
        queryset = super().get_queryset(request)
        user = self._user(request)
        if sees_everything(user):
            return queryset
        return queryset.filter(Q(user__isnull=True) | subtree_q(user.unit, "user__unit"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            kwargs["queryset"] = within(User.objects.filter(is_active=True), self._user(request)).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SsoIdentity, form: Any, change: bool) -> None:
        """The decision through the services (scope, the unique link, who and when)."""
        actor = self._user(request)
        try:
            if obj.status == IdentityStatus.LINKED and obj.user is not None:
                identity_link(identity=obj, user=obj.user, actor=actor)
            elif obj.status == IdentityStatus.REFUSED:
                identity_refuse(identity=obj, actor=actor)
        except Invalid as exc:
            messages.error(request, "; ".join(str(m) for ms in exc.payload().values() for m in ms))
