"""Monthly topics API (每月一题 / 专题, issue 15 item 5): the topics in my scope, one with its progress, milestones and
tickets, the promote (POST: issues.topics.topic_create, the page's service), a milestone done and the close (the
pages' services too). Scope first: topics_visible_to (out of scope: 404), then who (403), then state (409)."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.errors import OutOfScope
from campaign.fields import CleanCharField, FiniteFloatField
from campaign.models import User
from campaign.pagination import NumberPage
from issues.models import Topic, TopicMilestone
from issues.selectors import tickets_visible_to
from issues.topic_report import month_param
from issues.topics import (
    MILESTONES_MAX,
    TICKETS_MAX,
    milestone_done,
    progress,
    topic_close,
    topic_create,
    topic_detail,
    topics_visible_to,
    with_progress,
)

TICKET_IDS_SHOWN = 1000  # a topic's newest ticket ids the detail lists (its figures count them all)
_MONTH = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")

RATE_HELP = "0..1; null when there is nothing to count"


class TopicProgressSerializer(serializers.Serializer):
    """issues.topics.progress's figures."""

    milestones_done = serializers.IntegerField()
    milestones_total = serializers.IntegerField()
    progress_rate = serializers.FloatField(allow_null=True, help_text=RATE_HELP)
    tickets_total = serializers.IntegerField(help_text="linked tickets, not cancelled")
    tickets_closed = serializers.IntegerField(help_text="resolved or closed")
    tickets_open = serializers.IntegerField()
    tickets_overdue = serializers.IntegerField(help_text="open and past due_at now")
    closure_rate = serializers.FloatField(allow_null=True, help_text=RATE_HELP)


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = TopicMilestone
        fields = ["id", "title", "due", "position", "done_at", "done_by"]


class TopicSerializer(serializers.ModelSerializer):
    area_name = serializers.CharField(source="area.name", read_only=True)
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True)
    progress = TopicProgressSerializer(read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "title", "category", "district", "area", "area_name", "lat", "lng", "radius_m", "lead_unit",
                  "lead_unit_name", "deadline", "month", "status", "description", "created_by", "created_at",
                  "closed_at", "progress"]  # fmt: skip


class TopicDetailSerializer(TopicSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)
    ticket_ids = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=f"the linked tickets you may see, newest first, at most {TICKET_IDS_SHOWN}",
    )

    class Meta(TopicSerializer.Meta):
        fields = [*TopicSerializer.Meta.fields, "milestones", "ticket_ids"]


class MilestoneInput(serializers.Serializer):
    title = CleanCharField(max_length=100)
    due = serializers.DateField(required=False, allow_null=True, default=None)


class TopicInput(serializers.Serializer):
    """The promote: shapes here; scope, role and the rules (category, radius, dates, tickets) are topic_create's."""

    title = CleanCharField(max_length=100)
    category = CleanCharField(max_length=50, help_text="a category's name, as tickets carry it")
    area = serializers.IntegerField(help_text="the unit the topic belongs to (its scope); in your scope")
    lat = FiniteFloatField(help_text="the centre, WGS-84")
    lng = FiniteFloatField(help_text="the centre, WGS-84")
    radius_m = serializers.IntegerField(required=False, default=500, help_text="50..5000 m from the centre")
    lead_unit = serializers.IntegerField(help_text="in your scope and in the area's district")
    deadline = serializers.DateField()
    month = serializers.CharField(help_text="YYYY-MM (or any day of it): the month it is the topic of")
    description = CleanCharField(required=False, allow_blank=True, default="", max_length=2000)
    milestones = serializers.ListField(child=MilestoneInput(), required=False, default=list, max_length=MILESTONES_MAX)
    ticket_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=TICKETS_MAX
    )

    def validate_month(self, value: str) -> Any:
        if not _MONTH.match(value):
            raise serializers.ValidationError(_("月份格式应为 YYYY-MM。"))
        return month_param(value[:7])


class TopicList(generics.ListCreateAPIView):
    """The topics in my scope (their area, or their lead unit, in it), newest month first, with their progress;
    `month=YYYY-MM` keeps one month."""

    serializer_class = TopicSerializer
    pagination_class = NumberPage
    queryset = Topic.objects.none()  # for the schema; requests read get_queryset

    def get_queryset(self) -> QuerySet[Topic]:
        topics = topics_visible_to(self.request.user)  # type: ignore[arg-type]
        month = self.request.query_params.get("month")
        return topics.filter(month=month_param(month)) if month else topics

    @extend_schema(parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        return self.get_paginated_response(TopicSerializer(with_progress(list(page)), many=True).data)

    @extend_schema(request=TopicInput, responses={201: TopicDetailSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = TopicInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["milestones"] = [(m["title"], m["due"]) for m in data["milestones"]]
        user: User = request.user  # type: ignore[assignment]
        topic = topic_create(actor=user, **data)
        return Response(_detail(user, topic.pk), status=201)


def _detail(user: User, pk: Any) -> dict[str, Any]:
    topic = topic_detail(user, pk)
    topic.progress = progress(topic)  # type: ignore[attr-defined]
    ids = tickets_visible_to(user).filter(topic=topic).order_by("-created_at", "-id").values_list("pk", flat=True)
    topic.ticket_ids = list(ids[:TICKET_IDS_SHOWN])  # type: ignore[attr-defined]
    return TopicDetailSerializer(topic).data


class TopicDetail(APIView):
    @extend_schema(responses=TopicDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(request.user, pk))  # type: ignore[arg-type]


class TopicClose(APIView):
    """End the topic (已完成): leaders whose scope holds its area, admins; later tickets no longer attach (409 if it
    has ended already)."""

    @extend_schema(request=None, responses=TopicDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        topic_close(actor=user, topic=topic_detail(user, pk))
        return Response(_detail(user, pk))


class TopicMilestoneDone(APIView):
    """Mark one of the topic's milestones done: the lead unit's handlers, the leaders who see the topic, admins (409
    the second time)."""

    @extend_schema(request=None, responses=TopicDetailSerializer)
    def post(self, request: Request, pk: int, milestone: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        topic = topic_detail(user, pk)
        row = next((m for m in topic.milestones.all() if m.pk == milestone), None)
        if row is None:
            raise OutOfScope()
        milestone_done(actor=user, milestone=row)
        return Response(_detail(user, pk))
