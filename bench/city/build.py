"""The phases of bench/make_city.py, run inside Django (settings loaded, DATABASE_URL = the city's database)."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from bench.city.copying import drop_secondary_indexes, reset_sequences, restore_indexes

MARKER = "bench_city_built"
KEY_CHECK = "zoufang-bench-key-check"
FULL = {"households": 2_000_000, "enterprises": 200_000, "tickets": 1_000_000, "visits": 10_000_000}
WINDOW_DAYS = 396  # ~13 months, today included


def _loaded_models() -> list[Any]:
    from campaign.models import Enterprise, Household, OrgUnit, User
    from issues.models import Ticket, TicketCoUnit, TicketEvent, TicketSequence
    from visits.models import Visit

    return [OrgUnit, User, Household, Enterprise, Ticket, TicketEvent, TicketCoUnit, TicketSequence, Visit]


def _session(cursor: Any) -> None:
    # Rows are consistent by construction (the test checks them): no per-row foreign-key trigger during COPY.
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SET maintenance_work_mem = '1GB'")
    cursor.execute("SET synchronous_commit = off")


def build(args: Any, phases: Any) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.city.org import build_org, build_users, shape_for
    from bench.city.registries import build_registries
    from bench.city.ticket_rows import build_tickets
    from bench.city.visits import build_visits
    from campaign.days import today
    from campaign.models import CalendarDay, Campaign
    from campaign.partitions import partitions_between

    phases.run("migrate", call_command, "migrate", verbosity=0)
    scale, seed = args.scale, args.seed
    counts = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    last = today()
    first = last - dt.timedelta(days=WINDOW_DAYS - 1)
    now = timezone.now()
    now_us = int(now.timestamp() * 1_000_000)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {MARKER} (started_at timestamptz, finished_at timestamptz, rollups boolean, "
                       "scale float8, seed int, key_check text, counts jsonb, phases jsonb)")  # fmt: skip
        cursor.execute(f"INSERT INTO {MARKER} VALUES (now(), NULL, false, %s, %s, '', '{{}}', '{{}}')", [scale, seed])  # noqa: S608  (a constant table name)
        # Every month of the history gets its partitions of visits and events first (not the default partitions).
        phases.run("partitions", partitions_between, now - dt.timedelta(days=WINDOW_DAYS + 31), now)
        _session(cursor)
        tables = [m._meta.db_table for m in _loaded_models()]
        dropped = phases.run("drop secondary indexes", drop_secondary_indexes, cursor, tables)
        city, units = phases.run("org tree", build_org, cursor, shape_for(scale))
        phases.run("users", build_users, cursor, city, units, random.Random(seed), now - dt.timedelta(days=WINDOW_DAYS + 30))  # fmt: skip
        campaign = Campaign.objects.create(name="进万家门·知万家事·解万家忧（全市）", start_date=first,
                                           end_date=last + dt.timedelta(days=60), targets={"household_coverage": 1.0})  # fmt: skip
        campaign.units.set(city.districts)
        homes, firms = phases.run("households and enterprises", build_registries, cursor, city, units,
                                  households=counts["households"], enterprises=counts["enterprises"], seed=seed,
                                  created=now - dt.timedelta(days=WINDOW_DAYS + 20))  # fmt: skip
        exceptions = dict(CalendarDay.objects.values_list("date", "kind"))
        extra, ticket_counts = phases.run("tickets, events, co-units", build_tickets, cursor, city, homes,
                                          total=counts["tickets"], first=first, days=WINDOW_DAYS, now_us=now_us,
                                          campaign=campaign.pk, exceptions=exceptions, seed=seed)  # fmt: skip
        counts["visits"] = phases.run("visits", build_visits, cursor, city, homes, firms, extra, total=counts["visits"],
                                      first=first, days=WINDOW_DAYS, now_us=now_us, campaign=campaign.pk, seed=seed)  # fmt: skip
        counts.update(ticket_counts, users=city.users, grids=len(city.grids), districts=len(city.districts))
        # The visit key table is filled by a trigger, and session_replication_role = replica silenced it.
        phases.run("visit keys", _visit_keys, cursor)
        phases.run("rebuild indexes", restore_indexes, cursor, dropped)
        reset_sequences(cursor, _loaded_models())
        cursor.execute("SET session_replication_role = origin")
    phases.run("vacuum analyze", _vacuum)
    _finish(counts, phases, city, homes)


def _visit_keys(cursor: Any) -> None:
    from visits.models import Visit, VisitKey

    keys, visits = VisitKey._meta.db_table, Visit._meta.db_table
    cursor.execute(f'INSERT INTO "{keys}" (id) SELECT id FROM "{visits}" ON CONFLICT DO NOTHING')  # noqa: S608


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _finish(counts: dict[str, int], phases: Any, city: Any, homes: Any) -> None:
    from django.db import connection

    from campaign.crypto import lookup_hash

    cadres = city.logins.get("cadres", [])
    index = {g: i for i, g in enumerate(city.grids)}
    for cadre in cadres:
        i = index[cadre["grid_id"]]
        cadre["household_ids"] = [int(homes.start[i]), int(homes.end[i]) - 1]  # first and last, inclusive
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {MARKER} SET finished_at = now(), key_check = %s, counts = %s, phases = %s",  # noqa: S608  (a constant table name)
                       [lookup_hash(KEY_CHECK), json.dumps({**counts, "logins": city.logins}), json.dumps(phases.seconds)])  # fmt: skip


def finish_rollups(phases: Any, last_days: int = 0) -> None:
    """The dashboard's own backfill (dashboard.rollups.rollup_range) over the campaign, or over its `last_days`
    days (enough for the usual periods but "campaign to date"), once."""
    from django.db import connection
    from tqdm import tqdm

    from campaign.days import today
    from campaign.models import Campaign
    from dashboard.rollups import rollup_range

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rollups FROM {MARKER}")  # noqa: S608  (a constant table name)
        if cursor.fetchone()[0]:
            return
    first = Campaign.objects.order_by("start_date").values_list("start_date", flat=True).first()
    if first is None:
        return
    if last_days:
        first = max(first, today() - dt.timedelta(days=last_days - 1))
    days = (today() - first).days + 1
    with tqdm(total=days, unit="day", desc="rollups", disable=None) as bar:
        phases.run(f"dashboard rollups of {days} days (rollup_range)", rollup_range, date_from=first, date_to=today(),
                   progress=bar.update)  # fmt: skip
    with connection.cursor() as cursor:
        # The backfill filled the rollup tables after the build's VACUUM ANALYZE: statistics of the tables as they
        # are now (autovacuum would take minutes; stale, the planner expected 6 DayReach rows of 100,000), and their
        # visibility map, as autovacuum keeps it (unset, the map's covering index read the heap: 8 → 1.5 ms).
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(f"UPDATE {MARKER} SET rollups = true, phases = phases || %s", [json.dumps(phases.seconds)])  # noqa: S608  (a constant table name)


def marker_summary() -> dict[str, Any]:
    from django.db import connection

    from campaign.crypto import lookup_hash

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT started_at, finished_at, rollups, scale, key_check, counts, phases FROM {MARKER}")  # noqa: S608  (a constant table name)
        started, finished, rollups, scale, key_check, counts, phases = cursor.fetchone()
    counts, phases = (
        json.loads(v) if isinstance(v, str) else v for v in (counts, phases)
    )  # Django reads jsonb as text
    if key_check != lookup_hash(KEY_CHECK):
        raise SystemExit("PII_KEYS differ from the keys that built this database: give the right ones, or --force")
    return {"started_at": started.isoformat(), "finished_at": finished.isoformat(), "rollups": rollups,
            "scale": scale, "counts": counts, "phases": phases}  # fmt: skip


def logins_payload(args: Any, summary: dict[str, Any]) -> dict[str, Any]:
    import os

    from bench.city.org import BENCH_PASSWORD

    counts = dict(summary["counts"])
    logins = counts.pop("logins")
    return {
        "database": args.database,
        "password": BENCH_PASSWORD,
        "env": {"PII_KEYS": os.environ["PII_KEYS"]},  # a benchmark key: the server needs it to decrypt ID numbers
        "logins": logins,
        "counts": counts,
        "phases_seconds": summary["phases"],
        "built": {k: summary[k] for k in ("started_at", "finished_at", "rollups", "scale")},
    }
