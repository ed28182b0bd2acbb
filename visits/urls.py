"""API paths of visits, relative to /api/v1/ (included from config/urls.py)."""

from django.urls import path

import visits.admin  # noqa: F401  registers the admin (SimpleAdminConfig: no autodiscovery)
from visits import api
from visits.api.assignments import AssignmentBulk, AssignmentCoverage, AssignmentDetail, AssignmentListCreate
from visits.api.reports import ReportCreate
from visits.page_api import TicketBriefView

urlpatterns = [
    path("visits/", api.VisitListCreate.as_view(), name="api-visits"),
    path("visits/export.xlsx", api.VisitExport.as_view(), name="api-visits-export"),
    path("visits/<uuid:pk>/", api.VisitDetail.as_view(), name="api-visit"),
    path("visits/<uuid:pk>/photos/", api.VisitPhotoUpload.as_view(), name="api-visit-photos"),
    path("visits/<uuid:pk>/photos/<int:photo_id>/file/", api.VisitPhotoFile.as_view(), name="api-visit-photo-file"),
    path("m/tickets/<int:pk>/", TicketBriefView.as_view(), name="api-m-ticket"),
    # a 户长's report with the phone's id: queued offline, lands once (visits.reporter.report_record)
    path("reports/", ReportCreate.as_view(), name="api-reports"),
    path("geo/visits/", api.GeoVisits.as_view(), name="api-geo-visits"),
    # assignments (包户/包企/挂点, issue 16 item 1): writes are campaign.assignments', reads visits.assignments'
    path("assignments/", AssignmentListCreate.as_view(), name="api-assignments"),
    path("assignments/bulk/", AssignmentBulk.as_view(), name="api-assignments-bulk"),
    path("assignments/coverage/", AssignmentCoverage.as_view(), name="api-assignments-coverage"),
    path("assignments/<int:pk>/", AssignmentDetail.as_view(), name="api-assignment"),
]
