"""Ledgers as Excel (台账): rows of filtered tickets, written with openpyxl's write-only mode in bounded memory.

Used by GET /api/v1/tickets/export.xlsx (≤ EXPORT_SYNC_LIMIT rows at once) and by issues.tasks.export_run
(larger ones, in the background). The Export model and runner are generic: a kind names a ledger function
`(user, params) -> (headers, rows, total)`; the visits ledger registers "visits" in LEDGERS.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from campaign.models import User
from campaign.validators import mask_name, mask_phone
from issues.models import OPEN_STATUSES, Kind, Mode, Satisfaction, Source, Status, Ticket

EXPORT_SYNC_LIMIT = 10_000  # rows answered within the request; more go to the background job
CHUNK = 2_000  # rows fetched per query by .iterator(): ~2 MB of Python objects at a time
PROGRESS_EVERY = 5_000  # rows between progress writes (one UPDATE each)

Ledger = Callable[[User, dict[str, Any]], tuple[list[str], Iterator[list[Any]], int]]
LEDGERS: dict[str, str] = {"tickets": "issues.exports.ticket_ledger", "visits": "visits.tasks.visit_ledger"}


def sync_limit() -> int:
    return int(getattr(settings, "TICKET_EXPORT_SYNC_LIMIT", EXPORT_SYNC_LIMIT))


def ledger_for(kind: str) -> Ledger:
    module, name = LEDGERS[kind].rsplit(".", 1)
    return getattr(import_module(module), name)  # type: ignore[no-any-return]


TICKET_HEADERS = [
    "工单编号",
    "来源",
    "类型",
    "类别",
    "所在单位",
    "诉求内容",
    "诉求人",
    "联系电话",
    "办理方式",
    "问题明确",
    "牵头单位",
    "责任人",
    "办理时限",
    "措施明确",
    "效果明确",
    "协办单位",
    "状态",
    "督办等级",
    "登记时间",
    "派单时间",
    "签收时间",
    "办结时间",
    "关闭时间",
    "超期天数",
    "满意度",
    "重办次数",
    "现场解决",
]
SUPERVISION_LABELS = {0: "", 1: "黄牌", 2: "红牌"}


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def overdue_days(ticket: Ticket, now: dt.datetime) -> int:
    """Whole days (rounded up) past due_at: now for open tickets, at resolution for resolved ones; else 0."""
    if ticket.due_at is None:
        return 0
    if ticket.status in OPEN_STATUSES:
        end = now
    elif ticket.resolved_at is not None:
        end = ticket.resolved_at
    else:
        return 0
    late = (end - ticket.due_at).total_seconds()
    return math.ceil(late / 86400) if late > 0 else 0


def ticket_row(t: Ticket, now: dt.datetime) -> list[Any]:
    labels = (Source, Kind, Mode, Status, Satisfaction)
    src, kind, mode, status, sat = (dict(c.choices) for c in labels)
    return [
        t.code,
        str(src.get(t.source, t.source)),
        str(kind.get(t.kind, t.kind)),
        t.category,
        t.unit.name,
        t.description,
        mask_name(t.requester_name),
        mask_phone(t.requester_phone),
        str(mode.get(t.mode, "")),
        t.problem,
        t.lead_unit.name if t.lead_unit else "",
        mask_name(t.responsible_person),
        _local(t.due_at),
        t.measures,
        t.expected_effect,
        "、".join(link.unit.name for link in t.co_unit_links.all()),
        str(status.get(t.status, t.status)),
        SUPERVISION_LABELS.get(t.supervision, ""),
        _local(t.created_at),
        _local(t.dispatched_at),
        _local(t.accepted_at),
        _local(t.resolved_at),
        _local(t.closed_at),
        overdue_days(t, now),
        str(sat.get(t.satisfaction, "")),
        t.reopen_count,
        "是" if t.resolved_on_site else "",
    ]


def ticket_ledger(user: User, params: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]], int]:
    from issues.filters import tickets_filtered
    from issues.selectors import tickets_for_list

    qs = tickets_filtered(user, params, tickets_for_list(user)).order_by("-created_at", "-id")
    total = qs.count()
    now = timezone.now()
    # prefetch_related with iterator() needs chunk_size: each chunk of CHUNK rows costs 2 queries.
    rows = (ticket_row(t, now) for t in qs.iterator(chunk_size=CHUNK))
    return TICKET_HEADERS, rows, total


def write_xlsx(
    out: IO[bytes] | str,
    title: str,
    headers: list[str],
    rows: Iterator[list[Any]],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write a one-sheet workbook in write-only mode (rows streamed to disk, not held); returns the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
        if on_progress is not None and count % PROGRESS_EVERY == 0:
            on_progress(count)
    workbook.save(out)
    return count


def xlsx_tempfile(title: str, headers: list[str], rows: Iterator[list[Any]]) -> IO[bytes]:
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned open, closed by FileResponse
    write_xlsx(handle, title, headers, rows)  # type: ignore[arg-type]
    handle.seek(0)
    return handle


def export_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_title(kind: str) -> str:
    return _("工单台账") if kind == "tickets" else _("走访台账")
