"""An upgrade over existing rows (PostgreSQL): the inbox's stored priority (issues 0006) and the partitioned events
(issues 0007) migrate a database that already holds tickets and events, as a deployment's does.

Every other test migrates an empty database, where a data step cannot trip over rows: an UPDATE in 0006 once left
deferred foreign-key checks pending before CREATE INDEX in the same transaction, which PostgreSQL refuses.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from issues.models import Status, Ticket, TicketEvent
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the partitioned upgrade is PostgreSQL's")

BEFORE = [("issues", "0005_extension_request_public_reply")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_inbox_and_partition_migrations_upgrade_a_database_that_holds_tickets():
    unit = OrgUnitFactory()
    now = timezone.now()
    overdue = Ticket.objects.create(
        code="T-UPGRADE-1", source="hotline", kind="complaint", description="路灯不亮", unit=unit,
        status=Status.IN_PROGRESS, supervision=1, due_at=now - dt.timedelta(days=2), created_at=now - dt.timedelta(days=9),
    )  # fmt: skip
    TicketEvent.objects.create(ticket=overdue, action="create", to_status="reported", at=overdue.created_at)
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)  # back over 0007 (events plain again) and 0006 (no stored priority)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM issues_ticket WHERE code = 'T-UPGRADE-1'")
            assert cursor.fetchone()[0] == 1
        _migrate(leaves)  # forward again, over the rows
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    upgraded = Ticket.objects.get(pk=overdue.pk)
    assert upgraded.passed_due_at == upgraded.due_at  # the data step marked it
    assert upgraded.priority == 2  # carded + past due, in the stored order's index
    assert list(TicketEvent.objects.filter(ticket=overdue).values_list("action", flat=True)) == ["create"]
