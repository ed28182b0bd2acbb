"""The demo's gatherings (issues.seed): matters that gather in one place, as in life — a market's stalls on the
pavement, a compound's broken lift — so that the dashboard's hot spots show a real one and the demo's monthly topic
(每月一题) is promoted from it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from issues.models import Status, Ticket, Topic
from issues.texts import complaint_text
from issues.topics import topic_create

# (category, tickets, over the last days): the demo's gatherings, a market's stalls and a compound's lift.
GATHERINGS = (("城市管理", 12, 20), ("住房物业", 8, 25))


def _mid_cell(value: float, step: float) -> bool:
    """Whether `value` lies in the middle half of its hot-spot cell (so ±0.0004° stays in the cell)."""
    return 0.25 <= (value / step) % 1 <= 0.75


def gathering(s: Any, nth: int, category: str, count: int, days: int) -> list[Any]:
    """Drafts (issues.seed.Draft, through the Seeder `s`) of `count` tickets of `category` over the last `days` days
    within ~50 m of one spot: a grid's centre well inside a hot-spot cell (dashboard.hotspots: 0.0045° × 0.0055°),
    the nth gathering in the nth such grid."""
    inside = [g for g in s.ctx.grids if g.lat is not None and _mid_cell(g.lat, 0.0045) and _mid_cell(g.lng, 0.0055)]
    grid = inside[nth % len(inside)] if inside else s.ctx.grids[0]
    drafts = []
    for i in range(count):
        created = s.now - dt.timedelta(days=days * (i + 0.5) / count, hours=s.rng.uniform(0, 6))
        d = s.draft(created)
        t = d.ticket
        t.category, t.description = category, complaint_text(s.rng, category)
        t.unit, t.district_id, t.branch_id = grid, grid.district_id, grid.branch_id
        t.lat = grid.lat + s.rng.uniform(-0.0004, 0.0004)
        t.lng = (grid.lng or 0.0) + s.rng.uniform(-0.0004, 0.0004)
        if t.requester_household is not None:  # someone of this grid, or a passer-by
            t.requester_household, t.requester_name = None, s.name()
            t.requester_phone = f"1{s.rng.choice('3589')}{s.rng.randrange(10**9):09d}"
        s.run(d)
        drafts.append(d)
    return drafts


def promote_first(ctx: Any, tickets: list[Ticket]) -> Topic | None:
    """The demo's monthly topic (每月一题): the leader promotes the first gathering — the market's stalls — with the
    lead unit the directory would give (城管局), three milestones and its tickets (issues.topics.topic_create, the
    same checks as the page). None when the demo has no such department (a trimmed size)."""
    lead = next((u for u in ctx.departments if u.name == "城管局"), None)
    linked = [t for t in tickets if t.status != Status.CANCELLED]
    if lead is None or not linked:
        return None
    today = ctx.now.date()
    month = today.replace(day=1)
    deadline = today + dt.timedelta(days=40)
    return topic_create(
        actor=ctx.users["leader"],
        title="菜市场周边占道经营整治",
        category=linked[0].category,
        area=ctx.district,
        lat=sum(t.lat for t in linked) / len(linked),
        lng=sum(t.lng for t in linked) / len(linked),
        radius_m=300,
        lead_unit=lead,
        deadline=deadline,
        month=month,
        description="近期菜市场周边占道经营、夜间噪声的诉求集中，列为本月“每月一题”，由城管局牵头，街道、市场监管局配合。",
        milestones=[
            ("摸排摊点、约谈市场管理方", today + dt.timedelta(days=5)),
            ("设置临时疏导区并公示", today + dt.timedelta(days=20)),
            ("建立长效管理机制", deadline),
        ],
        ticket_ids=[t.pk for t in linked],
    )
