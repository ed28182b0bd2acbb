"""The project package: settings, URLs, the Celery app, WSGI, the embedded scheduler and the commands that orchestrate
several apps (demo, seed_demo, rollup). The top layer: it may import every app; no app imports it."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
