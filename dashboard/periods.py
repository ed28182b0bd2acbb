"""The cache of the leaders' usual periods (issue 6): PeriodSummary rows, each what dashboard.figures computes.

Usual periods: today, the last 7 days, the last 30 days (every campaign together, and each running campaign), each
running campaign from its start, and — every campaign together, what the dashboard page shows beside them — the
periods just before today's, the last 7 and the last 30 days (PREVIOUS) and the unit's "全周期" (SINCE: from the
start of its campaigns). A row holds, for one unit, campaign and period, exactly what the one path computes
(dashboard.figures: range_figures and unit_state; its days' figures and overdue snapshots for stats/daily; every
campaign together, its categories; a department's lead-unit sums, the TODAY rows' first visit days), as at
`computed_at`. A read uses a row only while it is younger than CACHE_MAX_AGE; else it
computes through the one path. Nothing else decides between them.

Only the wide units keep rows (CACHED_KINDS: districts, streets, departments, parks): a community or a grid is a few
thousand households, which the one path answers in milliseconds, while refreshing their rows was most of the sweep's
work (a city: 4,032 of its 4,192 units; bench/README.md, the mixed load) and ran on the cores the requests need.

`periods_refresh` (called at the end of every sweep, rollups.rollup_dirty, and after a backfill or the nightly
recompute) rewrites the rows of the units someone read in the last WATCH_FOR_S (`watch`: every read of a usual
period notes its unit) — those above the leaf units the sweep just recomputed, and those whose rows are older than
REFRESH_AFTER (or missing, or of another day) — oldest first, for at most REFRESH_BUDGET of work; a sweep refreshes
at most once every REFRESH_CHANGED_AFTER (a sweep follows every write within seconds). A unit nobody read lately
is not refreshed: its rows age past CACHE_MAX_AGE, its next read computes live (the one path: as exact, slower) and
watches it, and the next sweep, within a minute, writes its rows. So the refresh's work follows what leaders read,
not the size of the city: kept current, a city's 160 wide units took ~0.4 of a core of PostgreSQL under the mixed
load while two leaders read 19 of them (bench/README.md, session 16; docs/decisions.md). The nightly recompute and
a backfill (`everything`) write every unit's rows.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from campaign.days import today
from campaign.models import Campaign, OrgUnit, UnitKind
from campaign.models.org import PATH_STEP, path_prefixes
from dashboard import cadres
from dashboard.figures import (
    category_sums,
    day_series,
    first_visits,
    help_series,
    overdue_series,
    range_sums,
    series_help,
    series_sums,
    span_figures,
    unit_state,
)
from dashboard.hotspots import MAX_PERIOD_DAYS, hotspots
from dashboard.models import PeriodSummary

# A cached row answers while younger than this; the page says how old ("数据更新于"). REFRESH_AFTER, the age at which
# the sweep recomputes a row, stays below it by more than the sweep's period (a minute) plus a city-wide refresh.
CACHE_MAX_AGE = dt.timedelta(minutes=5)
REFRESH_AFTER = dt.timedelta(minutes=3)
# A changed unit's ancestors are rewritten by the next sweep once their rows are this old: a sweep follows every
# write within seconds (dashboard.signals.request_sweep), and rewriting a district's rows at each (0.8 s at city size)
# kept the worker busy all the time under a steady stream of visits; the leaf rollups themselves stay seconds behind.
REFRESH_CHANGED_AFTER = dt.timedelta(seconds=60)
# The work one sweep's refresh may do (the units are taken oldest row first; at least one unit per sweep). A whole
# city's wide units take ~50 s here: with a sweep a minute every row is rewritten within ~4 minutes, under the bound.
REFRESH_BUDGET = dt.timedelta(seconds=15)
# A refresh holds this transaction-scoped advisory lock (PostgreSQL): refreshes run one at a time. Far from the
# rollups' lock keys.
_REFRESH_LOCK = -(1 << 41)
CACHED_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.PARK)
Period = tuple[int, str, dt.date, dt.date]  # (campaign id or 0, period key, date_from, date_to)


# The dashboard page's previous periods (page_data.Period.previous), every campaign together: {(days from the end to
# today, length in days): key}. The page shows each usual period beside the one just before it.
PREVIOUS = {(1, 1): PeriodSummary.PREV_TODAY, (7, 7): PeriodSummary.PREV_7, (30, 30): PeriodSummary.PREV_30}
SINCE_DEFAULT_DAYS = 90  # the page's "全周期" of a unit in no active campaign: the last 90 days
# The periods whose hot spots the row of a unit read lately (watch) keeps (every campaign together, at
# settings.HOTSPOT_MIN_TICKETS): the page's today, 7 and 30 days (its hotspots_url asks for the period itself). Not
# its 全周期: at city size a district's thirteen months of hot spots took 1.8 s of each refresh of its rows (0.9 s
# without); read live, after the page.
HOTSPOT_PERIODS = {PeriodSummary.TODAY, PeriodSummary.LAST_7, PeriodSummary.LAST_30}
# The periods whose cadre activity panel (dashboard.cadres.panel) the row of a unit read lately keeps, every campaign
# together: the page's today, 7 and 30 days. At city size a district's panel read its 864 cadres' visits, ~60-90 ms
# of each page.
CADRE_PERIODS = HOTSPOT_PERIODS


def usual_periods(day: dt.date) -> list[Period]:
    """The usual periods as of `day`: for every campaign together (0, with the page's previous periods) and for each
    campaign running on `day`. A unit's "全周期" (SINCE) is its own (since_start), added by the refresh."""
    last = (
        (PeriodSummary.TODAY, day),
        (PeriodSummary.LAST_7, day - dt.timedelta(days=6)),
        (PeriodSummary.LAST_30, day - dt.timedelta(days=29)),
    )
    periods: list[Period] = [(0, key, start, day) for key, start in last]
    for (back, length), key in PREVIOUS.items():
        end = day - dt.timedelta(days=back)
        periods.append((0, key, end - dt.timedelta(days=length - 1), end))
    for campaign in Campaign.objects.filter(start_date__lte=day, end_date__gte=day).order_by("pk"):
        periods += [(campaign.pk, key, start, day) for key, start in last]
        periods.append((campaign.pk, PeriodSummary.CAMPAIGN, campaign.start_date, day))
    return periods


def usual_period(date_from: dt.date, date_to: dt.date, campaign: Campaign | None) -> str | None:
    """The key of the usual period [date_from, date_to] (PeriodSummary.TODAY …), or None: not one. A campaign's own
    start wins over a coinciding last-7/30-days start (same figures). Every campaign together, a range ending today
    of another length may be a unit's SINCE and one ending before today a PREVIOUS period: the row, matched on its
    dates too, says (a lookup that finds none computes)."""
    day = today()
    if date_to != day:
        return PREVIOUS.get(((day - date_to).days, (date_to - date_from).days + 1)) if campaign is None else None
    if campaign is not None and campaign.start_date == date_from and campaign.start_date <= day <= campaign.end_date:
        return PeriodSummary.CAMPAIGN
    lengths = {0: PeriodSummary.TODAY, 6: PeriodSummary.LAST_7, 29: PeriodSummary.LAST_30}
    return lengths.get((day - date_from).days, PeriodSummary.SINCE if campaign is None else None)


def since_start(unit: OrgUnit | None, day: dt.date) -> dt.date:
    """The first day of the dashboard's "全周期" for the unit: the earliest start of the active campaigns it takes
    part in (through itself or an ancestor), else SINCE_DEFAULT_DAYS back. One query."""
    qs = Campaign.objects.filter(is_active=True)
    if unit is not None:
        qs = qs.filter(units__path__in=path_prefixes(unit.path))
    first = qs.aggregate(first=Min("start_date"))["first"]
    return first or day - dt.timedelta(days=SINCE_DEFAULT_DAYS - 1)


# The units read lately, {unit id: time of the last noted read}, in the shared cache (Redis when configured; else this
# process's, which is where the embedded deployment's scheduler refreshes too). Noted at most once a minute per unit.
WATCHED_KEY = "zf:stats:watched"
WATCH_FOR_S = 15 * 60
WATCH_NOTE_EVERY_S = 60


def watch(units: list[int]) -> None:
    """Someone read these units' usual periods: their rows come first in the next refreshes, for WATCH_FOR_S."""
    now = time.time()
    watched: dict[int, float] = cache.get(WATCHED_KEY) or {}
    if all(now - watched.get(pk, 0.0) < WATCH_NOTE_EVERY_S for pk in units):
        return
    watched = {pk: at for pk, at in watched.items() if now - at < WATCH_FOR_S}
    watched.update(dict.fromkeys(units, now))
    cache.set(WATCHED_KEY, watched, WATCH_FOR_S)


def watched_units() -> set[int]:
    now = time.time()
    return {pk for pk, at in (cache.get(WATCHED_KEY) or {}).items() if now - at < WATCH_FOR_S}


def is_cached(unit: OrgUnit | None) -> bool:
    """Whether the unit keeps cache rows (a unit of CACHED_KINDS; the whole city, None, computes live)."""
    return unit is not None and unit.kind in CACHED_KINDS


def _fresh() -> Q:
    return Q(computed_at__gte=timezone.now() - CACHE_MAX_AGE)


def cached(
    unit: OrgUnit | None, campaign: Campaign | None, date_from: dt.date, date_to: dt.date
) -> PeriodSummary | None:
    """The cache row of exactly this period, if it is a usual one and its row is younger than CACHE_MAX_AGE."""
    period = usual_period(date_from, date_to, campaign) if is_cached(unit) else None
    if period is None:
        return None
    watch([unit.pk])  # type: ignore[union-attr]  # is_cached: a unit
    key = {"campaign_id": campaign.pk if campaign else 0, "period": period, "date_from": date_from, "date_to": date_to}
    return PeriodSummary.objects.filter(_fresh(), unit=unit, **key).defer("hotspots").first()


def cached_hotspots(unit: OrgUnit | None, date_from: dt.date, date_to: dt.date) -> list[dict[str, Any]] | None:
    """The hot spots (every campaign together, at the default threshold) a young enough row keeps for exactly this
    period, or None: compute them (dashboard.hotspots). One query. Their `topic` is as at `computed_at`: the caller
    refreshes it (dashboard.hotspots.with_topics), since a leader who promotes a spot looks for its topic at once."""
    return _kept(unit, date_from, date_to, HOTSPOT_PERIODS, "hotspots")


def cached_cadres(unit: OrgUnit | None, date_from: dt.date, date_to: dt.date) -> dict[str, Any] | None:
    """The cadre activity panel (dashboard.cadres.panel_stored) a young enough row keeps for exactly this period, or
    None: compute it. One query. As of the row's `computed_at`, as every figure of the row."""
    return _kept(unit, date_from, date_to, CADRE_PERIODS, "figures__cadres")


def _kept(unit: OrgUnit | None, date_from: dt.date, date_to: dt.date, kept: set[str], column: str) -> Any:
    """`column` of the unit's young enough row of exactly this period, every campaign together, if the row keeps it
    for that period (`kept`); None otherwise. One query, none for a period kept nowhere."""
    period = usual_period(date_from, date_to, None) if is_cached(unit) else None
    if period not in kept:
        return None
    watch([unit.pk])  # type: ignore[union-attr]  # is_cached: a unit
    rows = PeriodSummary.objects.filter(
        _fresh(), unit=unit, campaign_id=0, period=period, date_from=date_from, date_to=date_to
    )
    return rows.values_list(column, flat=True).first()


def cached_rows(
    units: list[OrgUnit], campaign: Campaign | None, date_from: dt.date, date_to: dt.date
) -> dict[int, Any]:
    """{unit id: figures} of the units' cache rows of this usual period (young enough), or {} (not a usual period)."""
    units = [u for u in units if is_cached(u)]
    period = usual_period(date_from, date_to, campaign)
    if period is None or not units:
        return {}
    watch([u.pk for u in units])
    key = {"campaign_id": campaign.pk if campaign else 0, "period": period, "date_from": date_from, "date_to": date_to}
    found = PeriodSummary.objects.filter(_fresh(), unit__in=[u.pk for u in units], **key)
    return dict(found.values_list("unit_id", "figures"))


def anchor(unit: OrgUnit | None, campaign_id: int) -> PeriodSummary | None:
    """The unit's cache row of today (the campaign's, else every campaign's), young enough: what does not depend on
    the range (registry count, overdue, first visit days) for any other read. One query."""
    if not is_cached(unit):
        return None
    day = today()
    rows = PeriodSummary.objects.filter(
        _fresh(), unit=unit, period=PeriodSummary.TODAY, date_to=day, campaign_id__in={0, campaign_id}
    )
    return rows.order_by("-campaign_id").defer("hotspots").first()


def periods_refresh(*, leaves: set[int] | None = None, everything: bool = False, paced: bool = False) -> int:
    """Rewrite the cache rows (of units of CACHED_KINDS) of the ancestors of `leaves` and every department, of every
    unit whose rows are older than REFRESH_AFTER or not of today — or of all of them; returns the number of rows
    written. Cheap when nothing is due. Call outside any transaction of the caller's. `paced` (the sweep's call):
    nothing if a refresh wrote rows less than REFRESH_CHANGED_AFTER ago — a sweep follows every write within
    seconds, and each would otherwise spend its REFRESH_BUDGET, back to back, while visits keep coming.

    PostgreSQL computes and writes under one advisory lock. SQLite (the embedded default: one writer for the whole
    database, and a transaction takes it when it begins) computes first, outside any transaction (WAL: reads
    neither wait for the writer nor hold it up), then writes in one short transaction — a refresh of every unit
    takes seconds, and no user's write may wait that long. There only the in-process scheduler refreshes, one
    job at a time."""
    day, now = today(), timezone.now()
    if connection.vendor != "postgresql":
        if paced and _refreshed_since(now - REFRESH_CHANGED_AFTER):
            _mark_due(now, leaves)
            return 0
        rows = _rows_due(day, now, leaves, everything)
        with transaction.atomic():
            _rows_write(rows, day)
        return len(rows)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REFRESH_LOCK])
        if paced and _refreshed_since(now - REFRESH_CHANGED_AFTER):
            _mark_due(now, leaves)
            return 0
        rows = _rows_due(day, now, leaves, everything)
        _rows_write(rows, day)
    return len(rows)


