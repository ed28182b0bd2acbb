"""GET /api/v1/visits/export.xlsx: the visit ledger (走访台账) of the filtered visits (campaign.exports)."""

from __future__ import annotations

from typing import cast

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from campaign.exports import XLSX, ExportSerializer, ledger_response
from campaign.filters import query_parameters
from campaign.models import User
from visits.filters import VisitFilter
from visits.ledgers import VISITS

# The list's filters (visits/filters.py VisitFilter) for this plain APIView's schema, from their one declaration.
LIST_PARAMETERS = query_parameters(VisitFilter)


class VisitExport(APIView):
    """走访台账 (.xlsx) of the filtered visits: up to 10,000 rows at once, more in the background (202)."""

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            202: OpenApiResponse(ExportSerializer, description="too many rows: follow GET /api/v1/exports/{id}/"),
        },
    )
    def get(self, request: Request) -> HttpResponseBase:
        params = {k: v for k, v in request.query_params.items() if k != "format"}
        return ledger_response(owner=cast(User, request.user), ledger=VISITS, params=params)
