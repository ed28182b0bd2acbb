"""The Celery app. Workers: `celery -A config worker`; schedule: `celery -A config beat` (docs/operations.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("zoufang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
