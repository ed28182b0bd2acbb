"""dashboard 0009: tickets dispatched before issues 0019 take `suggestion_taken` from their latest dispatch event, and
their days are marked for recompute, so that the acceptance rate counts them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dashboard.models import DirtyDay
from dashboard.signals import rollups_deferred
from issues.models import Ticket, TicketEvent
from tests.dashboard.conftest import at, ticket_row

DAY = dt.date(2026, 3, 10)
BEFORE = [("dashboard", "0008_period_hotspots")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_latest_dispatch_event_says_whether_the_suggestion_was_kept(org):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)
    try:
        with rollups_deferred():
            kept, changed, early, again = Ticket.objects.bulk_create(
                ticket_row(unit=org.grid1, created_at=at(DAY, 9, i), dispatched_at=at(DAY, 10)) for i in range(4)
            )
            payloads = {
                kept: [{"suggestion_taken": False}, {"suggestion_taken": True}],  # the latest dispatch counts
                changed: [{"suggested_category": "环境卫生", "suggestion_taken": False}],
                early: [{"mode": "immediate"}],  # before the router: nothing was suggested
                again: [{"suggestion_taken": None}],  # the router ranked nothing
            }
            TicketEvent.objects.bulk_create(
                TicketEvent(ticket=t, action="dispatch", payload=p, at=at(DAY, 10 + i))
                for t, ps in payloads.items()
                for i, p in enumerate(ps)
            )
        DirtyDay.objects.all().delete()
        _migrate(leaves)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    taken = dict(Ticket.objects.values_list("pk", "suggestion_taken"))
    assert [taken[t.pk] for t in (kept, changed, early, again)] == [True, False, None, None]
    assert list(DirtyDay.objects.values_list("day", "unit_id")) == [(DAY, org.grid1.pk)]
