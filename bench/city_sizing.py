"""Size a city from a seeded district: bytes per row measured in PostgreSQL, rows a year scaled to a Beijing-size city.

    DATABASE_URL=postgres://…/zf_seed .venv/bin/python manage.py seed_demo --size district   # once
    DATABASE_URL=postgres://…/zf_seed .venv/bin/python bench/city_sizing.py

Reads every table's `pg_total_relation_size` (heap, TOAST and indexes; a partitioned table's partitions summed) and
row count after VACUUM ANALYZE (notifications, which the seed does not write, from a sample rolled back after), then prints, for the planning city of docs/scaling.md, the rows and disk a year per
table and the requests/s at peak. Every input that is not measured is a named constant below, with its source.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection, transaction  # noqa: E402

# The planning city (docs/scaling.md): Beijing-size.
DISTRICTS = 16  # Beijing's 16 districts
HOUSEHOLDS = 9_400_000  # 21.8 M residents, 2.3 per household
TICKETS_PER_DAY = 59_000  # 12345 in Beijing, 2023: 21.4 M tickets, ~59,000 a day (the issue): every one through us
NOTIFICATIONS_PER_TICKET = 3.0  # assumed: dispatch to the lead unit's 2–3 handlers, plus returns, cards, reopens
CAMPAIGN_VISITS_PER_DISTRICT_DAY = 50_000  # the issue-6 district-day, a campaign month's peak
WORK_HOURS, PEAK_FACTOR = 8, 2.0  # requests spread over a working day; the peak hour is twice the average hour
REQUESTS_PER_VISIT, REQUESTS_PER_ACTION, DASHBOARD_REQUESTS = 4, 5, 14  # a POST and its pages; a page's 14 calls
LEADER_SHARE, DASHBOARD_LOADS = 0.02, 20  # leaders among users, dashboard loads a leader a day
SEED_DAYS = 91  # seed_demo's 90 days of visits and tickets, both ends included


# The seed writes no notifications: NOTIFICATION_SAMPLE are written inside the measuring transaction (rolled back),
# texts as the machine's ("新派单 <code>：<the problem, up to 80 characters>"), one per ticket and handler.
NOTIFICATION_SAMPLE = """INSERT INTO issues_notification (user_id, ticket_id, kind, text, read_at, created_at)
    SELECT u.id, t.id, 'dispatched', '新派单 ' || t.code || '：' || left(t.description, 80),
           CASE WHEN t.id % 3 = 0 THEN NULL ELSE t.created_at + interval '1 hour' END, t.created_at
    FROM issues_ticket t CROSS JOIN LATERAL (SELECT id FROM campaign_user ORDER BY id LIMIT 3) u"""


def measured() -> dict[str, tuple[int, int]]:
    """db_table → (rows, total bytes), with the notification sample in place; nothing is kept."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(NOTIFICATION_SAMPLE)
        cursor.execute(
            """SELECT c.relname, CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)
                   FROM pg_inherits i WHERE i.inhparent = c.oid) ELSE pg_total_relation_size(c.oid) END
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"""
        )
        sizes = dict(cursor.fetchall())
        out = {}
        for table, size in sizes.items():
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from pg_class
            out[table] = (cursor.fetchone()[0], int(size))
        transaction.set_rollback(True)
    return out


