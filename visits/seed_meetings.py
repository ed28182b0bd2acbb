"""The demo's meetings and key-project visits (issue 16 item 6): a few 座谈会 in the grids of the first cadres, each with
a head count, a handful of the grid's households and enterprises as participants and the questionnaire answered, and
a key project in the demo cadre's grid (联系服务: assigned to `cadre`) visited once. Written through the real service
(visits.services.visit_record), so participants, rollup marks and flags are what a phone's post makes. Run after the
assignments (config.seed): it changes no earlier row for a given seed, and takes well under a second."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from campaign.assignments import assignment_create
from campaign.models import Enterprise, Household, KeyProject
from visits.seed import CHOICE_WEIGHTS
from visits.services import canonical_body_hash, visit_record

MEETINGS_PER_GRID = 2
GRIDS_WITH_MEETINGS = 4  # the demo cadre's, cadre2's and two more
PARTICIPANTS = 6
PROJECT_NAME = "丈八智造产业园二期"  # the key project in the demo cadre's grid, assigned to them
TOPICS = ("居民议事会：小区停车与充电桩规划", "企业座谈会：稳岗用工政策宣讲", "楼栋长座谈：老旧小区改造意见征集")


def _body(ctx: Any, *, at: dt.datetime, unit: Any, members: list[Household | Enterprise], topic: str) -> dict[str, Any]:
    rng = ctx.rng
    labels = ["满意", "基本满意", "不满意"]
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "target_type": "meeting",
        "unit": unit.pk,
        "head_count": rng.randint(len(members) + 4, len(members) + 25),
        "participants": [
            {"target_type": "household" if isinstance(m, Household) else "enterprise", "target_id": m.pk}
            for m in members
        ],
        "visited_at": at,
        "lat": unit.lat,
        "lng": unit.lng,
        "accuracy_m": round(rng.uniform(8, 30), 1) if unit.lat is not None else None,
        "notes": topic,
        "checklist": {
            "opinions": rng.choice(["希望增加停车位", "建议加装电梯", "希望改善绿化"]),
            "satisfaction": rng.choices(labels, weights=CHOICE_WEIGHTS)[0],
        },
        "campaign": ctx.campaign.pk,
    }


def _meetings(ctx: Any) -> int:
    cadres = [c for c in ctx.cadres if c.unit_id is not None][:GRIDS_WITH_MEETINGS]
    keys = {q.key for q in ctx.campaign.questions()}
    count = 0
    for cadre in cadres:
        grid = cadre.unit
        homes = list(Household.objects.filter(unit=grid).order_by("pk")[:40])
        firms = list(Enterprise.objects.filter(unit=grid).order_by("pk")[:10])
        if not homes:
            continue
        for n in range(MEETINGS_PER_GRID):
            members: list[Household | Enterprise] = [*ctx.rng.sample(homes, min(PARTICIPANTS, len(homes)))]
            if firms:
                members.append(ctx.rng.choice(firms))
            days_ago = 2 + 9 * n + ctx.rng.randint(0, 4)
            at = (ctx.now - dt.timedelta(days=days_ago)).replace(hour=15, minute=ctx.rng.randint(0, 50))
            body = _body(ctx, at=at, unit=grid, members=members, topic=ctx.rng.choice(TOPICS))
            body["checklist"] = {k: v for k, v in body["checklist"].items() if k in keys}
            visit_record(actor=cadre, data=body, body_hash=canonical_body_hash(body))
            count += 1
    return count


def _project(ctx: Any) -> KeyProject | None:
    """A key project in the demo cadre's grid, assigned to them (联系服务) and visited once, three days ago."""
    cadre, admin = ctx.users.get("cadre"), ctx.users.get("admin")
    if cadre is None or admin is None or cadre.unit is None:
        return None
    grid = cadre.unit
    project = KeyProject.objects.create(
        name=PROJECT_NAME, unit=grid, address=f"{grid.name}科技二路", lat=grid.lat, lng=grid.lng
    )
    assignment_create(actor=admin, user_id=cadre.pk, target_type="project", target_id=project.pk, batch="重点项目联系")
    at = (ctx.now - dt.timedelta(days=3)).replace(hour=11, minute=10)
    body = {
        "id": str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4)), "target_type": "project",
        "target_id": project.pk, "visited_at": at, "lat": grid.lat, "lng": grid.lng,
        "accuracy_m": 12.0 if grid.lat is not None else None, "people_met": 3,
        "notes": "了解项目用工和配套道路进展。", "campaign": ctx.campaign.pk,
    }  # fmt: skip
    visit_record(actor=cadre, data=body, body_hash=canonical_body_hash(body))
    return project


def seed(ctx: Any) -> None:
    meetings = _meetings(ctx)
    project = _project(ctx)
    ctx.stdout.write(f"==> 座谈会：{meetings} 场；重点项目走访：{1 if project else 0} 次\n")
