"""Statistics reads (SPEC §6), answered from the rollups only — never from raw visits or tickets.

Every function takes an already scoped `StatsQuery` (the API resolves `unit` through campaign.scope first) and
answers one way, through dashboard.figures: sums from DailyRollup, distinct figures and coverage from TargetSpan,
per-day series from DayReach, all written by the same recompute. A usual period may be answered by its cache row
(dashboard.periods) while the row is younger than CACHE_MAX_AGE: the same figures, computed a little earlier. Every
summary says up to when its figures are complete (`updated_at`).

`overdue` changes with the clock, not with any row: read live; a cache row stores it with the moment it was counted
(`overdue_at`) and a read adds the open tickets that fell due since (a short range of ticket_open_due_idx).
`open_in_time` (tickets of the period still open and not past due now) changes with the clock too, and with the
period: always read live (dashboard.figures.open_in_time_by_day, one GROUP BY over the open tickets).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from campaign.days import today
from campaign.models import Campaign, OrgUnit, UnitKind
from campaign.models.org import path_prefixes
from campaign.scope import among_subtree
from dashboard import periods
from dashboard.figures import (
    DAY_FIGURES,
    day_series,
    first_visits,
    help_series,
    help_sums,
    open_in_time_by_day,
    overdue_now,
    overdue_series,
    pending_since,
    range_figures,
    registered_households,
)
from dashboard.models import SUMS, DailyRollup, PeriodSummary

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

    @property
    def campaign_id(self) -> int:
        return self.campaign.pk if self.campaign else 0


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def rates(sums: dict[str, int]) -> dict[str, float | None]:
    return {
        "closure_rate": _ratio(sums["closed"], sums["not_cancelled"]),
        "on_time_rate": _ratio(sums["resolved_on_time"], sums["resolved"]),
        "response_rate": _ratio(sums["responded"], sums["dispatched"]),
        "satisfaction_rate": _ratio(sums["satisfied"], sums["rated"]),
        # quality figures beside the rates (issue 15): new matters repeating a resolved one; the router's categories kept
        "recurrence_rate": _ratio(sums["recurred"], sums["issues_collected"]),
        "acceptance_rate": _ratio(sums["router_kept"], sums["router_suggested"]),
    }


def _figures(sums: dict[str, Any]) -> dict[str, Any]:
    sums = {name: sums.get(name) or 0 for name in SUMS}
    return {
        "visits": sums["visits"],
        "issues_collected": sums["issues_collected"],
        "suggestions": sums["suggestions"],
        "resolved_on_site": sums["resolved_on_site"],
        # 直办 and 转办 (SPEC §6): answered at intake; dispatched at least once (the response rate's denominator)
        "direct": sums["direct"],
        "forwarded": sums["dispatched"],
        # the closure rate's numerator and denominator: with open_in_time they split a period's tickets into
        # closed / open in time / open past due (the dashboard's stacked daily chart)
        "resolved_or_closed": sums["closed"],
        "not_cancelled": sums["not_cancelled"],
        **rates(sums),
    }


# What a read needs beside its range's figures — registry count, overdue now, up to when it is complete — comes from
# a young cache row when there is one (the period's own, or the unit's anchor row of today: they do not depend on
# the range), else live (dashboard.figures).
def _registered(q: StatsQuery, row: PeriodSummary | None) -> int:
    return int(row.figures["registered"]) if row is not None else registered_households(q.unit)


def _overdue(q: StatsQuery, row: PeriodSummary | None) -> int:
    """Overdue now: the row's count plus the open tickets that fell due since it was counted — if the row counts
    the same campaign's tickets — else a live count."""
    if row is None or row.campaign_id != q.campaign_id:
        return overdue_now(q.unit, q.campaign_id)
    since = dt.datetime.fromisoformat(row.figures["overdue_at"])
    return int(row.figures["overdue"]) + overdue_now(q.unit, q.campaign_id, since=since)


