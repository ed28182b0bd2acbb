"""Statistics reads (SPEC §6), answered from the rollups only — never from raw visits or tickets.

Every function takes an already scoped `StatsQuery` (the API resolves `unit` through campaign.scope first).
Sums come from DailyRollup over the unit's subtree (`unit__path LIKE 'X%'`). DISTINCT figures come, in order of
preference: for a usual period, from its PeriodSummary row; for any other range, from TargetSpan (a bit per target
and visit day: one pass over ~1 row per target); per day, from DayReach. The first two are used while they may be
trusted (dashboard.periods.trusted_rows: refreshed under MAX_LAG ago, or nothing of the subtree changed since);
else COUNT(DISTINCT …) over VisitTargetDay answers: slower, never behind. `overdue` changes with the clock, not
with any row: the rows store it as at their refresh and a read adds the open tickets that fell due since
(ticket_open_due_idx); coverage's denominator (the registry count) is stored with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Max, Min, QuerySet, Sum
from django.utils import timezone

from campaign.models import Campaign, Household, OrgUnit, UnitKind
from campaign.models.org import path_prefixes
from dashboard.models import DailyRollup, DayReach, OverdueSnapshot, PeriodSummary, VisitTargetDay
from dashboard.periods import first_visits, span_figures, trusted_rows, usual_period
from dashboard.rollups import today
from issues.models import OPEN_STATUSES, Ticket

SUMS = (
    "visits", "issues_collected", "suggestions", "resolved_on_site", "not_cancelled", "closed", "resolved",
    "resolved_on_time", "dispatched", "responded", "rated", "satisfied",
)  # fmt: skip
# Ranking score: satisfaction weighs most (群众满意是最终标准), response and closure alike. A rate that is null
# (no denominator) drops out and the others' weights are renormalised.
DISTINCT = ("households", "enterprises", "people")  # DayReach's distinct figures
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


def overdue_now(unit: OrgUnit | None, campaign: Campaign | None, *, since: dt.datetime | None = None) -> int:
    """Open tickets past due now (with `since`: only those that fell due after it)."""
    qs = _in_subtree(Ticket.objects.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now()), unit)
    if since is not None:
        qs = qs.filter(due_at__gte=since)
    return (qs.filter(campaign=campaign) if campaign else qs).count()


def _wrapped(inner: QuerySet[Any], outer: str) -> list[tuple[Any, ...]]:
    """Run `outer` ("SELECT … FROM ({inner}) t …") over an ORM-built inner query (an aggregate of aggregates)."""
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(outer.format(inner=sql), params)
        return cursor.fetchall()


@dataclass(frozen=True)
class Precomputed:
    """What the last refresh of the usual periods left for a read (dashboard.periods.trusted_rows)."""

    row: PeriodSummary  # the usual period asked for, or the unit's TODAY row of every campaign (the anchor)
    usual: bool  # row is the usual period asked for

    def overdue(self, q: StatsQuery) -> int:
        """`overdue` now: the row's count as at its refresh plus the open tickets that fell due since — only when the
        row counts the same tickets (the period's campaign, or every campaign); else a live count."""
        f = self.row.figures
        if self.usual or q.campaign is None:
            since = dt.datetime.fromisoformat(f["overdue_at"])
            return int(f["overdue"]) + overdue_now(q.unit, q.campaign, since=since)
        return overdue_now(q.unit, q.campaign)

    @property
    def registered(self) -> int:
        return int(self.row.figures["registered"])


def _precomputed(q: StatsQuery) -> Precomputed | None:
    """The row a read may use, or None: then the exact path (VisitTargetDay, live counts) answers."""
    if q.unit is None:
        return None
    period = usual_period(q.date_from, q.date_to, q.campaign) if q.date_to == today() else None
    row, trusted = trusted_rows(q.unit, q.campaign.pk if q.campaign else 0, period)
    if row is None and period is not None:  # a usual period with no row of its own: the anchor may still serve
        row, trusted = trusted_rows(q.unit, 0, None)
        period = None
    return Precomputed(row, usual=period is not None) if row is not None and trusted else None


def stats_summary(q: StatsQuery) -> dict[str, Any]:
    """Headline figures. A usual period comes from its precomputed row; any other range from the rollups plus
    TargetSpan (one pass over ~1 row per target); while the rows cannot be trusted, from VisitTargetDay."""
    pre = _precomputed(q)
    if pre is not None and pre.usual:
        f = pre.row.figures
        figures = _figures(f)
        return {
            "visits": figures.pop("visits"),
            "households_visited": f["households_visited"],
            "enterprises_visited": f["enterprises_visited"],
            "people_covered": f["people_covered"],
            "coverage": _ratio(f["households_ever"], pre.registered),
            **figures,
            "overdue": pre.overdue(q),
        }
    figures = _figures(_rollups(q).aggregate(**{name: Sum(name) for name in SUMS}))
    if pre is not None:
        campaign_id = q.campaign.pk if q.campaign else 0
        (reach,) = span_figures(q.unit, campaign_id, [(q.date_from, q.date_to)], q.date_to)
        households, enterprises = reach["households_visited"], reach["enterprises_visited"]
        people, ever, registered = reach["people_covered"], reach["households_ever"], pre.registered
    else:
        # One pass over the period's target-days: one row per target (a household's largest members), counted.
        targets = _targets(q, q.date_from).values("household_id", "enterprise_id").annotate(m=Max("members")).order_by()
        ((households, enterprises, people),) = _wrapped(
            targets, "SELECT COUNT(t.household_id), COUNT(t.enterprise_id), SUM(CASE WHEN t.household_id IS NOT "
            "NULL THEN t.m ELSE 0 END) FROM ({inner}) t",
        )  # fmt: skip
        ever = sum(n for first_day, n in _newly_covered(q, spans=False).items() if first_day <= q.date_to)
        registered = _registered_households(q.unit)
    return {
        "visits": figures.pop("visits"),
        "households_visited": households,
        "enterprises_visited": enterprises,
        "people_covered": int(people or 0),
        "coverage": _ratio(ever, registered),
        **figures,
        "overdue": pre.overdue(q) if pre is not None else overdue_now(q.unit, q.campaign),
    }


def usual_period_answers(q: StatsQuery) -> bool:
    """Whether stats_summary answers `q` from its usual period's precomputed row (tests and benchmarks ask)."""
    pre = _precomputed(q)
    return pre is not None and pre.usual


def stats_daily(q: StatsQuery) -> list[dict[str, Any]]:
    """One row per day of the period: the summary's figures for that day; coverage as at the end of the day,
    overdue from the nightly snapshot (today: now; a future day: null)."""
    # Every figure of each day but coverage and overdue: one GROUP BY over DayReach (a row per leaf unit and day).
    reach = _in_subtree(DayReach.objects.filter(day__gte=q.date_from, day__lte=q.date_to), q.unit)
    reach = reach.filter(campaign_id=q.campaign.pk if q.campaign else 0)
    per_day = {
        row["day"]: row
        for row in reach.values("day").annotate(**{name: Sum(name) for name in (*SUMS, *DISTINCT)}).order_by()
    }
    # The unit's TODAY row (of the campaign when it runs, else of every campaign) gives what summary takes from it,
    # and, when it is the campaign's own row, the first visit days behind coverage.
    now_day = today()
    pre = _precomputed(StatsQuery(unit=q.unit, date_from=now_day, date_to=now_day, campaign=q.campaign))
    if pre is not None and pre.usual and q.date_to <= now_day and "first_days" in pre.row.figures:
        first_days = ((_as_date(d), n) for d, n in pre.row.figures["first_days"].items())
        new_by_day = {d: n for d, n in first_days if d <= q.date_to}
    else:
        new_by_day = _newly_covered(q, spans=pre is not None)
    registered = pre.registered if pre is not None else _registered_households(q.unit)
    snapshots = _overdue_snapshots(q)
    rows = []
    covered = sum(n for d, n in new_by_day.items() if d < q.date_from)
    day = q.date_from
    while day <= q.date_to:
        covered += new_by_day.get(day, 0)
        counts = per_day.get(day, {})
        figures = _figures(counts)
        if day < now_day:
            overdue: int | None = snapshots.get(day, 0)
        else:
            overdue = None
            if day == now_day:
                overdue = pre.overdue(q) if pre is not None else overdue_now(q.unit, q.campaign)
        rows.append(
            {
                "date": day.isoformat(),
                "visits": figures.pop("visits"),
                "households_visited": counts.get("households") or 0,
                "enterprises_visited": counts.get("enterprises") or 0,
                "people_covered": counts.get("people") or 0,
                "coverage": _ratio(covered, registered),
                **figures,
                "overdue": overdue,
            }
        )
        day += dt.timedelta(days=1)
    return rows


def _newly_covered(q: StatsQuery, *, spans: bool) -> dict[dt.date, int]:
    """{day: households first visited that day} up to q.date_to (in the campaign when given): coverage's numerator.

    From TargetSpan (~1 row per household) when the caller may trust it (`spans`), else from VisitTargetDay (a row
    per household and visit day: ~8.5 million for a city district's 90 days, seconds to scan).
    """
    if spans:
        found = first_visits(q.unit, q.campaign.pk if q.campaign else 0, q.date_to)
        return {_as_date(d): n for d, n in found.items()}
    source = _targets(q, None)
    if q.campaign:
        source = source.filter(campaign_id=q.campaign.pk)
    firsts = source.exclude(household_id=None).values("household_id").annotate(first_day=Min("day")).order_by()
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
    by_path = _ranking_sums_precomputed(q, units, level) or _ranking_sums(q, units, level)
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


def _ranking_sums(q: StatsQuery, units: list[OrgUnit], level: str) -> dict[str, dict[str, int]]:
    """{unit path: sums of the period} from the rollups: one GROUP BY over the period's leaf rows."""
    field = "lead_unit" if level == UnitKind.DEPARTMENT else "unit"
    by_path: dict[str, dict[str, int]] = {u.path: dict.fromkeys(SUMS, 0) for u in units}
    leaves = _rollups(q, field).filter(**{f"{field}__isnull": False})
    for row in leaves.values(f"{field}__path").annotate(**{n: Sum(n) for n in SUMS}).order_by():
        path = row[f"{field}__path"]
        for prefix in path_prefixes(path):
            if (totals := by_path.get(prefix)) is not None:
                for name in SUMS:
                    totals[name] += row[name] or 0
    return by_path


def _ranking_sums_precomputed(q: StatsQuery, units: list[OrgUnit], level: str) -> dict[str, dict[str, int]] | None:
    """The same from the ranked units' rows of a usual period (a department's `lead` sums), or None: not a usual
    period, rows not trusted, or a unit without a row (created since the last refresh)."""
    pre = _precomputed(q)
    if pre is None or not pre.usual or not units:
        return None
    row = pre.row
    found = PeriodSummary.objects.filter(
        unit__in=[u.pk for u in units], campaign_id=row.campaign_id, period=row.period, as_of=row.as_of
    ).values_list("unit_id", "figures")
    figures = dict(found)
    key = "lead" if level == UnitKind.DEPARTMENT else None
    if len(figures) < len(units) or (key and any(key not in f for f in figures.values())):
        return None
    return {u.path: {n: int((figures[u.pk][key] if key else figures[u.pk])[n]) for n in SUMS} for u in units}


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
