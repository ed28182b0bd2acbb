"""Webhooks through a real Celery worker process and a real Redis (a private redis-server), to a real receiver on
127.0.0.1: a committed ticket event reaches the partner with no manual step; with the broker down nothing is lost
(the row waits, beat's sweep sends it later); a row locked by one worker is skipped by another.

Needs PostgreSQL (the worker shares the test database) and REDIS_URL set; skipped otherwise."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from interop import outbox
from interop.delivery import delivery_send
from interop.models import DeliveryStatus, WebhookDelivery
from tests.dashboard.conftest import celery_conf
from tests.dashboard.test_worker import PrivateRedis, Worker, wait_for
from tests.interop.webhook_fixtures import (  # noqa: F401  fixtures
    partner_fixture,
    receiver_fixture,
    subscribe,
    tickets_fixture,
    webhook_settings_fixture,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="worker tests need REDIS_URL (and PostgreSQL)"),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed"),
]


@pytest.fixture
def redis_server(tmp_path) -> Iterator[PrivateRedis]:
    if connection.vendor != "postgresql":
        pytest.skip("the worker process must share the test database: PostgreSQL only")
    server = PrivateRedis(tmp_path)
    server.start()
    outbox.BROKER.reset()
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=server.url):
        yield server
    server.stop()
    outbox.BROKER.reset()


@pytest.fixture
def worker(redis_server, tmp_path, monkeypatch) -> Iterator[Worker]:
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_TARGETS", "1")  # the receiver is on 127.0.0.1
    process = Worker(redis_server.url, tmp_path)
    yield process
    process.stop()


def _status() -> list[str]:
    return list(WebhookDelivery.objects.order_by("pk").values_list("status", flat=True))


def test_a_committed_event_reaches_the_partner_through_the_worker(worker, tickets, partner, receiver, dispatcher):
    worker.start()
    subscribe(partner, receiver, events=["created", "dispatched"])
    # when: a ticket is reported and dispatched (each commits; the delivery is queued after the commit)
    ticket = tickets.reported()
    tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body())
    # then: the worker posts both, signed, and marks them sent
    wait_for(lambda: _status() == [DeliveryStatus.SENT] * 2, timeout=60)
    assert [r.json["event"] for r in receiver.received] == ["created", "dispatched"]
    assert all(r.signature_ok for r in receiver.received)


def test_broker_down_loses_nothing_and_the_sweep_sends_later(redis_server, worker, tickets, partner, receiver):
    subscribe(partner, receiver, events=["created"])
    # given: the broker is down
    redis_server.stop()
    # when: a ticket is reported
    tickets.reported()
    # then: the ticket and its outbox row are saved, nothing was sent
    assert _status() == [DeliveryStatus.PENDING] and receiver.received == []
    # when: the broker is back and beat's sweep is published
    redis_server.start()
    worker.start()
    from interop.tasks import webhook_sweep

    webhook_sweep.apply_async(retry=False)
    # then: the row is delivered once
    wait_for(lambda: _status() == [DeliveryStatus.SENT], timeout=60)
    assert len(receiver.received) == 1


def test_a_row_locked_by_one_worker_is_skipped_by_another(tickets, partner, receiver):
    subscribe(partner, receiver, events=["created"])
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=True):  # no worker here: nothing is queued after the commit
        tickets.reported()
    row = WebhookDelivery.objects.get()
    locked, release = threading.Event(), threading.Event()

    def first_worker() -> None:  # holds the row's lock, as delivery_claim does for its moment
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update().get(pk=row.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert locked.wait(10)
    try:
        # when: a second worker is handed the same row
        assert delivery_send(row.pk) is None  # SKIP LOCKED: it does not wait and does not send
    finally:
        release.set()
        thread.join(10)
    assert receiver.received == [] and _status() == [DeliveryStatus.PENDING]
    # and once the lock is gone the row is sent, once
    assert delivery_send(row.pk) == DeliveryStatus.SENT and len(receiver.received) == 1
