"""City-scale benchmark of the statistics (bench/README.md, "rollup"; issues 6 and 7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zf_bench_stats .venv/bin/python bench/stats_scale.py \
        [--backfill-days N] [--repeat 20]

Builds once, in its own database, with set-based SQL (INSERT … SELECT … FROM generate_series): a district of 10
streets / 50 communities / 500 grids / 5 departments, 200,000 households, 10,000,000 visits over the 90 days ending
today and 1,000,000 tickets over the same days, in every state. Then times (a) the recompute of one district-day
and of one grid-day (the sweep's unit of work, spans included), (b) the backfill of the 90 days (or of
--backfill-days, extrapolated to 90), (c) summary / daily / ranking for the usual periods (from their cache rows)
and custom ranges (through the one path) via the API's selectors, against the same summary computed from raw rows
(--raw-repeat 0 skips those). Stops by itself; touches nothing outside its database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zf_bench_stats")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

HOUSEHOLDS, VISITS, TICKETS, DAYS = 200_000, 10_000_000, 1_000_000, 90
NAME = "城市基准区"


def build_tree(day0: dt.date) -> None:
    """The org tree, a leader and the campaign through the ORM (a few hundred rows)."""
    from campaign.models import Campaign, OrgUnit, User

    if OrgUnit.objects.filter(name=NAME).exists():
        return
    district = OrgUnit.objects.create(name=NAME, kind="district", code="CS")
    for s in range(10):
        street = OrgUnit.objects.create(name=f"街道{s}", kind="street", parent=district)
        for c in range(5):
            community = OrgUnit.objects.create(name=f"社区{s}-{c}", kind="community", parent=street)
            for g in range(10):
                OrgUnit.objects.create(name=f"网格{s}-{c}-{g}", kind="grid", parent=community)
    for d in range(5):
        OrgUnit.objects.create(name=f"部门{d}", kind="department", parent=district)
    User.objects.create(username="bench", role="leader", unit=district)
    campaign = Campaign.objects.create(name="城市基准活动", start_date=day0, end_date=day0 + dt.timedelta(days=365))
    campaign.units.add(district)


# Grids are numbered 0..499 by path order (g), households 0..HOUSEHOLDS-1 (n) spread evenly over them.
HOUSEHOLDS_SQL = """WITH g AS (SELECT id, row_number() OVER (ORDER BY path) - 1 AS n FROM campaign_orgunit WHERE kind='grid')
INSERT INTO campaign_household (address, head_name, phone, members, tags, confirmed, created_at, unit_id)
SELECT '地址' || i, '张三', '', 1 + (i * 7) %% 6, '[]'::jsonb, true, now(), g.id
FROM generate_series(0, %(n)s - 1) i JOIN g ON g.n = i %% 500"""
# Visit i: household hash(i) mod N (a hash, so that each day's visits spread over all households), 07:00–19:59
# Asia/Shanghai, on day ⌊i·90/N⌋ (time order, as real visits arrive: a day's rows sit together in the heap) or, with
# --scattered, on day i mod 90 (a day's rows spread over the whole heap: the pessimistic layout of the first run).
VISITS_SQL = """WITH h AS (SELECT id, unit_id, row_number() OVER (ORDER BY id) - 1 AS n FROM campaign_household)
INSERT INTO visits_visit (id, target_type, visited_at, crs, geo_status, flags, people_met, notes, checklist, body_hash,
                          created_at, cadre_id, campaign_id, household_id, unit_id)
SELECT md5('v' || i)::uuid, 'household', t.at, 'wgs84', 'verified', '[]'::jsonb, 1, '', '{}'::jsonb, repeat('x', 64),
       t.at, %(cadre)s, %(campaign)s, h.id, h.unit_id
FROM generate_series(%(lo)s::bigint, %(hi)s - 1) i
CROSS JOIN LATERAL (SELECT (%(start)s::timestamptz + {day} * interval '1 day'
                            + interval '7 hours' + ((i * 31) %% 780) * interval '1 minute') AS at) t
JOIN h ON h.n = (hashint8(i) & 2147483647) %% %(households)s"""
TICKETS_SQL = """WITH g AS (SELECT id, row_number() OVER (ORDER BY path) - 1 AS n FROM campaign_orgunit WHERE kind='grid'),
d AS (SELECT id, row_number() OVER (ORDER BY path) - 1 AS n FROM campaign_orgunit WHERE kind='department')
INSERT INTO issues_ticket (code, source, kind, category, requester_name, requester_phone, description, attachments,
    mode, problem, responsible_person, measures, expected_effect, status, supervision, version, reopen_count,
    satisfaction, unreachable_count, resolved_on_site, public_notice, result, created_at, dispatched_at, accepted_at,
    due_at, resolved_at, closed_at, updated_at, campaign_id, unit_id, lead_unit_id)
