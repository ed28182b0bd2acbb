"""Statistics API (SPEC §6/§7): stats/summary/, stats/daily/, stats/ranking/ — answered from the rollups.

Each view parses its query parameters into a StatsQuery whose unit went through campaign.scope first: a unit out
of scope answers 404, a bad parameter 400 naming it; the default unit is the caller's home unit.
"""

from __future__ import annotations

import datetime as dt

from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.days import today
from campaign.errors import Invalid, OutOfScope
from campaign.models import Campaign, UnitKind
from campaign.params import day_param, int_param
from campaign.replica import reads_from_replica
from campaign.scope import sees_everything, unit_in_scope, user_of
from dashboard import selectors
from dashboard.selectors import StatsQuery

DEFAULT_PERIOD_DAYS = 30
MAX_DAILY_DAYS = 400  # a daily series longer than a campaign year is a mistake, not a chart

PERIOD_PARAMS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="this unit and its subtree (default: your home unit)"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="first day, Asia/Shanghai (default: 29 days ago)"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="last day, inclusive (default: today)"),
    OpenApiParameter("campaign", OpenApiTypes.INT),
]

# The figures of SPEC §6 as the schema states them: counts, and rates (fractions 0..1, null without a denominator).
COUNTS = (
    "visits", "households_visited", "enterprises_visited", "people_covered", "issues_collected", "suggestions",
    "resolved_on_site", "direct", "forwarded", "resolved_or_closed", "not_cancelled", "open_in_time",
)  # fmt: skip
RATES = (
    "coverage", "closure_rate", "on_time_rate", "response_rate", "satisfaction_rate", "recurrence_rate",
    "acceptance_rate",
)  # fmt: skip
HELP = {
    "direct": "直办: tickets of the period answered at intake by a dispatcher (answer_directly), never dispatched",
    "forwarded": "转办: tickets of the period dispatched at least once",
    "resolved_or_closed": "tickets of the period now resolved or closed (closure_rate's numerator)",
    "not_cancelled": "tickets of the period not cancelled (closure_rate's denominator)",
    "open_in_time": "tickets of the period still open and not yet past due_at now (no due_at yet counts as in time)",
    "overdue": "open tickets past due_at now (summary, today's row) or at the end of the day (nightly snapshot)",
    "recurrence_rate": "issues of the period flagged 重复诉求 (repeating one resolved within 90 days) ÷ issues_collected",
    "acceptance_rate": "dispatches that kept the router's suggested category ÷ dispatches with a suggestion",
}


def _figure_fields(*, overdue_null: bool) -> dict[str, serializers.Field]:
    fields: dict[str, serializers.Field] = {
        name: serializers.IntegerField(help_text=HELP.get(name, "")) for name in COUNTS
    }
    fields |= {name: serializers.FloatField(allow_null=True, help_text=HELP.get(name, "")) for name in RATES}
    fields["overdue"] = serializers.IntegerField(allow_null=overdue_null, help_text=HELP["overdue"])
    return fields


SUMMARY_SCHEMA = inline_serializer(
    "StatsSummary",
    {
        **_figure_fields(overdue_null=False),
        "help": serializers.DictField(
            child=serializers.FloatField(),
            help_text="帮扶成效: {count key (Campaign.help_counts): amount} recorded by the resolutions of the period's "
            'tickets now resolved or closed, e.g. {"employed": 79, "projects": 57, "money": 150}; a key no '
            "ticket of the period recorded is absent",
        ),
        "updated_at": serializers.DateTimeField(),
    },
)
DAILY_SCHEMA = inline_serializer(
    "StatsDaily",
    {
        "results": inline_serializer(
            "StatsDay",
            {
                "date": serializers.DateField(),
                **_figure_fields(overdue_null=True),
                "help": serializers.DictField(
                    child=serializers.FloatField(), help_text="帮扶成效 of the day's tickets, as stats/summary's `help`"
                ),
            },
            many=True,
        )
    },
)


def stats_query(request: Request, *, unit_param: str = "unit", max_days: int | None = None) -> StatsQuery:
    user, params = user_of(request), request.query_params
    if params.get(unit_param):
        unit = unit_in_scope(user, int_param(params, unit_param))
    elif user.unit_id is not None:
        unit = unit_in_scope(user, user.unit_id)
    elif sees_everything(user):
        unit = None
    else:
        raise OutOfScope()
    date_to = day_param(params, "date_to", today())
    date_from = day_param(params, "date_from", date_to - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if date_from > date_to:
        raise Invalid.field("date_from", "开始日期不能晚于结束日期。")
    if max_days is not None and (date_to - date_from).days + 1 > max_days:
        raise Invalid.field("date_to", f"按日统计最多 {max_days} 天。")
    campaign = None
    campaign_id = int_param(params, "campaign")
    if campaign_id is not None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise Invalid.field("campaign", "活动不存在。")
    return StatsQuery(unit=unit, date_from=date_from, date_to=date_to, campaign=campaign)


class SummaryView(APIView):
    """Headline figures of SPEC §6 for a unit (and its subtree) over a period."""

    @extend_schema(parameters=PERIOD_PARAMS, responses=SUMMARY_SCHEMA)
    @method_decorator(reads_from_replica)
    def get(self, request: Request) -> Response:
        return Response(selectors.stats_summary(stats_query(request)))


class DailyView(APIView):
    """The same figures per day (`date` + figures); overdue as at the end of each day (nightly snapshot, today: now,
    a future day: null); open_in_time: the day's tickets still open and not past due now."""

    @extend_schema(parameters=PERIOD_PARAMS, responses=DAILY_SCHEMA)
    @method_decorator(reads_from_replica)
    def get(self, request: Request) -> Response:
        rows = selectors.stats_daily(stats_query(request, max_days=MAX_DAILY_DAYS))
        return Response({"results": rows})


class RankingView(APIView):
    """Units of one level under `parent`, ranked by score (weights in dashboard.selectors.RANKING_WEIGHTS)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, enum=[k.value for k in selectors.RANKABLE_LEVELS]),
            OpenApiParameter("parent", OpenApiTypes.INT, description="rank the units under it (default: home unit)"),
            *PERIOD_PARAMS[1:],
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @method_decorator(reads_from_replica)
    def get(self, request: Request) -> Response:
        query = stats_query(request, unit_param="parent")
        level = request.query_params.get("level") or UnitKind.STREET
        if level not in selectors.RANKABLE_LEVELS:
            raise Invalid.field("level", "可选：" + ", ".join(k.value for k in selectors.RANKABLE_LEVELS))
        return Response({"weights": selectors.RANKING_WEIGHTS, "results": selectors.stats_ranking(query, level=level)})
