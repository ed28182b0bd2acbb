"""Admin for configuration (SPEC §8), in Chinese. Registered explicitly: see SimpleAdminConfig in settings."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campaign import admin_calendar  # noqa: F401  the calendar's days and years
from campaign.admin_assignments import AssignmentAdmin, KeyProjectAdmin
from campaign.admin_household_groups import HouseholdGroupAdmin
from campaign.admin_import import register_import_view
from campaign.admin_must_visit import CampaignForm
from campaign.admin_personal import PersonalDataAdmin
from campaign.models import (
    AccessLog,
    Assignment,
    AuditEvent,
    Campaign,
    Category,
    Enterprise,
    Export,
    Household,
    HouseholdGroup,
    KeyProject,
    OrgUnit,
    User,
)
from campaign.scope import may_reveal_personal_data
from campaign.validators import mask_id_number, mask_name, mask_phone, normalize_id_number, validate_id_number

admin.site.site_header = _("走访 Zoufang 管理后台")
admin.site.site_title = _("走访管理")
admin.site.index_title = _("配置")


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "code", "depth"]
    list_filter = ["kind", "depth"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]
    ordering = ["path"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "unit", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "display_name"]
    raw_id_fields = ["unit"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("走访"), {"fields": ("display_name", "role", "unit", "phone")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("走访"), {"fields": ("display_name", "role", "unit")}))


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm  # the must-visit tags as checkboxes (四门必敲)
    list_display = ["name", "start_date", "end_date", "is_active", "working_days"]
    filter_horizontal = ["units", "categories"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories: a name is fixed once saved (tickets and rollups are keyed by it): deactivate, never rename."""

    list_display = ["name", "code", "parent", "active", "position"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
    list_editable = ["active", "position"]

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        return ["name", "code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        return False


@admin.action(description=_("确认所选住户"))
def confirm_households(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Household]) -> None:
    count = queryset.update(confirmed=True)
    messages.success(request, _("已确认 %(n)d 户。") % {"n": count})


@admin.register(Household)
class HouseholdAdmin(PersonalDataAdmin):
    personal_fields = {"head_name": mask_name, "phone": mask_phone, "head_id_number": mask_id_number}
    list_display = ["address", "unit", "head_name_masked", "phone_masked", "members", "confirmed"]
    list_filter = ["confirmed"]
    search_fields = ["address"]
    raw_id_fields = ["unit", "created_by"]
    actions = [confirm_households]
    list_select_related = ["unit"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Household], search_term: str
    ) -> tuple[QuerySet[Household], bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = normalize_id_number(search_term)
        if may_reveal_personal_data(request.user) and term and not _id_number_error(term):  # type: ignore[arg-type]
            found = found | queryset.with_id_number(term)  # type: ignore[attr-defined]
        return found, duplicates


def _id_number_error(value: str) -> bool:
    try:
        validate_id_number(value)
    except ValidationError:
        return True
    return False


@admin.register(Enterprise)
class EnterpriseAdmin(PersonalDataAdmin):
    personal_fields = {"contact_name": mask_name, "contact_phone": mask_phone}
    list_display = ["name", "credit_code", "industry", "size", "unit", "contact_name_masked", "contact_phone_masked"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows nobody edits in the admin (logs, trails, visits): shown, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "object_type", "object_id", "fields", "reason", "client"]
    list_filter = ["reason", "object_type"]
    readonly_fields = ["at", "user", "object_type", "object_id", "fields", "reason", "client"]


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "owner", "state", "progress", "total", "created_at"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["owner"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail, read-only (issue 12 item 5): values are stored masked; inspectors get `audit_export`."""

    list_display = ["at", "action", "actor_name", "object_type", "object_id", "client_address"]
    list_filter = ["action"]
    search_fields = ["actor_name", "object_type", "object_id"]
    date_hierarchy = "at"
    readonly_fields = ["at", "action", "actor", "actor_name", "object_type", "object_id", "client_address", "changes"]


# Assignments (包户/包企/挂点) and key projects; an assignment list's import at /admin/campaign/assignment/import/.
admin.site.register(KeyProject, KeyProjectAdmin)
admin.site.register(Assignment, AssignmentAdmin)

# Household groups (户区) and their heads (户长/楼长); their import at /admin/campaign/householdgroup/import/.
admin.site.register(HouseholdGroup, HouseholdGroupAdmin)

# /admin/campaign/import/: registry import from .xlsx/.csv, all-or-nothing with a row-by-row report (SPEC §2).
register_import_view(admin.site)
