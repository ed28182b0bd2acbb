"""Every Celery task has a queue, every queue a target wait, and the Procfile's workers consume every queue."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app
from config.jobs import QUEUES, TASK_QUEUE

ROOT = Path(__file__).resolve().parents[2]
# Celery imports the tasks' modules through its Django fix-up, which runs the system checks (they read the database).
pytestmark = pytest.mark.django_db


def our_tasks() -> set[str]:
    app.loader.import_default_modules()
    # the product's tasks: not Celery's own, nor those a test module defines for itself (tests.campaign.test_publish)
    return {name for name in app.tasks if not name.startswith(("celery.", "tests."))}


def test_every_task_is_routed_to_a_known_queue():
    assert our_tasks() == set(TASK_QUEUE)
    expected = {"statistics", "escalation", "exports", "notifications", "webhooks"}
    assert set(TASK_QUEUE.values()) == set(QUEUES) == expected
    for name, queue in TASK_QUEUE.items():
        assert app.amqp.router.route({}, name)["queue"].name == queue, name
    assert all(re.fullmatch(r"\d+ (s|min)", wait) for wait in QUEUES.values())


def test_every_periodic_job_is_a_routed_task():
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} <= set(TASK_QUEUE)


def procfile_workers() -> dict[str, list[str]]:
    workers = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        args = shlex.split(command)
        if args[:4] == ["celery", "-A", "config", "worker"]:
            queues = next(a.split("=", 1)[1] for a in args if a.startswith("--queues="))
            workers[name] = queues.split(",")
    return workers


def test_the_procfile_workers_consume_every_queue_once():
    consumed = [queue for queues in procfile_workers().values() for queue in queues]
    assert sorted(consumed) == sorted(QUEUES)
    assert settings.CELERY_TASK_DEFAULT_QUEUE in QUEUES


def test_a_worker_without_queue_options_consumes_every_queue():
    assert set(app.amqp.queues) == set(QUEUES)
    for name, queue in app.amqp.queues.items():  # each reached by its own key, not the default queue's
        assert (queue.exchange.name, queue.routing_key) == (name, name)
    for task, name in TASK_QUEUE.items():
        queue = app.amqp.router.route({}, task)["queue"]
        assert (queue.name, queue.exchange.name, queue.routing_key) == (name, name, name), task
