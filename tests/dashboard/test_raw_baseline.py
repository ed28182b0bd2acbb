"""The statistics benchmarks' raw-rows baseline (bench/raw_summary.py) is one statement with one pass over visits
(issue 14 item 7: "the best single query a DBA would write"), and answers what the earlier statement — four passes
over visits, kept here as the oracle — answered."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import connection

from bench.raw_summary import RAW_SUMMARY
from campaign.days import day_bounds
from campaign.models import Role
from issues.models import Ticket
from tests.dashboard.conftest import at, enterprise, household, ticket_row, visit_row
from tests.factories import UserFactory
from visits.models import Visit

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL SQL and plans")

FOUR_SCANS = """
WITH sub AS (SELECT id FROM campaign_orgunit WHERE path LIKE %(path)s)
SELECT
 (SELECT COUNT(*) FROM visits_visit WHERE unit_id IN (SELECT id FROM sub) AND visited_at >= %(start)s AND visited_at < %(end)s),
 (SELECT COUNT(DISTINCT household_id) FROM visits_visit WHERE unit_id IN (SELECT id FROM sub) AND visited_at >= %(start)s AND visited_at < %(end)s),
 (SELECT SUM(h.members) FROM campaign_household h WHERE h.id IN (SELECT household_id FROM visits_visit
    WHERE unit_id IN (SELECT id FROM sub) AND visited_at >= %(start)s AND visited_at < %(end)s)),
 (SELECT COUNT(DISTINCT household_id) FROM visits_visit WHERE unit_id IN (SELECT id FROM sub) AND visited_at < %(end)s),
 (SELECT row(COUNT(*) FILTER (WHERE kind <> 'suggestion'), COUNT(*) FILTER (WHERE status IN ('resolved','closed')),
    COUNT(*) FILTER (WHERE status <> 'cancelled'), COUNT(*) FILTER (WHERE accepted_at <= dispatched_at + interval '24 hours'),
    COUNT(*) FILTER (WHERE dispatched_at IS NOT NULL), COUNT(*) FILTER (WHERE satisfaction IN ('satisfied','basically_satisfied')))::text
  FROM issues_ticket WHERE unit_id IN (SELECT id FROM sub) AND created_at >= %(start)s AND created_at < %(end)s)
"""  # noqa: E501 - the earlier benchmark's statement, verbatim

DAY = dt.date(2026, 5, 20)


@pytest.fixture
def rows(org: Any) -> None:
    """Visits before, inside and after the period, repeated and enterprise visits, in two streets; tickets."""
    cadre = UserFactory(role=Role.CADRE, unit=org.grid1)
    homes = [household(org.grid1, members=n) for n in (1, 2, 3, 4)] + [household(org.grid2, members=5)]
    firm = enterprise(org.grid1)
    plan = [(homes[0], -10), (homes[0], 0), (homes[0], 1), (homes[1], 2), (homes[2], -3), (homes[3], 9),
            (homes[4], 1), (homes[4], -1), (firm, 0), (firm, 2)]  # fmt: skip
    Visit.objects.bulk_create(visit_row(cadre=cadre, target=t, when=at(DAY + dt.timedelta(days=d))) for t, d in plan)
    now = at(DAY + dt.timedelta(days=1))
    Ticket.objects.bulk_create([
        ticket_row(unit=org.grid1, created_at=now, status="closed", satisfaction="satisfied"),
        ticket_row(unit=org.grid1, created_at=now, status="dispatched", dispatched_at=now),
        ticket_row(unit=org.grid2, created_at=now, status="cancelled", kind="suggestion"),
        ticket_row(unit=org.grid1, created_at=at(DAY - dt.timedelta(days=5)), status="resolved"),
    ])  # fmt: skip


def params(unit: Any, first: dt.date, last: dt.date) -> dict[str, Any]:
    return {"path": unit.path + "%", "start": day_bounds(first)[0], "end": day_bounds(last)[1]}


def answer(sql: str, values: dict[str, Any]) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return tuple(cursor.fetchone())


def scans(sql: str, values: dict[str, Any]) -> dict[str, int]:
    """How many plan nodes read each table (any scan kind: seq, index, bitmap heap). A partition counts as its table
    (visits are partitioned by month on PostgreSQL: one pass over a period reads each of its months once), so the
    figure is the number of passes."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, values)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes: dict[str, int] = {}
    parts: dict[str, set[str]] = {}

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            table = re.sub(r"_(p\d{6}|default)$", "", node["Relation Name"])
            nodes[table] = nodes.get(table, 0) + 1
            parts.setdefault(table, set()).add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return {table: n // len(parts[table]) for table, n in nodes.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first,last",
    [(DAY, DAY + dt.timedelta(days=2)), (DAY, DAY), (DAY - dt.timedelta(days=30), DAY + dt.timedelta(days=30))],
)
def test_one_statement_answers_as_the_four_scans(org: Any, rows: None, first: dt.date, last: dt.date) -> None:
    for unit in (org.district, org.street1, org.street2):
        values = params(unit, first, last)
        assert answer(RAW_SUMMARY, values) == answer(FOUR_SCANS, values), unit.name


@pytest.mark.django_db
def test_figures_of_the_period(org: Any, rows: None) -> None:
    """Days 0–2: home 0 on days 0 and 1, home 1 on day 2, home 4 on day 1, the firm on days 0 and 2 → 6 visits,
    3 households, 1 + 2 + 5 members; to date (up to day 2) homes 0, 1, 2 (day -3) and 4, not home 3 (day 9).
    Tickets of the period: 3, one a suggestion; one closed; two not cancelled; none accepted; one dispatched; one
    satisfied."""
    got = answer(RAW_SUMMARY, params(org.district, DAY, DAY + dt.timedelta(days=2)))
    assert got[:4] == (6, 3, 8, 4)
    assert got[4] == "(2,1,2,0,1,1)"


@pytest.mark.django_db
def test_plan_reads_visits_once(org: Any, rows: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE visits_visit; ANALYZE issues_ticket; ANALYZE campaign_household")
    values = params(org.district, DAY, DAY + dt.timedelta(days=2))
    assert scans(FOUR_SCANS, values)["visits_visit"] == 4  # what the earlier baseline did
    plan = scans(RAW_SUMMARY, values)
    assert plan["visits_visit"] == 1
    assert plan["issues_ticket"] == 1
