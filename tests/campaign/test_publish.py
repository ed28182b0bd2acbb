"""One publish with back-off (campaign.publish): a broker that refuses a task opens the breaker, and while it is open
the broker is not tried at all; reset, or the back-off passing, closes it. A real Celery task, a real dead port and a
real (private) redis-server; no mock of the thing under test."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import time

import pytest
import redis

from campaign.publish import Breaker, publish
from config.celery import app
from tests.dashboard.conftest import celery_conf
from tests.dashboard.test_worker import PrivateRedis

QUEUE = "publish_test"
ran: list[int] = []


@app.task(name="tests.campaign.test_publish.remember", queue=QUEUE)
def remember(n: int) -> None:
    ran.append(n)


@pytest.fixture(autouse=True)
def nothing_ran():
    ran.clear()
    yield
    ran.clear()


def dead_broker() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


def test_a_refused_publish_opens_the_breaker_and_the_broker_is_not_tried_until_reset(caplog):
    breaker = Breaker()
    dead = dead_broker()
    # when: the broker refuses the task
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=dead), caplog.at_level(logging.WARNING):
        assert publish(remember, (1,), breaker=breaker, what="test work left for later") is False
    # then: the breaker is open, and the warning names the work and the error's type, never the broker's address
    assert breaker.is_open()
    [record] = [r for r in caplog.records if r.name == "campaign.publish"]
    assert "test work left for later" in record.getMessage() and "OperationalError" in record.getMessage()
    assert dead.split("//")[1].split("/")[0] not in record.getMessage()
    # while it is open nothing is tried: an eager Celery, which would run the task at once, does not run it
    assert publish(remember, (2,), breaker=breaker, what="test work") is False
    assert ran == []
    # reset (the back-off has passed): the next publish goes through
    breaker.reset()
    assert publish(remember, (3,), breaker=breaker, what="test work") is True
    assert ran == [3] and not breaker.is_open()


def test_the_breaker_closes_by_itself_after_its_back_off():
    breaker = Breaker(backoff_s=0.05)
    breaker.open()
    assert breaker.is_open()
    time.sleep(0.1)
    assert not breaker.is_open()
    assert publish(remember, (1,), breaker=breaker, what="test work") is True and ran == [1]


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
def test_a_broker_that_goes_down_and_comes_back_is_tried_again_only_after_the_back_off(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    breaker = Breaker()
    try:
        with celery_conf(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=server.url):
            queued = redis.Redis.from_url(server.url)
            # a broker that takes the task: published, the breaker stays closed
            assert publish(remember, (1,), breaker=breaker, what="test work") is True
            [message] = queued.lrange(QUEUE, 0, -1)
            headers = json.loads(message)["headers"]
            assert headers["task"] == "tests.campaign.test_publish.remember" and headers["eta"] is None
            # the broker goes down: refused, the breaker opens
            server.stop()
            assert publish(remember, (2,), breaker=breaker, what="test work") is False and breaker.is_open()
            # it comes back, but within the back-off nothing is published
            server.start()
            assert publish(remember, (3,), breaker=breaker, what="test work") is False
            assert queued.llen(QUEUE) == 0  # a fresh server: nothing arrived
            breaker.reset()
            assert publish(remember, (4,), breaker=breaker, what="test work") is True
            assert queued.llen(QUEUE) == 1
    finally:
        server.stop()
    assert ran == []  # never run here: the broker had them
