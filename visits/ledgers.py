"""The visit ledger (走访台账): the filtered visits, one row each, as campaign.exports writes them.

Registered by VisitsConfig.ready(); served by GET /api/v1/visits/export.xlsx through campaign.exports (up to
its sync limit at once, more in the background). Rows are read in chunks of CHUNK (SPEC §7: bounded memory).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.exports import CHUNK, Ledger, Table
from campaign.fields import is_finite_number
from campaign.models import Campaign, User
from issues.models import Ticket
from visits.models import GeoStatus, Visit
from visits.selectors import visits_filtered


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
    """The questionnaire's columns (issue 16 item 6): one per question, headed by its label, the union of the
    campaigns' questions met in the export in their order (`?campaign=`: that campaign's questionnaire)."""
    seen: dict[str, str] = {}
    campaign_ids = qs.order_by().values_list("campaign_id", flat=True).distinct()
    for campaign in Campaign.objects.filter(pk__in=campaign_ids).order_by("pk"):
        for question in campaign.questions():
            seen.setdefault(question.key, question.label)
    return list(seen.items())


def _answer(visit: Visit, key: str) -> Any:
    """A visit's answer as its cell: text as text, a number as a number (sums and filters work in Excel), an old
    row's odd value as text; "" when unanswered."""
    value = visit.checklist.get(key, "") if isinstance(visit.checklist, dict) else ""
    if isinstance(value, str) or is_finite_number(value):
        return value
    return str(value)


def _chunk_rows(visits: list[Visit], checklist_labels: list[tuple[str, str]]) -> Iterator[list[Any]]:
    """The rows of one chunk of visits, with the tickets raised on them (one query per chunk)."""
    tz = timezone.get_default_timezone()
    statuses = dict(GeoStatus.choices)
    raised: dict[Any, list[str]] = {}
    for visit_id, code in Ticket.objects.filter(visit_id__in=[v.pk for v in visits]).values_list("visit_id", "code"):
        raised.setdefault(visit_id, []).append(code)
    for visit in visits:
        local = visit.visited_at.astimezone(tz)
        # Tolerant of an old row's odd JSON (control characters are campaign.exports' business): one row never fails
        # the ledger.
        yield [
            local.strftime("%Y-%m-%d"),
            local.strftime("%H:%M"),
            str(visit.cadre),
            visit.unit.name,
            visit.get_target_type_display() if visit.target_type else _("工单现场"),
            visit.target_label(),
            str(statuses.get(visit.geo_status, visit.geo_status)),
            visit.distance_m if visit.distance_m is None or math.isfinite(visit.distance_m) else None,
            visit.people_met,
            *[_answer(visit, key) for key, _label in checklist_labels],
            visit.notes,
            "、".join(visit.flag_list()),
            visit.ticket.code if visit.ticket else "",
            "、".join(raised.get(visit.pk, [])),
        ]


def _rows(qs: QuerySet[Visit], checklist_labels: list[tuple[str, str]]) -> Iterator[list[Any]]:
    rows = qs.select_related("cadre", "unit", "household", "enterprise", "ticket").order_by("-visited_at", "-id")
    batch: list[Visit] = []
    for visit in rows.iterator(chunk_size=CHUNK):
        batch.append(visit)
        if len(batch) >= CHUNK:
            yield from _chunk_rows(batch, checklist_labels)
            batch = []
    if batch:
        yield from _chunk_rows(batch, checklist_labels)


def visit_rows(user: User, params: dict[str, Any]) -> Table:
    """The visits the user's list shows with these filters (bad values → Invalid), newest first."""
    qs = visits_filtered(user, params)
    labels = _checklist_labels(qs)
    return Table.one(_headers(labels), _rows(qs, labels), qs.count())


VISITS = Ledger(kind="visits", title=gettext_lazy("走访台账"), rows=visit_rows)
