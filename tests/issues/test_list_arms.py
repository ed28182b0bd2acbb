"""The list newest first for a scope that is an OR of arms (a department's or a street's staff): on PostgreSQL each page
is read among each arm's first rows past the cursor (issues.selectors.newest_of_arms). Walked page by page, forwards
and back, it must give exactly the rows and the order of the general rule (SPEC §1), filters and ties included."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaign.models import Role
from issues.api.tickets import TicketPage
from issues.models import OPEN_STATUSES, Ticket, TicketCoUnit
from tests.factories import UserFactory
from tests.issues.scope_rule import tickets_by_rule

pytestmark = pytest.mark.django_db
STATUSES = ("reported", "dispatched", "accepted", "in_progress", "resolved", "closed")


def _by_rule(user, **filters):
    """The user's tickets by the general rule, newest first: what every walk must give."""
    return list(tickets_by_rule(user, **filters).order_by("-created_at", "-id").values_list("pk", flat=True))


@pytest.fixture
def history(org):
    """Tickets in every arm of dept1's handler — led by it, shared with it, raised by them, led by them — and others
    beside them, in every status, several created at the same moment (ties the cursor must keep apart)."""
    handler = UserFactory(username="arm_handler", role=Role.HANDLER, unit=org.dept1)
    street = UserFactory(username="arm_street", role=Role.DISPATCHER, unit=org.street1)
    start = timezone.now() - dt.timedelta(days=30)
    n = 0

    def ticket(unit, **extra):
        nonlocal n
        n += 1
        status = STATUSES[n % len(STATUSES)]
        return Ticket.objects.create(
            code=f"GX-ARM-{n}", source="hotline", kind="request", description="路灯不亮", unit=unit, status=status,
            created_at=start + dt.timedelta(hours=n // 3),  # three at each moment
            due_at=start + dt.timedelta(days=1) if status in OPEN_STATUSES else None, **extra,
        )  # fmt: skip

    for i in range(14):
        ticket(org.grid1 if i % 2 else org.grid2, lead_unit=org.dept1)
    for _ in range(9):
        TicketCoUnit.objects.create(ticket=ticket(org.grid2, lead_unit=org.dept2), unit=org.dept1)
    for _ in range(6):
        ticket(org.grid1, created_by=handler)
    for _ in range(4):
        ticket(org.grid2, lead_official=handler, lead_unit=org.dept2)
    for _ in range(12):
        ticket(org.grid2, lead_unit=org.dept2)  # nobody's of the handler; street 2: not the street's either
    return handler, street


def _walk(client, query, *, backwards=False):
    """The pages of the list, following `next` to the end; with `backwards`, the pages met following `previous` from
    there back to the start."""

    def page(url, params):
        answer = client.get(url, params)
        assert answer.status_code == 200, answer.content
        return answer.json()

    body = page("/api/v1/tickets/", {**query, "page_size": 2})
    pages = [body]
    while body["next"]:
        body = page(*_next(body["next"]))
        pages.append(body)
    if backwards:
        pages = []
        while body["previous"]:
            body = page(*_next(body["previous"]))
            pages.append(body)
    return [[row["id"] for row in body["results"]] for body in pages]


def _next(link):
    parsed = urlparse(link)
    return parsed.path, {k: v[0] for k, v in parse_qs(parsed.query).items()}


QUERIES = [
    ({}, {}),
    ({"status": "in_progress"}, {"status": "in_progress"}),
    ({"status": "closed"}, {"status": "closed"}),
    ({"overdue": "true"}, {"status__in": OPEN_STATUSES, "due_at__lt": timezone.now()}),
    ({"kind": "request", "status": "dispatched"}, {"status": "dispatched"}),
]


@pytest.mark.parametrize(("query", "filters"), QUERIES)
def test_each_page_of_an_or_scope_is_the_general_rule_in_order(history, client, query, filters):
    for user in history:
        client.force_login(user)
        expected = _by_rule(user, **filters)
        got = [pk for page in _walk(client, query) for pk in page]
        assert got == expected, (user.username, query)
        assert expected, "a filter that matches nothing proves nothing"


@pytest.mark.parametrize(("query", "filters"), QUERIES[:2])
def test_read_backwards_the_pages_are_those_of_the_plain_or(history, client, monkeypatch, query, filters):
    """DRF's pages backwards over tied moments are its own (cut where its offsets cut them): the narrowing must give
    the very pages DRF gives over the plain OR."""
    walked = []
    for user in history:
        client.force_login(user)
        narrowed = _walk(client, query, backwards=True)
        monkeypatch.setattr(TicketPage, "_by_arm", lambda self, queryset, request: queryset)
        plain = _walk(client, query, backwards=True)
        monkeypatch.undo()
        assert narrowed == plain, (user.username, query)
        walked.append(len(plain))
    assert max(walked) >= 2, "walked back over pages"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the arms are read apart on PostgreSQL only")
def test_the_handler_list_reads_each_arm_apart(history, client):
    handler, _ = history
    client.force_login(handler)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/tickets/", {"status": "in_progress"}).status_code == 200
    listed = [q["sql"] for q in queries.captured_queries if 'FROM "issues_ticket"' in q["sql"] and "LIMIT" in q["sql"]]
    assert listed and "UNION ALL" in listed[0] and "= ANY(ARRAY" in listed[0]


def test_a_forged_cursor_on_the_arms_path_is_refused_before_any_ticket_is_read(history, client):
    handler, _ = history
    client.force_login(handler)
    # junk, "p=yesterday", "o=abc", a position in year 1
    for forged in ("%%%", "cD15ZXN0ZXJkYXk=", "bz1hYmM=", "cD0wMDAxLTAxLTAxVDAwOjAwOjAwWg=="):
        with CaptureQueriesContext(connection) as queries:
            answer = client.get("/api/v1/tickets/", {"status": "in_progress", "cursor": forged})
        assert answer.status_code == 400 and "cursor" in answer.json(), forged
        assert not [q for q in queries.captured_queries if 'FROM "issues_ticket"' in q["sql"]], forged
