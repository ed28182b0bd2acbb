"""Assignments API (包户/包企/挂点, issue 16 item 1), scope first like every read:

- GET /assignments/ (filters `user`, `unit`, `target_type`, `batch`; id cursor), POST /assignments/ (one);
- POST /assignments/bulk/ (`unit`: every door of a grid; or `tag`: every household so tagged), idempotent;
- DELETE /assignments/{id}/;
- GET /assignments/coverage/?by=user|batch&unit&date_from&date_to (visits.assignments.assignment_coverage).

Writes are campaign.assignments' services; out of scope is 404, a role that does not assign 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign import assignments as services
from campaign.days import today
from campaign.errors import Invalid
from campaign.fields import CleanCharField
from campaign.models import Assignment, AssignmentTarget, User
from campaign.pagination import IdCursorPage
from campaign.params import day_param, int_param
from campaign.scope import in_subtree, unit_in_scope, user_of
from campaign.selectors import campaign_of
from campaign.validators import mask_name
from visits.assignments import GROUPS, assignment_coverage, assignments_of

COVERAGE_DAYS = 30  # the default period without a campaign: the last 30 days


class AssignmentSerializer(serializers.ModelSerializer):
    # Plain text in the schema: the visits' `target_type` enum (household, enterprise) keeps its name there.
    target_type = serializers.CharField(read_only=True, help_text="household, enterprise or project")
    target_id = serializers.IntegerField(read_only=True)
    target_name = serializers.SerializerMethodField()
    user_name = serializers.CharField(source="user.__str__", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "user", "user_name", "target_type", "target_id", "target_name", "unit", "batch", "created_at"]
        read_only_fields = fields

    def get_target_name(self, obj: Assignment) -> str:
        """A household's head masked (SPEC §2); an enterprise's or a project's name."""
        if obj.household is not None:
            return f"{obj.household.address}（{mask_name(obj.household.head_name)}）"
        target = obj.enterprise or obj.project
        return target.name if target is not None else ""


class AssignmentInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1)
    # Checked by the service (400 naming it); plain text in the schema, as in AssignmentSerializer.
    target_type = CleanCharField(max_length=10, help_text="household, enterprise or project")
    target_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    batch = CleanCharField(max_length=services.BATCH_MAX, required=False, allow_blank=True, default="")


class BulkInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1)
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    tag = CleanCharField(max_length=services.TAG_MAX, required=False)
    target_types = serializers.ListField(
        child=serializers.ChoiceField(choices=["household", "enterprise"]), required=False, max_length=2
    )
    batch = CleanCharField(max_length=services.BATCH_MAX, required=False, allow_blank=True, default="")


class BulkResultSerializer(serializers.Serializer):
    batch = serializers.CharField()
    created = serializers.IntegerField()
    existing = serializers.IntegerField()


class AssignmentListCreate(generics.ListAPIView):
    """GET: assignments in scope (their target's unit, or one's own), oldest first. POST: assign one target."""

    serializer_class = AssignmentSerializer
    pagination_class = IdCursorPage

    @extend_schema(
        parameters=[
            OpenApiParameter("user", OpenApiTypes.INT),
            OpenApiParameter("unit", OpenApiTypes.INT, description="the unit and its subtree"),
            OpenApiParameter("target_type", OpenApiTypes.STR, enum=AssignmentTarget.values),
            OpenApiParameter("batch", OpenApiTypes.STR, description="an assignment list, exactly"),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Assignment]:
        viewer = user_of(self.request)
        qs = assignments_of(viewer)
        params = self.request.query_params
        if (user_id := int_param(params, "user")) is not None:
            qs = qs.filter(user_id=user_id)
        if (unit_id := int_param(params, "unit")) is not None:
            qs = in_subtree(qs, unit_in_scope(viewer, unit_id))
        if target_type := params.get("target_type"):
            if target_type not in AssignmentTarget.values:
                raise Invalid.field("target_type", _("对象类型应为 household、enterprise 或 project。"))
            qs = qs.filter(target_type=target_type)
        if "batch" in params:
            qs = qs.filter(batch=params["batch"])
        return qs

    @extend_schema(
        request=AssignmentInputSerializer,
        responses={201: AssignmentSerializer, 200: OpenApiResponse(AssignmentSerializer, description="already so")},
    )
    def post(self, request: Request) -> Response:
        given = AssignmentInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        assignment, created = services.assignment_create(
            actor=user_of(request),
            user_id=data["user"],
            target_type=data["target_type"],
            target_id=data["target_id"],
            batch=data["batch"],
        )
        row = assignments_of(user_of(request)).get(pk=assignment.pk)
        return Response(
            AssignmentSerializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class AssignmentBulk(APIView):
    """POST {user, unit[, target_types]} (every door of a unit) or {user, tag[, unit]} (every household so tagged):
    one transaction; the pairs already there are left alone, so a second run creates nothing."""

    @extend_schema(request=BulkInputSerializer, responses={200: BulkResultSerializer})
    def post(self, request: Request) -> Response:
        given = BulkInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data, actor = given.validated_data, user_of(request)
        if data.get("tag"):
            result = services.assignments_bulk_by_tag(
                actor=actor, user_id=data["user"], tag=data["tag"], unit_id=data.get("unit"), batch=data["batch"]
            )
        elif data.get("unit"):
            types = data.get("target_types") or ["household", "enterprise"]
            result = services.assignments_bulk_by_unit(
                actor=actor, user_id=data["user"], unit_id=data["unit"], target_types=types, batch=data["batch"]
            )
        else:
            raise Invalid.field("unit", _("请指定单位（按网格分配）或标签（按标签分配）。"))
        return Response(BulkResultSerializer(result).data)


class AssignmentDetail(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.assignment_delete(actor=user_of(request), assignment_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


def coverage_period(user: User, params: Any) -> tuple[dt.date, dt.date]:
    """`date_from`..`date_to`; by default the running campaign of the user's unit (its start to today), else the
    last COVERAGE_DAYS days."""
    campaign = campaign_of(user.unit)
    default_from = campaign.start_date if campaign else today() - dt.timedelta(days=COVERAGE_DAYS - 1)
    date_from, date_to = day_param(params, "date_from", default_from), day_param(params, "date_to", today())
    if date_from > date_to:
        raise Invalid.field("date_from", _("开始日期不能晚于结束日期。"))
    return date_from, date_to


class AssignmentCoverage(APIView):
    """Per assignee (`by=user`) or per assignment list (`by=batch`): assigned households and enterprises, how many
    the assignee visited in the period, the fraction (null when none is assigned), and key projects apart."""

    @extend_schema(
        parameters=[
            OpenApiParameter("by", OpenApiTypes.STR, enum=sorted(GROUPS)),
            OpenApiParameter("unit", OpenApiTypes.INT),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        viewer = cast(User, request.user)
        by = request.query_params.get("by") or "user"
        if by not in GROUPS:
            raise Invalid.field("by", _("应为 user 或 batch。"))
        unit_id = int_param(request.query_params, "unit")
        unit = unit_in_scope(viewer, unit_id) if unit_id is not None else None
        date_from, date_to = coverage_period(viewer, request.query_params)
        rows = assignment_coverage(viewer, date_from=date_from, date_to=date_to, unit=unit, by=by)
        return Response({"date_from": date_from, "date_to": date_to, "by": by, "results": rows})
