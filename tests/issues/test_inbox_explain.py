"""The inbox stays flat at city scale (issue 14, item 1): with 100,000 tickets shaped like a city's (most closed,
a selective share open, overdue, carded; bench/inbox_data.py), ANALYZEd, no query of the inbox page, the API list
(both orders) or the counters reads the tickets table (or the visits table) by a sequential scan — for the default
order, each filter and three roles. The queries are those the real requests send (captured), each EXPLAINed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import inbox_data
from campaign.models import User
from issues.models import OPEN_STATUSES, Ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's"),
]

BIG_TABLES = {"issues_ticket", "visits_visit"}
TICKETS = 100_000


def seq_scans(plan: dict[str, Any]) -> list[str]:
    """The big tables read by a Seq Scan anywhere in the plan (subplans and init plans included)."""
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in BIG_TABLES:
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", []):
        found += seq_scans(child)
    return found


def filters(username: str) -> list[dict[str, str]]:
    """The inbox filters, with units in the role's scope (a unit out of scope answers 404 before any query)."""
    return [query for _, query in inbox_data.filter_cases(username, "2026-01-01", "2026-01-31")]


def test_no_sequential_scan_of_tickets_on_the_inbox_paths(client):
    inbox_data.build_tree()
    inbox_data.build_tickets(TICKETS)
    city = inbox_data.roles()
    total = Ticket.objects.count()
    open_ = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    assert total >= TICKETS
    assert 0.005 < open_ / total < 0.05  # most are closed
    assert Ticket.objects.filter(supervision__gt=0).count() < open_
    bad: list[str] = []
    explained = 0
    for user_id in (city.dispatcher, city.handler, city.leader):
        user = User.objects.get(pk=user_id)
        client.force_login(user)
        for params in filters(user.username):
            # The page sends the queries of the API's priority list and of counters/ (issues.page_data): rendered
            # for the default and one filter per role, to keep the test short.
            paths = [("/api/v1/tickets/", {}), ("/api/v1/tickets/", {"ordering": "priority"}),
                     ("/api/v1/tickets/counters/", {})]  # fmt: skip
            if params in ({}, {"status": "closed"}):
                paths.append(("/tickets/", {}))
            for path, extra in paths:
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(path, {**params, **extra})
                assert response.status_code == 200, (user.username, path, params, response.content[:300])
                for query in ctx.captured_queries:
                    sql = query["sql"]
                    if not sql.lstrip().upper().startswith("SELECT") or not any(t in sql for t in BIG_TABLES):
                        continue
                    with connection.cursor() as cursor:
                        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                        value = cursor.fetchone()[0]
                    plan = json.loads(value) if isinstance(value, str) else value
                    explained += 1
                    if seq_scans(plan[0]["Plan"]):
                        bad.append(f"{user.username} {path} {params}: {sql[:400]}")
    assert explained > 150
    assert not bad, "\n".join(bad)