def _updated_at(q: StatsQuery, row: PeriodSummary | None, *, live: bool) -> dt.datetime:
    """Up to when the figures are complete: the row's moment, and — for figures read `live` from the rollups —
    the oldest change of the subtree still waiting for its recompute (or now)."""
    moments = [dt.datetime.fromisoformat(row.figures["updated_at"])] if row is not None else []
    if live:
        moments.append(pending_since(q.unit) or timezone.now())
    return min(moments)


def oldest_pending_recompute() -> dt.datetime | None:
    """Since when the oldest change anywhere waits for its recompute (None: the rollups are current): /healthz."""
    return pending_since(None)


def stats_summary(q: StatsQuery) -> dict[str, Any]:
    """Headline figures of the period and `updated_at` (ISO), the moment up to which they are complete."""
    row = periods.cached(q.unit, q.campaign, q.date_from, q.date_to)
    live = row is None
    f: dict[str, Any]
    if row is not None:
        f = row.figures
    else:
        (f,) = range_figures(q.unit, q.campaign_id, [(q.date_from, q.date_to)])
        row = periods.anchor(q.unit, q.campaign_id)
    figures = _figures(f)
    return {
        "visits": figures.pop("visits"),
        "households_visited": f["households_visited"],
        "enterprises_visited": f["enterprises_visited"],
        "people_covered": f["people_covered"],
        "coverage": _ratio(f["households_ever"], _registered(q, row)),
        **figures,
        "open_in_time": sum(open_in_time_by_day(q.unit, q.campaign_id, q.date_from, q.date_to).values()),
        "overdue": _overdue(q, row),
        # 帮扶成效 (issue 16 item 8): {count key: amount} of the period's tickets now resolved or closed (a cache row
        # written before the figure existed has none: read it)
        "help": f["help"] if "help" in f else help_sums(q.unit, q.campaign_id, [(q.date_from, q.date_to)])[0],
        "updated_at": timezone.localtime(_updated_at(q, row, live=live)).isoformat(),
    }


def stats_daily(q: StatsQuery) -> list[dict[str, Any]]:
    """One row per day of the period: the summary's figures for that day; coverage as at the end of the day,
    overdue from the nightly snapshot (today: now; a future day: null). A usual period's per-day sums and snapshots
    come from its cache row while it is young (dashboard.periods: a year of a district is ~150,000 DayReach rows)."""
    now_day = today()
    cache = periods.cached(q.unit, q.campaign, q.date_from, q.date_to)
    if cache is not None and "days" in cache.figures:
        per_day = {dt.date.fromisoformat(d): v for d, v in cache.figures["days"].items()}
        snapshots = {dt.date.fromisoformat(d): n for d, n in cache.figures["overdue_days"].items()}
    else:
        per_day = day_series(q.unit, q.campaign_id, q.date_from, q.date_to)
        snapshots = overdue_series(q.unit, q.campaign_id, q.date_from, q.date_to)
    if cache is not None and "help_days" in cache.figures:
        helped = {dt.date.fromisoformat(d): h for d, h in cache.figures["help_days"].items()}
    else:  # no row, or one written before the figure existed
        helped = help_series(q.unit, q.campaign_id, q.date_from, q.date_to)
    row = periods.anchor(q.unit, q.campaign_id)
    registered = _registered(q, row)
    overdue = _overdue(q, row) if q.date_from <= now_day <= q.date_to else None
    if row is not None and row.campaign_id == q.campaign_id and q.date_to <= now_day:
        first_days = row.figures["first_days"]  # the cache of first_visits(unit, campaign, today)
    else:
        first_days = first_visits(q.unit, q.campaign_id, q.date_to)
    new_by_day = {d: n for d, n in ((dt.date.fromisoformat(d), n) for d, n in first_days.items()) if d <= q.date_to}
    in_time = open_in_time_by_day(q.unit, q.campaign_id, q.date_from, q.date_to)
    rows = []
    covered = sum(n for d, n in new_by_day.items() if d < q.date_from)
    for i in range((q.date_to - q.date_from).days + 1):
        day = q.date_from + dt.timedelta(days=i)
        covered += new_by_day.get(day, 0)
        counts = dict(zip(DAY_FIGURES, per_day.get(day, ()), strict=False))
        figures = _figures(counts)
        rows.append(
            {
                "date": day.isoformat(),
                "visits": figures.pop("visits"),
                "households_visited": counts.get("households", 0),
                "enterprises_visited": counts.get("enterprises", 0),
                "people_covered": counts.get("people", 0),
                "coverage": _ratio(covered, registered),
                **figures,
                "open_in_time": in_time.get(day, 0),
                "overdue": snapshots.get(day, 0) if day < now_day else overdue if day == now_day else None,
                "help": helped.get(day, {}),  # 帮扶成效 of the day's tickets now resolved or closed
            }
        )
    return rows