def _refreshed_since(moment: dt.datetime) -> bool:
    return PeriodSummary.objects.filter(computed_at__gt=moment).exists()


def _rows_due(day: dt.date, now: dt.datetime, leaves: set[int] | None, everything: bool) -> list[PeriodSummary]:
    units = _units_to_refresh(day, now, leaves, everything, watched_units())
    if not units:
        return []
    periods = usual_periods(day)
    rows: list[PeriodSummary] = []
    started = time.monotonic()
    for unit in units:
        if rows and not everything and time.monotonic() - started > REFRESH_BUDGET.total_seconds():
            break  # the rest, still due, come first in the next sweep
        rows += _unit_rows(unit, periods, now)
    return rows


def _rows_write(rows: list[PeriodSummary], day: dt.date) -> None:
    if not rows:
        return
    PeriodSummary.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["unit", "campaign_id", "period"],
        update_fields=["date_from", "date_to", "as_of", "figures", "hotspots", "computed_at"],
    )
    PeriodSummary.objects.filter(as_of__lt=day).delete()  # ended campaigns, yesterday's periods


def _units_to_refresh(
    day: dt.date, now: dt.datetime, leaves: set[int] | None, everything: bool, watched: set[int]
) -> list[OrgUnit]:
    """Every unit of CACHED_KINDS, or — of the units read lately (watch), oldest row first (none first) — those
    without a row of today younger than REFRESH_AFTER, and, with rows older than REFRESH_CHANGED_AFTER, the
    ancestors of `leaves` and every department of their districts (a department's `lead` sums count the tickets it leads anywhere in its district:
    a lead unit lies in the ticket's district, issues.rules.fields.unit_field). A unit nobody read lately is left
    out: its rows age past CACHE_MAX_AGE and its next read computes live, then watches it (docs/decisions.md)."""
    wide = OrgUnit.objects.filter(kind__in=CACHED_KINDS).order_by("path")
    if everything:
        return list(wide)
    if not watched:
        return []
    wide = wide.filter(pk__in=watched)
    young = PeriodSummary.objects.filter(
        campaign_id=0, period=PeriodSummary.TODAY, as_of=day, computed_at__gte=now - REFRESH_AFTER
    )
    due = ~Q(pk__in=young.values("unit_id"))
    if leaves:
        recent = PeriodSummary.objects.filter(
            campaign_id=0, period=PeriodSummary.TODAY, as_of=day, computed_at__gt=now - REFRESH_CHANGED_AFTER
        )
        due |= _above(leaves) & ~Q(pk__in=recent.values("unit_id"))
    computed = PeriodSummary.objects.filter(
        unit=OuterRef("pk"), campaign_id=0, period=PeriodSummary.TODAY, as_of=day
    ).values("computed_at")[:1]
    oldest_first = (F("computed").asc(nulls_first=True), "path")
    return list(wide.filter(due).annotate(computed=Subquery(computed)).order_by(*oldest_first))


