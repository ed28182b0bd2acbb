"""Loaded by the test workers only (CELERY_IMPORTS in tests/dashboard/worker_settings.py; never import it in the test
process, where it would record every eager task): one row in zf_probe_runs when a task starts and one when it ends,
with its id, name, the queue it came from and the worker that ran it. The table is made and dropped by
tests/dashboard/test_queues_worker.py (it is not a model: it lives only in the test database, for one test)."""

from __future__ import annotations

from typing import Any

from celery.signals import task_postrun, task_prerun
from django.db import connection


def record(task_id: str, task: Any, phase: str) -> None:
    request = task.request
    queue = (request.delivery_info or {}).get("routing_key") or ""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO zf_probe_runs (task_id, name, phase, queue, worker) VALUES (%s, %s, %s, %s, %s)",
            [task_id, task.name, phase, queue, request.hostname or ""],
        )


@task_prerun.connect
def on_start(task_id: str, task: Any, **_: Any) -> None:
    record(task_id, task, "start")


@task_postrun.connect
def on_end(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    record(task_id, task, f"end:{state}")
