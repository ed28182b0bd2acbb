"""Benchmark of the statistics rollups on PostgreSQL (bench/README.md, "rollup").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zoufang_bench_rollup .venv/bin/python bench/rollup.py [--days N]

Builds (once per database) a district of 500 grids with 50,000 households, then one district-day of 50,000 visits
and 10,000 tickets in every state; times the recompute of that day (dashboard.rollups.rollup_whole_day), and the
same summary read from the rollups (dashboard.selectors.stats_summary) against a brute-force summary over the raw
rows. --days N adds N more days of the same volume and times the backfill (rollup_range) over all of them.
Drops nothing but its own database's rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import ensure_database, throwaway_keys  # noqa: E402
from bench.raw_summary import RAW_SUMMARY  # noqa: E402

throwaway_keys()

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zoufang_bench_rollup")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

VISITS_PER_DAY, TICKETS_PER_DAY, HOUSEHOLDS, GRIDS = 50_000, 10_000, 50_000, 500
DAY0 = dt.date(2026, 3, 1)


def build_district():
    from campaign.models import Campaign, Household, OrgUnit, User

    if OrgUnit.objects.filter(name="基准区").exists():
        return
    rng = random.Random(1)
    district = OrgUnit.objects.create(name="基准区", kind="district", code="BM")
    grids = []
    for s in range(10):
        street = OrgUnit.objects.create(name=f"街道{s}", kind="street", parent=district)
        for c in range(5):
            community = OrgUnit.objects.create(name=f"社区{s}-{c}", kind="community", parent=street)
            grids += [OrgUnit.objects.create(name=f"网格{s}-{c}-{g}", kind="grid", parent=community) for g in range(10)]
    for d in range(5):
        OrgUnit.objects.create(name=f"部门{d}", kind="department", parent=district)
    User.objects.create(username="bench", role="leader", unit=district)
    campaign = Campaign.objects.create(name="基准活动", start_date=DAY0, end_date=DAY0 + dt.timedelta(days=365))
    campaign.units.add(district)
    Household.objects.bulk_create(
        (
            Household(address=f"地址{i}", unit=grids[i % GRIDS], head_name="张三", members=rng.randint(1, 6))
            for i in range(HOUSEHOLDS)
        ),
        batch_size=5000,
    )


def add_day(day: dt.date) -> None:
    from campaign.models import Campaign, Household, OrgUnit, User
    from issues.models import Ticket
    from visits.models import Visit

    tz_at = lambda h, m: __import__("django.utils.timezone", fromlist=["x"]).make_aware(  # noqa: E731
        dt.datetime.combine(day, dt.time(h, m))
    )
    rng = random.Random(day.toordinal())
    cadre = User.objects.get(username="bench")
    campaign = Campaign.objects.get(name="基准活动")
    households = list(Household.objects.values_list("pk", "unit_id"))
    departments = list(OrgUnit.objects.filter(kind="department").values_list("pk", flat=True))
    Visit.objects.bulk_create(
        (
            Visit(id=uuid.uuid4(), cadre=cadre, target_type="household", household_id=h, unit_id=u, campaign=campaign,
                  visited_at=tz_at(rng.randint(7, 20), rng.randint(0, 59)), geo_status="verified", body_hash="x" * 64)
            for h, u in (rng.choice(households) for _ in range(VISITS_PER_DAY))
        ),
        batch_size=5000,
    )  # fmt: skip
    statuses = ["reported", "dispatched", "accepted", "in_progress", "resolved", "closed", "cancelled"]

    def ticket(i: int) -> Ticket:
        created = tz_at(rng.randint(7, 20), rng.randint(0, 59))
        status = rng.choice(statuses)
        t = Ticket(code=f"BM-{day:%Y%m%d}-{i:06d}", source="visit", kind=rng.choice(["complaint", "request", "suggestion"]),
                   category=rng.choice(["城市管理", "社会保障", "住房物业"]), campaign=campaign,
                   unit_id=rng.choice(households)[1], description="诉求", status=status, created_at=created)  # fmt: skip
        if status not in ("reported", "cancelled"):
            t.dispatched_at, t.lead_unit_id = created + dt.timedelta(hours=1), rng.choice(departments)
            t.due_at = created + dt.timedelta(days=rng.choice([1, 5, 10]))
            if status != "dispatched":
                t.accepted_at = t.dispatched_at + dt.timedelta(hours=rng.choice([2, 30]))
        if status in ("resolved", "closed"):
            t.resolved_at = created + dt.timedelta(days=rng.choice([1, 3, 12]))
            t.satisfaction = rng.choice(["satisfied", "basically_satisfied", "unsatisfied", ""])
        return t

    Ticket.objects.bulk_create((ticket(i) for i in range(TICKETS_PER_DAY)), batch_size=5000)


def timed(label: str, fn, repeat: int = 3) -> float:
    best = min(_once(fn) for _ in range(repeat))
    print(f"{label:<58} {best:8.3f} s")
    return best


def _once(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=0, help="extra days for the backfill measure")
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from campaign.days import day_bounds
    from campaign.models import OrgUnit
    from dashboard.rollups import rollup_range, rollup_whole_day
    from dashboard.selectors import StatsQuery, stats_summary
    from visits.models import Visit

    call_command("migrate", verbosity=0)
    build_district()
    for i in range(1 + args.days):
        day = DAY0 + dt.timedelta(days=i)
        start, end = day_bounds(day)
        if not Visit.objects.filter(visited_at__gte=start, visited_at__lt=end).exists():
            print(f"building {day}: {VISITS_PER_DAY} visits, {TICKETS_PER_DAY} tickets")
            add_day(day)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    district = OrgUnit.objects.get(name="基准区")
    street = OrgUnit.objects.get(name="街道3")
    print(
        f"\nrollup (PostgreSQL {getattr(connection, 'pg_version', '?')}); one district-day = {VISITS_PER_DAY} visits + {TICKETS_PER_DAY} tickets"
    )
    timed("recompute one district-day (rollup_whole_day)", lambda: rollup_whole_day(day=DAY0))
    from dashboard.models import DailyRollup, VisitTargetDay

    print(f"{'  rows written: DailyRollup / VisitTargetDay':<58} {DailyRollup.objects.filter(day=DAY0).count()} / "
          f"{VisitTargetDay.objects.filter(day=DAY0).count()}")  # fmt: skip
    last = DAY0 + dt.timedelta(days=args.days)
    for unit, label in ((district, "district"), (street, "one street")):
        q = StatsQuery(unit=unit, date_from=DAY0, date_to=last)
        timed(f"summary of {label}, {1 + args.days} day(s): from rollups", lambda q=q: stats_summary(q))
        params = {"path": unit.path + "%", "start": day_bounds(DAY0)[0], "end": day_bounds(last)[1]}

        def raw(params=params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(RAW_SUMMARY, params)
                cursor.fetchall()

        timed(f"summary of {label}, {1 + args.days} day(s): from raw rows", raw)
    if args.days:
        timed(
            f"backfill {1 + args.days} days (rollup_range)",
            lambda: rollup_range(date_from=DAY0, date_to=last),
            repeat=1,
        )


if __name__ == "__main__":
    main()
