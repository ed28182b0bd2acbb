"""Celery's settings, read by config/settings.py: the broker, how tasks are acknowledged and every periodic job.

Without REDIS_URL (the embedded default) tasks run eagerly in-process and config/scheduler.py runs the same schedule.
"""

from celery.schedules import crontab

from config.env import env_str

REDIS_URL = env_str("REDIS_URL")

__all__ = [
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
    "EXPORTS_IN_THREAD",
    "CELERY_TASK_EAGER_PROPAGATES",
    "CELERY_TASK_ACKS_LATE",
    "CELERY_TASK_REJECT_ON_WORKER_LOST",
    "CELERY_WORKER_PREFETCH_MULTIPLIER",
    "CELERY_TIMEZONE",
    "CELERY_BROKER_CONNECTION_TIMEOUT",
    "CELERY_BROKER_TRANSPORT_OPTIONS",
    "CELERY_TASK_PUBLISH_RETRY",
    "EMBEDDED_SWEEP_S",
    "CELERY_BEAT_SCHEDULE",
]

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# No broker: a background export runs in a thread of the web process, not inside the request (campaign.exports).
EXPORTS_IN_THREAD = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
# A request must never hang on a dead broker: bounded connect/publish timeouts, no endless retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# visibility_timeout: a task whose worker died is redelivered after this many seconds (acks_late).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
# The embedded default's sweep of dirty days, in seconds (config/scheduler.py runs it beside `manage.py demo`).
EMBEDDED_SWEEP_S = 5.0
# Every periodic job, in one place (config/scheduler.py runs the same table in-process in the embedded default).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # every 15 minutes: supervise overdue and stalled tickets (yellow / red cards, issues/escalation.py)
    "supervise-tickets": {"task": "dashboard.tasks.supervise_tickets", "schedule": crontab(minute="*/15")},
    # every minute: mark the tickets whose due_at has just passed in the inbox's stored priority (issues/inbox.py)
    "mark-overdue-tickets": {"task": "dashboard.tasks.mark_overdue_tickets", "schedule": 60.0},
    # every minute: recompute the statistics of days marked dirty (catches up whatever a dead broker missed); in
    # the embedded default every few seconds: it is the only recompute there (a write only marks, SPEC §9)
    "rollup-dirty-sweep": {"task": "dashboard.tasks.rollup_dirty", "schedule": 60.0 if REDIS_URL else EMBEDDED_SWEEP_S},
    # every night at 01:00 Asia/Shanghai: recompute yesterday in full and snapshot its overdue tickets
    "rollup-nightly": {"task": "dashboard.tasks.rollup_nightly", "schedule": crontab(hour=1, minute=0)},
    # every night at 02:30: make the audit table's partitions for this month and the next two, and drop the
    # months older than AUDIT_RETENTION_DAYS as whole partitions (campaign/audit.py)
    "audit-upkeep": {"task": "campaign.audit.audit_upkeep_task", "schedule": crontab(hour=2, minute=30)},
}
