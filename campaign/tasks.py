"""Background jobs of the campaign core: thin, take ids, safe to run twice (STYLE 7)."""

from __future__ import annotations

from celery import shared_task

from campaign import exports


@shared_task(acks_late=True)
def export_run_task(export_id: str) -> None:
    """Write a large ledger (any registered kind) to MEDIA_ROOT/exports/<id>.xlsx: campaign.exports.export_run."""
    exports.export_run(export_id=export_id)
