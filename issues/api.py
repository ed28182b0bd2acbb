"""REST API of tickets (SPEC §7): list/create, detail, one endpoint per action, counters, map, notifications,
the ledger export. Every view starts from issues.selectors (scope first); writes go through services/machine."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign import services as campaign_services
from campaign.errors import Invalid, OutOfScope
from campaign.models import User
from campaign.pagination import CursorPage, NumberPage
from campaign.params import bbox_param
from campaign.scope import enterprises_visible_to, households_visible_to, may_reveal_personal_data
from campaign.validators import mask_name, mask_phone
from issues import exports, selectors, services
from issues.filters import FILTER_PARAMETERS, TicketFilter, tickets_filtered
from issues.machine import ACTIONS, allowed_actions, ticket_apply
from issues.models import OPEN_STATUSES, Export, Notification, Ticket, TicketCoUnit, TicketEvent

GEO_LIMIT = 2000
PRIORITY_MAX_PAGE = 20  # ?ordering=priority pages by number: bounded to the first 20 pages (≤ 4,000 rows)


# --- serializers -------------------------------------------------------------------------------------------------
class CoUnitSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="unit_id", read_only=True)
    name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = TicketCoUnit
        fields = ["id", "name", "part", "submitted_at"]


class TicketListSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True, default=None)
    co_units = CoUnitSerializer(source="co_unit_links", many=True, read_only=True)
    overdue = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    mode_label = serializers.CharField(source="get_mode_display", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "code",
            "source",
            "kind",
            "category",
            "status",
            "status_label",
            "mode",
            "mode_label",
            "unit",
            "unit_name",
            "lead_unit",
            "lead_unit_name",
            "co_units",
            "description",
            "requester_name",
            "requester_phone",
            "lat",
            "lng",
            "due_at",
            "overdue",
            "supervision",
            "version",
            "reopen_count",
            "satisfaction",
            "resolved_on_site",
            "created_at",
            "dispatched_at",
            "accepted_at",
            "resolved_at",
        ]

    def get_overdue(self, obj: Ticket) -> bool:
        return bool(obj.status in OPEN_STATUSES and obj.due_at and obj.due_at < timezone.now())

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("reveal"):
            data["requester_name"] = mask_name(data["requester_name"])
            data["requester_phone"] = mask_phone(data["requester_phone"])
        return data


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["id", "action", "actor", "actor_name", "from_status", "to_status", "note", "payload", "at"]

    def get_actor_name(self, obj: TicketEvent) -> str:
        return str(obj.actor) if obj.actor else "系统"


class TicketDetailSerializer(TicketListSerializer):
    events = EventSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    lead_official_name = serializers.CharField(source="lead_official.__str__", read_only=True, default=None)
    merge_into_code = serializers.CharField(source="merge_into.code", read_only=True, default=None)
    created_by_name = serializers.CharField(source="created_by.__str__", read_only=True, default=None)

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "campaign",
            "requester_household",
            "requester_enterprise",
            "attachments",
            "problem",
            "responsible_person",
            "measures",
            "expected_effect",
            "lead_official",
            "lead_official_name",
            "public_notice",
            "result",
            "merge_into",
            "merge_into_code",
            "visit_id",
            "unreachable_count",
            "created_by",
            "created_by_name",
            "last_progress_at",
            "closed_at",
            "events",
            "allowed_actions",
        ]

    def get_allowed_actions(self, obj: Ticket) -> list[str]:
        return allowed_actions(obj, self.context["request"].user)


class TicketCreateSerializer(serializers.Serializer):
    """Hotline / walk-in / online tickets by dispatchers, self-found ones by cadres (visit tickets come with visits)."""

    source = serializers.CharField(help_text="hotline, walk_in, online or self_found")  # type: ignore[assignment]
    kind = serializers.CharField()
    category = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField()
    unit = serializers.IntegerField(required=False)
    lat = serializers.FloatField(required=False)
    lng = serializers.FloatField(required=False)
    requester_name = serializers.CharField(required=False, allow_blank=True)
    requester_phone = serializers.CharField(required=False, allow_blank=True)
    requester_household = serializers.IntegerField(required=False)
    requester_enterprise = serializers.IntegerField(required=False)
    attachments = serializers.ListField(child=serializers.CharField(max_length=300), required=False)


class ActionRequestSerializer(serializers.Serializer):
    """The body of POST /tickets/{id}/{action}/: `version` (all but supervise) and the action's fields."""

    version = serializers.IntegerField(required=False)
    note = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    result = serializers.CharField(required=False)
    mode = serializers.CharField(required=False)
    problem = serializers.CharField(required=False)
    lead_unit = serializers.IntegerField(required=False)
    responsible_person = serializers.CharField(required=False)
    due_at = serializers.DateTimeField(required=False)
    measures = serializers.CharField(required=False)
    expected_effect = serializers.CharField(required=False)
    co_units = serializers.ListField(child=serializers.IntegerField(), required=False)
    lead_official = serializers.IntegerField(required=False)
    part = serializers.CharField(required=False)
    public_notice = serializers.CharField(required=False)
    rating = serializers.ChoiceField(
        choices=["satisfied", "basically_satisfied", "unsatisfied", "unreachable"], required=False
    )
    level = serializers.IntegerField(required=False, min_value=1, max_value=2)
    merge_into = serializers.CharField(required=False, help_text="ticket id or code")


