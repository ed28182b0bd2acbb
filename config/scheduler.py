"""The in-process scheduler of the embedded default (SPEC §9): CELERY_BEAT_SCHEDULE, run without Celery beat.

With no broker (SQLite, eager Celery) there is no `celery beat`; `manage.py demo` starts `demo --scheduler-only`
(run_scheduler) as a child process beside the server, so escalation, the dirty sweep and the nightly recompute run
as in production (start_in_process_scheduler runs the same loop in a daemon thread instead). It reads the very
same table as beat (settings.CELERY_BEAT_SCHEDULE) and runs each due task in-process (`task.apply()`), one at a
time; a failing task is logged and retried at its next due time. Never start it next to a real `celery beat`.

It is the only place the embedded default recomputes statistics: a request only marks its day dirty
(dashboard/signals.py), and the sweep runs every EMBEDDED_SWEEP_S seconds (5) instead of every minute. The jobs
write in short transactions (issues/escalation.py, dashboard.rollups), so a user's write waits for them at most a
moment (SQLite has one writer; config/settings.py waits for it instead of failing).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger(__name__)

_started = threading.Event()
MAX_SLEEP_S = 30.0


def _entries(app: Any) -> dict[str, tuple[Any, Any]]:
    """name → (task, celery schedule object) for every entry of CELERY_BEAT_SCHEDULE."""
    from celery.schedules import maybe_schedule

    entries = {}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        app.loader.import_default_modules()
        task = app.tasks[entry["task"]]
        entries[name] = (task, maybe_schedule(entry["schedule"], app=app))  # type: ignore[call-arg]
    return entries


def run_due(entries: dict[str, tuple[Any, Any]], last_run: dict[str, datetime]) -> float:
    """Run the entries that are due; returns how long to sleep before checking again."""
    sleep = MAX_SLEEP_S
    for name, (task, schedule) in entries.items():
        due, next_in = schedule.is_due(last_run[name])
        if due:
            last_run[name] = timezone.now()
            try:
                task.apply(throw=True)
            except Exception:
                log.exception("scheduled task %s failed", name)
            finally:
                close_old_connections()
        sleep = min(sleep, max(float(next_in), 1.0))
    return sleep


def _loop() -> None:
    from config.celery import app

    entries = _entries(app)
    # Start as if every job just ran: the first sweep after its interval, escalation at the next quarter hour (as
    # beat would).
    last_run = {name: timezone.now() for name in entries}
    log.info("scheduler started: %s", ", ".join(entries))
    while True:
        time.sleep(run_due(entries, last_run))


def start_in_process_scheduler() -> threading.Thread | None:
    """Start the daemon thread once per process (a second call does nothing and returns None)."""
    if _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(target=_loop, name="zoufang-scheduler", daemon=True)
    thread.start()
    return thread


def run_scheduler() -> None:
    """The same loop in the foreground, until interrupted: `manage.py demo --scheduler-only`, the process `make demo`
    starts beside the server, so the jobs' Python never competes with the requests' for one interpreter lock; and
    at a lower CPU priority (nice 10), so that on a busy machine a request runs first and a job waits."""
    if hasattr(os, "nice"):  # not on Windows
        os.nice(10)
    try:
        _loop()
    except KeyboardInterrupt:  # Ctrl-C in the demo's terminal reaches this process too
        return
