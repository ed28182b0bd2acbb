"""Read-only admin views of the rollups (derived data: fix the raw rows and recompute, never edit these)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from dashboard.models import DailyRollup, DirtyDay, OverdueSnapshot


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(DailyRollup)
class DailyRollupAdmin(ReadOnly):
    list_display = ["day", "unit", "campaign_id", "category", "lead_unit", "visits", "issues_collected", "closed"]
    list_filter = ["day"]
    list_select_related = ["unit", "lead_unit"]


@admin.register(OverdueSnapshot)
class OverdueSnapshotAdmin(ReadOnly):
    list_display = ["day", "unit", "campaign_id", "overdue"]
    list_select_related = ["unit"]


@admin.register(DirtyDay)
class DirtyDayAdmin(ReadOnly):
    list_display = ["day", "unit_id", "marked_at"]
