"""The monthly topic report (专题月报, issue 15 item 5): the topics of one month in the user's scope, one row each, with
their lead unit, deadline, milestones and tickets, as campaign.exports writes a ledger.

Registered by IssuesConfig.ready(); served by GET /tickets/topics/report.xlsx?month=YYYY-MM (issues.topic_views).
A month's topics are a few dozen rows: three queries (the topics, their tickets' figures, their milestones').
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaign.days import today
from campaign.errors import Invalid
from campaign.exports import Cell, Ledger, Sheet, Table
from campaign.models import User
from issues.topics import topics_visible_to, with_progress

PERCENT = "0.0%"
HEADERS = [
    "专题名称",
    "类别",
    "所在区域",
    "牵头单位",
    "所属月份",
    "完成时限",
    "节点完成",
    "节点总数",
    "关联工单",
    "已办结",
    "超期未办结",
    "办结率",
    "状态",
]
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_param(value: Any) -> dt.date:
    """`YYYY-MM` → the first day of that month (this month when absent); Invalid naming `month` otherwise."""
    if value in (None, ""):
        return today().replace(day=1)
    found = _MONTH.match(str(value))
    try:
        if found is None:
            raise ValueError
        return dt.date(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise Invalid.field("month", _("月份格式应为 YYYY-MM。")) from None


def topic_report_rows(user: User, params: dict[str, Any]) -> Table:
    """The topics of `month` the user sees, in creation order, with their figures now."""
    month = month_param(params.get("month"))
    topics = with_progress(list(topics_visible_to(user).filter(month=month).order_by("id")), timezone.now())
    rows = []
    for t in topics:
        p = t.progress  # type: ignore[attr-defined]
        rows.append(
            [
                t.title,
                t.category,
                t.area.name,
                t.lead_unit.name,
                f"{t.month:%Y-%m}",
                t.deadline.isoformat(),
                p["milestones_done"],
                p["milestones_total"],
                p["tickets_total"],
                p["tickets_closed"],
                p["tickets_overdue"],
                Cell(p["closure_rate"], PERCENT),
                t.get_status_display(),
            ]
        )
    sheet = Sheet(
        headers=[Cell(h, bold=True) for h in HEADERS],
        rows=rows,
        preamble=[[_("所属月份"), f"{month:%Y-%m}"]],
        widths={"A": 28, "C": 16, "D": 16},
    )
    return Table((sheet,), len(rows))


TOPICS_REPORT = Ledger(kind="topics", title=gettext_lazy("专题月报"), rows=topic_report_rows)