# --- tickets -------------------------------------------------------------------------------------------------------
class StrictPageSize:
    """`page_size` must be a positive integer (DRF would silently use the default); above the maximum it is capped."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw not in (None, "") and not (raw.isdigit() and int(raw) > 0):
            raise Invalid.field(self.page_size_query_param, "每页条数应为正整数。")
        return super().get_page_size(request)  # type: ignore[misc]


class PriorityPage(StrictPageSize, NumberPage):
    """Supervised and overdue first: ordered by a computed priority, so numbered pages, bounded in depth."""

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        page = request.query_params.get(self.page_query_param, "1")
        if not page.isdigit() or int(page) > PRIORITY_MAX_PAGE:
            raise Invalid.field("page", f"按优先级排序时最多翻到第{PRIORITY_MAX_PAGE}页，请用筛选条件缩小范围。")
        return super().paginate_queryset(queryset, request, view)


class TicketPage(StrictPageSize, CursorPage):
    ordering = ("-created_at", "-id")  # type: ignore[assignment]

    def decode_cursor(self, request: Request) -> Any:
        """DRF answers a malformed cursor with 404 (or a 500-prone bad position): it is a bad parameter, 400."""
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None:
                base64.b64decode(encoded, validate=True)  # DRF's own decoding skips stray characters
            cursor = super().decode_cursor(request)
        except (NotFound, binascii.Error):
            cursor = None
        else:
            if cursor is None or cursor.position is None or parse_datetime(cursor.position) is not None:
                return cursor
        raise Invalid.field(self.cursor_query_param, "游标无效，请从第一页重新翻页。")


def _reveal(request: Request) -> bool:
    return request.query_params.get("reveal") in ("1", "true") and may_reveal_personal_data(request.user)  # type: ignore[arg-type]


class TicketList(generics.ListCreateAPIView):
    """The tickets in my scope, filtered by TicketFilter (documented from it); newest first by cursor, or
    `ordering=priority` (supervised and overdue first) by numbered pages."""

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

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TicketCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        user: User = request.user  # type: ignore[assignment]
        household = enterprise = None
        if "requester_household" in data:
            household = households_visible_to(user).filter(pk=data.pop("requester_household")).first()
            if household is None:
                raise Invalid.field("requester_household", "住户不存在或不在您的管辖范围内。")
        if "requester_enterprise" in data:
            enterprise = enterprises_visible_to(user).filter(pk=data.pop("requester_enterprise")).first()
            if enterprise is None:
                raise Invalid.field("requester_enterprise", "企业不存在或不在您的管辖范围内。")
        ticket = services.ticket_create(
            actor=user,
            data=data,
            source=data.pop("source"),
            requester_household=household,
            requester_enterprise=enterprise,
        )
        detail = selectors.ticket_detail(user, ticket.pk)
        return Response(TicketDetailSerializer(detail, context={"request": request}).data, status=201)


class TicketDetail(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("reveal", OpenApiTypes.BOOL, description="full requester data (logged)")],
        responses=TicketDetailSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_detail(request.user, pk)  # type: ignore[arg-type]
        reveal = _reveal(request)
        if reveal:
            campaign_services.access_log_record(
                user=request.user,  # type: ignore[arg-type]
                obj=ticket,
                fields=["requester_name", "requester_phone"],  # type: ignore[arg-type]
            )
        context = {"request": request, "reveal": reveal}
        return Response(TicketDetailSerializer(ticket, context=context).data)


class TicketActionView(APIView):
    action_name = ""

    def post(self, request: Request, pk: int) -> Response:
        if not isinstance(request.data, dict):
            raise Invalid.field("non_field_errors", "请求体应为 JSON 对象。")
        data = dict(request.data)
        ticket_apply(
            ticket_id=_visible_pk(request.user, pk),  # type: ignore[arg-type]
            action=self.action_name,
            actor=request.user,  # type: ignore[arg-type]
            version=data.pop("version", None),
            data=data,
        )
        ticket = selectors.ticket_detail(request.user, pk)  # type: ignore[arg-type]
        return Response(TicketDetailSerializer(ticket, context={"request": request}).data)


def _visible_pk(user: User, pk: int) -> int:
    if not selectors.ticket_is_visible(user=user, ticket_id=pk):
        raise OutOfScope()
    return pk


def action_view(name: str) -> type[APIView]:
    """One endpoint per action of the machine (SPEC §7), each with its own operation in the schema."""
    spec = ACTIONS[name]

    def post(self: TicketActionView, request: Request, pk: int) -> Response:
        return TicketActionView.post(self, request, pk)

    post = extend_schema(
        operation_id=f"tickets_{name}",
        summary=f"{spec.label} ({name})",
        request=ActionRequestSerializer,
        responses={
            200: TicketDetailSerializer,
            400: OpenApiResponse(description="missing or bad fields, named"),
            403: OpenApiResponse(description="your role may not"),
            404: OpenApiResponse(description="not in your scope"),
            409: OpenApiResponse(description="wrong state or stale version"),
        },
    )(post)
    camel = "".join(part.title() for part in name.split("_"))
    return type(f"Ticket{camel}View", (TicketActionView,), {"action_name": name, "post": post})


ACTION_VIEWS = {name: action_view(name) for name in ACTIONS}

CountersSerializer = inline_serializer(
    "TicketCounters",
    {
        "by_status": serializers.DictField(child=serializers.IntegerField()),
        "overdue": serializers.IntegerField(),
        "supervised": serializers.IntegerField(),
        "total": serializers.IntegerField(),
    },
)


class TicketCounters(APIView):
    @extend_schema(parameters=FILTER_PARAMETERS, responses=CountersSerializer)
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        qs = tickets_filtered(user, request.query_params)
        return Response(selectors.ticket_counters(qs))


# --- map -----------------------------------------------------------------------------------------------------------
class TicketGeo(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("bbox", OpenApiTypes.STR, required=True), *FILTER_PARAMETERS],
        responses={200: OpenApiTypes.OBJECT},
        description=f"Open tickets (unless `status` says otherwise) in the box, GeoJSON, at most {GEO_LIMIT}, "
        "supervised and newest first.",
    )
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        min_lng, min_lat, max_lng, max_lat = bbox_param(request.query_params)
        qs = tickets_filtered(user, request.query_params)
        if not request.query_params.get("status"):
            qs = qs.filter(status__in=OPEN_STATUSES)
        rows = (
            qs.filter(lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng)
            .order_by("-supervision", "-created_at", "-id")
            .values("id", "code", "status", "mode", "category", "supervision", "due_at", "lat", "lng")[: GEO_LIMIT + 1]
        )
        now = timezone.now()
        found = list(rows)
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r["lng"], r["lat"]]},
                "properties": {
                    "id": r["id"],
                    "code": r["code"],
                    "status": r["status"],
                    "mode": r["mode"],
                    "category": r["category"],
                    "supervision": r["supervision"],
                    "overdue": bool(r["due_at"] and r["due_at"] < now and r["status"] in OPEN_STATUSES),
                },
            }
            for r in found[:GEO_LIMIT]
        ]
        return Response({"type": "FeatureCollection", "features": features, "truncated": len(found) > GEO_LIMIT})


# --- notifications -------------------------------------------------------------------------------------------------
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


# --- exports -------------------------------------------------------------------------------------------------------
class ExportSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "kind",
            "state",
            "progress",
            "total",
            "error",
            "created_at",
            "finished_at",
            "url",
            "download_url",
        ]

    def get_url(self, obj: Export) -> str:
        return f"/api/v1/exports/{obj.pk}/"

    def get_download_url(self, obj: Export) -> str | None:
        return f"/api/v1/exports/{obj.pk}/download/" if obj.state == Export.State.DONE else None


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TicketExport(APIView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            202: OpenApiResponse(ExportSerializer, description="too many rows: follow the export"),
        },
    )
    def get(self, request: Request) -> Any:
        user: User = request.user  # type: ignore[assignment]
        params = {k: v for k, v in request.query_params.items() if k != "format"}
        headers, rows, total = exports.ticket_ledger(user, params)
        if total > exports.sync_limit():
            export = services.export_start(owner=user, kind="tickets", params=params)
            return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
        handle = exports.xlsx_tempfile(exports.export_title("tickets"), headers, rows)
        filename = f"tickets-{timezone.localdate():%Y%m%d}.xlsx"
        return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


def _my_export(user: User, pk: Any) -> Export:
    export = Export.objects.filter(owner=user, pk=pk).first()
    if export is None:
        raise OutOfScope()
    return export


class ExportDetail(APIView):
    @extend_schema(responses=ExportSerializer)
    def get(self, request: Request, pk: str) -> Response:
        return Response(ExportSerializer(_my_export(request.user, pk)).data)  # type: ignore[arg-type]


class ExportDownload(APIView):
    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: str) -> Any:
        export = _my_export(request.user, pk)  # type: ignore[arg-type]
        if export.state != Export.State.DONE or not export.file:
            raise OutOfScope("导出尚未完成。")
        path = exports.export_dir() / f"{export.pk}.xlsx"
        if not path.exists():
            raise OutOfScope("导出文件已过期。")
        return FileResponse(path.open("rb"), as_attachment=True, filename=f"{export.kind}-{export.pk}.xlsx")