SELECT 'CS-' || i, 'visit', (ARRAY['complaint','request','suggestion'])[1 + i %% 3],
       (ARRAY['城市管理','社会保障','住房物业'])[1 + (i / 3) %% 3], '', '', '诉求', '[]'::jsonb,
       CASE WHEN s.st IN ('reported','cancelled') THEN '' ELSE 'proactive' END, '', '', '', '', s.st, 0, 1, 0,
       CASE WHEN s.st IN ('resolved','closed')
            THEN (ARRAY['satisfied','basically_satisfied','unsatisfied',''])[1 + (i / 7) %% 4] ELSE '' END,
       0, false, '', '',
       t.at,
       CASE WHEN s.st NOT IN ('reported','cancelled') THEN t.at + interval '1 hour' END,
       CASE WHEN s.st NOT IN ('reported','cancelled','dispatched')
            THEN t.at + interval '1 hour' + (ARRAY[2, 30])[1 + (i / 11) %% 2] * interval '1 hour' END,
       CASE WHEN s.st NOT IN ('reported','cancelled') THEN t.at + (ARRAY[1, 5, 10])[1 + (i / 13) %% 3] * interval '1 day' END,
       CASE WHEN s.st IN ('resolved','closed') THEN t.at + (ARRAY[1, 3, 12])[1 + (i / 17) %% 3] * interval '1 day' END,
       CASE WHEN s.st = 'closed' THEN t.at + interval '13 days' END,
       t.at, %(campaign)s, g.id,
       CASE WHEN s.st NOT IN ('reported','cancelled') THEN d.id END
FROM generate_series(%(lo)s::bigint, %(hi)s - 1) i
CROSS JOIN LATERAL (SELECT (%(start)s::timestamptz + {day} * interval '1 day'
                            + interval '7 hours' + ((i * 37) %% 780) * interval '1 minute') AS at) t
CROSS JOIN LATERAL (SELECT (ARRAY['reported','dispatched','accepted','in_progress','resolved','closed',
                                  'cancelled'])[1 + (i * 5) %% 7] AS st) s
