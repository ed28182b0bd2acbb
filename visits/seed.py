"""Demo visits (called by seed_demo through campaign.seed.SEED_HOOKS, after the registries).

Each cadre walks their own grid on working days: several targets a day, 9:00–18:00 Asia/Shanghai, along a
sweep through the grid (plausible routes: no impossible jumps), standing near the door — mostly verified, some
far / poor_accuracy / no_fix. Rows are built in memory and bulk-inserted (no per-row signals or queries), so the
district size (~40,000 visits) takes seconds. The demo `cadre` has visits this morning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import shapely
from django.db import connection
from shapely.geometry import shape

from campaign.geo import METRES_PER_DEGREE_LAT, haversine_m
from campaign.models.questions import CHOICE, NUMBER, Question
from visits.geo import geo_status_for
from visits.models import GeoStatus, TargetType, Visit

if TYPE_CHECKING:
    from campaign.models import Enterprise, Household
    from campaign.seed import SeedContext

VISITS_BY_SIZE = {"small": 1_000, "district": 40_000, "city": 400_000}
DAYS = 90
BATCH_SIZE = 2000  # rows per INSERT: one round trip, a few MB of SQL
# The mix of what happens at the door: (status wanted, weight).
OUTCOMES = [("verified", 86), ("far", 6), ("poor_accuracy", 5), ("no_fix", 3)]
NOTES = [
    "入户走访，了解家庭基本情况。", "宣传社区养老服务政策。", "住户反映小区停车难，已记录。", "独居老人身体状况良好。",
    "企业经营正常，暂无诉求。", "宣讲医保缴费政策。", "了解就业需求，留下联系方式。", "住户外出，与家属交流。",
    "反映楼道照明问题，已登记。", "回访上次诉求办理情况，群众满意。",
]  # fmt: skip
ANSWERS = {
    "family": ["三口之家", "独居老人", "两代同住", "四口之家", "夫妻二人"],
    "livelihood": ["收入稳定", "务工为主", "退休金", "个体经营", "低保户"],
    "opinions": ["无", "希望增加停车位", "建议加装电梯", "希望改善绿化", "希望加强治安巡逻"],
    "difficulties": ["无", "就医不便", "子女入学", "就业困难", "房屋漏水"],
}


def _uuid(rng: Any) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _offset(lat: float, lng: float, metres: float, bearing: float) -> tuple[float, float]:
    dlat = metres * math.cos(bearing) / METRES_PER_DEGREE_LAT
    dlng = metres * math.sin(bearing) / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return lat + dlat, lng + dlng


def _working_days(ctx: SeedContext) -> list[dt.date]:
    today = ctx.now.date()
    first = max(today - dt.timedelta(days=DAYS - 1), ctx.campaign.start_date)
    days = [first + dt.timedelta(days=i) for i in range((today - first).days + 1)]
    return [d for d in days if d.weekday() < 5 or d == today]


def _targets_by_grid(ctx: SeedContext) -> dict[int, list[Household | Enterprise]]:
    by_grid: dict[int, list[Household | Enterprise]] = defaultdict(list)
    for household in ctx.households:
        by_grid[household.unit_id].append(household)
    for enterprise in ctx.enterprises:
        by_grid[enterprise.unit_id].append(enterprise)
    return by_grid


def _times(ctx: SeedContext, day: dt.date, n: int) -> list[dt.datetime]:
    """n increasing times between 9:00 and 18:00 (before ctx.now today), at least 15 minutes apart."""
    tz = ctx.now.tzinfo
    start = dt.datetime.combine(day, dt.time(9), tzinfo=tz)
    end = min(dt.datetime.combine(day, dt.time(18), tzinfo=tz), ctx.now - dt.timedelta(minutes=5))
    span = max(0, int((end - start).total_seconds() // 60))
    if span < 15:
        return []
    n = min(n, span // 15)
    slots = sorted(ctx.rng.sample(range(0, span // 15), n))
    return [start + dt.timedelta(minutes=slot * 15 + ctx.rng.randint(0, 10)) for slot in slots]


def _point(ctx: SeedContext, target: Household | Enterprise) -> tuple[float | None, float | None, float | None]:
    """(lat, lng, accuracy) of the phone at the door, drawn from OUTCOMES."""
    rng = ctx.rng
    outcome = rng.choices([o for o, _w in OUTCOMES], weights=[w for _o, w in OUTCOMES])[0]
    if outcome == "no_fix" or target.lat is None or target.lng is None:
        return None, None, None
    if outcome == "far":
        lat, lng = _offset(target.lat, target.lng, rng.uniform(350, 900), rng.uniform(0, 2 * math.pi))
        return lat, lng, round(rng.uniform(8, 40), 1)
    accuracy = round(rng.uniform(110, 400), 1) if outcome == "poor_accuracy" else round(rng.uniform(5, 35), 1)
    lat, lng = _offset(target.lat, target.lng, abs(rng.gauss(0, 25)), rng.uniform(0, 2 * math.pi))
    return lat, lng, accuracy


# The columns written by _insert, in order (the table's own names; created_at = the visit's time plus a few minutes).
COLUMNS = [
    "id", "cadre_id", "target_type", "household_id", "enterprise_id", "ticket_id", "campaign_id", "unit_id",
    "point_unit_id", "visited_at", "lat", "lng", "accuracy_m", "crs", "distance_m", "geo_status", "flags",
    "people_met", "notes", "checklist", "body_hash", "created_at",
]  # fmt: skip


# How the demo's residents answer a choice question: mostly satisfied (SPEC §6's satisfaction is about tickets; this
# is the questionnaire's own 满意度).
CHOICE_WEIGHTS = (70, 25, 5)


def _answers(ctx: SeedContext, questions: list[Question], target: Household | Enterprise) -> dict[str, Any]:
    """The questionnaire's answers at this door, by type: a text from ANSWERS, a choice weighted towards the first
    labels, a number from the household's own registry (家庭人口 = members), left out for an enterprise."""
    rng = ctx.rng
    out: dict[str, Any] = {}
    for q in sorted(questions, key=lambda q: q.key):
        if q.type == CHOICE:
            weights = [CHOICE_WEIGHTS[i] if i < len(CHOICE_WEIGHTS) else 5 for i in range(len(q.choices))]
            out[q.key] = rng.choices(q.choices, weights=weights)[0]
        elif q.type == NUMBER:
            members = getattr(target, "members", None)
            if members is not None:
                low, high = q.min if q.min is not None else members, q.max if q.max is not None else members
                out[q.key] = int(min(max(members, low), high))
        else:
            out[q.key] = rng.choice(ANSWERS.get(q.key, ["无"]))
    return out


