"""GET /api/v1/stats/cadres/ (issue 16 item 3, SPEC §7): the activity of each cadre of a unit's subtree over a period,
computed by dashboard.cadres. Unit, period and campaign are read as the other statistics views read them
(dashboard.api.stats_query: out of scope → 404, a bad parameter → 400 naming it).

Who reads it: leaders, dispatchers and admins every cadre of their scope; a cadre their own row alone (a list of one,
in the same shape: the phone page can show "my activity" from it); any other role 403 — after a `unit` out of their
scope has answered 404 (SPEC §1's order).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from campaign.errors import Invalid, NotAllowed
from campaign.models import Role, User
from campaign.pagination import NumberPage
from campaign.params import int_param, read_bool, read_int
from campaign.replica import reads_from_replica
from campaign.scope import unit_in_scope, user_of
from dashboard.api import MAX_DAILY_DAYS, PERIOD_PARAMS, stats_query
from dashboard.cadres import DEFAULT_ORDERING, INACTIVE_DAYS_RANGE, ORDERINGS, CadreQuery, activity, rows_of

READER_ROLES = {Role.LEADER, Role.DISPATCHER, Role.ADMIN}
MAX_PERIOD_DAYS = MAX_DAILY_DAYS  # a longer period reads more months of visits than a question about people needs


class CadreActivitySerializer(serializers.Serializer):
    """One cadre's row (the OpenAPI schema's CadreActivity; dashboard.cadres.row_of writes it)."""

    cadre = inline_serializer("CadreRef", {"id": serializers.IntegerField(), "name": serializers.CharField()})
    unit = inline_serializer(
        "CadreUnit", {"id": serializers.IntegerField(), "name": serializers.CharField()}, allow_null=True
    )
    visits = serializers.IntegerField(help_text="visits with visited_at in the period")
    targets = serializers.IntegerField(help_text="distinct households + distinct enterprises visited in the period")
    tickets_raised = serializers.IntegerField(help_text="tickets the cadre registered (created_by) in the period")
    days_active = serializers.IntegerField(help_text="distinct Asia/Shanghai days of the period with a visit")
    last_visit = serializers.DateTimeField(allow_null=True, help_text="the last visit IN THE PERIOD (null: none)")
    inactive = serializers.BooleanField(
        help_text="no visit on any of the `inactive_days` days ending on the period's last day (or today if earlier)"
    )
    assignment_coverage = serializers.FloatField(
        allow_null=True, help_text="assigned households/enterprises visited ÷ assigned (包户); null: not yet computed"
    )


class CadrePage(NumberPage):
    """NumberPage whose malformed `page` is a 400 naming it (a page past the end stays DRF's 404)."""

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        raw = request.query_params.get(self.page_query_param)
        if raw and raw != "last":
            try:
                number = read_int(raw)
            except ValueError as exc:
                raise Invalid.field(self.page_query_param, str(exc)) from None
            if number < 1:
                raise Invalid.field(self.page_query_param, _("应为正整数。"))
        return super().paginate_queryset(queryset, request, view)


def own_row_only(request: Request) -> int | None:
    """None: the caller reads every cadre of the scope; a user id: a cadre reading their own row. Other roles: 403,
    once a `unit` out of their scope has answered 404 (SPEC §1)."""
    user: User = user_of(request)
    if user.is_superuser or user.role in READER_ROLES:
        return None
    if user.role == Role.CADRE:
        return int(user.pk)
    if request.query_params.get("unit"):
        unit_in_scope(user, request.query_params["unit"])
    raise NotAllowed(_("只有领导、指挥中心和管理员可以查看干部走访活跃度。"))


def _inactive_days(request: Request) -> int:
    """`inactive_days` (1..366), else settings.CADRE_INACTIVE_DAYS."""
    value = int_param(request.query_params, "inactive_days")
    if value is None:
        return int(settings.CADRE_INACTIVE_DAYS)
    low, high = INACTIVE_DAYS_RANGE
    if not low <= value <= high:
        raise Invalid.field("inactive_days", _("应在 %(low)d 到 %(high)d 之间。") % {"low": low, "high": high})
    return value


def _inactive(request: Request) -> bool | None:
    raw = request.query_params.get("inactive")
    if not raw:
        return None
    try:
        return read_bool(raw)
    except ValueError as exc:
        raise Invalid.field("inactive", str(exc)) from None


def cadre_query(request: Request) -> tuple[CadreQuery, str]:
    """The request's question and its ordering; 404 → 403 → 400 in SPEC §1's order."""
    only = own_row_only(request)
    stats = stats_query(request)
    if (stats.date_to - stats.date_from).days + 1 > MAX_PERIOD_DAYS:
        raise Invalid.field("date_from", _("干部活跃度最多统计 %(n)d 天。") % {"n": MAX_PERIOD_DAYS})
    ordering = request.query_params.get("ordering") or DEFAULT_ORDERING
    if ordering not in ORDERINGS:
        raise Invalid.field("ordering", _("可选：") + ", ".join(ORDERINGS))
    query = CadreQuery(
        unit=stats.unit,
        date_from=stats.date_from,
        date_to=stats.date_to,
        inactive_days=_inactive_days(request),
        campaign_id=stats.campaign_id,
        only=only,
        inactive=_inactive(request),
    )
    return query, ordering


@extend_schema(
    parameters=[
        *PERIOD_PARAMS,
        OpenApiParameter(
            "inactive_days",
            OpenApiTypes.INT,
            description="days without a visit that make a cadre inactive, 1..366 (default: 7, CADRE_INACTIVE_DAYS)",
        ),
        OpenApiParameter("inactive", OpenApiTypes.BOOL, description="only the inactive (true) or active (false)"),
        OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(ORDERINGS), description="default: -visits"),
    ]
)
@method_decorator(reads_from_replica, name="get")
class CadreActivityView(ListAPIView):
    """Per cadre of a unit (and its subtree) over a period (at most 400 days): visits, distinct targets, tickets
    raised, days active, last visit in the period, inactive flag, assignment coverage. Paginated (`page`,
    `page_size` up to 200), most visits first by default; a cadre gets their own row alone."""

    serializer_class = CadreActivitySerializer
    pagination_class = CadrePage
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[User]:
        query, ordering = cadre_query(self.request)
        return activity(query, ordering)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query, ordering = cadre_query(request)
        page = self.paginate_queryset(activity(query, ordering))
        rows = rows_of(list(page or []), query)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)
