"""GET /api/v1/tickets/export.xlsx: the tickets ledger (工单台账) of the filtered tickets (campaign.exports: at once
up to its limit, else 202 and a background export followed at /api/v1/exports/{id}/)."""

from __future__ import annotations

from typing import cast

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from campaign.exports import XLSX, ExportSerializer, ledger_response
from campaign.models import User
from issues.filters import FILTER_PARAMETERS
from issues.ledgers import TICKETS


class TicketExport(APIView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            202: OpenApiResponse(ExportSerializer, description="too many rows: follow the export"),
        },
    )
    def get(self, request: Request) -> HttpResponseBase:
        params = {k: v for k, v in request.query_params.items() if k != "format"}
        return ledger_response(owner=cast(User, request.user), ledger=TICKETS, params=params)