def overdue_at_end_of(q: StatsQuery, day: dt.date) -> int:
    """`overdue` as stats/daily gives it for a past day (the nightly snapshot of its end): the previous period's own
    "当前超期" on the dashboard and in its workbook, beside today's live count."""
    return overdue_series(q.unit, q.campaign_id, day, day).get(day, 0)


def stats_ranking(q: StatsQuery, *, level: str) -> list[dict[str, Any]]:
    """Units of `level` under q.unit, ranked by a weighted score (RANKING_WEIGHTS); flags per SPEC §6.

    Departments are ranked by the tickets they lead (lead_unit); other levels by where the matter is (unit).
    """
    of_level = OrgUnit.objects.filter(kind=level).order_by("path")
    units = list(of_level.subtree_of(q.unit) if q.unit else of_level)
    by_path = _ranking_sums(q, units, level)
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
                "recurrence_rate": r["recurrence_rate"],  # a quality figure beside the score, not in it
                "score": score,
                "flag": None,
                "_rated": sums["rated"],
            }
        )
    return _flagged(rows)


def _rollups(q: StatsQuery, field: str) -> QuerySet[DailyRollup]:
    """The period's rollups of q.unit's subtree, by `field`, through the (unit, day) index (campaign.scope.among_subtree:
    a street's ranking of its communities, 26 → 6 ms at city size; bench/README.md, session 17)."""
    qs = among_subtree(DailyRollup.objects.filter(day__gte=q.date_from, day__lte=q.date_to), q.unit, field)
    return qs.filter(campaign_id=q.campaign.pk) if q.campaign else qs


def _ranking_sums(q: StatsQuery, units: list[OrgUnit], level: str) -> dict[str, dict[str, int]]:
    """{unit path: sums of the period}: from the ranked units' cache rows of a usual period (a department's `lead`
    sums) when every one has a row young enough, else from the rollups — one GROUP BY over the period's leaf rows."""
    key = "lead" if level == UnitKind.DEPARTMENT else None
    cached = periods.cached_rows(units, q.campaign, q.date_from, q.date_to)
    if units and len(cached) == len(units):
        return {u.path: {n: int((cached[u.pk][key] if key else cached[u.pk])[n]) for n in SUMS} for u in units}
    field = "lead_unit" if level == UnitKind.DEPARTMENT else "unit"
    by_path: dict[str, dict[str, int]] = {u.path: dict.fromkeys(SUMS, 0) for u in units}
    leaves = _rollups(q, field).filter(**{f"{field}__isnull": False})
    for row in leaves.values(f"{field}__path").annotate(**{n: Sum(n) for n in SUMS}).order_by():
        for prefix in path_prefixes(row[f"{field}__path"]):
            if (totals := by_path.get(prefix)) is not None:
                for name in SUMS:
                    totals[name] += row[name] or 0
    return by_path


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
