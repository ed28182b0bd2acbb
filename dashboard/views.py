"""The leaders' dashboard page (SPEC §8): /dashboard/, its map layer of grids and its Excel export.

Every request resolves its unit through campaign.scope (out of scope → 404) and its period through
dashboard.page_data.period_of; the figures come from dashboard.selectors — the functions behind
/api/v1/stats/… — so the page and the API always agree, and every figure is read from the rollups.
No inline script or style: charts and the map are drawn by static/js/dashboard/dashboard.js from data- attributes
and the JSON endpoints (stats/daily, stats/hotspots, geo/visits, geo/tickets, grids.geojson).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from campaign.days import today
from campaign.errors import Invalid, OutOfScope
from campaign.exports import ledger_response
from campaign.models import OrgUnit, Role, User
from campaign.replica import reads_from_replica
from campaign.scope import sees_everything, unit_in_scope
from dashboard import page_data
from dashboard.api import MAX_DAILY_DAYS
from dashboard.ledgers import DASHBOARD
from dashboard.page_data import Period, figures_and_age, rankings_of
from issues.topics import may_promote

DASHBOARD_ROLES = {Role.LEADER, Role.DISPATCHER, Role.ADMIN}
WALL_REFRESH_SECONDS = 60
SHARED_PARAMS = ("unit", "period", "date_from", "date_to", "wall")  # what a shared link carries

# Names the charts and the map's layer switch show (static/js/dashboard/dashboard.js reads them from data-labels).
CHART_LABELS = {
    "visits": _("走访次数"), "issues_collected": _("收集诉求"), "resolved_on_site": _("现场解决"),
    "closure_rate": _("办结率"), "on_time_rate": _("按时办结率"), "response_rate": _("响应率"),
    "satisfaction_rate": _("满意率"), "axis_visits": _("走访"), "axis_issues": _("诉求"), "issues": _("诉求"),
    "grids": _("网格"), "heat": _("走访热力"), "tickets": _("在办工单"), "updated": _("更新于"),
    "axis_tickets": _("件"), "tickets_closed": _("已办结"), "open_in_time": _("在办未到期"), "open_late": _("在办已超期"),
    "hotspots": _("诉求热点"), "vs_previous": _("较上期"), "newest_tickets": _("最新工单"), "promote": _("设为专题"), "topic": _("专题"),
}  # fmt: skip
PERIOD_LABELS = {"today": _("今日"), "7d": _("近7天"), "30d": _("近30天"), "all": _("全周期")}


def may_see_dashboard(user: User) -> bool:
    return bool(user.is_superuser or user.role in DASHBOARD_ROLES)


def dashboard_unit(request: HttpRequest) -> OrgUnit | None:
    """The unit asked for (`?unit=`), else the caller's home unit; 404 out of scope, 403 for other roles."""
    user: User = request.user  # type: ignore[assignment]
    raw = request.GET.get("unit")
    unit: OrgUnit | None
    try:
        if raw:
            unit = unit_in_scope(user, raw)
        elif user.unit_id is not None:
            unit = user.unit
        elif sees_everything(user):
            unit = OrgUnit.objects.filter(depth=0).order_by("path").first()
        else:
            raise OutOfScope()
    except OutOfScope:
        raise Http404() from None
    if not may_see_dashboard(user):
        raise PermissionDenied()
    return unit


def _query(request: HttpRequest, **changes: Any) -> str:
    """The dashboard's own parameters (in a fixed order, so links are stable) with `changes` applied."""
    params = {k: request.GET.get(k) for k in SHARED_PARAMS}
    params.update({k: None if v in (None, "") else str(v) for k, v in changes.items()})
    return "?" + urlencode({k: v for k, v in params.items() if v})


def _period(request: HttpRequest, unit: OrgUnit | None) -> tuple[Period, str | None]:
    """The requested period, or — for a bad one — the default period and the message saying what was wrong."""
    try:
        return page_data.period_of(request.GET, unit), None
    except Invalid as exc:
        message = "; ".join(str(m) for messages in exc.payload().values() for m in messages)
        return page_data.period_of(QueryDict(), unit), message


def _crumbs(request: HttpRequest, user: User, unit: OrgUnit | None) -> list[OrgUnit]:
    """Breadcrumbs from the root to the unit; only the ancestors inside the caller's scope are links."""
    if unit is None:
        return []
    crumbs = list(unit.ancestors())
    home = user.unit.path if user.unit_id is not None else ""  # type: ignore[union-attr]
    for crumb in crumbs:
        crumb.linkable = crumb.path.startswith(home)  # type: ignore[attr-defined]
        crumb.url = _query(request, unit=crumb.pk)  # type: ignore[attr-defined]
    return crumbs


def chart_start(period: Period) -> dt.date:
    """The first day of the daily charts: the period's, at most MAX_DAILY_DAYS back."""
    return max(period.date_from, period.date_to - dt.timedelta(days=MAX_DAILY_DAYS - 1))


