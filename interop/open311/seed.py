"""The demo's partner system (issue 17 item 1): "12345 市民服务热线平台" in the demo district, whose Open311 key is
DEMO_KEY, with two requests it filed through Open311 (so /open311/v2/requests.json answers its own and the district's
others, and the inbox shows `partner` tickets). Run after the tickets (config.seed)."""

from __future__ import annotations

from typing import Any

from interop.models import Partner
from interop.open311.inputs import NewRequest
from interop.open311.services import request_file

DEMO_KEY = "zoufang-demo-open311"
DEMO_NAME = "12345 市民服务热线平台（演示）"
REQUESTS = (  # (category name, kind, text)
    ("环境卫生", "complaint", "小区北门外人行道上的垃圾桶满溢两天了，气味很大，请尽快清运。"),
    ("道路交通", "request", "路口的红绿灯倒计时屏不亮，行人过马路看不到剩余时间。"),
)


def seed(ctx: Any) -> None:
    partner = Partner(name=DEMO_NAME, district=ctx.district)
    partner.set_key(DEMO_KEY)
    partner.save()
    grids = [g for g in ctx.grids if g.min_lat is not None][: len(REQUESTS)]
    for grid, (category, kind, text) in zip(grids, REQUESTS, strict=False):
        body = NewRequest(
            category=category,
            kind=kind,
            lat=round((grid.min_lat + grid.max_lat) / 2, 6),
            lng=round((grid.min_lng + grid.max_lng) / 2, 6),
            description=text,
            requester_name="",
            requester_phone="",
        )
        request_file(partner=partner, body=body)
    ctx.stdout.write(f"    Open311 对接方「{DEMO_NAME}」，密钥 {DEMO_KEY}\n")
