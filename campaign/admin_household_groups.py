"""Admin of household groups (户区, issue 16 item 4), registered by campaign/admin.py.

A group's heads show as account and masked name, its households as address and masked head (SPEC §2, as the other
admin pages); the households are named by their numbers (住户编号) and the rules are the service's
(campaign.household_groups: the grid in scope, heads of the role `reporter`, members of the group's grid). The import
of groups and heads lives at /admin/campaign/householdgroup/import/ (campaign/household_group_import.py).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.admin_import import MAX_ERRORS_SHOWN, MAX_UPLOAD_BYTES
from campaign.errors import DomainError, Invalid, NotAllowed
from campaign.household_group_import import household_groups_import
from campaign.household_groups import (
    GROUP_MAX,
    check_group_writer,
    check_head,
    check_members,
    household_group_save,
)
from campaign.models import Household, HouseholdGroup, User
from campaign.scope import households_visible_to
from campaign.validators import mask_name

IDS = re.compile(r"[\s,，、;；]+")


class HouseholdGroupForm(forms.ModelForm):
    member_ids = forms.CharField(
        label=gettext_lazy("住户编号"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("本户区住户的编号，以逗号或空格分隔；须在户区所在网格内。"),
    )

    class Meta:
        model = HouseholdGroup
        fields = ["name", "unit", "head", "second_head"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            ids = self.instance.households.order_by("pk").values_list("pk", flat=True)
            self.fields["member_ids"].initial = ", ".join(str(pk) for pk in ids)

    def clean_member_ids(self) -> list[int]:
        parts = [p for p in IDS.split(self.cleaned_data.get("member_ids") or "") if p]
        if not all(p.isdigit() and len(p) <= 18 for p in parts) or len(parts) > GROUP_MAX:
            raise forms.ValidationError(_("请填写住户编号（正整数），最多 %(n)d 户。") % {"n": GROUP_MAX})
        return sorted({int(p) for p in parts})

    def clean(self) -> dict[str, Any]:
        """The service's rules on the form, so that a refusal shows on the page (save_model runs them again)."""
        data = super().clean() or {}
        group = HouseholdGroup(
            pk=self.instance.pk, unit=data.get("unit"), head=data.get("head"), second_head=data.get("second_head")
        )
        if group.unit_id is None or group.head_id is None:
            return data
        ids = data.get("member_ids") or []
        try:
            check_head(group.head, "head")
            check_head(group.second_head, "second_head")
            check_members(group, Household.objects.filter(pk__in=ids))
        except Invalid as exc:
            raise forms.ValidationError(_flat(exc)) from None
        return data


class HouseholdGroupImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件（.xlsx 或 .csv）"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES or not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("只支持 50 MB 以内的 .xlsx 或 .csv 文件。"))
        return upload


class HouseholdGroupAdmin(admin.ModelAdmin):
    form = HouseholdGroupForm
    list_display = ["name", "unit", "head_masked", "second_head_masked", "member_count"]
    search_fields = ["name", "head__username", "second_head__username"]
    raw_id_fields = ["unit", "head", "second_head"]
    list_select_related = ["unit", "head", "second_head"]
    readonly_fields = ["members_masked"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[HouseholdGroup]:
        return super().get_queryset(request).annotate(members=Count("households"))

    @admin.display(description=gettext_lazy("户长"))
    def head_masked(self, obj: HouseholdGroup) -> str:
        return _account(obj.head)

    @admin.display(description=gettext_lazy("楼长"))
    def second_head_masked(self, obj: HouseholdGroup) -> str:
        return _account(obj.second_head)

    @admin.display(description=gettext_lazy("户数"), ordering="members")
    def member_count(self, obj: HouseholdGroup) -> int:
        return getattr(obj, "members", 0)

    @admin.display(description=gettext_lazy("住户"))
    def members_masked(self, obj: HouseholdGroup) -> str:
        rows = obj.households.order_by("pk") if obj.pk else Household.objects.none()
        return "；".join(f"#{h.pk} {h.address}（{mask_name(h.head_name)}）" for h in rows) or "-"

    def save_model(self, request: HttpRequest, obj: HouseholdGroup, form: Any, change: bool) -> None:
        """Through the service; its refusals become the page's error message (the form already checked the ids)."""
        actor: User = request.user  # type: ignore[assignment]
        ids = form.cleaned_data.get("member_ids") or []
        households = list(households_visible_to(actor).filter(pk__in=ids))
        try:
            if len(households) != len(ids):
                raise NotAllowed(_("部分住户不存在或不在您的管辖范围内。"))
            household_group_save(actor=actor, group=obj, households=households)
        except DomainError as exc:
            messages.error(request, "; ".join(_flat(exc)))
            raise PermissionDenied from None

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="campaign_householdgroup_import"), *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Groups and heads from Excel: roles that keep groups only (campaign.household_groups.check_group_writer)."""
        actor: User = request.user  # type: ignore[assignment]
        try:
            check_group_writer(actor)
        except NotAllowed:
            raise PermissionDenied from None
        form = HouseholdGroupImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            result = household_groups_import(actor=actor, rows_or_file=form.cleaned_data["file"])
            if result.ok:
                messages.success(request, _("已导入户区，新加入户区的住户 %(n)d 户。") % {"n": result.created})
                return HttpResponseRedirect(reverse("admin:campaign_householdgroup_changelist"))
        errors = result.errors if result else []
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入户区和户长"),
            "form": form,
            "result": result,
            "errors_shown": errors[:MAX_ERRORS_SHOWN],
            "errors_hidden": max(0, len(errors) - MAX_ERRORS_SHOWN),
        }
        return TemplateResponse(request, "admin/campaign/householdgroup_import.html", context)


def _account(user: User | None) -> str:
    if user is None:
        return "-"
    return f"{user.username}（{mask_name(user.display_name)}）" if user.display_name else user.username


def _flat(exc: DomainError) -> list[str]:
    return [str(m) for ms in exc.payload().values() for m in (ms if isinstance(ms, list) else [ms])]
