"""GET /api/v1/stats/hotspots/ (issue 15 item 5): clusters of tickets of one category in one ~500 m cell, computed
by dashboard.hotspots. Unit, period and campaign are read as the other statistics views read them
(dashboard.api.stats_query: out of scope → 404, a bad parameter → 400 naming it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.errors import Invalid
from campaign.models import OrgUnit
from campaign.params import int_param
from campaign.replica import reads_from_replica
from dashboard.api import PERIOD_PARAMS, stats_query
from dashboard.hotspots import CELL_M, MAX_PERIOD_DAYS, hotspots, with_topics
from dashboard.periods import cached_hotspots

MIN_COUNT_RANGE = (2, 1000)

HOTSPOT_FIELDS: dict[str, serializers.Field] = {
    "category": serializers.CharField(),
    "code": serializers.CharField(allow_null=True, help_text="the category's code (campaign.Category), or null"),
    "centre": inline_serializer(
        "HotspotCentre",
        {"lat": serializers.FloatField(), "lng": serializers.FloatField()},
        help_text="mean of the period's tickets' points, WGS-84",
    ),
    "count": serializers.IntegerField(help_text="tickets of the category in the cell created in the period"),
    "previous": serializers.IntegerField(help_text="the same in the previous period of equal length"),
    "growth": serializers.IntegerField(help_text="count − previous"),
    "ticket_ids": serializers.ListField(child=serializers.IntegerField(), help_text="newest first, at most 200"),
    "cell": serializers.CharField(help_text='"category|x|y": the same key in every period'),
    "topic": serializers.IntegerField(allow_null=True, help_text="the monthly topic (专题) its tickets are linked to"),
}
HOTSPOTS_SCHEMA = inline_serializer(
    "StatsHotspots",
    {
        "date_from": serializers.DateField(),
        "date_to": serializers.DateField(),
        "min_count": serializers.IntegerField(),
        "cell_m": serializers.IntegerField(help_text="the cells' size in metres"),
        "hotspots": inline_serializer("Hotspot", HOTSPOT_FIELDS, many=True),
    },
)


def min_count_of(request: Request) -> int:
    """`min_count` (2..1000), else settings.HOTSPOT_MIN_TICKETS."""
    value = int_param(request.query_params, "min_count")
    if value is None:
        return int(settings.HOTSPOT_MIN_TICKETS)
    low, high = MIN_COUNT_RANGE
    if not low <= value <= high:
        raise Invalid.field("min_count", f"应在 {low} 到 {high} 之间。")
    return value


def period_hotspots(
    unit: OrgUnit | None, campaign_id: int | None, date_from: dt.date, date_to: dt.date, min_count: int
) -> list[dict[str, Any]]:
    """The hot spots of a usual period (every campaign together, the default threshold) from the unit's cache row
    while it is young enough (dashboard.periods: the one statistics path's cache), their topics read now; any other
    computed (dashboard.hotspots, three queries)."""
    if not campaign_id and min_count == settings.HOTSPOT_MIN_TICKETS:
        kept = cached_hotspots(unit, date_from, date_to)
        if kept is not None:
            return with_topics(kept)
    return hotspots(unit, campaign_id, date_from, date_to, min_count)


class HotspotsView(APIView):
    """Hot spots of a unit (and its subtree) over a period: tickets of one category in one ~500 m cell
    (cell = floor(lat / 0.0045), floor(lng / 0.0055)), at least `min_count` of them, not cancelled and not
    suggestions; ranked by count, then growth over the previous period of equal length; at most 100."""

    @extend_schema(
        parameters=[
            *PERIOD_PARAMS,
            OpenApiParameter(
                "min_count", OpenApiTypes.INT, description="tickets a hot spot needs, 2..1000 (default: 5, a setting)"
            ),
        ],
        responses=HOTSPOTS_SCHEMA,
    )
    @method_decorator(reads_from_replica)
    def get(self, request: Request) -> Response:
        query = stats_query(request)
        if (query.date_to - query.date_from).days + 1 > MAX_PERIOD_DAYS:
            raise Invalid.field("date_from", f"热点最多统计 {MAX_PERIOD_DAYS} 天。")
        min_count = min_count_of(request)
        rows = period_hotspots(query.unit, query.campaign_id, query.date_from, query.date_to, min_count)
        return Response(
            {
                "date_from": query.date_from,
                "date_to": query.date_to,
                "min_count": min_count,
                "cell_m": CELL_M,
                "hotspots": rows,
            }
        )
