"""The webhooks' Celery tasks, on the `webhooks` queue (config/jobs.py): thin, take ids, safe to run twice."""

from __future__ import annotations

import time

from celery import shared_task

from interop.delivery import deliveries_due, delivery_send

# Eager Celery (the embedded default): the sweep sends in the in-process scheduler's own thread, one attempt after
# another (each up to ~8 s against a partner that hangs), so it stops after this long and leaves the rest to its next
# run: the scheduler's other jobs are never held up by a partner's server for longer.
EAGER_BUDGET_S = 10.0


@shared_task(name="interop.tasks.webhook_deliver", acks_late=True, ignore_result=True)
def webhook_deliver(delivery_id: int) -> str | None:
    """One attempt at one row (interop.delivery.delivery_send): nothing when it is already sent or not yet due."""
    return delivery_send(delivery_id)


@shared_task(name="interop.tasks.webhook_sweep", acks_late=True, ignore_result=True)
def webhook_sweep() -> int:
    """Every minute (beat): queue an attempt for each pending row whose time has come — the retries after their
    back-off and the rows whose first task was never published or was lost. Returns how many were queued."""
    eager = bool(webhook_deliver.app.conf.task_always_eager)
    started = time.monotonic()
    queued = 0
    for pk in deliveries_due():
        if eager and time.monotonic() - started > EAGER_BUDGET_S:
            break
        webhook_deliver.apply_async(args=(pk,), retry=False)
        queued += 1
    return queued
