"""The read replica (issue 14 item 4), against the real streaming replica of scripts/replica.sh.

Run by `make test` in its own pytest invocation with DATABASE_REPLICA_URL set (.ci/run starts the replica); the rest of
the suite runs without it, so without the router. Its database set-up: the "replica" alias is a test mirror of
"default" (config/databases.py), so the replica serves the test database pytest-django creates on the primary, as
streaming replication copies it; the tests commit (transaction=True), since a replica only sees committed rows, and
each waits until the replica has replayed everything before it starts. Replay is paused (pg_wal_replay_pause) to
make a real lag: the primary moves on, the replica does not.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, router
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaign.exports import export_run
from campaign.models import Export
from campaign.replica import replica_reads
from config import replica
from issues.machine import ticket_apply
from issues.models import Ticket
from issues.services import ticket_create

CONFIGURED = bool(os.environ.get("DATABASE_REPLICA_URL"))
SKIP = "DATABASE_REPLICA_URL is not set (scripts/replica.sh makes the replica; .ci/run sets it)"
APP_TABLE = re.compile(r'"(campaign|visits|issues|dashboard)_')  # a query of our data, not the lag check's
WHO = re.compile(r'FROM "campaign_user"')  # who is asking: read on the primary before the view, by design
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)", re.IGNORECASE)
BBOX = {"bbox": "108.8,34.1,108.9,34.3"}


def ask(alias: str, sql: str) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def caught_up(timeout_s: float = 60) -> None:
    """Until the replica has replayed the primary's position as of now (the test database may not exist there yet)
    and a measurement finds it within the lag limit (the primary is shared: other databases' writes move it on all
    the time, so "replayed the current position" is rarely true at the instant of a measurement)."""
    target = replica.primary_lsn()
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if replica.lsn(ask("replica", "SELECT pg_last_wal_replay_lsn()::text")) >= target:
                break
        except OperationalError:
            connections["replica"].close()
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)
    # Then measurements until one finds the replica well within the limit: each samples the primary's position, which
    # the next compares with (on a loaded machine replay may take more than one interval to pass a sample).
    while replica.reading(fresh=True).lag > replica.max_lag_s() * 0.75:
        assert time.monotonic() < deadline, "the replica's lag did not come under the limit"
        time.sleep(0.1)


def served_by_replica(get: Any, path: str, params: dict[str, str] | None = None, tries: int = 50) -> Any:
    """GET until our data is read on the replica (a few tries: the lag is known to about REPLICA_CHECK_S); the
    response and the SQL of each alias for that request."""
    for _ in range(tries):
        with queries() as sql:
            response = get(path, params or {})
        if read_our_data(sql["replica"]):
            return response, sql
        time.sleep(0.1)
    raise AssertionError(f"{path} was never read on the replica")


@contextmanager
def replay_paused() -> Iterator[None]:
    ask("replica", "SELECT pg_wal_replay_pause()::text")
    try:
        while ask("replica", "SELECT pg_get_wal_replay_pause_state()") != "paused":
            time.sleep(0.02)
        yield
    finally:
        ask("replica", "SELECT pg_wal_replay_resume()::text")


@contextmanager
def queries() -> Iterator[dict[str, list[str]]]:
    """The SQL each alias ran inside the block."""
    captured: dict[str, list[str]] = {}
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        yield captured
    captured["replica"] = [q["sql"] for q in on_replica.captured_queries]
    captured["default"] = [q["sql"] for q in on_primary.captured_queries]


def read_our_data(sql: list[str]) -> bool:
    return any(APP_TABLE.search(statement) for statement in sql)


@pytest.fixture
def fresh(settings) -> Iterator[None]:
    """A measurement at most 0.1 s old, no history from another test."""
    settings.REPLICA_CHECK_S = 0.1
    replica.forget()
    yield
    replica.forget()


@pytest.fixture
def open_ticket(org, cadre, dispatcher, campaign_obj) -> Ticket:
    """A ticket dispatched to 城管局, already past its deadline (so the dashboard's overdue list shows it)."""
    ticket = ticket_create(
        actor=cadre, source="self_found", kind="complaint", category="城市管理", description="小区门口占道经营",
        lat=34.19, lng=108.88,
    )  # fmt: skip
    body = {"mode": "immediate", "problem": "占道经营", "lead_unit": org.dept1.pk, "responsible_person": "王科长",
            "measures": "劝离", "expected_effect": "恢复通行"}  # fmt: skip
    ticket = ticket_apply(ticket_id=ticket.pk, action="dispatch", actor=dispatcher, version=ticket.version, data=body)
    Ticket.objects.filter(pk=ticket.pk).update(due_at=timezone.now() - dt.timedelta(days=2))
    ticket.refresh_from_db()
    return ticket


def test_lag_is_how_long_ago_the_primary_was_where_the_replica_is():
    # The rule itself, on its own: positions, not replay time.
    history = [(100.0, 10), (101.0, 20), (102.0, 30)]
    # an idle primary: the replica holds its current position, however old its last transaction is
    assert replica.lag_of(replay=30, primary=30, history=history, now=500.0) == 0
    # behind: the age of the newest sample it has passed
    assert replica.lag_of(replay=25, primary=40, history=history, now=103.0) == 2.0
    # behind every sample: unknown, so too much
    assert replica.lag_of(replay=5, primary=40, history=history, now=103.0) == math.inf
    assert replica.lsn("16/B374D848") == (0x16 << 32) | 0xB374D848


READ_PATHS = [
    ("/api/v1/stats/summary/", {}),
    ("/api/v1/stats/daily/", {}),
    ("/api/v1/stats/ranking/", {}),
    ("/api/v1/geo/tickets/", BBOX),
    ("/api/v1/geo/visits/", BBOX),
    ("/api/v1/tickets/export.xlsx", {}),
    ("/dashboard/", {}),
    ("/dashboard/grids.geojson", {}),
    ("/dashboard/export.xlsx", {}),
]


@pytest.mark.parametrize(("path", "params"), READ_PATHS)
@pytest.mark.usefixtures("fresh", "open_ticket")
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@pytest.mark.skipif(not CONFIGURED, reason=SKIP)
def test_dashboard_statistics_export_and_geojson_reads_come_from_the_replica(web, leader, path, params):
    # given: the alias "replica" is the standby, "default" the primary
    assert ask("replica", "SELECT pg_is_in_recovery()") is True
    assert ask(DEFAULT_DB_ALIAS, "SELECT pg_is_in_recovery()") is False
    # when a leader (who wrote nothing) reads
    client = web(leader)
    caught_up()
    response, sql = served_by_replica(client.get, path, params)
    # then our data was read on the replica, none on the primary but the user (the export's audit row is written
    # there)
    assert response.status_code == 200, response.content[:300]
    data_reads = [q for q in sql["default"] if not WRITE.match(q) and not WHO.search(q)]
    assert not read_our_data(data_reads), data_reads


@pytest.mark.usefixtures("fresh")
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@pytest.mark.skipif(not CONFIGURED, reason=SKIP)
def test_writes_and_unmarked_reads_go_to_the_primary(api, dispatcher, open_ticket):
    client = api.as_user(dispatcher)
    caught_up()
    # an inbox read is not marked: the primary
    with queries() as sql:
        assert client.get("/api/v1/tickets/").status_code == 200
    assert not read_our_data(sql["replica"])
    assert read_our_data(sql["default"])
    # a change: every write on the primary, not one statement of it on the replica
    body = {"version": open_ticket.version, "reason": "重复诉求"}
    with queries() as sql:
        response = client.post(f"/api/v1/tickets/{open_ticket.pk}/cancel/", body, format="json")
    assert response.status_code == 200, response.json()
    assert any(re.match(r'\s*UPDATE "issues_ticket"', q) for q in sql["default"])
    assert not [q for q in sql["replica"] if WRITE.match(q)]
    # and the router never names the replica for a write, even inside a block of replica reads
    caught_up()
    with replica_reads(dispatcher):
        assert router.db_for_read(Ticket) == "replica"
        assert router.db_for_write(Ticket) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Ticket) == DEFAULT_DB_ALIAS  # after a write the block reads what it wrote


