"""REST API of visits (SPEC §4, §7): record and list visits, photos, the map layer and the ledger export."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.errors import Invalid
from campaign.models import User
from campaign.pagination import CursorPage
from campaign.params import bbox_param, day_param, int_param
from campaign.scope import unit_in_scope
from campaign.validators import mask_name
from issues.inputs import TicketInput, flat_list_errors
from visits import selectors, services
from visits.models import NOTES_MAX, PEOPLE_MET_MAX, Crs, GeoStatus, TargetType, Visit, VisitPhoto
from visits.tasks import EXPORT_INLINE_MAX, visit_ledger_response, visits_export_start

# --- input ------------------------------------------------------------------------------------------------------


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 *with* an offset: a bare local time from a phone is ambiguous, so it is refused."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        from django.utils.dateparse import parse_datetime

        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss+08:00")
        if parsed.tzinfo is None:  # type: ignore[union-attr]
            raise serializers.ValidationError(_("须包含时区偏移，例如 2026-05-12T10:30:00+08:00。"))
        return parsed  # type: ignore[return-value]


class IssueInputSerializer(TicketInput):
    """An issue raised on the visit: a ticket's input (issues.inputs.TicketInput) whose source is the visit and
    whose requester is the visit's target (so none of the three is given), plus `resolved_on_site` and `result`.
    Errors come back as `issues[i].field`."""

    place_required = False  # by default the matter is where the visited target is (visits.services)
    source = None  # type: ignore[assignment]
    requester_household = None  # type: ignore[assignment]
    requester_enterprise = None  # type: ignore[assignment]
    resolved_on_site = serializers.BooleanField(required=False, default=False)
    result = serializers.CharField(required=False, allow_blank=True)


class VisitInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="客户端生成的 UUID（幂等键）")
    target_type = serializers.ChoiceField(choices=TargetType.choices, required=False, allow_blank=True)
    target_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    ticket = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    campaign = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    visited_at = OffsetDateTimeField()
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100_000)
    crs = serializers.ChoiceField(choices=Crs.choices, required=False, default=Crs.WGS84)
    people_met = serializers.IntegerField(required=False, default=0, min_value=0, max_value=PEOPLE_MET_MAX)
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTES_MAX, trim_whitespace=False
    )
    checklist = serializers.DictField(
        child=serializers.CharField(max_length=services.CHECKLIST_VALUE_MAX, allow_blank=True),
        required=False,
        default=dict,
    )
    issues = serializers.ListField(
        child=IssueInputSerializer(), required=False, default=list, max_length=services.MAX_ISSUES_PER_VISIT
    )

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(flat_list_errors(exc.detail, "issues")) from None


# --- output -----------------------------------------------------------------------------------------------------
class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = VisitPhoto
        fields = [
            "id",
            "url",
            "thumbnail_url",
            "width",
            "height",
            "original_format",
            "lat",
            "lng",
            "taken_at",
            "created_at",
        ]

    def get_url(self, photo: VisitPhoto) -> str:
        return reverse("api-visit-photo-file", args=[photo.visit_id, photo.pk])

    def get_thumbnail_url(self, photo: VisitPhoto) -> str:
        return self.get_url(photo) + "?size=thumb"


class BriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()


class VisitSerializer(serializers.ModelSerializer):
    cadre = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    point_unit = serializers.SerializerMethodField()
    target_id = serializers.IntegerField(read_only=True, allow_null=True)
    target_name = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)
    tickets = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "cadre",
            "target_type",
            "target_id",
            "target_name",
            "ticket",
            "campaign",
            "unit",
            "point_unit",
            "visited_at",
            "lat",
            "lng",
            "accuracy_m",
            "crs",
            "distance_m",
            "geo_status",
            "flags",
            "people_met",
            "notes",
            "checklist",
            "photos",
            "tickets",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(BriefSerializer)
    def get_cadre(self, visit: Visit) -> dict[str, Any]:
        return {"id": visit.cadre_id, "name": str(visit.cadre)}

    @extend_schema_field(BriefSerializer)
    def get_unit(self, visit: Visit) -> dict[str, Any]:
        return {"id": visit.unit_id, "name": visit.unit.name}

    @extend_schema_field(BriefSerializer(allow_null=True))
    def get_point_unit(self, visit: Visit) -> dict[str, Any] | None:
        return {"id": visit.point_unit_id, "name": visit.point_unit.name} if visit.point_unit else None

    def get_target_name(self, visit: Visit) -> str:
        return target_label(visit)

    @extend_schema_field(TicketRefSerializer(many=True))
    def get_tickets(self, visit: Visit) -> list[dict[str, Any]]:
        if hasattr(visit, "raised_tickets"):  # a visit just recorded carries the tickets it raised
            return visit.raised_tickets
        raised = self.context.get("tickets")
        if raised is None:
            raised = selectors.tickets_raised_on([visit.pk])
        return raised.get(visit.pk, [])


def target_label(visit: Visit) -> str:
    """What the target is called in lists and the ledger: personal names masked (SPEC §2)."""
    if visit.household is not None:
        return f"{visit.household.address}（{mask_name(visit.household.head_name)}）"
    if visit.enterprise is not None:
        return visit.enterprise.name
    return ""


# --- list, create, detail ------------------------------------------------------------------------------------------
class VisitCursorPage(CursorPage):
    ordering = ("-visited_at", "-id")  # type: ignore[assignment]  # a tuple: the id breaks ties


LIST_PARAMETERS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="this unit and its subtree"),
    OpenApiParameter("cadre", OpenApiTypes.INT, description="the cadre (user id) who logged the visit"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="first day, Asia/Shanghai, inclusive"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="last day, Asia/Shanghai, inclusive"),
    OpenApiParameter("geo_status", OpenApiTypes.STR, enum=GeoStatus.values),
]


def filtered_visits(request: Request) -> QuerySet[Visit]:
    """The caller's visits narrowed by the list filters (shared by the list, the map layer and the export)."""
    user: User = request.user  # type: ignore[assignment]
    params = request.query_params
    unit_path = unit_in_scope(user, params["unit"]).path if params.get("unit") else None
    geo_status = params.get("geo_status") or None
    if geo_status and geo_status not in GeoStatus.values:
        raise Invalid.field("geo_status", _("取值应为：%(v)s") % {"v": ", ".join(GeoStatus.values)})
    date_from, date_to = day_param(params, "date_from"), day_param(params, "date_to")
    if date_from and date_to and date_from > date_to:
        raise Invalid.field("date_to", _("结束日期不能早于开始日期。"))
    return selectors.filter_visits(
        selectors.visits_visible_to(user),
        unit_path=unit_path,
        cadre_id=int_param(params, "cadre"),
        date_from=date_from,
        date_to=date_to,
        geo_status=geo_status,
    )