def yearly_rows(seed: dict[str, int]) -> dict[str, tuple[float, str]]:
    """label → (rows a year, or rows held for the static tables; how it is scaled)."""
    scale = HOUSEHOLDS / seed["campaign.Household"]
    units = seed["campaign.OrgUnit"] * scale
    tickets = TICKETS_PER_DAY * 365
    per_ticket = {k: seed[k] / seed["issues.Ticket"] for k in ("issues.TicketEvent", "issues.TicketCoUnit")}
    visits = seed["visits.Visit"] / SEED_DAYS * scale * 365
    unit_day = units * 365 / (seed["campaign.OrgUnit"] * SEED_DAYS)
    return {
        "visits.Visit": (visits, "seed visits a day × households ratio × 365"),
        "dashboard.VisitTargetDay": (seed["dashboard.VisitTargetDay"] / seed["visits.Visit"] * visits, "per visit"),
        "issues.Ticket": (tickets, "12345: 59,000 a day"),
        "issues.TicketEvent": (tickets * per_ticket["issues.TicketEvent"], "seed events per ticket"),
        "issues.TicketCoUnit": (tickets * per_ticket["issues.TicketCoUnit"], "seed co-units per ticket"),
        "issues.Notification": (tickets * NOTIFICATIONS_PER_TICKET, "assumed 3 per ticket (sample: 3 per seed ticket)"),
        "dashboard.DailyRollup": (seed["dashboard.DailyRollup"] * unit_day, "seed rows per unit-day"),
        "dashboard.DayReach": (seed["dashboard.DayReach"] * unit_day, "seed rows per unit-day"),
        "dashboard.OverdueSnapshot": (seed["dashboard.OverdueSnapshot"] * unit_day, "seed rows per unit-day"),
        "dashboard.TargetSpan": (seed["dashboard.TargetSpan"] * scale, "held: per target and campaign block"),
        "dashboard.PeriodSummary": (seed["dashboard.PeriodSummary"] * scale, "held: 7 periods per unit"),
        "campaign.Household": (HOUSEHOLDS, "held"),
        "campaign.Enterprise": (seed["campaign.Enterprise"] * scale, "held: seed ratio to households"),
        "campaign.OrgUnit": (units, "held: seed ratio (a grid per ~200 households)"),
        "campaign.User": (seed["campaign.User"] * scale, "held: seed ratio (a cadre per 100 households)"),
    }


def peak_requests(users: float, visits_a_day: float) -> dict[str, float]:
    hour = WORK_HOURS * 3600
    actions = TICKETS_PER_DAY * (1 + 4.5)  # intake and ~4.5 actions a ticket (seed: 5.5 events a ticket)
    visits = visits_a_day * REQUESTS_PER_VISIT / hour * PEAK_FACTOR
    campaign = DISTRICTS * CAMPAIGN_VISITS_PER_DISTRICT_DAY * REQUESTS_PER_VISIT / hour * PEAK_FACTOR
    tickets = actions * REQUESTS_PER_ACTION / hour * PEAK_FACTOR
    dashboards = users * LEADER_SHARE * DASHBOARD_LOADS * DASHBOARD_REQUESTS / hour * PEAK_FACTOR
    return {
        "visits (POST and the phone's pages), usual": visits,
        "visits, campaign month (50,000 a district-day)": campaign,
        "ticket actions and the inbox": tickets,
        "dashboards": dashboards,
        "total, usual peak hour": visits + tickets + dashboards,
        "total, campaign peak hour": campaign + tickets + dashboards,
    }


def main() -> None:
    sizes = measured()
    models = {m._meta.label: m._meta.db_table for m in apps.get_models()}
    seed = {label: sizes.get(table, (0, 0))[0] for label, table in models.items()}
    print(f"seeded district: {seed['campaign.Household']:,} households, {seed['visits.Visit']:,} visits, "
          f"{seed['issues.Ticket']:,} tickets, {seed['campaign.User']:,} users, {seed['campaign.OrgUnit']:,} units")  # fmt: skip
    print(f"\n{'table':28} {'seed rows':>10} {'B/row':>7} {'city rows':>14} {'GB':>8}  scaled by")
    total = 0.0
    rows = yearly_rows(seed)
    for label, (count, how) in rows.items():
        seed_rows, size = sizes[models[label]]
        per_row = size / seed_rows if seed_rows else 0
        gigabytes = count * per_row / 1e9
        total += gigabytes
        print(f"{label:28} {seed_rows:>10,} {per_row:>7.0f} {count:>14,.0f} {gigabytes:>8.1f}  {how}")
    print(f"{'total (a year, and held)':28} {'':>10} {'':>7} {'':>14} {total:>8.1f}")
    print("\nrequests/s at the peak hour:")
    for name, value in peak_requests(rows["campaign.User"][0], rows["visits.Visit"][0] / 365).items():
        print(f"  {name:58} {value:>8.0f}")


if __name__ == "__main__":
    main()
