"""Admin of tickets: read-mostly (states change through the machine, events never change)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from campaign.admin_personal import PersonalDataAdmin
from campaign.validators import mask_name, mask_phone
from issues.models import Notification, Ticket, TicketCoUnit, TicketEvent


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
    ]
    inlines = [TicketCoUnitInline, TicketEventInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "ticket", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "ticket"]
