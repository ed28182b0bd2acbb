"""Demo assignments (包户/包企/挂点, issue 16 item 1), called by seed_demo (config.seed) after the visits and tickets.

Each cadre holds 15–40 households of their own grid and a few of its enterprises. The elderly living alone and the
low-income households (独居老人, 低保) come first and carry the label the tag assignment writes ("标签：独居老人",
campaign.assignments); the rest come from their street's imported list. Part of them the cadre has already visited
in the campaign (the seeded visits decide which), so coverage lies between about 30 % and 80 % and /m/ shows both
kinds. A few key projects (重点项目) lie in the streets and the park, each assigned to the leader of its place (挂点).

Rows are bulk-inserted as campaign.assignments.assign_many builds them (unit and district copied from the target).
It runs last so that its draws from ctx.rng change no earlier row of a given seed.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from campaign.models import Assignment, AssignmentTarget, KeyProject, OrgUnit, Role, UnitKind, User
from campaign.models.assignments import TARGET_FIELDS
from visits.models import Visit

if TYPE_CHECKING:
    from campaign.models import Enterprise, Household
    from campaign.seed import SeedContext

BATCH_SIZE = 2000  # rows per INSERT, as the other seeds
HOUSEHOLDS_PER_CADRE = (15, 40)
ENTERPRISES_PER_CADRE = (1, 3)
VISITED_SHARE = (0.4, 0.7)  # of a cadre's households; their enterprises move the total by a few points
CARE_TAGS = ("独居老人", "低保")  # first in every cadre's list (四门必敲)
PROJECT_BATCH = "领导挂点重点项目"
# A key project: its name and address ({street}, {stem}: the street without 街道, {road}), and where it lies (the
# street of that index, or the park). The first PROJECT_COUNT[size] of them are built.
PROJECTS = [
    ("{street}老旧小区改造项目", 0, "{street}{road}以东片区"),
    ("{stem}城中村改造安置房项目", 1, "{street}{road}与西部大道交叉口"),
    ("软件新城二期产业园项目", "park", "软件园天谷八路以南"),
    ("{road}综合管廊建设项目", 2, "{street}{road}沿线"),
    ("{street}雨污分流管网提升项目", 3, "{street}{road}两侧"),
    ("{stem}便民市场升级改造项目", 4, "{street}{road}"),
]
PROJECT_COUNT = {"small": 4, "district": 6, "city": 6}
ROADS = ["锦业一路", "鱼化路", "西太路", "科技六路", "雁塔南路", "唐延南路"]  # one per street index, for the names

# The assignment's target type of each target model.
KINDS = {
    "household": AssignmentTarget.HOUSEHOLD,
    "enterprise": AssignmentTarget.ENTERPRISE,
    "keyproject": AssignmentTarget.PROJECT,
}
Seen = set[tuple[int, str, int]]  # (cadre id, target type, target id) visited in the campaign


def _visited(ctx: SeedContext) -> Seen:
    """Who visited what in the campaign, from the seeded visits: one query."""
    seen: Seen = set()
    rows = Visit.objects.filter(campaign=ctx.campaign).values_list("cadre_id", "household_id", "enterprise_id")
    for cadre_id, household_id, enterprise_id in rows.distinct():
        if household_id is not None:
            seen.add((cadre_id, AssignmentTarget.HOUSEHOLD.value, household_id))
        elif enterprise_id is not None:
            seen.add((cadre_id, AssignmentTarget.ENTERPRISE.value, enterprise_id))
    return seen


def _care_tag(household: Household) -> str | None:
    return next((tag for tag in CARE_TAGS if tag in (household.tags or [])), None)


def _counts(rng: random.Random, visited: int, not_visited: int) -> tuple[int, int]:
    """How many visited and not yet visited households to assign: about n in all, a share p visited; fewer when the
    grid has too few of one kind (a small demo's grid is mostly walked), the share kept."""
    n, p = rng.randint(*HOUSEHOLDS_PER_CADRE), rng.uniform(*VISITED_SHARE)
    k = round(n * p)
    u = n - k
    if u > not_visited:
        u = not_visited
        k = round(u * p / (1 - p))
    if k > visited:
        k = visited
        u = min(not_visited, round(k * (1 - p) / p))
    return max(k, min(visited, 1)), max(u, min(not_visited, 1))  # at least one of each kind the grid has


def _households(rng: random.Random, cadre: User, doors: list[Household], seen: Seen) -> list[Household]:
    """The cadre's households: within each kind (visited, not yet), the care-tagged first, then at random."""
    pools: dict[bool, list[Household]] = {True: [], False: []}
    for household in doors:
        pools[(cadre.pk, AssignmentTarget.HOUSEHOLD.value, household.pk) in seen].append(household)
    for pool in pools.values():
        pool.sort(key=lambda h: (_care_tag(h) is None, rng.random()))
    k, u = _counts(rng, len(pools[True]), len(pools[False]))
    return pools[True][:k] + pools[False][:u]


def _row(user: User, target: Any, batch: str, unit: OrgUnit, by: User | None) -> Assignment:
    """An assignment as assign_many writes it: the target's unit and its district copied onto the row."""
    target_type = KINDS[target._meta.model_name]
    return Assignment(
        user=user,
        target_type=target_type,
        **{TARGET_FIELDS[target_type]: target},
        unit_id=unit.pk,
        district_id=unit.district_id,
        batch=batch,
        assigned_by=by,
    )


def _cadre_rows(ctx: SeedContext, seen: Seen, by: User | None) -> list[Assignment]:
    """包户 and 包企 of every cadre whose grid has doors."""
    doors: dict[int, list[Household]] = defaultdict(list)
    firms: dict[int, list[Enterprise]] = defaultdict(list)
    for household in ctx.households:
        doors[household.unit_id].append(household)
    for enterprise in ctx.enterprises:
        firms[enterprise.unit_id].append(enterprise)
    grids = {grid.pk: grid for grid in ctx.grids}
    street_of = {c.pk: s.name for s in ctx.streets for c in ctx.communities if c.parent_id == s.pk}
    rows: list[Assignment] = []
    for cadre in ctx.cadres:
        grid = grids.get(cadre.unit_id or 0)
        if grid is None or not doors[grid.pk]:
            continue
        street = street_of[grid.parent_id or 0]
        for household in _households(ctx.rng, cadre, doors[grid.pk], seen):
            tag = _care_tag(household)
            rows.append(_row(cadre, household, f"标签：{tag}" if tag else f"{street}党员干部包户名单", grid, by))
        chosen = ctx.rng.sample(firms[grid.pk], min(len(firms[grid.pk]), ctx.rng.randint(*ENTERPRISES_PER_CADRE)))
        rows += [_row(cadre, firm, f"{street}包企联系名单", grid, by) for firm in chosen]
    return rows


def _projects(ctx: SeedContext) -> list[KeyProject]:
    """The district's key projects, each near the centre of its street or the park."""
    park = OrgUnit.objects.filter(kind=UnitKind.PARK, parent=ctx.district).first()
    projects = []
    for name, where, address in PROJECTS[: PROJECT_COUNT.get(ctx.size, len(PROJECTS))]:
        index = where if isinstance(where, int) else 0
        street = ctx.streets[index % len(ctx.streets)]
        unit = park if where == "park" and park is not None else street
        words = {"street": street.name, "stem": street.name.removesuffix("街道"), "road": ROADS[index % len(ROADS)]}
        lat = round((unit.lat or ctx.district.lat or 0) + ctx.rng.uniform(-0.002, 0.002), 6)
        lng = round((unit.lng or ctx.district.lng or 0) + ctx.rng.uniform(-0.002, 0.002), 6)
        project = KeyProject(name=name.format(**words), unit=unit, address=address.format(**words), lat=lat, lng=lng)
        project.save()  # copies the district; a handful of rows
        projects.append(project)
    return projects


def _leader_of(unit: OrgUnit, leaders: list[User]) -> User | None:
    """The leader nearest above the project (its street's, else the district's): the one who is 挂点 for it."""
    covering = [u for u in leaders if u.unit is not None and u.unit.contains(unit)]
    return max(covering, key=lambda u: (u.unit.depth if u.unit else 0, -u.pk), default=None)


def seed(ctx: SeedContext) -> None:
    started = time.monotonic()
    by = ctx.users.get("admin")
    seen = _visited(ctx)
    rows = _cadre_rows(ctx, seen, by)
    visited = sum(1 for r in rows if (r.user_id, r.target_type, r.target_id) in seen)
    cadres, doors = len({r.user_id for r in rows}), len(rows)
    leaders = list(User.objects.filter(role=Role.LEADER, is_active=True).select_related("unit").order_by("pk"))
    for project in _projects(ctx):
        leader = _leader_of(project.unit, leaders)
        if leader is not None:
            rows.append(_row(leader, project, PROJECT_BATCH, project.unit, by))
    Assignment.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    ctx.stdout.write(
        f"==> 包联关系：{cadres} 名干部包联 {doors} 户/企（本轮已走访 {visited}），"
        f"{len(rows) - doors} 个重点项目由领导挂点，用时 {time.monotonic() - started:.1f} 秒\n"
    )
