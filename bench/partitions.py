"""Benchmark of the partitioned visits table (issue 14 item 3; bench/README.md, "Partitioned history").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zf_part_bench .venv/bin/python bench/partitions.py [--visits N]

Migrates and seeds (small) the database once, then adds N visits (default 1,000,000) spread over the last 24 months
by INSERT … SELECT (the key trigger runs for every row), and times: a month of the visits list (first page), one
day's rollup rows, a visit looked up by id alone (no month: every partition's key index is probed, what a retry, a
photo upload or the visit detail does), and the migration's rebuild of the table both ways (plain ↔ partitioned).
Prints median and p95 of each read over 30 runs. Drops nothing but its own database's rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, throwaway_keys  # noqa: E402

throwaway_keys()
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zf_part_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
RUNS = 30

GROW = """
INSERT INTO visits_visit
SELECT gen_random_uuid(), t.target_type, now() - random() * interval '730 days', t.lat, t.lng, t.accuracy_m, t.crs,
       t.distance_m, t.geo_status, t.flags, t.people_met, t.notes, t.checklist, t.body_hash, now(), t.cadre_id,
       t.campaign_id, t.enterprise_id, t.household_id, t.point_unit_id, t.ticket_id, t.unit_id
FROM generate_series(1, %s) AS g, (SELECT * FROM visits_visit LIMIT 1) AS t
"""


def timed(fn, runs: int = RUNS) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def prepare(n: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from campaign.partitions import partitions_between
    from visits.models import Visit

    call_command("migrate", verbosity=0)
    if not Visit.objects.exists():
        call_command("seed_demo", "--size", "small", verbosity=0)
    have = Visit.objects.count()
    if have < n:
        partitions_between(timezone.now() - dt.timedelta(days=731), timezone.now())
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(GROW, [n - have])
            cursor.execute("ANALYZE visits_visit")
        print(f"inserted {n - have:,} visits in {time.perf_counter() - start:.1f} s (key trigger included)")


def reads() -> None:
    from django.db import connection
    from django.utils import timezone

    from campaign.days import day_start
    from dashboard.rollups import _visits_grouped
    from visits.models import Visit

    today = timezone.localdate()
    month_ago = today - dt.timedelta(days=180)
    first, last = day_start(month_ago.replace(day=1)), day_start(month_ago.replace(day=28))
    some = Visit.objects.filter(visited_at__gte=first, visited_at__lt=last).values_list("id", flat=True)[:RUNS]
    ids = iter(list(some) * 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM visits_visit")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'visits_visit'::regclass")
        parts = cursor.fetchone()[0]
    print(f"visits: {total:,} in {parts} partitions")
    cases = {
        "visits list, one month, first page of 50": lambda: list(
            Visit.objects.filter(visited_at__gte=first, visited_at__lt=last).order_by("-visited_at", "-id")[:50]
        ),
        "rollup raw rows of one day": lambda: list(_visits_grouped(month_ago, None)),
        "visit by id alone (all partitions' keys)": lambda: Visit.objects.filter(pk=next(ids)).first(),
    }
    for name, fn in cases.items():
        median, p95 = timed(fn)
        print(f"{name:45s} median {median:7.2f} ms   p95 {p95:7.2f} ms")


def rebuilds() -> None:
    from django.db import connection, transaction

    from campaign.partitions import rebuild_table

    unkeys = "ALTER TABLE visits_visitphoto DROP CONSTRAINT visitphoto_visit_key_fk"
    rekeys = (
        "ALTER TABLE visits_visitphoto ADD CONSTRAINT visitphoto_visit_key_fk "
        "FOREIGN KEY (visit_id) REFERENCES visits_visitkey (id) ON DELETE CASCADE"
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(unkeys)
        start = time.perf_counter()
        rebuild_table("visits_visit", key=None)
        back = time.perf_counter()
        rebuild_table("visits_visit", key="visited_at")
        done = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(rekeys)
    print(f"rebuild partitioned → plain {back - start:.1f} s, plain → partitioned (the migration) {done - back:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--no-rebuild", action="store_true")
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    prepare(args.visits)
    reads()
    if not args.no_rebuild:
        rebuilds()
        reads()


if __name__ == "__main__":
    main()
