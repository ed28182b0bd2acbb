"""Admin of tickets: read-mostly (states change through the machine, events never change); and of the dispatch
directory (issue 15 item 1): edited here row by row, or imported from Excel at /admin/issues/directoryrow/import/."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.admin_personal import PersonalDataAdmin
from campaign.fields import validate_text
from campaign.validators import mask_name, mask_phone
from issues.directory_import import directory_import, row_errors
from issues.models import DirectoryRow, Notification, Ticket, TicketCoUnit, TicketEvent


class TicketCoUnitInline(admin.TabularInline):
    """Co-units change through the machine (dispatch, reassign, assist): shown, not edited here."""

    model = TicketCoUnit
    extra = 0
    can_delete = False
    fields = ("unit", "part", "submitted_at", "submitted_by")
    readonly_fields = ("unit", "part", "submitted_at", "submitted_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "actor", "from_status", "to_status", "note")
    readonly_fields = ("at", "action", "actor", "from_status", "to_status", "note")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(PersonalDataAdmin):
    # The requester's name and phone (and the person responsible) are masked unless a logged reveal.
    personal_fields = {"requester_name": mask_name, "requester_phone": mask_phone, "responsible_person": mask_name}
    list_display = ["code", "status", "mode", "kind", "category", "unit", "lead_unit", "due_at", "supervision"]
    list_filter = ["status", "mode", "kind", "source", "supervision"]
    search_fields = ["code"]
    date_hierarchy = "created_at"
    list_select_related = ["unit", "lead_unit"]
    raw_id_fields = [
        "campaign",
        "requester_household",
        "requester_enterprise",
        "lead_official",
        "merge_into",
        "created_by",
    ]
    # The workflow fields move only through issues.machine (one event per change).
    # Where the matter lies and who leads it, too: a ticket and its units lie in one district (Ticket.district).
    readonly_fields = [
        "code",
        "unit",
        "district",
        "lead_unit",
        "status",
        "version",
        "supervision",
        "reopen_count",
        "satisfaction",
        "unreachable_count",
        "created_at",
        "dispatched_at",
        "accepted_at",
        "resolved_at",
        "closed_at",
        "last_progress_at",
        "recurs",  # set at creation (issues.recurrence)
        "topic",  # set by the promotion or the attach (issues.topics)
    ]
    inlines = [TicketCoUnitInline, TicketEventInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "ticket", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "ticket"]


# --- the dispatch directory ---------------------------------------------------------------------------------------
DIRECTORY_UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # a few thousand rows are well under 1 MB
DIRECTORY_ERRORS_SHOWN = 1000  # a longer table helps nobody; the count of the rest is shown


class DirectoryRowForm(forms.ModelForm):
    """The row's rules, the import's (issues.directory_import.row_errors): units of the row's district, no lead unit
    among the co-units, 积极办 with a co-unit."""

    class Meta:
        model = DirectoryRow
        fields = ["category", "area", "lead_unit", "co_units", "mode", "active", "note"]

    def clean_note(self) -> str:
        note: str = self.cleaned_data.get("note") or ""
        validate_text(note)
        return note

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead = data.get("lead_unit")
        if lead is None or any(name in self.errors for name in ("area", "co_units", "mode")):
            return data
        co_units = list(data.get("co_units") or [])
        for name, message in row_errors(area=data.get("area"), lead_unit=lead, co_units=co_units, mode=data["mode"]):
            self.add_error(name, message)
        return data


class DirectoryImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件（.xlsx 或 .csv）"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > DIRECTORY_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("文件过大（上限 5 MB）。"))
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("只支持 .xlsx 或 .csv 文件。"))
        return upload


@admin.action(description=gettext_lazy("停用所选目录行"))
def deactivate_rows(modeladmin: Any, request: HttpRequest, queryset: QuerySet[DirectoryRow]) -> None:
    count = queryset.update(active=False, updated_at=timezone.now())
    messages.success(request, _("已停用 %(n)d 行。") % {"n": count})


@admin.action(description=gettext_lazy("启用所选目录行"))
def activate_rows(modeladmin: Any, request: HttpRequest, queryset: QuerySet[DirectoryRow]) -> None:
    count = queryset.update(active=True, updated_at=timezone.now())
    messages.success(request, _("已启用 %(n)d 行。") % {"n": count})


@admin.register(DirectoryRow)
class DirectoryRowAdmin(admin.ModelAdmin):
    """The rows with the most "not our duty" returns first: the ones to correct. Never deleted (a dispatch event
    names its row): deactivated instead."""

    form = DirectoryRowForm
    list_display = ["category", "area_or_everywhere", "lead_unit", "mode", "active", "not_our_duty_returns",
                    "last_returned_at"]  # fmt: skip
    list_filter = ["active", "mode", "category"]
    search_fields = ["category__name", "category__code", "area__name", "lead_unit__name"]
    list_select_related = ["category", "area", "lead_unit"]
    autocomplete_fields = ["category", "area", "lead_unit", "co_units"]
    readonly_fields = ["not_our_duty_returns", "last_returned_at", "updated_at"]
    ordering = ["-not_our_duty_returns", "id"]
    actions = [deactivate_rows, activate_rows]

    @admin.display(description=gettext_lazy("适用区域"), ordering="area__path")
    def area_or_everywhere(self, obj: DirectoryRow) -> str:
        return obj.area.name if obj.area is not None else _("全部区域")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DirectoryRow, form: Any, change: bool) -> None:
        obj.updated_at = timezone.now()
        if change and "lead_unit" in form.changed_data:  # the count was about the old unit (as the import does)
            obj.not_our_duty_returns, obj.last_returned_at = 0, None
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="issues_directoryrow_import"), *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import rows from .xlsx / .csv: for whoever may add and change rows; units limited to their scope."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = DirectoryImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            result = directory_import(rows_or_file=form.cleaned_data["file"], actor=request.user)  # type: ignore[arg-type]
            if result.ok:
                counts = {"c": result.created, "u": result.updated}
                messages.success(request, _("派单目录已导入：新增 %(c)d 行，更新 %(u)d 行。") % counts)
                return HttpResponseRedirect(reverse("admin:issues_directoryrow_changelist"))
        errors = result.errors if result else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("导入派单目录"),
            "form": form,
            "result": result,
            "errors_shown": errors[:DIRECTORY_ERRORS_SHOWN],
            "errors_hidden": max(0, len(errors) - DIRECTORY_ERRORS_SHOWN),
        }
        return TemplateResponse(request, "admin/issues/directory_import.html", context)
