"""GET /api/v1/visits/export.xlsx: the visit ledger (走访台账) of the filtered visits."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from visits.api.visits import filtered_visits
from visits.models import GeoStatus
from visits.tasks import EXPORT_INLINE_MAX, visit_ledger_response, visits_export_start

# The list's filters (visits/filters.py VisitFilter), spelled out for this plain APIView's schema.
LIST_PARAMETERS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="this unit and its subtree"),
    OpenApiParameter("cadre", OpenApiTypes.INT, description="the cadre (user id) who logged the visit"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="first day, Asia/Shanghai, inclusive"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="last day, Asia/Shanghai, inclusive"),
    OpenApiParameter("geo_status", OpenApiTypes.STR, enum=GeoStatus.values),
]


class VisitExport(APIView):
    """走访台账 (.xlsx) of the filtered visits: up to 10,000 rows at once, more in the background (202)."""

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            202: OpenApiResponse(description="too many rows: follow GET /api/v1/exports/{id}/ (issues' Export)"),
        },
    )
    def get(self, request: Request) -> HttpResponse | Response:
        qs = filtered_visits(request)
        total = qs.count()
        if total <= EXPORT_INLINE_MAX:
            return visit_ledger_response(qs)
        from issues.api import ExportSerializer

        params = {k: v for k, v in request.query_params.items() if k != "format"}
        export = visits_export_start(owner=request.user, params=params, total=total)  # type: ignore[arg-type]
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
