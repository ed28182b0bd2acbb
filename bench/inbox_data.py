"""Tickets shaped like a city's inbox, built in SQL (INSERT … SELECT generate_series): for tests/issues/
test_inbox_explain.py (100,000 tickets) and bench/inbox_scale.py (10,000 and 1,000,000).

The shape does not depend on the size: 4 districts × 10 streets × 5 communities × 4 grids and 20 departments each
(1,124 units; each district a tree root, as SPEC §1); tickets over the last 365 days, newest last in the heap,
spread over every grid; one in 10 of the last 30 days' tickets, and one in 1,000 older ones (tracking matters), still
open — ~1.2 % open in all; of the open,
~10 % past due_at (most with a yellow card, a few red, a few not yet marked by the overdue job), ~5 % carded
while on time, ~2 % with a pending extension request; dispatched tickets have a lead department of their district,
one in 20 a co-unit department too; 40 % of the tickets belong to one of 3 campaigns, 20 categories.
The three roles the inbox is measured for: `bench_dispatcher` (district 0's dispatcher: a quarter of the city),
`bench_handler` (department 0 of district 0), `bench_leader` (street 0 of district 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

DISTRICTS, STREETS, COMMUNITIES, GRIDS, DEPARTMENTS = 4, 10, 5, 4, 20
MARKER = "收件箱基准市"
CATEGORIES = [f"类别{i:02d}" for i in range(20)]

# Ticket i of n: created at start + i/n × 365 days (time order in the heap, as tickets arrive), in grid hash(i),
# status, due_at, cards and the rest from other hashes of i. `age` is how many days before now it was created.
TICKETS_SQL = """
WITH g AS (SELECT id, path, row_number() OVER (ORDER BY path) - 1 AS n FROM campaign_orgunit
           WHERE kind = 'grid' AND substr(path, 1, 7) = ANY(%(roots)s)),
d AS (SELECT id, path, row_number() OVER (ORDER BY path) - 1 AS n FROM campaign_orgunit
      WHERE kind = 'department' AND substr(path, 1, 7) = ANY(%(roots)s)),
c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM campaign_campaign WHERE name LIKE %(marker)s)
INSERT INTO issues_ticket (code, source, kind, category, requester_name, requester_phone, description, attachments,
    mode, problem, responsible_person, measures, expected_effect, status, supervision, version, reopen_count,
    satisfaction, unreachable_count, resolved_on_site, public_notice, result, public_reply, extension_reason,
    created_at, dispatched_at, accepted_at, due_at, requested_due_at, passed_due_at, resolved_at, closed_at,
    updated_at, campaign_id, unit_id, lead_unit_id, created_by_id)
SELECT 'IB' || lpad(i::text, 8, '0'), 'hotline', 'request', (%(categories)s::text[])[1 + h.b %% 20], '', '',
       '诉求内容 ' || i, '[]'::jsonb, CASE WHEN s.st = 'reported' THEN '' ELSE 'proactive' END, '', '', '', '', s.st,
       CASE WHEN s.open AND s.late THEN 1 + (h.a / 7 %% 5 = 0)::int WHEN s.open AND h.a %% 20 = 0 THEN 1 ELSE 0 END,
       1, 0, '', 0, false, '', '', '', '',
       t.at,
       CASE WHEN s.st <> 'reported' THEN t.at + interval '1 hour' END,
       CASE WHEN s.st NOT IN ('reported', 'dispatched') THEN t.at + interval '3 hours' END,
       t.due,
       CASE WHEN s.st IN ('accepted', 'in_progress') AND h.a %% 50 = 7 THEN t.due + interval '7 days' END,
       CASE WHEN s.open AND s.late AND h.a %% 10 <> 3 THEN t.due END,
       CASE WHEN s.st IN ('resolved', 'closed') THEN t.at + interval '3 days' END,
       CASE WHEN s.st = 'closed' THEN t.at + interval '10 days' END,
       t.at,
       CASE WHEN h.b %% 5 < 2 THEN (SELECT id FROM c WHERE c.n = h.b %% 3) END,
       g.id,
       CASE WHEN s.st <> 'reported' AND s.st <> 'cancelled' THEN dd.id END,
       NULL
FROM generate_series(0, %(n)s - 1) i
CROSS JOIN LATERAL (SELECT (hashint8(i) & 2147483647) AS a, (hashint8(-i - 1) & 2147483647) AS b) h
CROSS JOIN LATERAL (SELECT now() - (365.0 * (%(n)s - i) / %(n)s) * interval '1 day' AS at) t0
CROSS JOIN LATERAL (SELECT t0.at,
                           t0.at + CASE WHEN h.a %% 10 = 0 THEN interval '5 days' ELSE interval '60 days' END AS due,
                           extract(epoch FROM now() - t0.at) / 86400 AS age) t
CROSS JOIN LATERAL (SELECT (t.age < 30 AND h.a %% 10 = 1) OR h.a %% 1000 = 2 AS open) o
CROSS JOIN LATERAL (SELECT o.open,
                           o.open AND t.due < now() AS late,
                           CASE WHEN o.open THEN (ARRAY['reported','dispatched','accepted','in_progress',
                                                        'in_progress'])[1 + h.b %% 5]
                                ELSE (ARRAY['closed','closed','closed','closed','closed','closed','closed',
                                            'resolved','resolved','cancelled'])[1 + h.b %% 10] END AS st) s
JOIN g ON g.n = h.b %% %(grids)s
JOIN d dd ON dd.n = (g.n / %(grids_per_district)s) * %(departments)s + h.a %% %(departments)s
"""
# One co-unit in 20 dispatched tickets: another department of the same district.
CO_UNITS_SQL = """
INSERT INTO issues_ticketcounit (ticket_id, unit_id, part)
SELECT t.id, u.id, '' FROM issues_ticket t
JOIN campaign_orgunit l ON l.id = t.lead_unit_id
JOIN campaign_orgunit u ON u.parent_id = l.parent_id AND u.kind = 'department' AND u.id <> l.id
     AND u.id % 20 = (t.id + 1) % 20
