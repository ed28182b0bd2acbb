"""The ticket ledger (工单台账): the filtered tickets, one row each, as campaign.exports writes them.

Registered by IssuesConfig.ready(); served by GET /api/v1/tickets/export.xlsx through campaign.exports.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

from campaign.exports import CHUNK, Ledger, Table
from campaign.models import User
from campaign.models.help_counts import HelpCount
from campaign.validators import mask_name, mask_phone
from issues.filters import tickets_filtered
from issues.help import help_labels, help_text
from issues.models import OPEN_STATUSES, Kind, Mode, Satisfaction, Source, Status, Ticket
from issues.selectors import tickets_for_list

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
    "直办",
    "帮扶成效",
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


def ticket_row(t: Ticket, now: dt.datetime, help_counts: dict[str, HelpCount] | None = None) -> list[Any]:
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
        "是" if t.answered_directly else "",
        help_text(t, help_counts) if help_counts is not None else "",  # 帮扶成效 the latest resolution recorded
    ]


def ticket_rows(user: User, params: dict[str, Any]) -> Table:
    """The tickets the user's list shows with these filters (bad values → Invalid), newest first."""
    qs = tickets_filtered(user, params, tickets_for_list(user)).order_by("-created_at", "-id")
    qs = qs.prefetch_related("help_rows")
    now, labels = timezone.now(), help_labels()
    # prefetch_related with iterator() needs chunk_size: each chunk of CHUNK rows costs 3 queries.
    rows: Iterator[list[Any]] = (ticket_row(t, now, labels) for t in qs.iterator(chunk_size=CHUNK))
    return Table.one(TICKET_HEADERS, rows, qs.count())


TICKETS = Ledger(kind="tickets", title=gettext_lazy("工单台账"), rows=ticket_rows)
