"""A save asks for a sweep (dashboard.signals.request_sweep): at most one waits in the queue at a time, whatever the
number of saves and web processes, and none is an ETA task (with one, the worker's main process spun while its
process was busy: bench/README.md, session 15). A real Redis as the broker; no worker: the queue is read."""

from __future__ import annotations

import json
import shutil

import pytest
import redis
from django.core.cache import cache

from dashboard import rollups, signals
from dashboard.tasks import rollup_dirty
from tests.dashboard.conftest import celery_conf
from tests.dashboard.test_worker import PrivateRedis

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed"),
]


@pytest.fixture
def broker(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    signals.BROKER.reset()
    cache.delete(rollups.PENDING_KEY)
    try:
        with celery_conf(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=server.url):
            yield server
    finally:
        server.stop()
        signals.BROKER.reset()
        cache.delete(rollups.PENDING_KEY)


def queued(server: PrivateRedis) -> list[dict]:
    return [json.loads(m)["headers"] for m in redis.Redis.from_url(server.url).lrange("statistics", 0, -1)]


def test_saves_while_a_sweep_waits_queue_no_other(broker):
    for _ in range(5):
        signals.request_sweep()
    [first] = queued(broker)
    assert first["task"] == "dashboard.tasks.rollup_dirty" and first["eta"] is None
    # the sweep starts (and reads the marks committed so far): the next save queues the next one
    rollup_dirty.apply()
    signals.request_sweep()
    signals.request_sweep()
    assert len(queued(broker)) == 2


def test_a_refused_publish_leaves_no_flag_behind(broker):
    broker.stop()
    signals.request_sweep()
    assert signals.BROKER.is_open() and cache.get(rollups.PENDING_KEY) is None
    # the broker is back after the back-off: the next save queues a sweep
    broker.start()
    signals.BROKER.reset()
    signals.request_sweep()
    assert len(queued(broker)) == 1