WHERE t.code LIKE 'IB%' AND t.id % 20 = 0
"""


@dataclass
class Roles:
    dispatcher: int
    handler: int
    leader: int


def build_tree() -> None:
    """The units, three campaigns and the three users (through the ORM: a thousand rows, a few seconds)."""
    from campaign.models import Campaign, OrgUnit, User

    districts = []
    for di in range(DISTRICTS):  # each a tree root, as SPEC §1's districts (one city's: no city unit above them)
        district = OrgUnit.objects.create(name=f"区{di}", kind="district", code=f"I{di}")
        districts.append(district)
        for si in range(STREETS):
            street = OrgUnit.objects.create(name=f"街道{di}-{si}", kind="street", parent=district)
            for ci in range(COMMUNITIES):
                community = OrgUnit.objects.create(name=f"社区{di}-{si}-{ci}", kind="community", parent=street)
                OrgUnit.objects.bulk_create(
                    OrgUnit(name=f"网格{di}-{si}-{ci}-{gi}", kind="grid", parent=community) for gi in range(GRIDS)
                )
        for de in range(DEPARTMENTS):
            OrgUnit.objects.create(name=f"部门{di}-{de}", kind="department", parent=district)
    _fix_paths()
    district0 = OrgUnit.objects.get(name="区0")
    day0 = dt.date.today() - dt.timedelta(days=366)
    for k in range(3):
        campaign = Campaign.objects.create(
            name=f"{MARKER}活动{k}", start_date=day0, end_date=day0.replace(year=day0.year + 2)
        )
        campaign.units.add(*districts)
    User.objects.create(username="bench_dispatcher", role="dispatcher", unit=district0)
    User.objects.create(username="bench_handler", role="handler", unit=OrgUnit.objects.get(name="部门0-0"))
    User.objects.create(username="bench_leader", role="leader", unit=OrgUnit.objects.get(name="街道0-0"))


def _districts() -> Any:
    """The 4 districts' units (a QuerySet)."""
    from campaign.models import OrgUnit

    return OrgUnit.objects.filter(depth=0, kind="district", code__in=[f"I{di}" for di in range(DISTRICTS)])


def _fix_paths() -> None:
    """bulk_create skips OrgUnit.save's path: write the grids' paths from their parents' in one UPDATE."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaign_orgunit u SET path = p.path || lpad(u.id::text, 6, '0') || '/', depth = p.depth + 1 "
            "FROM campaign_orgunit p WHERE u.parent_id = p.id AND u.path = ''"
        )


def build_tickets(n: int) -> None:
    """n tickets and their co-units, then ANALYZE."""
    from django.db import connection

    roots = list(_districts().values_list("path", flat=True))
    grids = DISTRICTS * STREETS * COMMUNITIES * GRIDS
    params = {
        "n": n,
        "roots": roots,
        "marker": f"{MARKER}%",
        "categories": CATEGORIES,
        "grids": grids,
        "grids_per_district": grids // DISTRICTS,
        "departments": DEPARTMENTS,
    }
    with connection.cursor() as cursor:
        cursor.execute(TICKETS_SQL, params)
        cursor.execute("ANALYZE issues_ticket")  # before the co-units' join: an empty table's plan would loop
        cursor.execute(CO_UNITS_SQL)
        cursor.execute("ANALYZE issues_ticketcounit")
        cursor.execute("ANALYZE campaign_orgunit")


def build(n: int) -> None:
    """The tree (once) and n tickets, unless the database holds them already."""
    from issues.models import Ticket

    if not _districts().exists():
        build_tree()
    if not Ticket.objects.filter(code__startswith="IB").exists():
        build_tickets(n)
    _search_indexes()


def _search_indexes() -> None:
    """Migration 0006's search indexes, for a database migrated before they joined it (idempotent)."""
    from importlib import import_module

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(import_module("issues.migrations.0006_ticket_priority").SEARCH)


def roles() -> Roles:
    from campaign.models import User

    ids = dict(User.objects.filter(username__startswith="bench_").values_list("username", "pk"))
    return Roles(ids["bench_dispatcher"], ids["bench_handler"], ids["bench_leader"])


def filter_cases(username: str, date_from: str, date_to: str) -> list[tuple[str, dict[str, str]]]:
    """(label, query) per inbox filter for one of roles()' users, with units inside the user's scope (a unit out of
    scope answers 404 before any query): what bench/inbox_scale.py times and tests/issues/test_inbox_explain.py
    EXPLAINs."""
    from campaign.models import OrgUnit

    unit, lead_unit = {
        "bench_dispatcher": ("社区0-0-0", "部门0-1"),
        "bench_handler": ("部门0-0", "部门0-0"),
        "bench_leader": ("社区0-0-0", "网格0-0-0-1"),
    }[username]
    return [
        ("default", {}),
        ("status=in_progress", {"status": "in_progress"}),
        ("status=closed", {"status": "closed"}),
        ("overdue", {"overdue": "true"}),
        ("supervision", {"supervision": "1,2"}),
        ("extension", {"extension": "true"}),
        ("unit", {"unit": str(OrgUnit.objects.get(name=unit).pk)}),
        ("lead_unit", {"lead_unit": str(OrgUnit.objects.get(name=lead_unit).pk)}),
        ("category", {"category": CATEGORIES[3]}),
        ("q code", {"q": "IB00000777"}),
        ("q text", {"q": "内容 4242"}),
        ("date range", {"date_from": date_from, "date_to": date_to}),
    ]
