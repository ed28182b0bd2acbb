"""The admin page that imports households / enterprises from .xlsx or .csv (SPEC §2), at /admin/campaign/import/.

Hooked into the admin site by campaign/admin.py through register_import_view(admin.site).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.importer import registry_import

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # ~500,000 rows of .csv; bigger files go through `manage.py import_registry`
MAX_ERRORS_SHOWN = 1000  # a table longer than this helps nobody; the count of the rest is shown


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("台账"),
        choices=[("households", gettext_lazy("住户")), ("enterprises", gettext_lazy("企业"))],
    )
    file = forms.FileField(label=gettext_lazy("文件（.xlsx 或 .csv）"))
    unit_column = forms.CharField(
        label=gettext_lazy("网格列表头"), required=False, max_length=50,
        help_text=gettext_lazy("留空时识别“网格”“unit”等；网格可填名称或编号，留空时按经纬度落入网格。"),
    )  # fmt: skip

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件过大（上限 50 MB），请用命令 import_registry 导入。"))
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("只支持 .xlsx 或 .csv 文件。"))
        return upload


def registry_import_view(request: HttpRequest) -> HttpResponse:
    """Admins only; the grids offered are those in the admin's scope."""
    user = request.user
    if not getattr(user, "is_admin_role", False):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        result = registry_import(
            kind=kind, rows_or_file=form.cleaned_data["file"], actor=user,  # type: ignore[arg-type]
            unit_column=form.cleaned_data["unit_column"] or None,
        )  # fmt: skip
        if result.ok:
            messages.success(request, _("已导入 %(n)d 条记录。") % {"n": result.created})
            model = "household" if kind == "households" else "enterprise"
            return HttpResponseRedirect(reverse(f"admin:campaign_{model}_changelist"))
    context = {
        **admin.site.each_context(request),
        "title": _("导入台账"),
        "form": form,
        "result": result,
        "errors_shown": result.errors[:MAX_ERRORS_SHOWN] if result else [],
        "errors_hidden": max(0, len(result.errors) - MAX_ERRORS_SHOWN) if result else 0,
    }
    return TemplateResponse(request, "admin/campaign/import.html", context)


def register_import_view(site: admin.AdminSite) -> None:
    """Add /admin/campaign/import/ (name "admin:campaign_import") to the site's URLs. Safe to call twice."""
    if getattr(site, "_registry_import_registered", False):
        return
    original = site.get_urls

    def get_urls() -> list[URLResolver | URLPattern]:
        view = site.admin_view(registry_import_view)
        return [path("campaign/import/", view, name="campaign_import"), *original()]

    site.get_urls = get_urls  # type: ignore[method-assign]
    site._registry_import_registered = True  # type: ignore[attr-defined]
