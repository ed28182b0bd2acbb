"""Celery tasks of the visits app: thin, safe to run twice (STYLE 7). Their schedule and queues: config/jobs.py."""

from __future__ import annotations

from celery import shared_task

from campaign.days import today


@shared_task(acks_late=True, ignore_result=True)
def must_visit_remind() -> int:
    """Every morning: remind each cadre of their overdue must-visits (四门必敲) and the grids' leaders of those overdue
    by more than two intervals, once per person per day (visits.must_visit_reminders); returns how many were sent."""
    from visits.must_visit_reminders import must_visit_remind as remind

    return remind(today())