def _visit(
    ctx: SeedContext, cadre: Any, target: Household | Enterprise, at: dt.datetime, area: Any, questions: list[Question]
) -> dict[str, Any]:
    """One visit as column values (no model instance: 40,000 of them must be cheap); `questions`: the campaign's,
    read once."""
    rng = ctx.rng
    lat, lng, accuracy = _point(ctx, target)
    distance = (
        haversine_m(lat, lng, target.lat, target.lng)
        if lat is not None and lng is not None and target.lat is not None and target.lng is not None
        else None
    )
    is_household = target._meta.model_name == "household"
    inside = lat is not None and lng is not None and area is not None and shapely.intersects_xy(area, lng, lat)
    visit_id = _uuid(rng)
    return {
        "id": visit_id,
        "cadre_id": cadre.pk,
        "target_type": TargetType.HOUSEHOLD.value if is_household else TargetType.ENTERPRISE.value,
        "household_id": target.pk if is_household else None,
        "enterprise_id": None if is_household else target.pk,
        "ticket_id": None,
        "campaign_id": ctx.campaign.pk,
        "unit_id": target.unit_id,
        "point_unit_id": cadre.unit_id if inside else None,
        "visited_at": at,
        "lat": lat,
        "lng": lng,
        "accuracy_m": accuracy,
        "crs": "wgs84",
        "distance_m": round(distance, 1) if distance is not None else None,
        "geo_status": geo_status_for(has_fix=lat is not None, accuracy_m=accuracy, distance_m=distance).value,
        "flags": [] if inside or lat is None else ["outside_grid"],
        "people_met": rng.randint(1, 5) if is_household else rng.randint(1, 3),
        "notes": rng.choice(NOTES),
        "checklist": _answers(ctx, questions, target),
        "body_hash": hashlib.sha256(visit_id.bytes).hexdigest(),  # seeded rows have no request body
        "created_at": at + dt.timedelta(minutes=rng.randint(1, 20)),
    }