class VisitListCreate(generics.ListCreateAPIView):
    """GET: visits in scope (a cadre: their own), newest first, cursor-paginated. POST: record a visit (SPEC §4)."""

    serializer_class = VisitSerializer
    pagination_class = VisitCursorPage

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.with_list_relations(filtered_visits(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        context = {**self.get_serializer_context(), "tickets": selectors.tickets_raised_on(v.pk for v in page)}
        return self.get_paginated_response(VisitSerializer(page, many=True, context=context).data)

    @extend_schema(parameters=LIST_PARAMETERS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=VisitInputSerializer,
        responses={
            201: VisitSerializer,
            200: OpenApiResponse(VisitSerializer, description="the same id and body again: the stored visit"),
            409: OpenApiResponse(description="the same id with a different body"),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body_hash = services.canonical_body_hash(request.data)
        payload = VisitInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        actor: User = request.user  # type: ignore[assignment]  # IsAuthenticated
        visit, created = services.visit_record(actor=actor, data=dict(payload.validated_data), body_hash=body_hash)
        if not created:
            visit = selectors.with_list_relations(Visit.objects.filter(pk=visit.pk)).get()
        data = VisitSerializer(visit, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class VisitDetail(generics.RetrieveAPIView):
    serializer_class = VisitSerializer

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.with_list_relations(selectors.visits_visible_to(self.request.user))  # type: ignore[arg-type]


# --- photos -------------------------------------------------------------------------------------------------------
class PhotoUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class VisitPhotoUpload(APIView):
    """POST multipart `file`: a photo of the visit. The same content again answers 200 with the stored photo."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=PhotoUploadSerializer, responses={201: PhotoSerializer, 200: PhotoSerializer})
    def post(self, request: Request, pk: Any) -> Response:
        visit = get_object_or_404(selectors.visits_visible_to(request.user), pk=pk)  # type: ignore[arg-type]
        upload = request.FILES.get("file")
        if upload is None:
            raise Invalid.field("file", _("请上传图片文件（字段名 file）。"))
        from visits.photos import MAX_UPLOAD_BYTES

        if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
            raise Invalid.field("file", _("图片不能超过 10 MB。"))
        photo, created = services.visit_photo_add(actor=request.user, visit=visit, content=upload.read())  # type: ignore[arg-type]
        return Response(PhotoSerializer(photo).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class VisitPhotoFile(APIView):
    """The photo itself (EXIF stripped), for whoever sees the visit; `?size=thumb` for the thumbnail."""

    @extend_schema(
        parameters=[OpenApiParameter("size", OpenApiTypes.STR, enum=["thumb"])],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: Any, photo_id: int) -> FileResponse:
        visits = selectors.visits_visible_to(request.user)  # type: ignore[arg-type]
        photo = get_object_or_404(VisitPhoto.objects.filter(visit__in=visits), pk=photo_id, visit_id=pk)
        relative = photo.thumbnail if request.query_params.get("size") == "thumb" else photo.file
        path = os.path.join(settings.MEDIA_ROOT, relative)
        if not os.path.exists(path):
            raise Invalid.field("file", _("照片文件缺失。"))
        response = FileResponse(open(path, "rb"), content_type="image/jpeg")  # noqa: SIM115 (FileResponse closes it)
        response["Cache-Control"] = "private, max-age=86400"
        return response


# --- map layer ------------------------------------------------------------------------------------------------------
class GeoVisits(APIView):
    """GeoJSON FeatureCollection of visits in a bbox (newest first, at most 5000), with the list's filters."""

    @extend_schema(
        parameters=[
            OpenApiParameter("bbox", OpenApiTypes.STR, required=True, description="minLng,minLat,maxLng,maxLat"),
            *LIST_PARAMETERS,
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        min_lng, min_lat, max_lng, max_lat = bbox_param(request.query_params)
        rows = (
            filtered_visits(request)
            .filter(lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng)
            .order_by("-visited_at", "-id")
            .values("id", "lat", "lng", "geo_status", "visited_at", "unit_id", "unit__name")[
                : selectors.MAX_GEO_FEATURES
            ]
        )
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
                "properties": {
                    "id": str(row["id"]),
                    "geo_status": row["geo_status"],
                    "visited_at": row["visited_at"].isoformat(),
                    "unit": {"id": row["unit_id"], "name": row["unit__name"]},
                },
            }
            for row in rows
        ]
        return Response(
            {
                "type": "FeatureCollection",
                "features": features,
                "truncated": len(features) >= selectors.MAX_GEO_FEATURES,
            }
        )


# --- export -------------------------------------------------------------------------------------------------------
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