def wall_context(unit: OrgUnit | None, period: Period, user: User | None) -> dict[str, Any]:
    """What the dashboard shows of a unit over a period, the same for a leader's page and a display link's wall
    (dashboard.displays; `user` None: the link's unit alone scopes the overdue list)."""
    figures, updated_at = figures_and_age(unit, period)
    categories = page_data.categories(unit, period)
    return {
        "unit": unit,
        "period": period,
        "previous": period.previous(),
        "figures": figures,
        "updated_at": updated_at,
        "updated_today": timezone.localdate(updated_at) == timezone.localdate(),
        "rankings": rankings_of(unit, period),
        "categories": categories,
        "categories_json": json.dumps(categories, ensure_ascii=False),
        "overdue": page_data.overdue_and_supervised(user, unit),
        "topics": page_data.open_topics(user, unit),
        "refresh_seconds": WALL_REFRESH_SECONDS,
        "chart_labels": json.dumps({k: str(v) for k, v in CHART_LABELS.items()}, ensure_ascii=False),
    }


@login_required
@require_GET
@reads_from_replica
def dashboard_page(request: HttpRequest) -> HttpResponse:
    unit = dashboard_unit(request)
    period, period_error = _period(request, unit)
    user: User = request.user  # type: ignore[assignment]
    context = wall_context(unit, period, user)
    for row in context["rankings"]["children"]:
        row["url"] = _query(request, unit=row["unit"]["id"])
    chart_from = chart_start(period)
    unit_q = {"unit": unit.pk} if unit is not None else {}
    dates = {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat()}
    context |= {
        "crumbs": _crumbs(request, user, unit),
        "periods": [
            (key, label, _query(request, period=key, date_from=None, date_to=None))
            for key, label in PERIOD_LABELS.items()
        ],
        "wall": request.GET.get("wall") == "1",
        "wall_url": _query(request, wall=1),
        "normal_url": _query(request, wall=None),
        "export_url": "/dashboard/export.xlsx" + _query(request, wall=None),
        "daily_url": "/api/v1/stats/daily/?"
        + urlencode({**unit_q, "date_from": chart_from.isoformat(), "date_to": period.date_to.isoformat()}),
        "grids_url": "/dashboard/grids.geojson?" + urlencode({**unit_q, **dates}),
        "visits_url": "/api/v1/geo/visits/?" + urlencode({**unit_q, **dates}),
        "tickets_url": "/api/v1/geo/tickets/?" + urlencode(unit_q),
        # the hot spots of the period (its last MAX_DAILY_DAYS days, the API's bound), drawn on the map and listed
        "hotspots_url": "/api/v1/stats/hotspots/?"
        + urlencode({**unit_q, "date_from": chart_from.isoformat(), "date_to": period.date_to.isoformat()}),
        # a leader promotes a hot spot to a monthly topic (issues.topic_views.topic_new, pre-filled from the spot)
        "promote_url": "/tickets/topics/new/?" + urlencode(unit_q) if may_promote(user) else "",
        "drill_base": _query(request, unit=None),
        "period_error": period_error,
        # cadre activity over the period (its last MAX_DAILY_DAYS days, stats/cadres/' bound) and the campaign's
        # coverage target (issue 16 item 3): the leader's page only, never a display link's wall (names of people)
        "cadres": page_data.cadre_panel(unit, chart_from, period.date_to),
        "cadres_url": "/api/v1/stats/cadres/?"
        + urlencode({**unit_q, "date_from": chart_from.isoformat(), "date_to": period.date_to.isoformat()}),
        "coverage_target": page_data.coverage_target(unit, period.date_to),
        # must-visit households (四门必敲, issue 16 item 2): coverage per child unit and the longest overdue, as of today
        "must_visit": page_data.must_visit_panel(unit, today()),
        # read and done rates of the messages and tasks sent to cadres since the period's first day (issue 16 item 7)
        "message_rates": page_data.message_panel(unit, period.date_from),
    }
    # A bad period still shows the dashboard (of the default period), saying what was wrong, with a 400.
    return render(request, "dashboard/index.html", context, status=400 if period_error else 200)


@login_required
@require_GET
@reads_from_replica
def grids_geojson(request: HttpRequest) -> HttpResponse:
    """The grid boundaries of the unit's subtree (bounded) with their visits in the page's period, for the dashboard
    map; clicking one drills down. A bad period answers 400, like the page."""
    unit = dashboard_unit(request)
    period, period_error = _period(request, unit)
    if period_error:
        return JsonResponse({"detail": period_error}, status=400)
    return HttpResponse(page_data.grids_geojson(unit, period), content_type="application/json")


@login_required
@require_GET
@reads_from_replica
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    """The period's figures and the ranking as .xlsx (dashboard.ledgers: the same selectors as the page)."""
    unit = dashboard_unit(request)
    period, period_error = _period(request, unit)
    if period_error:
        return HttpResponse(period_error, status=400, content_type="text/plain; charset=utf-8")
    params = {"unit": unit.pk if unit else "", "period": period.key}
    if period.key == "custom":
        params.update(date_from=period.date_from.isoformat(), date_to=period.date_to.isoformat())
    name = f"dashboard-{unit.pk if unit else 'all'}-{period.date_from}-{period.date_to}.xlsx"
    user: User = request.user  # type: ignore[assignment]
    return ledger_response(owner=user, ledger=DASHBOARD, params=params, filename=name)
