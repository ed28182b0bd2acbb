"""Admin of visits: read-only. Visits are evidence (who stood where, when); they are recorded through the API only.

Registered when visits/urls.py is imported (SimpleAdminConfig does no autodiscovery; see config/urls.py).
Personal data of targets is not shown here: the list names the target's unit and the visit's ids.
"""

from __future__ import annotations

from django.contrib import admin

from campaign.admin import ReadOnlyAdmin
from visits.models import Visit, VisitPhoto


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["visited_at", "cadre", "target_type", "unit", "geo_status", "distance_m", "people_met"]
    list_filter = ["geo_status", "target_type", "crs"]
    date_hierarchy = "visited_at"
    list_select_related = ["cadre", "unit"]
    raw_id_fields = ["cadre", "household", "enterprise", "ticket", "campaign", "unit", "point_unit"]
    search_fields = ["=id"]
    show_full_result_count = False  # COUNT(*) over millions of visits on every page is not worth it
    exclude = ["body_hash"]


@admin.register(VisitPhoto)
class VisitPhotoAdmin(ReadOnlyAdmin):
    list_display = ["visit", "original_format", "width", "height", "size_bytes", "created_at"]
    raw_id_fields = ["visit", "uploaded_by"]
    show_full_result_count = False
    exclude = ["lat", "lng"]  # the photo's own GPS position stays out of the admin