@pytest.mark.usefixtures("fresh")
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@pytest.mark.skipif(not CONFIGURED, reason=SKIP)
def test_a_replica_lagging_over_the_limit_is_not_read_until_it_catches_up(settings, web, leader, org, cadre):
    settings.REPLICA_MAX_LAG_S = 2
    client = web(leader)
    caught_up()
    served_by_replica(client.get, "/api/v1/stats/summary/")  # in use, and the primary's position sampled
    with replay_paused():
        # when the primary moves on (a ticket recorded) and the replica, paused, does not, for over the limit
        ticket_create(actor=cadre, source="self_found", kind="complaint", description="井盖缺失", lat=34.19, lng=108.88)
        time.sleep(2.3)
        with queries() as sql:
            summary = client.get("/api/v1/stats/summary/")
        # then the statistics are read on the primary
        assert summary.status_code == 200
        assert not read_our_data(sql["replica"]), sql["replica"]
        assert read_our_data(sql["default"])
        assert replica.reading().lag > 2
    # once it replayed again, the replica is read again
    caught_up()
    served_by_replica(client.get, "/api/v1/stats/summary/")


@pytest.mark.usefixtures("fresh")
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@pytest.mark.skipif(not CONFIGURED, reason=SKIP)
def test_a_user_never_reads_a_ticket_older_than_the_change_they_just_made(
    settings, api, web, dispatcher, leader, open_ticket
):
    settings.REPLICA_MAX_LAG_S = 60  # the lag alone would keep the replica in use while it is paused
    code = open_ticket.code
    caught_up()
    for who in (dispatcher, leader):  # both see the overdue ticket, read on the replica
        page = web(who).get("/dashboard/").content.decode()
        assert code in page
    with replay_paused():
        # when the dispatcher cancels it through the API, the replica not replaying
        response = api.as_user(dispatcher).post(
            f"/api/v1/tickets/{open_ticket.pk}/cancel/",
            {"version": open_ticket.version, "reason": "重复诉求"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        # then at once, the dispatcher's replica-eligible reads show the change: on the map, the dashboard, the detail
        geo = api.as_user(dispatcher).get("/api/v1/geo/tickets/", BBOX).json()
        assert open_ticket.pk not in [f["properties"]["id"] for f in geo["features"]]
        assert code not in web(dispatcher).get("/dashboard/").content.decode()
        assert api.as_user(dispatcher).get(f"/api/v1/tickets/{open_ticket.pk}/").json()["status"] == "cancelled"
        # while the leader, who changed nothing, is still served by the replica, which has not seen it: the
        # dispatcher's answers above could have been stale
        geo = api.as_user(leader).get("/api/v1/geo/tickets/", BBOX).json()
        assert open_ticket.pk in [f["properties"]["id"] for f in geo["features"]]
        assert code in web(leader).get("/dashboard/").content.decode()
    # and once the replica replayed the change, the dispatcher reads it there again
    caught_up()
    geo = served_by_replica(api.as_user(dispatcher).get, "/api/v1/geo/tickets/", BBOX)[0].json()
    assert open_ticket.pk not in [f["properties"]["id"] for f in geo["features"]]


@pytest.mark.usefixtures("fresh")
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
@pytest.mark.skipif(not CONFIGURED, reason=SKIP)
def test_a_background_export_reads_its_ledger_on_the_replica_and_writes_its_progress_on_the_primary(
    settings, leader, open_ticket, tmp_path
):
    # given: an export of the tickets ledger the leader asked for, waiting for its job (export_start's row)
    settings.MEDIA_ROOT = str(tmp_path)
    export = Export.objects.create(kind="tickets", owner=leader, params={})
    caught_up()
    # when the job runs
    with queries() as sql:
        export_run(export_id=str(export.pk))
    # then the ledger's rows were read on the replica, the progress and the result written on the primary
    assert any('FROM "issues_ticket"' in q for q in sql["replica"]), sql["replica"]
    assert not any('FROM "issues_ticket"' in q for q in sql["default"])
    assert any(q.startswith('UPDATE "campaign_export"') for q in sql["default"])
    assert not [q for q in sql["replica"] if WRITE.match(q)]
    done = Export.objects.get(pk=export.pk)
    assert (done.state, done.total) == (Export.State.DONE, 1)
