"""Celery tasks of the issues app: thin, safe to run twice (STYLE 7). Their schedule and queues: config/jobs.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def router_train_nightly() -> int | None:
    """03:40: retrain the category and lead-unit suggestions on the newest dispatched tickets (issues.router.store);
    returns the version stored, None when there were too few tickets. Imports jieba and scikit-learn only when run."""
    from issues.router.store import router_train

    return router_train().version
