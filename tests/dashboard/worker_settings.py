"""Settings of the worker and beat processes that tests/dashboard/test_queues_worker.py starts: the project's own,
plus the probe that records every task run, and beat's periodic jobs every BEAT_EVERY_S seconds instead of their
production schedule (same tasks, same queues)."""

from config.env import env_str
from config.settings import *  # noqa: F403
from config.settings import CELERY_BEAT_SCHEDULE

CELERY_IMPORTS = ("tests.dashboard.worker_probe",)
BEAT_EVERY_S = float(env_str("ZF_TEST_BEAT_EVERY_S", "2"))
CELERY_BEAT_SCHEDULE = {name: {**entry, "schedule": BEAT_EVERY_S} for name, entry in CELERY_BEAT_SCHEDULE.items()}
