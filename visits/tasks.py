"""The visit ledger (走访台账) as .xlsx: rendered in the request up to 10,000 rows, else by a Celery task.

Both paths stream rows through openpyxl's write-only mode from `.iterator(chunk_size=2000)`: memory stays
bounded however many rows (SPEC §7). The background path reuses issues.models.Export and its
`GET /api/v1/exports/{id}/` status endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.models import User
from issues.exports import write_xlsx
from visits.models import GeoStatus, Visit

EXPORT_INLINE_MAX = 10_000  # rows rendered within the request; above this a background export (202)
CHUNK = 2000  # rows per database round trip: ~2 MB of Python objects at a time
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _headers(checklist_labels: list[tuple[str, str]]) -> list[str]:
    return [
        _("走访日期"),
        _("走访时间"),
        _("走访人"),
        _("所属单位"),
        _("对象类型"),
        _("走访对象"),
        _("位置核验"),
        _("距离(米)"),
        _("见面人数"),
        *[label for _key, label in checklist_labels],
        _("走访记录"),
        _("异常标记"),
        _("关联工单"),
        _("反映诉求"),
    ]


def _checklist_labels(qs: QuerySet[Visit]) -> list[tuple[str, str]]:
    """The checklist columns: the union of the campaigns' checklists met in the export, in their order."""
    from campaign.models import Campaign

    seen: dict[str, str] = {}
    campaign_ids = qs.order_by().values_list("campaign_id", flat=True).distinct()
    for campaign in Campaign.objects.filter(pk__in=campaign_ids):
        for item in campaign.checklist:
            if isinstance(item, dict) and item.get("key") and item["key"] not in seen:
                seen[str(item["key"])] = str(item.get("label") or item["key"])
    return list(seen.items())


def _rows(qs: QuerySet[Visit], checklist_labels: list[tuple[str, str]]) -> Iterator[list[Any]]:
    from issues.models import Ticket
    from visits.api import target_label

    tz = timezone.get_default_timezone()
    statuses = dict(GeoStatus.choices)
    rows = qs.select_related("cadre", "unit", "household", "enterprise", "ticket").order_by("-visited_at", "-id")
    batch: list[Visit] = []

    def flush(visits: list[Visit]) -> Iterator[list[Any]]:
        raised: dict[Any, list[str]] = {}
        for visit_id, code in Ticket.objects.filter(visit_id__in=[v.pk for v in visits]).values_list(
            "visit_id", "code"
        ):
            raised.setdefault(visit_id, []).append(code)
        for visit in visits:
            local = visit.visited_at.astimezone(tz)
            yield [
                local.strftime("%Y-%m-%d"),
                local.strftime("%H:%M"),
                str(visit.cadre),
                visit.unit.name,
                visit.get_target_type_display() if visit.target_type else _("工单现场"),
                target_label(visit),
                str(statuses.get(visit.geo_status, visit.geo_status)),
                visit.distance_m,
                visit.people_met,
                *[visit.checklist.get(key, "") for key, _label in checklist_labels],
                visit.notes,
                "、".join(visit.flags or []),
                visit.ticket.code if visit.ticket else "",
                "、".join(raised.get(visit.pk, [])),
            ]

    for visit in rows.iterator(chunk_size=CHUNK):
        batch.append(visit)
        if len(batch) >= CHUNK:
            yield from flush(batch)
            batch = []
    if batch:
        yield from flush(batch)


def write_visit_ledger(qs: QuerySet[Visit], target: Any, progress: Callable[[int], None] | None = None) -> int:
    """Write the ledger of `qs` as .xlsx into `target` (a path or a binary stream); returns the row count."""
    labels = _checklist_labels(qs)
    return write_xlsx(target, _("走访台账"), _headers(labels), _rows(qs, labels), on_progress=progress)


def visit_ledger_response(qs: QuerySet[Visit]) -> HttpResponse:
    import io

    buffer = io.BytesIO()
    write_visit_ledger(qs, buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    filename = f"visits-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def visits_export_start(*, owner: User, params: dict[str, str], total: int) -> Any:
    """Create the Export row and queue the job after commit (STYLE 6)."""
    from issues.models import Export

    export = Export.objects.create(kind="visits", owner=owner, params=params, total=total)
    transaction.on_commit(lambda: export_visits.delay(str(export.pk)))
    return export


class _ParamsRequest:
    """Enough of a DRF request for visits.api.filtered_visits to re-apply the stored filters as the owner."""

    def __init__(self, user: User, params: dict[str, str]) -> None:
        self.user = user
        self.query_params = params


def visit_ledger(user: User, params: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]], int]:
    """The ledger as (headers, rows, total) for issues' generic export runner (issues.exports.LEDGERS["visits"])."""
    from visits.api import filtered_visits

    qs = filtered_visits(_ParamsRequest(user, params))  # type: ignore[arg-type]
    labels = _checklist_labels(qs)
    return _headers(labels), _rows(qs, labels), qs.count()


@shared_task(acks_late=True)
def export_visits(export_id: str) -> None:
    """Write a large visit ledger in bounded memory to MEDIA_ROOT/exports/<id>.xlsx (where issues' download view
    looks). Safe to run twice: it rewrites the same file."""
    from issues.models import Export
    from visits.api import filtered_visits

    export = Export.objects.select_related("owner__unit").filter(pk=export_id).first()
    if export is None or export.state == Export.State.DONE:
        return
    Export.objects.filter(pk=export.pk).update(state=Export.State.RUNNING)
    relative = f"exports/{export.pk}.xlsx"
    path = os.path.join(settings.MEDIA_ROOT, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        qs = filtered_visits(_ParamsRequest(export.owner, export.params))  # type: ignore[arg-type]

        def progress(n: int) -> None:
            Export.objects.filter(pk=export.pk).update(progress=n)

        count = write_visit_ledger(qs, path, progress=progress)
    except Exception as exc:  # the export row must say it failed, whatever failed (the type only: no data)
        Export.objects.filter(pk=export.pk).update(state=Export.State.FAILED, error=type(exc).__name__[:500])
        raise
    Export.objects.filter(pk=export.pk).update(
        state=Export.State.DONE, progress=count, total=count, file=relative, finished_at=timezone.now()
    )
