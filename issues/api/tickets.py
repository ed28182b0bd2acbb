"""Tickets API (SPEC §7): list/create, detail, counters and the map. Every view starts from issues.selectors
(scope first) and reads the filters of issues.filters; writes go through issues.services."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from campaign import reveal as personal_data
from campaign.errors import Invalid
from campaign.models import RevealReason, User
from campaign.pagination import CursorPage, _PageSize
from campaign.params import bbox_param
from campaign.replica import reads_from_replica
from campaign.scope import is_reporter
from issues import selectors, services
from issues.api.serializers import TicketDetailSerializer, TicketListSerializer
from issues.filters import FILTER_PARAMETERS, TicketFilter, tickets_filtered, tickets_filtered_each
from issues.inbox import decode_cursor, encode_cursor, priority_page, ticket_counters
from issues.inputs import TicketInput
from issues.models import OPEN_STATUSES, Ticket

GEO_LIMIT = 2000


class PriorityPage(_PageSize, BasePagination):
    """`ordering=priority`: overdue and supervised first, then newest, by keyset (issues.inbox.priority_page, the
    page's own cursor): flat however deep, and no count. Forward only: `next` is a link, `previous` is null."""

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        raw = request.query_params.get(self.cursor_query_param)
        after = decode_cursor(raw)
        if raw and after is None:
            raise Invalid.field(self.cursor_query_param, "无效的分页游标。")
        size = self.get_page_size(request)
        rows = priority_page(queryset, after, size)
        url = request.build_absolute_uri()
        self.next = (
            replace_query_param(url, self.cursor_query_param, encode_cursor(rows[size - 1]))
            if len(rows) > size
            else None
        )
        return rows[:size]

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.next, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return CursorPage().get_paginated_response_schema(schema)


class TicketPage(CursorPage):
    """Newest first, by cursor. For a scope that is an OR of arms (selectors.scope_arms) on PostgreSQL, the page is
    read among each arm's first rows past the cursor (selectors.newest_of_arms): the OR alone reads every row of the
    filter before it can sort them."""

    ordering = ("-created_at", "-id")

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        return super().paginate_queryset(self._by_arm(queryset, request), request, view)

    def _by_arm(self, queryset: QuerySet[Ticket], request: Request) -> QuerySet[Ticket]:
        user: User = request.user  # type: ignore[assignment]
        arms = selectors.scope_arms(user)
        if not arms or connection.vendor != "postgresql":
            return queryset
        self._model = queryset.model
        cursor = self.decode_cursor(request)  # (offset, reverse, position), as DRF's paginate_queryset reads it
        offset, reverse, position = cursor if cursor is not None else (0, False, None)
        order = ("created_at", "id") if reverse else ("-created_at", "-id")
        after = {} if position is None else {f"created_at__{'gt' if reverse else 'lt'}": position}
        limit = offset + self.get_page_size(request) + 1
        narrowed = tickets_filtered_each(
            user, request.query_params, [Ticket.objects.filter(arm, **after) for arm in arms]
        )
        return queryset.filter(selectors.newest_of_arms(narrowed, order, limit))


class TicketList(generics.ListCreateAPIView):
    """The tickets in my scope, filtered by TicketFilter (documented from it); newest first, or `ordering=priority`
    (overdue and supervised first, then newest); both by cursor, neither counts."""

    serializer_class = TicketListSerializer
    filterset_class = TicketFilter
    queryset = Ticket.objects.none()  # for the schema; requests read get_queryset

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.tickets_for_list(self.request.user)  # type: ignore[arg-type]

    @property
    def priority(self) -> bool:
        return self.request.query_params.get("ordering") == "priority"

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_paginator"):
            self._paginator = PriorityPage() if self.priority else TicketPage()
        return self._paginator

    @extend_schema(request=TicketInput, responses={201: TicketDetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TicketInput(data=request.data)
        body.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        ticket = services.ticket_create(actor=user, **body.validated_data)
        detail = selectors.ticket_detail(user, ticket.pk)
        return Response(TicketDetailSerializer(detail, context={"request": request}).data, status=201)


class TicketDetail(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("reveal", OpenApiTypes.BOOL, description="full requester data (roles that may; logged)"),
            OpenApiParameter("reason", OpenApiTypes.STR, enum=RevealReason.values, description="required with reveal"),
        ],
        responses=TicketDetailSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_detail(request.user, pk)  # type: ignore[arg-type]
        user: User = request.user  # type: ignore[assignment]
        services.notifications_mark_read_for_ticket(user=user, ticket_id=ticket.pk)  # I opened it
        fields = ["requester_name", "requester_phone"]
        reveal = personal_data.reveal(request, user, ticket, fields, request.query_params)
        context = {"request": request, "reveal": reveal}
        data: dict[str, Any] = dict(TicketDetailSerializer(ticket, context=context).data)
        if is_reporter(user):
            data = for_reporter(data)
        return Response(data)


# What a reporter (户长/楼长) reads of a ticket they raised: what /lookup/ would show its requester, plus the steps'
# names and moments — never the internal result, the steps' notes or who took them (SPEC §5: `result` is internal).
REPORTER_HIDDEN = ("result", "public_notice", "lead_official", "responsible_person", "measures", "expected_effect")


def for_reporter(data: dict[str, Any]) -> dict[str, Any]:
    shown = {key: value for key, value in data.items() if key not in REPORTER_HIDDEN}
    steps = ("action", "from_status", "to_status", "at")
    shown["events"] = [{key: event.get(key) for key in steps} for event in data.get("events") or []]
    return shown


CountersSerializer = inline_serializer(
    "TicketCounters",
    {
        "by_status": serializers.DictField(child=serializers.IntegerField()),
        "overdue": serializers.IntegerField(),
        "supervised": serializers.IntegerField(),
        "extension_requested": serializers.IntegerField(),
        "total": serializers.IntegerField(),
        "capped": serializers.ListField(
            child=serializers.CharField(),
            help_text="keys (a status, or `total`) counted only up to 1,000: the figure is a floor, shown as "
            '"1000+"; the open statuses, overdue, supervised and extension_requested are always exact',
        ),
    },
)


class TicketCounters(APIView):
    @extend_schema(parameters=FILTER_PARAMETERS, responses=CountersSerializer)
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        qs = tickets_filtered(user, request.query_params)
        arms = selectors.scope_arms(user)
        unscoped = tickets_filtered(user, request.query_params, Ticket.objects.all()) if arms else None
        return Response(ticket_counters(qs, arms=arms, unscoped=unscoped))


class TicketGeo(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("bbox", OpenApiTypes.STR, required=True), *FILTER_PARAMETERS],
        responses={200: OpenApiTypes.OBJECT},
        description=f"Open tickets (unless `status` says otherwise) in the box, GeoJSON, at most {GEO_LIMIT}, "
        "supervised and newest first.",
    )
    @method_decorator(reads_from_replica)
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        bbox = bbox_param(request.query_params)
        qs = tickets_filtered(user, request.query_params)
        if not request.query_params.get("status"):
            qs = qs.filter(status__in=OPEN_STATUSES)
        fields = ("id", "code", "status", "mode", "category", "supervision")
        features, truncated = selectors.ticket_points(qs, bbox, fields=fields, limit=GEO_LIMIT)
        return Response({"type": "FeatureCollection", "features": features, "truncated": truncated})
