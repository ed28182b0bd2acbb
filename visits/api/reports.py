"""POST /api/v1/reports/ (issue 16): a 户长's report with an id the phone chose, so a report queued in a dead spot
(static/js/m/reporter.js, the outbox's pattern) lands once however often it is resent. The fields are a ticket's
(issues.inputs.TicketInput: the same checks as POST /tickets/), the source always `self_found`; the write is
visits.reporter.report_record. Reporters only (403 for other roles, who raise tickets through /tickets/)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.models import User
from issues.inputs import TicketInput
from issues.models import Source, Ticket
from visits.reporter import report_record
from visits.services import canonical_body_hash


class ReportInput(TicketInput):
    id = serializers.UUIDField(help_text="chosen by the phone: the idempotency key")
    source = serializers.ChoiceField(  # always self_found: a 户长 reports what they found
        choices=[(Source.SELF_FOUND.value, Source.SELF_FOUND.label)], default=Source.SELF_FOUND.value, required=False
    )


class ReportedSerializer(serializers.ModelSerializer):
    """What the phone needs to say "已上报" (the list under 我上报的 is the page's)."""

    class Meta:
        model = Ticket
        fields = ["id", "code", "status", "created_at"]
        read_only_fields = fields


class ReportCreate(APIView):
    @extend_schema(
        request=ReportInput,
        responses={
            201: ReportedSerializer,
            200: OpenApiResponse(ReportedSerializer, description="the same id and body again: the stored ticket"),
            409: OpenApiResponse(description="the same id with another body, or another user's id"),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ReportInput(data=request.data)
        payload.is_valid(raise_exception=True)
        fields = dict(payload.validated_data)
        report_id = fields.pop("id")
        ticket, created = report_record(
            actor=cast(User, request.user),
            report_id=report_id,
            body_hash=canonical_body_hash(request.data),  # hashed once valid, as a visit's body
            fields=fields,
        )
        data = ReportedSerializer(ticket).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