def _insert(rows: list[dict[str, Any]]) -> None:
    """executemany in batches: Django's bulk_create spends most of 40,000 rows compiling SQL (SQLite allows only
    ~45 rows a statement). Values are adapted with the backend's own adapters, so SQLite and PostgreSQL both work."""
    ops, features = connection.ops, connection.features
    table = ops.quote_name(Visit._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608  (constant names)
    uuid_value = (lambda u: u) if features.has_native_uuid_field else (lambda u: u.hex)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            values = []
            for row in rows[start : start + BATCH_SIZE]:
                adapted = dict(row)
                adapted["id"] = uuid_value(row["id"])
                adapted["visited_at"] = ops.adapt_datetimefield_value(row["visited_at"])
                adapted["created_at"] = ops.adapt_datetimefield_value(row["created_at"])
                adapted["flags"] = ops.adapt_json_value(row["flags"], None)
                adapted["checklist"] = ops.adapt_json_value(row["checklist"], None)
                values.append([adapted[c] for c in COLUMNS])
            cursor.executemany(sql, values)


def seed(ctx: SeedContext) -> None:
    started = time.monotonic()
    total = VISITS_BY_SIZE.get(ctx.size, VISITS_BY_SIZE["small"])
    days = _working_days(ctx)
    by_grid = _targets_by_grid(ctx)
    areas = {g.pk: shape(g.boundary) if g.boundary else None for g in ctx.grids}  # one parse per grid
    shapely.prepare([a for a in areas.values() if a is not None])
    walkers = [c for c in ctx.cadres if c.unit_id in by_grid]
    if not days or not walkers:
        return
    per_day = max(1, round(total / (len(walkers) * len(days))))
    demo_cadre = ctx.users.get("cadre")
    questions = ctx.campaign.questions()
    rows: list[dict[str, Any]] = []
    for cadre in walkers:
        grid_id = int(cadre.unit_id or 0)  # walkers all have a grid
        targets = by_grid[grid_id]
        for day in days:
            wanted = per_day + ctx.rng.randint(-1, 1)
            if cadre == demo_cadre and day == ctx.now.date():
                wanted = max(wanted, 3)  # the demo cadre opens /m/ to a morning's work
            times = _times(ctx, day, max(0, wanted))
            route = ctx.rng.sample(targets, min(len(times), len(targets)))
            route.sort(key=lambda t: ((t.lat or 0.0), (t.lng or 0.0)))  # a sweep across the grid
            rows += [
                _visit(ctx, cadre, target, at, areas[grid_id], questions)
                for target, at in zip(route, times, strict=False)
            ]
    _insert(rows)
    verified = sum(1 for row in rows if row["geo_status"] == GeoStatus.VERIFIED)
    ctx.stdout.write(
        f"==> 走访记录：{len(rows)} 条（位置核验通过 {verified} 条），{len(walkers)} 名干部，{len(days)} 个工作日，"
        f"用时 {time.monotonic() - started:.1f} 秒"
    )
