"""Statistics reads (SPEC §6), answered from the rollups only — never from raw visits or tickets.

Every function takes an already scoped `StatsQuery` (the API resolves `unit` through campaign.scope first).
Sums come from DailyRollup over the unit's subtree (`unit__path LIKE 'X%'`); DISTINCT figures from VisitTargetDay
with COUNT(DISTINCT …), so they are exact over any period. Two figures read elsewhere, both cheap:
`overdue` now is an indexed count of open tickets past due (ticket_status_due_idx: status, due_at) — it changes
with the clock, not with any row — and coverage's denominator counts the registry (household_unit_idx).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Min, QuerySet, Sum
from django.utils import timezone

from campaign.models import Campaign, Household, OrgUnit, UnitKind
from dashboard.models import DailyRollup, OverdueSnapshot, PeriodSummary, TargetSpan, VisitTargetDay
from dashboard.periods import is_fresh, spans_current, usual_starts
from dashboard.rollups import today
from issues.models import OPEN_STATUSES, Ticket

SUMS = (
    "visits", "issues_collected", "suggestions", "resolved_on_site", "not_cancelled", "closed", "resolved",
    "resolved_on_time", "dispatched", "responded", "rated", "satisfied",
)  # fmt: skip
# Ranking score: satisfaction weighs most (群众满意是最终标准), response and closure alike. A rate that is null
# (no denominator) drops out and the others' weights are renormalised.
RANKING_WEIGHTS = {"response_rate": 0.3, "closure_rate": 0.3, "satisfaction_rate": 0.4}
RANKABLE_LEVELS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID, UnitKind.DEPARTMENT, UnitKind.PARK)


@dataclass(frozen=True)
class StatsQuery:
    unit: OrgUnit | None  # None: everything (a superuser without a home unit)
    date_from: dt.date
    date_to: dt.date
    campaign: Campaign | None = None


def _in_subtree(qs: QuerySet[Any], unit: OrgUnit | None, field: str = "unit") -> QuerySet[Any]:
    return qs if unit is None else qs.filter(**{f"{field}__path__startswith": unit.path})


def _rollups(q: StatsQuery, field: str = "unit") -> QuerySet[DailyRollup]:
    qs = _in_subtree(DailyRollup.objects.filter(day__gte=q.date_from, day__lte=q.date_to), q.unit, field)
    return qs.filter(campaign_id=q.campaign.pk) if q.campaign else qs


def _targets(q: StatsQuery, date_from: dt.date | None) -> QuerySet[VisitTargetDay]:
    qs = _in_subtree(VisitTargetDay.objects.filter(day__lte=q.date_to), q.unit)
    if date_from is not None:
        qs = qs.filter(day__gte=date_from)
    return qs.filter(campaign_id=q.campaign.pk) if q.campaign else qs


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def rates(sums: dict[str, int]) -> dict[str, float | None]:
    return {
        "closure_rate": _ratio(sums["closed"], sums["not_cancelled"]),
        "on_time_rate": _ratio(sums["resolved_on_time"], sums["resolved"]),
        "response_rate": _ratio(sums["responded"], sums["dispatched"]),
        "satisfaction_rate": _ratio(sums["satisfied"], sums["rated"]),
    }


def _figures(sums: dict[str, Any]) -> dict[str, Any]:
    sums = {name: sums.get(name) or 0 for name in SUMS}
    return {
        "visits": sums["visits"],
        "issues_collected": sums["issues_collected"],
        "suggestions": sums["suggestions"],
        "resolved_on_site": sums["resolved_on_site"],
        **rates(sums),
    }


def _registered_households(unit: OrgUnit | None) -> int:
    return _in_subtree(Household.objects.all(), unit).count()


def overdue_now(unit: OrgUnit | None, campaign: Campaign | None) -> int:
    qs = _in_subtree(Ticket.objects.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now()), unit)
    return (qs.filter(campaign=campaign) if campaign else qs).count()


def _wrapped(inner: QuerySet[Any], outer: str) -> list[tuple[Any, ...]]:
    """Run `outer` ("SELECT … FROM ({inner}) t …") over an ORM-built inner query (an aggregate of aggregates)."""
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(outer.format(inner=sql), params)
        return cursor.fetchall()


def stats_summary(q: StatsQuery) -> dict[str, Any]:
    """Headline figures; a usual period (dashboard.periods) comes from its precomputed row while it is fresh."""
    precomputed = _usual_period_summary(q)
    if precomputed is not None:
        return precomputed
    figures = _figures(_rollups(q).aggregate(**{name: Sum(name) for name in SUMS}))
    # One pass over the period's target-days: one row per target (a household's largest members), then counted.
    targets = _targets(q, q.date_from).values("household_id", "enterprise_id").annotate(m=Max("members")).order_by()
    ((households, enterprises, people),) = _wrapped(
        targets, "SELECT COUNT(t.household_id), COUNT(t.enterprise_id), SUM(CASE WHEN t.household_id IS NOT NULL "
        "THEN t.m ELSE 0 END) FROM ({inner}) t",
    )  # fmt: skip
    ever = sum(n for first_day, n in _newly_covered(q).items() if first_day <= q.date_to)
    return {
        "visits": figures.pop("visits"),
        "households_visited": households,
        "enterprises_visited": enterprises,
        "people_covered": int(people or 0),
        "coverage": _ratio(ever, _registered_households(q.unit)),
        **figures,
        "overdue": overdue_now(q.unit, q.campaign),
    }


def _usual_period_summary(q: StatsQuery) -> dict[str, Any] | None:
    """The summary from a PeriodSummary row, or None (not a usual period, or a recompute of it is pending).

    Freshness is checked BEFORE the row is read: marks are deleted only after the rows include their change, so
    with no mark pending the row read next is at least as new as every change made before the check.
    """
    if q.unit is None or q.date_to != today() or q.date_from not in usual_starts(q.date_to, q.campaign):
        return None  # a custom range: not a single query spent here
    if not is_fresh(q.unit, q.date_to):
        return None
    row = PeriodSummary.objects.filter(
        unit=q.unit,
        campaign_id=q.campaign.pk if q.campaign else 0,
        date_from=q.date_from,
        date_to=q.date_to,
        as_of=q.date_to,
    ).first()
    if row is None:
        return None
    f = row.figures
    figures = _figures(f)
    return {
        "visits": figures.pop("visits"),
        "households_visited": f["households_visited"],
        "enterprises_visited": f["enterprises_visited"],
        "people_covered": f["people_covered"],
        "coverage": _ratio(f["households_ever"], _registered_households(q.unit)),
        **figures,
        "overdue": overdue_now(q.unit, q.campaign),
    }


def stats_daily(q: StatsQuery) -> list[dict[str, Any]]:
    """One row per day of the period: the summary's figures for that day; coverage as at the end of the day,
    overdue from the nightly snapshot (today: now; a future day: null)."""
    per_day = {
        row["day"]: row
        for row in _rollups(q).values("day").annotate(**{name: Sum(name) for name in SUMS}).order_by("day")
    }
    period = _targets(q, q.date_from)
    distinct = {
        row["day"]: row
        for row in period.values("day")
        .annotate(households=Count("household_id", distinct=True), enterprises=Count("enterprise_id", distinct=True))
        .order_by()
    }
    inner = period.exclude(household_id=None).values("day", "household_id").annotate(m=Max("members")).order_by()
    people = {_as_date(d): n for d, n in _wrapped(inner, "SELECT t.day, SUM(t.m) FROM ({inner}) t GROUP BY t.day")}
    new_by_day = _newly_covered(q)
    registered = _registered_households(q.unit)
    snapshots = _overdue_snapshots(q)
    now_day, rows = today(), []
    covered = sum(n for d, n in new_by_day.items() if d < q.date_from)
    day = q.date_from
    while day <= q.date_to:
        covered += new_by_day.get(day, 0)
        figures = _figures(per_day.get(day, {}))
        counts = distinct.get(day, {})
        if day < now_day:
            overdue: int | None = snapshots.get(day, 0)
        else:
            overdue = overdue_now(q.unit, q.campaign) if day == now_day else None
        rows.append(
            {
                "date": day.isoformat(),
                "visits": figures.pop("visits"),
                "households_visited": counts.get("households", 0),
                "enterprises_visited": counts.get("enterprises", 0),
                "people_covered": int(people.get(day, 0)),
                "coverage": _ratio(covered, registered),
                **figures,
                "overdue": overdue,
            }
        )
        day += dt.timedelta(days=1)
    return rows


def _newly_covered(q: StatsQuery) -> dict[dt.date, int]:
    """{day: households first visited that day} up to q.date_to (in the campaign when given): coverage's numerator.

    From TargetSpan (~1 row per household) when it is current for the subtree, else from VisitTargetDay (a row
    per household and visit day: ~8.5 million for a city district's 90 days, seconds to scan).
    """
    if q.unit is not None and spans_current(q.unit, q.date_to):
        source: QuerySet[Any] = _in_subtree(TargetSpan.objects.filter(first_day__lte=q.date_to), q.unit)
        first = Min("first_day")
    else:
        source, first = _targets(q, None), Min("day")
    if q.campaign:
        source = source.filter(campaign_id=q.campaign.pk)
    firsts = source.exclude(household_id=None).values("household_id").annotate(first_day=first).order_by()
    return {
        _as_date(d): n
        for d, n in _wrapped(firsts, "SELECT t.first_day, COUNT(*) FROM ({inner}) t GROUP BY t.first_day")
    }


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _overdue_snapshots(q: StatsQuery) -> dict[dt.date, int]:
    qs = _in_subtree(OverdueSnapshot.objects.filter(day__gte=q.date_from, day__lte=q.date_to), q.unit)
    if q.campaign:
        qs = qs.filter(campaign_id=q.campaign.pk)
    return {row["day"]: row["n"] for row in qs.values("day").annotate(n=Sum("overdue")).order_by()}


def stats_ranking(q: StatsQuery, *, level: str) -> list[dict[str, Any]]:
    """Units of `level` under q.unit, ranked by a weighted score (RANKING_WEIGHTS); flags per SPEC §6.

    Departments are ranked by the tickets they lead (lead_unit); other levels by where the matter is (unit).
    """
    of_level = OrgUnit.objects.filter(kind=level).order_by("path")
    units = list(of_level.filter(path__startswith=q.unit.path) if q.unit else of_level)
    field = "lead_unit" if level == UnitKind.DEPARTMENT else "unit"
    by_path: dict[str, dict[str, int]] = {u.path: dict.fromkeys(SUMS, 0) for u in units}
    leaves = _rollups(q, field).filter(**{f"{field}__isnull": False})
    for row in leaves.values(f"{field}__path").annotate(**{n: Sum(n) for n in SUMS}).order_by():
        path = row[f"{field}__path"]
        for end in range(7, len(path) + 1, 7):
            if (totals := by_path.get(path[:end])) is not None:
                for name in SUMS:
                    totals[name] += row[name] or 0
    rows = []
    for unit in units:
        sums = by_path[unit.path]
        r = rates(sums)
        weights = {k: w for k, w in RANKING_WEIGHTS.items() if r[k] is not None}
        total = sum(weights.values())
        score = round(sum(r[k] * w for k, w in weights.items()) / total, 4) if total else None  # type: ignore[operator]
        rows.append(
            {
                "unit": {"id": unit.pk, "name": unit.name},
                "response_rate": r["response_rate"],
                "closure_rate": r["closure_rate"],
                "satisfaction_rate": r["satisfaction_rate"],
                "score": score,
                "flag": None,
                "_rated": sums["rated"],
            }
        )
    return _flagged(rows)


def _flagged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Units with rated tickets, best score first: top ⌊n/3⌋ red, bottom ⌊n/3⌋ yellow; the rest follow, no flag."""
    ranked = sorted((r for r in rows if r["_rated"] and r["score"] is not None), key=lambda r: -r["score"])
    unranked = [r for r in rows if not (r["_rated"] and r["score"] is not None)]
    third = len(ranked) // 3
    for i, row in enumerate(ranked):
        row["rank"] = i + 1
        if i < third:
            row["flag"] = "red"
        elif i >= len(ranked) - third:
            row["flag"] = "yellow"
    for row in unranked:
        row["rank"] = None
    result = ranked + unranked
    for row in result:
        del row["_rated"]
    return result
