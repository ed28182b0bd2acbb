"""Record, list and read visits (SPEC §4, §7): POST /visits/, GET /visits/ (filtered, cursor-paginated), GET
/visits/{id}/."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from campaign.models import User
from campaign.pagination import CursorPage
from visits import selectors, services
from visits.api.serializers import VisitInputSerializer, VisitSerializer
from visits.filters import VisitFilter
from visits.models import Visit


class VisitCursorPage(CursorPage):
    ordering = ("-visited_at", "-id")  # a tuple: the id breaks ties


class VisitListCreate(generics.ListCreateAPIView):
    """GET: visits in scope (a cadre: their own), newest first, cursor-paginated, filtered by VisitFilter.
    POST: record a visit (SPEC §4)."""

    serializer_class = VisitSerializer
    pagination_class = VisitCursorPage
    filterset_class = VisitFilter

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.with_list_relations(selectors.visits_visible_to(cast(User, self.request.user)))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        context = {**self.get_serializer_context(), "tickets": selectors.tickets_raised_on(v.pk for v in page)}
        return self.get_paginated_response(VisitSerializer(page, many=True, context=context).data)

    @extend_schema(
        request=VisitInputSerializer,
        responses={
            201: VisitSerializer,
            200: OpenApiResponse(VisitSerializer, description="the same id and body again: the stored visit"),
            409: OpenApiResponse(description="the same id with a different body"),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = VisitInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # Hashed once valid: a body the serializer refuses (a lone surrogate, say) need not be hashable.
        body_hash = services.canonical_body_hash(request.data)
        actor = cast(User, request.user)  # IsAuthenticated
        visit, created = services.visit_record(actor=actor, data=dict(payload.validated_data), body_hash=body_hash)
        if not created:
            visit = selectors.with_list_relations(Visit.objects.filter(pk=visit.pk)).get()
        data = VisitSerializer(visit, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class VisitDetail(generics.RetrieveAPIView):
    serializer_class = VisitSerializer

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.with_list_relations(selectors.visits_visible_to(cast(User, self.request.user)))
