"""API paths of visits, relative to /api/v1/ (included from config/urls.py)."""

from django.urls import path

import visits.admin  # noqa: F401  registers the admin (SimpleAdminConfig: no autodiscovery)
from visits import api
from visits.page_api import TicketBriefView

urlpatterns = [
    path("visits/", api.VisitListCreate.as_view(), name="api-visits"),
    path("visits/export.xlsx", api.VisitExport.as_view(), name="api-visits-export"),
    path("visits/<uuid:pk>/", api.VisitDetail.as_view(), name="api-visit"),
    path("visits/<uuid:pk>/photos/", api.VisitPhotoUpload.as_view(), name="api-visit-photos"),
    path("visits/<uuid:pk>/photos/<int:photo_id>/file/", api.VisitPhotoFile.as_view(), name="api-visit-photo-file"),
    path("m/tickets/<int:pk>/", TicketBriefView.as_view(), name="api-m-ticket"),
    path("geo/visits/", api.GeoVisits.as_view(), name="api-geo-visits"),
]
