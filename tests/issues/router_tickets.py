"""Dispatched tickets for the router's tests: a few categories, each with its own words and its own lead unit.

Small on purpose (the accuracy floor, test_router_accuracy.py, uses the demo's complaint generator instead): enough
for the trainer's minimum, distinct enough that a model must rank the right category and unit first.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from issues.models import Ticket
from tests.dashboard.conftest import ticket_row

# category → (the lead unit's attribute on the `org` fixture, the matters residents write about)
MATTERS: dict[str, tuple[str, list[str]]] = {
    "城市管理": ("dept1", ["门口有人占道经营摆摊", "路边违章搭建的棚子", "人行道上的井盖松动了", "小广告贴满了墙"]),
    "社会保障": ("dept2", ["养老金没有按时发放", "社保缴费记录有误", "低保申请一直没有回音", "公司拖欠工资三个月"]),
    "环境卫生": ("street1", ["垃圾桶满了没人清运", "河道里的污水发出臭味", "楼下饭店油烟很大", "工地扬尘太大"]),
    "道路交通": ("street2", ["路口红绿灯坏了", "公交站台的顶棚塌了", "路面坑洼积水", "小区门口车辆乱停"]),
}
OPENINGS = ["您好，", "我想反映一下，", "", "麻烦问一下，", "本人住在附近，"]
CLOSINGS = ["希望尽快处理。", "请相关部门看看。", "", "已经好几天了。", "谢谢！"]


def text_of(rng: random.Random, category: str) -> str:
    return rng.choice(OPENINGS) + rng.choice(MATTERS[category][1]) + "，" + rng.choice(CLOSINGS)


def dispatched_tickets(org: Any, n: int, *, seed: int = 1, **fields: Any) -> list[Ticket]:
    """n dispatched tickets in grid1, the categories in turn, each led by its category's unit."""
    rng = random.Random(seed)
    now = timezone.now()
    categories = list(MATTERS)
    rows = []
    for i in range(n):
        category = categories[i % len(categories)]
        values: dict[str, Any] = {
            "status": "accepted",
            "category": category,
            "description": text_of(rng, category),
            "lead_unit": getattr(org, MATTERS[category][0]),
            "dispatched_at": now - dt.timedelta(minutes=i),
        }
        values.update(fields)
        rows.append(ticket_row(unit=org.grid1, created_at=now - dt.timedelta(minutes=i + 1), **values))
    return Ticket.objects.bulk_create(rows)
