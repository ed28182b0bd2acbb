"""Reads behind the leaders' dashboard page (/dashboard/) and its workbook (dashboard/ledgers.py).

The headline figures and the ranking come from dashboard.selectors (the same functions as /api/v1/stats/…, so
page, workbook and API agree); figures_of and rankings_of set them out as the page shows them. Here also live
the period a page asks for, the category breakdown (one GROUP BY over the rollups), the overdue / supervised list
(20 rows) and the grid boundaries of a subtree for the map. Each is one bounded query whatever the data size.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Min, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaign.days import today
from campaign.errors import Invalid
from campaign.models import OrgUnit, UnitKind, User
from campaign.models.campaigns import validate_targets
from campaign.params import day_param
from campaign.scope import among_subtree
from campaign.selectors import campaign_of
from dashboard import cadres, help_given, periods, selectors
from dashboard.figures import category_sums
from dashboard.models import DailyRollup
from dashboard.selectors import StatsQuery
from issues.messages import message_rates
from issues.models import OPEN_STATUSES, Ticket, Topic, TopicStatus
from issues.placement import placed_in
from issues.selectors import overdue_q, tickets_for_list, with_priority
from issues.topics import topics_visible_to, with_progress
from visits.must_visit import governance, must_visit_coverage, overdue_must_visits

# (name in stats/summary, label, kind, definition — the card's tooltip). "count" figures compare in per cent, "rate"
# figures in percentage points; "open" and "now" depend on the moment they are read (SPEC §6).
FIGURES: tuple[tuple[str, Any, str, Any], ...] = (
    ("visits", _("走访次数"), "count", _("统计期间内的走访次数（按走访时间）。")),
    ("households_visited", _("走访住户"), "count", _("统计期间内走访过的住户数，一户多次走访只算一户。")),
    ("enterprises_visited", _("走访企业"), "count", _("统计期间内走访过的企业数，一家多次走访只算一家。")),
    ("people_covered", _("覆盖群众"), "count", _("统计期间内走访过的住户的家庭人口之和，每户只算一次。")),
    ("coverage", _("走访覆盖率"), "rate", _("活动开始以来走访过的住户 ÷ 登记的住户（截至期末）。")),
    ("issues_collected", _("收集诉求"), "count", _("统计期间内登记的诉求工单（不含意见建议）。")),
    ("resolved_on_site", _("现场解决"), "count", _("统计期间内登记、在现场就解决的工单。")),
    ("direct", _("直办"), "count", _("统计期间内登记、由指挥中心在受理时直接答复（政策解释、咨询答复）的工单。")),
    ("forwarded", _("转办"), "count", _("统计期间内登记、至少派单一次的工单。")),
    ("suggestions", _("意见建议"), "count", _("统计期间内登记的意见建议，与诉求分开统计。")),
    ("closure_rate", _("办结率"), "rate", _("统计期间内登记的工单中，现已办结或结案的 ÷ 未撤销的。")),
    ("on_time_rate", _("按时办结率"), "rate", _("在办理时限（含批准的延期）内办结的 ÷ 已办结的。")),
    ("response_rate", _("响应率"), "rate", _("最近一次派单后 24 小时内签收的 ÷ 已派单的。")),
    ("satisfaction_rate", _("满意率"), "rate", _("回访评价为满意或基本满意的 ÷ 有评价的回访。")),
    (
        "recurrence_rate",
        _("重复诉求率"),
        "rate",
        _("统计期间内登记的诉求中，与 90 天内已办结的诉求重复（同一住户或企业，或 100 米内同类）的 ÷ 收集诉求。越低越好。"),
    ),
    (
        "open_in_time",
        _("在办未到期"),
        "open",
        _("统计期间内登记、尚未办结、此刻仍在办理时限内的工单（尚未派单、还没有时限的也算）。它们还不计入办结率，"
          "所以最近几天的办结率低并不说明办理滞后。"),
    ),
    ("overdue", _("当前超期"), "now", _("此刻已超过办理时限仍未办结的工单，不限登记日期；上期为上期最后一天结束时的超期数。")),
)  # fmt: skip

# Shown after 现场解决 where a campaign of the unit counts it the published way (Campaign.on_site_with_direct).
ON_SITE_WITH_DIRECT = (
    "on_site_with_direct",
    _("现场解决(含政策解释)"),
    "count",
    _("现场解决与直办（受理时直接答复、政策解释）之和：按活动设置显示，与公开发布的口径一致。"),
)
LOWER_BETTER = frozenset({"recurrence_rate"})
PERIODS = ("today", "7d", "30d", "all", "custom")
DEFAULT_PERIOD = "30d"
MAX_PERIOD_DAYS = 3660  # ten campaign years: anything longer is a typo, not a question
OVERDUE_SHOWN = 20
TOPICS_SHOWN = 8
CATEGORIES_SHOWN = 12
CADRE_PANEL_DAYS = 30  # the cadre panel's longest window: the page's 30 days (its cache row), not the 全周期
MAX_GRIDS = 3000  # the map draws at most this many boundaries (a district has a few hundred grids)

# The level ranked under a unit (SPEC §6: streets under a district, communities under a street, …).
CHILD_LEVEL = {
    UnitKind.DISTRICT: UnitKind.STREET,
    UnitKind.STREET: UnitKind.COMMUNITY,
    UnitKind.COMMUNITY: UnitKind.GRID,
}


@dataclass(frozen=True)
class Period:
    key: str  # one of PERIODS
    date_from: dt.date
    date_to: dt.date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Period | None:
        """The period of the same length just before this one; none for the whole campaign."""
        if self.key == "all":
            return None
        date_to = self.date_from - dt.timedelta(days=1)
        return Period(self.key, date_to - dt.timedelta(days=self.days - 1), date_to)


def period_of(params: Mapping[str, Any], unit: OrgUnit | None) -> Period:
    """`period=today|7d|30d|all`, or date_from/date_to (a custom range); bad values → Invalid naming the field."""
    key = params.get("period") or ("custom" if params.get("date_from") or params.get("date_to") else DEFAULT_PERIOD)
    if key not in PERIODS:
        raise Invalid.field("period", "可选：" + ", ".join(PERIODS))
    now_day = today()
    if key == "custom":
        date_to = day_param(params, "date_to", now_day)
        date_from = day_param(params, "date_from", date_to - dt.timedelta(days=29))
    elif key == "all":
        date_to, date_from = now_day, periods.since_start(unit, now_day)
    else:
        date_to = now_day
        date_from = now_day - dt.timedelta(days={"today": 0, "7d": 6, "30d": 29}[key])
    if date_from > date_to:
        raise Invalid.field("date_from", "开始日期不能晚于结束日期。")
    if (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
        raise Invalid.field("date_from", "时间范围过长。")
    return Period(key, date_from, date_to)


def categories(unit: OrgUnit | None, period: Period) -> list[dict[str, Any]]:
    """Issues, suggestions and the router's acceptance per category of the tickets created in the period, most first:
    from the period's cache row (a usual period of a wide unit, young enough), else one GROUP BY over the rollups."""
    row = periods.cached(unit, None, period.date_from, period.date_to)
    if row is not None and "categories" in row.figures:
        found = row.figures["categories"]
    else:
        (found,) = category_sums(unit, [(period.date_from, period.date_to)])
    ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))[:CATEGORIES_SHOWN]
    return [
        {
            "category": name,
            "issues": issues,
            "suggestions": suggestions,
            # the router's suggested category kept at dispatch ÷ dispatches with a suggestion (issue 15)
            "acceptance": kept / suggested if suggested else None,
        }
        for name, (issues, suggestions, suggested, kept) in ranked
    ]


