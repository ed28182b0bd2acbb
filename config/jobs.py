"""Celery's settings, read by config/settings.py: the broker, how tasks are acknowledged, the queues each task goes
to (QUEUES, TASK_QUEUE) and every periodic job.

Without REDIS_URL (the embedded default) tasks run eagerly in-process and config/scheduler.py runs the same schedule.
"""

from celery.schedules import crontab
from kombu import Exchange, Queue

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
    "CELERY_TASK_DEFAULT_QUEUE",
    "CELERY_TASK_ROUTES",
    "CELERY_TASK_QUEUES",
    "QUEUES",
    "TASK_QUEUE",
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
# visibility_timeout: a task whose worker died is redelivered after this many seconds (acks_late). It must exceed
# the longest task (an export of a whole city's ledger): a task still running past it is delivered a second time.
# CELERY_VISIBILITY_TIMEOUT_S lowers it for the worker tests (tests/dashboard/test_queues_worker.py kills a worker mid-task).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "visibility_timeout": int(env_str("CELERY_VISIBILITY_TIMEOUT_S", "3600")),
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
    # every night at 02:20: make this month's and the next two months' partitions of visits, ticket events and the
    # audit trail (PostgreSQL; campaign/partitions.py), and log an error if a default partition holds rows
    "partitions-ahead": {"task": "campaign.partitions.partitions_ahead_task", "schedule": crontab(hour=2, minute=20)},
    # every night at 03:40: retrain the intake's category and lead-unit suggestions on the newest dispatched tickets
    # (issues/router); a new version reaches the web processes within a minute
    "router-train": {"task": "issues.tasks.router_train_nightly", "schedule": crontab(hour=3, minute=40)},
    # every morning at 08:30: remind each cadre of their overdue must-visits (四门必敲) and the grids' leaders of those
    # overdue by more than two intervals, once per person per day (visits/must_visit_reminders.py)
    "must-visit-remind": {"task": "visits.tasks.must_visit_remind", "schedule": crontab(hour=8, minute=30)},
    # every minute: send the SMS and WeChat messages due — retries after their back-off, and any whose first task the
    # broker lost (issues/channels/outbox.py)
    "channel-deliveries-due": {"task": "issues.channels.outbox.deliveries_due_task", "schedule": 60.0},
    # every minute: send the partners' webhooks whose time has come — retries after their back-off, and any whose
    # first task the broker lost (interop/delivery.py); in the embedded default every few seconds: it is the only
    # sender there (a request never makes an outbound HTTP call)
    "webhooks-sweep": {"task": "interop.tasks.webhook_sweep", "schedule": 60.0 if REDIS_URL else EMBEDDED_SWEEP_S},
}

# The queues, each with the longest a task should wait in it before a worker takes it (SPEC §9; the Procfile's
# workers and docs/operations.md "Workers and queues" size the processes for these waits):
QUEUES: dict[str, str] = {
    # ≤ 60 s: the dirty sweep runs every minute and a write's own recompute is queued 5 s after it; figures older
    # than a minute and a half would mean the sweeps pile up. The nightly recompute and backfills are long: this
    # queue gets two processes so that one of them always serves the sweep.
    "statistics": "60 s",
    # ≤ 15 min: beat's escalation period (SPEC §5, every 15 min); a card raised one period late is still within the
    # spec's own step, a wait longer than that means two runs overlap. The nightly audit upkeep and
    # partitions-ahead have hours of slack.
    "escalation": "15 min",
    # ≤ 2 min: a person watches the export's progress bar (SPEC §9: jobs a user waits for); each export is long
    # and memory-bound, so they get their own process and never hold up the statistics or a notification.
    "exports": "2 min",
    # ≤ 10 s: a handler's bell after a dispatch, a dispatcher's after a return; short inserts, never behind a
    # long job.
    "notifications": "10 s",
    # ≤ 1 min: a partner hears of a ticket event within a minute (the sweep's period, which also drives retries);
    # an attempt may wait seconds on a partner's server, so webhooks never hold up a notification.
    "webhooks": "1 min",
}
# Every task, by name, to its queue (tests/dashboard/test_queues.py holds every registered task to this table).
TASK_QUEUE: dict[str, str] = {
    "dashboard.tasks.rollup_dirty": "statistics",
    "dashboard.tasks.rollup_nightly": "statistics",
    "dashboard.tasks.rollup_backfill": "statistics",
    # nightly, a few CPU minutes: beside the nightly recompute, on the queue that has two processes
    "issues.tasks.router_train_nightly": "statistics",
    "dashboard.tasks.supervise_tickets": "escalation",
    # every minute; the inbox reads the few not yet marked apart, so a late mark never changes its order
    "dashboard.tasks.mark_overdue_tickets": "escalation",
    "campaign.audit.audit_upkeep_task": "escalation",
    "campaign.partitions.partitions_ahead_task": "escalation",
    "visits.tasks.must_visit_remind": "escalation",  # once a day, a few queries per district
    "campaign.exports.export_run_task": "exports",
    "issues.notices.notices_send_task": "notifications",
    "issues.messages.message_deliver_task": "notifications",  # a message to cadres: its receipts
    "interop.tasks.webhook_deliver": "webhooks",  # one POST to a partner, ≤ 8 s
    "interop.tasks.webhook_sweep": "webhooks",  # every minute: the due rows' ids, fanned out to webhook_deliver
    # one SMS or WeChat message each (a provider call of at most ~8 s), and the sweep that queues the due ones
    "issues.channels.outbox.delivery_send_task": "notifications",
    "issues.channels.outbox.deliveries_due_task": "notifications",
}
CELERY_TASK_ROUTES = {name: {"queue": queue} for name, queue in TASK_QUEUE.items()}
# A worker started without --queues consumes every queue (a plain `celery -A config worker` on a small machine). Each
# queue with its own exchange and routing key: a bare Queue(name) would get the default queue's key and every
# message would land in `statistics`.
CELERY_TASK_QUEUES = [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES]
# A task missing from TASK_QUEUE (a test fails first) would still reach a queue every deployment consumes.
CELERY_TASK_DEFAULT_QUEUE = "statistics"
