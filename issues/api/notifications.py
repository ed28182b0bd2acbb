"""In-app notifications API: mine, unread first; mark one read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.pagination import NumberPage
from issues import selectors, services
from issues.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    ticket_code = serializers.CharField(source="ticket.code", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "ticket", "ticket_code", "read_at", "created_at"]


class NotificationPage(NumberPage):
    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["unread"] = selectors.unread_count(self.request.user)  # type: ignore[union-attr,arg-type]
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"]["unread"] = {"type": "integer"}
        return result


class NotificationList(generics.ListAPIView):
    """Mine, unread first; `unread` in the page is the count of my unread notifications."""

    serializer_class = NotificationSerializer
    pagination_class = NotificationPage
    queryset = Notification.objects.none()  # for the schema; requests read get_queryset

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_of(self.request.user)  # type: ignore[arg-type]


class NotificationRead(APIView):
    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        notification = services.notification_mark_read(user=request.user, notification_id=pk)  # type: ignore[arg-type]
        return Response(NotificationSerializer(notification).data)