JOIN g ON g.n = (hashint8(-i) & 2147483647) %% 500
JOIN d ON d.n = i %% 5"""
CHUNK = 1_000_000  # rows per INSERT … SELECT: one transaction each, so a killed build keeps what it wrote


ORDERED_DAY, SCATTERED_DAY = "(i * 90 / %(total)s)", "(i %% 90)"


def build_rows(day0: dt.date, *, scattered: bool = False) -> None:
    from django.db import connection

    from campaign.models import Campaign, Household, User
    from dashboard.rollups import day_bounds
    from issues.models import Ticket
    from visits.models import Visit

    params: dict[str, Any] = {
        "cadre": User.objects.get(username="bench").pk,
        "campaign": Campaign.objects.get(name="城市基准活动").pk,
        "start": day_bounds(day0)[0],
        "households": HOUSEHOLDS,
    }
    with connection.cursor() as cursor:
        if not Household.objects.exists():
            _step("households", lambda: cursor.execute(HOUSEHOLDS_SQL, {"n": HOUSEHOLDS}))
        day = SCATTERED_DAY if scattered else ORDERED_DAY
        loads = (
            ("visits", Visit, VISITS_SQL.replace("{day}", day), VISITS),
            ("tickets", Ticket, TICKETS_SQL.replace("{day}", day), TICKETS),
        )
        for table, model, sql, total in loads:
            have = model.objects.count()
            if have < total:
                _drop_secondary_indexes(cursor, model._meta.db_table)
            for lo in range(have, total, CHUNK):
                hi = min(lo + CHUNK, total)
                _step(
                    f"{table} {lo:,}..{hi:,}",
                    lambda lo=lo, hi=hi, sql=sql, total=total: cursor.execute(
                        sql, {**params, "lo": lo, "hi": hi, "total": total}
                    ),
                )
        _step("secondary indexes", lambda: _restore_indexes(cursor))
        _step("ANALYZE", lambda: cursor.execute("ANALYZE"))


# Loading 10M rows into a table with 6 indexes costs ~3x loading it bare and indexing after: the plain indexes
# (not those behind a constraint) are dropped for the load, their definitions kept in a table of this database so
# that a killed build restores them on the next run.
def _drop_secondary_indexes(cursor: Any, table: str) -> None:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_dropped_index (indexdef text PRIMARY KEY)")
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [table],
    )
    for name, indexdef in cursor.fetchall():
        cursor.execute("INSERT INTO bench_dropped_index VALUES (%s) ON CONFLICT DO NOTHING", [indexdef])
        cursor.execute(f'DROP INDEX "{name}"')


def _restore_indexes(cursor: Any) -> None:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_dropped_index (indexdef text PRIMARY KEY)")
    cursor.execute("SELECT indexdef FROM bench_dropped_index")
    for (indexdef,) in cursor.fetchall():
        cursor.execute(indexdef.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        cursor.execute("DELETE FROM bench_dropped_index WHERE indexdef = %s", [indexdef])


def _step(label: str, fn: Callable[[], Any]) -> None:
    started = time.perf_counter()
    fn()
    print(f"  built {label} in {time.perf_counter() - started:.1f} s", flush=True)


def _percentiles(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(p50, p95) in seconds of `repeat` calls after one warm-up call."""
    fn()
    times = sorted(_timed(fn) for _ in range(repeat))
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(*, day0: dt.date, repeat: int, raw_repeat: int, backfill_days: int, skip_backfill: bool) -> None:
    from django.db import connection

    from campaign.days import today
    from campaign.models import OrgUnit
    from dashboard.models import DailyRollup, PeriodSummary, TargetSpan, VisitTargetDay
    from dashboard.periods import periods_refresh
    from dashboard.rollups import rollup_day, rollup_range, rollup_whole_day

    last = today()
    print(f"\nstats at city scale (PostgreSQL {getattr(connection, 'pg_version', '?')}, {os.cpu_count()} CPUs): "
          f"{VISITS:,} visits and {TICKETS:,} tickets over {DAYS} days, {HOUSEHOLDS:,} households, 500 grids")  # fmt: skip
    mid = day0 + dt.timedelta(days=DAYS // 2)
    grid = OrgUnit.objects.filter(kind="grid").order_by("path").first()
    assert grid is not None
    runs = [_timed(lambda: rollup_whole_day(day=mid)) for _ in range(3)]
    print(f"(a) recompute one district-day (rollup_whole_day, its block's spans included), median of 3: "
          f"{statistics.median(runs):.2f} s [{', '.join(f'{r:.2f}' for r in runs)}]; rows of the day: "
          f"{DailyRollup.objects.filter(day=mid).count():,} DailyRollup, "
          f"{VisitTargetDay.objects.filter(day=mid).count():,} VisitTargetDay")  # fmt: skip
    runs = [_timed(lambda: rollup_day(day=mid, unit_id=grid.pk)) for _ in range(5)]
    print(f"    recompute one grid-day (rollup_day, the grid's spans of the block included), median of 5: "
          f"{statistics.median(runs) * 1000:.0f} ms [{', '.join(f'{r * 1000:.0f}' for r in runs)}]")  # fmt: skip
    if not skip_backfill:
        days = min(backfill_days, DAYS)
        seconds = _timed(lambda: rollup_range(date_from=day0, date_to=day0 + dt.timedelta(days=days - 1)))
        note = "" if days == DAYS else f" (extrapolated to {DAYS} days: {seconds / days * DAYS:.0f} s)"
        print(f"(b) backfill {days} days (rollup_range, incl. spans, overdue snapshots and periods_refresh): "
              f"{seconds:.0f} s, {seconds / days:.2f} s/day{note}")  # fmt: skip
    full = [_timed(lambda: periods_refresh(everything=True)) for _ in range(3)]
    one = [_timed(lambda: periods_refresh(leaves={grid.pk})) for _ in range(3)]
    print(f"    periods_refresh, every unit: {statistics.median(full):.2f} s; a sweep's (one grid's ancestors and the "
          f"departments): {statistics.median(one):.2f} s; {PeriodSummary.objects.count():,} PeriodSummary rows, "
          f"{TargetSpan.objects.count():,} TargetSpan rows")  # fmt: skip
    _vacuum_and_refresh()
    _reads(day0=day0, last=last, repeat=repeat, raw_repeat=raw_repeat)


DERIVED = ("targetspan", "dayreach", "dailyrollup", "periodsummary", "visittargetday", "overduesnapshot")


def _vacuum_and_refresh() -> None:
    """VACUUM ANALYZE the derived tables (every recompute deletes and re-inserts rows: on a server with autovacuum
    off, as the bench machine's, the dead rows pile up and every later scan reads them), then write the cache rows
    the usual periods read, so that they are young during the reads."""
    from django.db import connection

    from dashboard.periods import periods_refresh

    with connection.cursor() as cursor:
        for table in DERIVED:
            cursor.execute(f"VACUUM ANALYZE dashboard_{table}")
    periods_refresh(everything=True)


def _reads(*, day0: dt.date, last: dt.date, repeat: int, raw_repeat: int) -> None:
    from django.db import connection

    from bench.raw_summary import RAW_SUMMARY
    from campaign.days import day_bounds
    from campaign.models import Campaign, OrgUnit
    from dashboard.periods import cached
    from dashboard.selectors import StatsQuery, stats_daily, stats_ranking, stats_summary

    campaign = Campaign.objects.get(name="城市基准活动")
    periods = [
        ("today", last, last, None),
        ("last 7 days", last - dt.timedelta(days=6), last, None),
        ("last 30 days", last - dt.timedelta(days=29), last, None),
        ("campaign to date", campaign.start_date, last, campaign),
    ]
    customs = [
        ("custom 7 days", last - dt.timedelta(days=20), last - dt.timedelta(days=14), None),
        ("custom 31 days", last - dt.timedelta(days=60), last - dt.timedelta(days=30), None),
        ("custom 90 days", day0, last - dt.timedelta(days=1), None),
    ]
    print(f"(c) p50 / p95 over {repeat} calls (raw: {raw_repeat}), in ms")
    print(f"    {'unit':<10} {'period':<18} {'summary':>17} {'raw rows':>17} {'speed-up':>9}")
    for unit in (OrgUnit.objects.get(name=NAME), OrgUnit.objects.get(name="街道3")):
        for label, start, end, scope in [*periods, *customs]:
            q = StatsQuery(unit=unit, date_from=start, date_to=end, campaign=scope)
            if (label, start, end, scope) in periods:
                assert cached(unit, scope, start, end) is not None, f"{label}: no cache row"
            api = _percentiles(lambda q=q: stats_summary(q), repeat)
            params = {"path": unit.path + "%", "start": day_bounds(start)[0], "end": day_bounds(end)[1]}

            def raw(params: dict[str, Any] = params) -> None:
                with connection.cursor() as cursor:
                    cursor.execute(RAW_SUMMARY, params)
                    cursor.fetchall()

            if unit.depth or not raw_repeat:  # raw rows only for the district (the slow side takes ~10 s a call)
                print(f"    {unit.name:<10} {label:<18} {api[0] * 1000:8.1f} / {api[1] * 1000:6.1f}", flush=True)
                continue
            slow = _percentiles(raw, raw_repeat)
            print(f"    {unit.name:<10} {label:<18} {api[0] * 1000:8.1f} / {api[1] * 1000:6.1f} "
                  f"{slow[0] * 1000:8.0f} / {slow[1] * 1000:6.0f} {slow[0] / api[0]:8.0f}x", flush=True)  # fmt: skip
    district = OrgUnit.objects.get(name=NAME)
    for label, start, end, _ in (periods[2], customs[1]):
        q = StatsQuery(unit=district, date_from=start, date_to=end)
        for name, fn in (("daily", lambda q=q: stats_daily(q)), ("ranking streets", lambda q=q: stats_ranking(q, level="street")),
                         ("ranking departments", lambda q=q: stats_ranking(q, level="department"))):  # fmt: skip
            p50, p95 = _percentiles(fn, repeat)
            print(f"    {district.name:<10} {label:<18} {name:<20} {p50 * 1000:8.1f} / {p95 * 1000:6.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backfill-days", type=int, default=DAYS, help="days to backfill (extrapolated to 90)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--raw-repeat", type=int, default=20, help="repeats of the raw-rows summary (slow)")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--scattered", action="store_true", help="build with a day's visits spread over the heap")
    parser.add_argument("--skip-backfill", action="store_true", help="reuse the rollups already in the database")
    parser.add_argument("--reads-only", action="store_true", help="only (c): the reads, on the rows already there")
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from campaign.days import today

    call_command("migrate", verbosity=0)
    day0 = today() - dt.timedelta(days=DAYS - 1)
    build_tree(day0)
    build_rows(day0, scattered=args.scattered)
    if args.build_only:
        return
    if args.reads_only:
        _vacuum_and_refresh()
        _reads(day0=day0, last=day0 + dt.timedelta(days=DAYS - 1), repeat=args.repeat, raw_repeat=args.raw_repeat)
        return
    measure(
        day0=day0,
        repeat=args.repeat,
        raw_repeat=args.raw_repeat,
        backfill_days=args.backfill_days,
        skip_backfill=args.skip_backfill,
    )


if __name__ == "__main__":
    main()