def _above(leaves: set[int]) -> Q:
    """The units whose figures a change of `leaves` touches: their ancestors, and the departments of their districts."""
    paths = OrgUnit.objects.filter(pk__in=leaves).values_list("path", flat=True)
    prefixes = {prefix for path in paths for prefix in path_prefixes(path)}
    departments = Q(pk__in=[])
    for district in {path[:PATH_STEP] for path in prefixes}:
        departments |= Q(path__startswith=district)
    return Q(path__in=prefixes) | (Q(kind=UnitKind.DEPARTMENT) & departments)


def _mark_due(now: dt.datetime, leaves: set[int] | None) -> None:
    """A paced sweep that does not refresh: the rows above its changes become due for the next refresh by having
    their `computed_at` pulled back to REFRESH_AFTER ago (a row so marked still answers, and expires two minutes
    sooner than it would have; the next refresh, within a minute, rewrites it)."""
    if leaves:
        above = OrgUnit.objects.filter(_above(leaves)).values("pk")
        rows = PeriodSummary.objects.filter(unit__in=above, computed_at__gt=now - REFRESH_AFTER)
        rows.update(computed_at=now - REFRESH_AFTER)


def _unit_rows(unit: OrgUnit, periods: list[Period], now: dt.datetime) -> list[PeriodSummary]:
    """The cache rows of one unit: per campaign, the one path's figures of its usual periods, each with its days'
    figures (stats/daily) and — every campaign together — its categories, cadre panel and hot spots (the page). A
    few queries per campaign."""
    day = max(p[3] for p in periods)
    periods = [*periods, (0, PeriodSummary.SINCE, since_start(unit, day), day)]
    rows = []
    for campaign_id in sorted({p[0] for p in periods}):
        mine = [p for p in periods if p[0] == campaign_id]
        ranges = [(start, end) for _, _, start, end in mine]
        ranges_start = min(start for start, _ in ranges)
        series = day_series(unit, campaign_id, ranges_start, day)
        spans, helped = span_figures(unit, campaign_id, ranges), help_series(unit, campaign_id, ranges_start, day)
        figures = [
            {**series_sums(series, *r), **spans[i], "help": series_help(helped, *r)} for i, r in enumerate(ranges)
        ]  # = range_figures
        state = unit_state(unit, campaign_id)
        lead = range_sums(unit, campaign_id, ranges, field="lead_unit_id") if unit.kind == UnitKind.DEPARTMENT else None
        snapshots = overdue_series(unit, campaign_id, min(start for start, _ in ranges), day)
        kinds = category_sums(unit, ranges) if campaign_id == 0 else None
        for i, (_, key, start, end) in enumerate(mine):
            values: dict[str, Any] = {**figures[i], **state}
            values["days"] = {d.isoformat(): v for d, v in series.items() if start <= d <= end}
            values["overdue_days"] = {d.isoformat(): n for d, n in snapshots.items() if start <= d <= end}
            values["help_days"] = {d.isoformat(): h for d, h in helped.items() if start <= d <= end}
            if kinds is not None:
                values["categories"] = kinds[i]
            if lead is not None:
                values["lead"] = lead[i]
            if key == PeriodSummary.TODAY:
                values["first_days"] = first_visits(unit, campaign_id, end)
            if campaign_id == 0 and key in CADRE_PERIODS:
                values["cadres"] = cadres.panel_stored(cadres.panel(unit, start, end))
            spots = None
            if campaign_id == 0 and key in HOTSPOT_PERIODS and (end - start).days < MAX_PERIOD_DAYS:
                spots = hotspots(unit, 0, start, end, settings.HOTSPOT_MIN_TICKETS)
            rows.append(
                PeriodSummary(
                    unit=unit,
                    campaign_id=campaign_id,
                    period=key,
                    date_from=start,
                    date_to=end,
                    as_of=day,
                    figures=values,
                    hotspots=spots,
                    computed_at=now,
                )  # fmt: skip
            )
    return rows