def overdue_and_supervised(user: User | None, unit: OrgUnit | None) -> list[Ticket]:
    """Open tickets of the unit's subtree that are overdue or supervised (督办): both first, then the most overdue.
    Without a user (a display link's wall) the unit alone scopes them."""
    now = timezone.now()
    visible = tickets_for_list(user) if user is not None else Ticket.objects.select_related("unit", "lead_unit")
    qs: QuerySet[Ticket] = placed_in(visible.filter(status__in=OPEN_STATUSES), unit)
    qs = qs.filter(overdue_q(now) | Q(supervision__gt=0))
    rows = list(with_priority(qs, now).order_by("-live_priority", "-supervision", "due_at", "-id")[:OVERDUE_SHOWN])
    for ticket in rows:
        late = ticket.due_at is not None and ticket.due_at < now
        ticket.overdue_days = max(1, -(-int((now - ticket.due_at).total_seconds()) // 86400)) if late else 0  # type: ignore[attr-defined, operator]
    return rows


def open_topics(user: User | None, unit: OrgUnit | None) -> list[Topic]:
    """The open monthly topics (每月一题 / 专题) promoted in the unit's subtree, nearest deadline first, with their
    milestones' progress and their tickets' closure (issues.topics.with_progress): what the hot spots became. Without a
    user (a display link's wall) the unit alone scopes them. Three queries, at most TOPICS_SHOWN rows."""
    qs = topics_visible_to(user) if user is not None else Topic.objects.select_related("area", "lead_unit")
    qs = qs.filter(status=TopicStatus.OPEN)
    if unit is not None:
        qs = qs.filter(area__path__startswith=unit.path)
    return with_progress(list(qs.order_by("deadline", "id")[:TOPICS_SHOWN]))


def grids_geojson(unit: OrgUnit | None, period: Period) -> str:
    """The boundaries of the grids in the subtree (at most MAX_GRIDS) and their bounding box, as GeoJSON text, each
    with its visits in the period (from the rollups: the map's default shading, flat at any scale).

    Each boundary goes out as the database's own JSON text of it, not decoded and encoded again: a JSON column holds
    JSON, and at city size a district's 432 boundaries took 9 of the 11 ms of its map in Python (bench/README.md,
    session 18)."""
    qs = OrgUnit.objects.filter(kind=UnitKind.GRID, boundary__isnull=False)
    if unit is not None:
        qs = qs.subtree_of(unit)
    rows = list(
        qs.order_by("path")
        .annotate(geometry=Cast("boundary", TextField()))
        .values_list("id", "name", "geometry", "parent__name")[: MAX_GRIDS + 1]
    )
    box = qs.aggregate(a=Min("min_lng"), b=Min("min_lat"), c=Max("max_lng"), d=Max("max_lat"))
    visits = visits_by_unit(unit, period)
    features = ", ".join(
        '{"type": "Feature", "geometry": '
        + geometry
        + ', "properties": '
        + json.dumps({"id": pk, "name": name, "community": community, "visits": visits.get(pk, 0)})
        + "}"
        for pk, name, geometry, community in rows[:MAX_GRIDS]
    )
    bbox = [box["a"], box["b"], box["c"], box["d"]] if None not in box.values() else None
    head = json.dumps({"type": "FeatureCollection", "bbox": bbox, "truncated": len(rows) > MAX_GRIDS})
    return f'{head[:-1]}, "features": [{features}]}}'


def visits_by_unit(unit: OrgUnit | None, period: Period) -> dict[int, int]:
    """{leaf unit id: visits in the period} over the subtree: one GROUP BY over the rollups' visit rows, read from
    daily_rollup_visits_idx alone, unit by unit of the subtree's ids (campaign.scope.among_subtree: a city
    district's map, its SQL 24 → 3 ms; bench/README.md, session 17)."""
    qs = DailyRollup.objects.filter(day__gte=period.date_from, day__lte=period.date_to, category="", visits__gt=0)
    qs = among_subtree(qs, unit)
    return {r["unit_id"]: r["n"] for r in qs.values("unit_id").annotate(n=Sum("visits")).order_by()}


@dataclass(frozen=True)
class Figure:
    key: str
    label: Any
    kind: str
    value: Any
    previous: Any
    change: float | None  # count, now: relative change (0.12 = +12%); rate: difference (0.012 = +1.2 points)
    definition: Any = ""
    lower_better: bool = False  # a rise shows red, a fall green (the recurrence rate)


def _change(kind: str, value: Any, previous: Any) -> float | None:
    """None for `open` (the previous period's tickets had longer to close: a change would read as progress)."""
    if kind == "open" or value is None or previous is None:
        return None
    if kind == "rate":
        return float(value) - float(previous)
    return (value - previous) / previous if previous else None


def figures_and_age(unit: OrgUnit | None, period: Period) -> tuple[list[Figure], dt.datetime]:
    """The headline figures of the period with the change against the previous period of the same length, and the
    moment up to which they are complete (the older of the two summaries' `updated_at`)."""
    now = selectors.stats_summary(StatsQuery(unit=unit, date_from=period.date_from, date_to=period.date_to))
    before_period = period.previous()
    before: dict[str, Any] = {}
    if before_period is not None:
        query = StatsQuery(unit=unit, date_from=before_period.date_from, date_to=before_period.date_to)
        before = selectors.stats_summary(query)
        # "当前超期" of the previous period: as at its last day's end (the nightly snapshot), not today's count again
        before["overdue"] = selectors.overdue_at_end_of(query, before_period.date_to)
    shown = help_given.with_recorded(shown_figures(unit), now, before)  # 帮扶成效: the counts recorded, too
    for summary in (now, before) if before else (now,):
        summary["on_site_with_direct"] = summary["resolved_on_site"] + summary["direct"]
        summary.update(help_given.help_values(shown, summary))
    figures = [
        Figure(
            key, label, kind, now[key], before.get(key), _change(kind, now[key], before.get(key)), definition,
            lower_better=key in LOWER_BETTER,
        )
        for key, label, kind, definition in shown
    ]  # fmt: skip
    ages = [dt.datetime.fromisoformat(s["updated_at"]) for s in (now, before) if s]
    return figures, min(ages)


def shown_figures(unit: OrgUnit | None) -> tuple[tuple[str, Any, str, Any], ...]:
    """FIGURES, with 现场解决(含政策解释) after 现场解决 where an active campaign the unit takes part in (through
    itself or an ancestor; the whole city: any) counts it so, then the 帮扶成效 counts of those campaigns (kind
    "help", dashboard.help_given: the page shows them in their own card). One query."""
    campaigns = help_given.active_campaigns(unit)
    figures = FIGURES
    if any(row["on_site_with_direct"] for row in campaigns):
        at = [key for key, *_ in FIGURES].index("resolved_on_site") + 1
        figures = (*FIGURES[:at], ON_SITE_WITH_DIRECT, *FIGURES[at:])
    return (*figures, *help_given.help_shown(campaigns))


def figures_of(unit: OrgUnit | None, period: Period) -> list[Figure]:
    """The headline figures of the period with the change against the previous period of the same length."""
    return figures_and_age(unit, period)[0]


def rankings_of(unit: OrgUnit | None, period: Period) -> dict[str, Any]:
    """The child units ranked (streets / communities / grids), and the district's departments apart."""
    query = StatsQuery(unit=unit, date_from=period.date_from, date_to=period.date_to)
    kind = unit.kind if unit is not None else UnitKind.DISTRICT
    level = CHILD_LEVEL.get(kind)  # type: ignore[call-overload]
    children = selectors.stats_ranking(query, level=level) if level else []
    departments = selectors.stats_ranking(query, level=UnitKind.DEPARTMENT) if kind == UnitKind.DISTRICT else []
    return {"level": level, "children": children, "departments": departments}


def cadre_panel(unit: OrgUnit | None, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """The panel "干部走访活跃度" (dashboard.cadres.panel) over the period's last CADRE_PANEL_DAYS days at most (its
    `date_from`, `date_to`): from the unit's cache row of a usual period if it keeps one (one query), else computed
    (three, whatever the number of cadres). A longer period's cadres are ranked by stats/cadres/ (the panel's link):
    a year of a city district's 864 cadres took 3.6 s of every 全周期 page (docs/decisions.md)."""
    date_from = max(date_from, date_to - dt.timedelta(days=CADRE_PANEL_DAYS - 1))
    stored = periods.cached_cadres(unit, date_from, date_to)
    shown = cadres.panel_loaded(stored) if stored is not None else cadres.panel(unit, date_from, date_to)
    return {**shown, "date_from": date_from, "date_to": date_to}


def coverage_target(unit: OrgUnit | None, day: dt.date) -> dict[str, Any] | None:
    """The unit's campaign on `day` (campaign.selectors.campaign_of) with a coverage target (Campaign.targets, the
    shape campaign.models.campaigns.validate_targets holds) and its coverage as at `day`: the `coverage` of
    stats/summary for that campaign from its first day to `day` — the one statistics path, the figure
    `GET /api/v1/stats/summary/?unit=…&campaign=…&date_from=<start>&date_to=<day>` answers. None: no campaign,
    no target, or a stored value of another shape (refused by the admin; never guessed at here)."""
    campaign = campaign_of(unit, day)
    if campaign is None or not campaign.targets:
        return None
    try:
        by = validate_targets(campaign.targets)
    except ValidationError:
        return None
    target = float(campaign.targets["household_coverage"])
    query = StatsQuery(unit=unit, date_from=campaign.start_date, date_to=day, campaign=campaign)
    coverage = selectors.stats_summary(query)["coverage"]
    reached = coverage is not None and coverage >= target
    return {
        "campaign": campaign,
        "target": target,
        "by": by,
        "coverage": coverage,
        "reached": reached,
        "late": by is not None and by < day and not reached,  # the day has passed, the target not reached
        "as_of": day,
    }


MUST_VISIT_SHOWN = 10  # the longest overdue must-visits listed on the dashboard


def must_visit_panel(unit: OrgUnit | None, day: dt.date) -> dict[str, Any] | None:
    """The panel "必访对象（四门必敲）" (issue 16 item 2): per child unit, the must-visit households, those visited within
    their campaign's interval and the overdue ones (visits.must_visit.must_visit_coverage), and the longest overdue
    households (masked); the child units with none are left out. None for the whole city or where no campaign names
    must-visit households. Four queries (one without a must-visit rule): the totals are the sums of the rows (the
    same households under the same clock), not counted again (42 ms of a district's page)."""
    if unit is None:
        return None
    gov = governance(unit, day)  # read once for both
    if not gov.rules:
        return None
    rows = [row for row in must_visit_coverage(unit, day, gov) if row["must_visit"]]  # not departments, not empty
    if not rows:
        return None
    counted = (sum(row["must_visit"] for row in rows), sum(row["overdue"] for row in rows))
    overdue = overdue_must_visits(unit, day, MUST_VISIT_SHOWN, gov, counted)
    return {"rows": rows, "overdue": overdue, "as_of": day}


def message_panel(unit: OrgUnit | None, since: dt.date) -> list[dict[str, Any]] | None:
    """The panel "提醒与任务" (issue 16 item 7): per child unit, the receipts of the messages and tasks sent to cadres
    there since `since` (the page's first day), read and done, with their rates (issues.messages.message_rates: one
    query); the units that received none are left out. None for the whole city or when nothing was sent."""
    if unit is None:
        return None
    rows = [row for row in message_rates(unit, since) if row["sent"]]
    return rows or None
