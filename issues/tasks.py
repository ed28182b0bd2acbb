"""Background jobs of the issues app: thin, safe to run twice (STYLE 7)."""

from __future__ import annotations

from celery import shared_task

from issues.services import export_run


@shared_task(acks_late=True)
def export_run_task(export_id: str) -> None:
    """Write a large ledger export (kind tickets or visits) to MEDIA_ROOT/exports/<id>.xlsx."""
    export_run(export_id=export_id)
