"""Freshness of the rollups: a saved or deleted visit or ticket marks its (day, unit) dirty, then asks for a sweep.

The mark is a DirtyDay row written by the same connection right after the change — inside the caller's transaction
when there is one (every service writes in `atomic`) — so a broker outage loses nothing: the minute sweep of
CELERY_BEAT_SCHEDULE finds the mark. After commit we *try* to enqueue `rollup_dirty` — unless one is already queued
and not yet started (request_sweep: at most one waits at a time, whatever the number of web processes); a publish
failure is logged and swallowed, and for a short while later saves do not even try (a dead broker costs one
bounded attempt, not one per save).

With no broker (Celery eager: the embedded default, SPEC §9) nothing is enqueued: "enqueue" would mean "run the
rollup now, inside the request". The mark alone is the request's part; the in-process scheduler's sweep
(config/scheduler.py, every few seconds) recomputes.

Rows' original (day, unit) are remembered at load (post_init) so that moving a visit to another day or unit
marks both the old and the new key. Households need no mark: coverage's denominator is counted live, or held by a
cache row no older than dashboard.periods.CACHE_MAX_AGE.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_init, post_save

from campaign.days import local_day
from campaign.publish import Breaker, publish
from dashboard.rollups import dirty_mark, sweep_flag_clear, sweep_flag_set
from issues.models import Ticket
from visits.meetings import participants_added
from visits.models import Visit

log = logging.getLogger(__name__)

# After a refused publish, do not try again for a while (the minute sweep catches up anyway): campaign.publish.
BROKER = Breaker()

_state = threading.local()


@contextlib.contextmanager
def rollups_deferred() -> Iterator[None]:
    """Bulk writers (the seed command) skip marks and enqueues inside this block, then call rollup_range."""
    _state.deferred = True
    try:
        yield
    finally:
        _state.deferred = False


def _key_of(instance: Any) -> tuple[Any, Any] | None:
    moment = instance.visited_at if isinstance(instance, Visit) else instance.created_at
    if moment is None or instance.unit_id is None:
        return None
    return (local_day(moment), instance.unit_id)


def _remember(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Runs for every loaded row: read __dict__ only (a deferred field must not cost a query), convert later.
    values = instance.__dict__
    field = "visited_at" if sender is Visit else "created_at"
    instance._rollup_raw = (values.get(field), values.get("unit_id")) if instance.pk is not None else None


def _original_key(instance: Any) -> tuple[Any, Any] | None:
    raw = getattr(instance, "_rollup_raw", None)
    if raw is None or raw[0] is None or raw[1] is None:
        return None
    return (local_day(raw[0]), raw[1])


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if getattr(_state, "deferred", False) or kwargs.get("raw"):
        return
    keys = {_key_of(instance), _original_key(instance)} - {None}
    if not keys:
        return
    dirty_mark(keys)  # type: ignore[arg-type]
    instance._rollup_raw = (
        instance.visited_at if isinstance(instance, Visit) else instance.created_at,
        instance.unit_id,
    )
    transaction.on_commit(request_sweep)


def _participants(sender: Any, visit: Any, unit_ids: set[int], **kwargs: Any) -> None:
    """A meeting's participants count as visited in their own units (visits.meetings): mark each unit's day."""
    if getattr(_state, "deferred", False) or not unit_ids:
        return
    day = local_day(visit.visited_at)
    dirty_mark({(day, unit_id) for unit_id in unit_ids})
    transaction.on_commit(request_sweep)


def request_sweep() -> None:
    """Enqueue `rollup_dirty` unless one is queued and not started yet (its flag, PENDING_KEY); never raises, never
    blocks longer than one bounded publish attempt. Called after the commit of a mark: a sweep that clears the flag
    after this call saw it set reads the mark (its task clears it before reading: dashboard.rollups.sweep_flag_clear).

    No countdown: an ETA task made the worker's main process spin (a BRPOP answer it may not read while its one
    process is busy, polled thousands of times a second: a third of a core under the mixed load; bench/README.md).

    With eager Celery (no broker) it does nothing: the in-process scheduler's sweep finds the mark."""
    from dashboard.tasks import rollup_dirty

    if rollup_dirty.app.conf.task_always_eager or BROKER.is_open():
        return
    try:
        first = sweep_flag_set()
    except Exception as exc:  # the cache shares the broker's Redis: the publish would fail too
        BROKER.open()
        log.warning("rollup sweep not enqueued, the minute sweep will catch up (%s)", type(exc).__name__)
        return
    if not first:
        return
    # A refused publish: the mark is in the database, the beat sweep will find it; the flag goes with the broker.
    if not publish(rollup_dirty, breaker=BROKER, what="rollup sweep not enqueued, the minute sweep will catch up"):
        sweep_flag_clear()


def connect() -> None:
    """Called from DashboardConfig.ready()."""
    participants_added.connect(_participants, dispatch_uid="rollup_participants")
    for model in (Visit, Ticket):
        post_init.connect(_remember, sender=model, dispatch_uid=f"rollup_remember_{model.__name__}")
        post_save.connect(_changed, sender=model, dispatch_uid=f"rollup_changed_{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"rollup_deleted_{model.__name__}")
