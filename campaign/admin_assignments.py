"""Admin of assignments and key projects (issue 16 item 1), registered by campaign/admin.py.

An assignment shows its target masked (a household's head: mask_name, SPEC §2); it is never edited in place (delete
it and assign again), and its district and unit are the target's, set here as the services set them. The import of
an assignment list lives at /admin/campaign/assignment/import/ (campaign/assignment_import.py: all or nothing, the
same row-by-row report as the registry import); the bulk assignment by grid or tag at /admin/campaign/assignment/bulk/
(campaign/admin_assignment_bulk.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.admin_assignment_bulk import bulk_view
from campaign.admin_import import MAX_ERRORS_SHOWN, MAX_UPLOAD_BYTES
from campaign.assignment_import import assignments_import
from campaign.assignments import BATCH_MAX, check_assigner
from campaign.errors import NotAllowed
from campaign.models import Assignment, AssignmentTarget, User
from campaign.models.assignments import TARGET_FIELDS
from campaign.validators import mask_name


class KeyProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "address", "active"]
    list_filter = ["active"]
    search_fields = ["name", "address"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["user", "target_type", "household", "enterprise", "project", "batch"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("target_type")
        wanted = TARGET_FIELDS[AssignmentTarget(kind)] if kind in AssignmentTarget.values else None
        given = [field for field in TARGET_FIELDS.values() if data.get(field)]
        if wanted is None or given != [wanted]:
            raise forms.ValidationError(_("请只填写与对象类型相符的一个对象。"))
        return data


class AssignmentImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件（.xlsx 或 .csv）"))
    batch = forms.CharField(
        label=gettext_lazy("包联清单"), required=False, max_length=BATCH_MAX,
        help_text=gettext_lazy("“包联清单”列为空的行记入此清单，例如“2026年春季包户”。"),
    )  # fmt: skip

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES or not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("只支持 50 MB 以内的 .xlsx 或 .csv 文件。"))
        return upload


class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentForm
    list_display = ["user", "target_type", "target_masked", "unit", "batch", "created_at"]
    list_filter = ["target_type"]
    search_fields = ["batch", "user__username", "user__display_name"]
    raw_id_fields = ["user", "household", "enterprise", "project"]
    list_select_related = ["user", "household", "enterprise", "project", "unit"]

    @admin.display(description=gettext_lazy("包联对象"))
    def target_masked(self, obj: Assignment) -> str:
        if obj.household is not None:
            return f"{obj.household.address}（{mask_name(obj.household.head_name)}）"
        target = obj.enterprise or obj.project
        return str(target) if target is not None else "-"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)  # the list, never a row in place

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        target = obj.household or obj.enterprise or obj.project
        assert target is not None  # AssignmentForm.clean
        obj.unit_id, obj.district_id = target.unit_id, target.unit.district_id
        obj.assigned_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    change_list_template = "admin/campaign/assignment_change_list.html"  # links to the import and the bulk page

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        bulk = self.admin_site.admin_view(self.bulk_view)
        return [
            path("import/", view, name="campaign_assignment_import"),
            path("bulk/", bulk, name="campaign_assignment_bulk"),
            *super().get_urls(),
        ]

    def bulk_view(self, request: HttpRequest) -> HttpResponse:
        """A cadre and a grid or a tag, assigned at once (campaign/admin_assignment_bulk.py)."""
        return bulk_view(request, self.admin_site.each_context(request))

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """An assignment list from Excel: roles that assign only (campaign.assignments.check_assigner)."""
        actor: User = request.user  # type: ignore[assignment]
        try:
            check_assigner(actor)
        except NotAllowed:
            raise PermissionDenied from None
        form = AssignmentImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            result = assignments_import(actor=actor, rows_or_file=data["file"], batch=data["batch"])
            if result.ok:
                messages.success(request, _("已导入 %(n)d 条包联关系。") % {"n": result.created})
                return HttpResponseRedirect(reverse("admin:campaign_assignment_changelist"))
        errors = result.errors if result else []
        context = {
            **self.admin_site.each_context(request),
            "title": _("导入包联名单"),
            "form": form,
            "result": result,
            "errors_shown": errors[:MAX_ERRORS_SHOWN],
            "errors_hidden": max(0, len(errors) - MAX_ERRORS_SHOWN),
        }
        return TemplateResponse(request, "admin/campaign/assignment_import.html", context)
