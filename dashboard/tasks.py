"""Celery tasks of the statistics and supervision jobs: thin, take dates or ids, safe to run twice (STYLE 7).

Their schedule is CELERY_BEAT_SCHEDULE in config/settings.py (and config/scheduler.py in the embedded default).
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from campaign.days import today
from dashboard import periods, rollups

log = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def rollup_dirty() -> int:
    """Recompute one batch of dirty (day, unit)s; re-queue while a full batch was found (the sweep, every minute)."""
    rollups.sweep_flag_clear()  # before reading the marks: a save committed after this enqueues the next sweep
    done = rollups.rollup_dirty()
    if done >= rollups.DIRTY_BATCH:
        try:
            rollup_dirty.apply_async(retry=False)
        except Exception as exc:  # the next minute's sweep continues
            log.warning("rollup_dirty not re-queued: %s", exc)
    return done


@shared_task(acks_late=True, ignore_result=True)
def rollup_nightly() -> None:
    """01:00: recompute yesterday in full (its block's spans included), snapshot its overdue tickets (stats/daily),
    then every unit's cached usual periods as of the new day (until then reads compute them through the one path)."""
    yesterday = today() - dt.timedelta(days=1)
    rollups.rollup_whole_day(day=yesterday)
    rollups.overdue_snapshot(day=yesterday)
    periods.periods_refresh(everything=True)


@shared_task(acks_late=True, ignore_result=True)
def rollup_backfill(date_from: str, date_to: str) -> int:
    """Recompute a range of days (ISO dates). Killed midway, the days left stay marked and the sweep finishes them."""
    return rollups.rollup_range(date_from=dt.date.fromisoformat(date_from), date_to=dt.date.fromisoformat(date_to))


@shared_task(acks_late=True, ignore_result=True)
def supervise_tickets(after_id: int = 0) -> int:
    """Every 15 minutes: raise yellow/red cards on overdue and stalled tickets, one bounded batch of ids per run;
    re-queues itself from the last id while batches come back full."""
    from issues.escalation import ESCALATION_BATCH, tickets_escalate
    from issues.inbox import tickets_mark_overdue

    if after_id == 0:
        tickets_mark_overdue()
    raised, last_id, full = tickets_escalate(after_id=after_id, batch_size=ESCALATION_BATCH)
    if full:
        supervise_tickets.apply_async(kwargs={"after_id": last_id}, retry=False)
    return raised


@shared_task(acks_late=True, ignore_result=True)
def mark_overdue_tickets() -> int:
    """Every minute: mark the open tickets whose due_at has passed, so that the inbox's stored priority counts them
    (issues.inbox; until then the inbox reads them apart, so its order is exact either way). One indexed UPDATE."""
    from issues.inbox import tickets_mark_overdue

    return tickets_mark_overdue()
