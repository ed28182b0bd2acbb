"""Deterministic demo data (SPEC §9): the 西安高新区 org tree, registries, people, the campaign and 2026's holidays.

Used by `manage.py seed_demo` (and so by `make demo`, through the lead's `demo` command) and by the benchmarks.
Other apps add their rows afterwards: `visits.seed.seed(ctx)` then `issues.seed.seed(ctx)`, each given the
SeedContext below. Same seed, same data: every random choice comes from `ctx.rng`, in a fixed order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from tqdm import tqdm

from campaign.days import day_start, today
from campaign.holidays import calendar_load
from campaign.models import Campaign, Enterprise, Household, OrgUnit, Role, UnitKind, User
from campaign.models.campaigns import DEFAULT_CHECKLIST
from campaign.models.registries import HOUSEHOLD_TAGS
from campaign.validators import CREDIT_CODE_ALPHABET, credit_code_check_char

DEMO_PASSWORD = "zoufang-demo"
DISTRICT_NAME, DISTRICT_CODE, CENTRE = "西安高新区", "GX", (34.19, 108.88)
CELL_LAT, CELL_LNG = 0.005, 0.006  # one grid: about 555 m × 550 m at 34° N
BATCH_SIZE = 2000  # rows per bulk_create: one round trip each, a few MB of SQL at most


@dataclass(frozen=True)
class Size:
    streets: tuple[int, int]  # layout (rows, columns) of streets in the district
    communities: tuple[int, int]  # of communities in a street
    grids: tuple[int, int]  # of grids in a community
    households: int
    enterprises: int
    cadres: int  # including the demo 'cadre' and 'cadre2'


SIZES = {
    "small": Size((2, 2), (1, 2), (1, 2), households=500, enterprises=50, cadres=20),
    "district": Size((2, 3), (2, 2), (2, 2), households=20_000, enterprises=2_000, cadres=200),
    "city": Size((3, 4), (4, 2), (2, 5), households=200_000, enterprises=20_000, cadres=2_000),
}

STREETS = "丈八 鱼化寨 细柳 兴隆 东大 灵沼 王寺 郭杜 高桥 五星 滦镇 杜曲".split()
COMMUNITY_STEMS = (
    "丈八 东滩 西滩 南窑头 北窑头 甘家寨 木塔寨 鱼化 新西部 天谷 锦业 唐延 云水 枫林 绿地 沣惠 团结 双水磨 河池寨 "
    "丁家桥 西万 东祝 太白 科创 软件新城 兴隆 细柳 东大 灵沼 王寺 郭杜 高桥 五星 滦镇 杜曲 大居安 小居安 甘河 庞光 "
    "上林 创业 博士 清水头 大寨 丰业 坡底 纪阳 东兆余 西兆余 张旺渠"
).split()
ROADS = (
    "锦业一路 锦业二路 丈八一路 丈八北路 唐延南路 科技路 高新路 沣惠南路 天谷八路 云水一路 西太路 鱼化路 西部大道 "
    "丈八东路 太白南路 木塔寨西路 甘家寨路 团结南路 博文路 雁塔南路 科技六路 紫薇路 绿地路 上林苑四路"
).split()
DEPARTMENTS = [  # name, username prefix of its handlers
    ("城管局", "cgj"), ("人社局", "rsj"), ("住建局", "zjj"), ("市场监管局", "scjg"), ("生态环境局", "sthj"),
    ("教育局", "jyj"), ("卫健委", "wjw"), ("民政局", "mzj"), ("交通局", "jtj"),
]  # fmt: skip
PARK = "软件园"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文斌浩宇欣怡子涵梓轩雨萱俊杰佳琪博文思远晓东春燕海燕丹婷雪玲鹏飞"
MOBILE_PREFIXES = "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 177 180 181 182 183 186 187 188 189 191 198 199".split()  # fmt: skip
INDUSTRIES = [  # industry, name words, weight
    ("软件和信息技术服务业", ("软件科技", "信息技术", "网络科技", "数据科技"), 30),
    ("制造业", ("电子科技", "光电", "新材料", "精密机械"), 18),
    ("科学研究和技术服务业", ("生物医药", "检测技术", "环保科技"), 12),
    ("批发和零售业", ("商贸", "贸易", "医药连锁"), 15),
    ("住宿和餐饮业", ("餐饮管理", "酒店管理"), 10),
    ("建筑业", ("建设工程", "建筑安装"), 8),
    ("交通运输、仓储和邮政业", ("物流", "供应链"), 7),
]
BRAND_1, BRAND_2 = (
    "华瑞中天博启智恒宏鼎君泰凯众睿云星长秦丝海金银亿德信达安通盛",
    "信达科源远明联通图盛诚和创思河安川路宇泽航辉峰立邦腾",
)
SIZES_OF_ENTERPRISE = [("微型", 40), ("小型", 35), ("中型", 18), ("大型", 7)]
BUILDINGS = ["", "", "A座", "B座", "创业大厦", "软件园一期", "天谷大厦", "科技企业加速器"]
MEMBERS_WEIGHTS = [10, 25, 30, 20, 10, 5]  # households of 1..6 people

# username, role, where, description in the printed list. Everyone's password is DEMO_PASSWORD.
DEMO_ACCOUNTS = [
    ("admin", Role.ADMIN, "district", "管理员 · 西安高新区"),
    ("leader", Role.LEADER, "district", "领导 · 西安高新区"),
    ("dispatcher", Role.DISPATCHER, "district", "指挥中心 · 西安高新区"),
    ("handler", Role.HANDLER, "dept:城管局", "承办人 · 城管局"),
    ("handler2", Role.HANDLER, "dept:人社局", "承办人 · 人社局"),
    ("cadre", Role.CADRE, "grid:0", "走访干部 · 丈八街道的一个网格"),
    ("cadre2", Role.CADRE, "grid:1", "走访干部 · 鱼化寨街道的一个网格"),
    ("streetleader", Role.LEADER, "street:0", "领导 · 丈八街道"),
    ("huzhang", Role.REPORTER, "grid:0", "户长 · 丈八街道一个网格的一号户区"),
]


@dataclass
class SeedContext:
    rng: random.Random
    size: str  # "small" | "district" | "city"
    now: datetime  # timezone-aware, fixed per run: today's date at 10:00 Asia/Shanghai
    district: OrgUnit
    streets: list[OrgUnit]
    communities: list[OrgUnit]
    grids: list[OrgUnit]
    departments: list[OrgUnit]
    households: list[Household]
    enterprises: list[Enterprise]
    cadres: list[User]  # includes the demo 'cadre' and 'cadre2'
    users: dict[str, User]  # the demo accounts by username
    campaign: Campaign
    stdout: Any  # the command's stdout, for progress lines


def demo_logins_text() -> str:
    """The demo accounts, printed at the end of seed_demo and by the `demo` command."""
    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password {DEMO_PASSWORD}):"]
    lines += [f"  {username:<13} {role.value:<11} {text}" for username, role, _where, text in DEMO_ACCOUNTS]
    return "\n".join(lines)


def already_seeded() -> bool:
    return OrgUnit.objects.exists() or User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).exists()


# --- Geometry: nested rectangles tiling the district without overlaps --------------------------------------
Rect = tuple[float, float, float, float]  # min_lat, min_lng, max_lat, max_lng


def _polygon(rect: Rect) -> dict:
    s, w, n, e = (round(v, 6) for v in rect)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _split(rect: Rect, rows: int, cols: int) -> list[Rect]:
    """The rect cut into rows × cols cells, row by row from the north-west."""
    s, w, n, e = rect
    dlat, dlng = (n - s) / rows, (e - w) / cols
    return [
        (n - (r + 1) * dlat, w + c * dlng, n - r * dlat, w + (c + 1) * dlng) for r in range(rows) for c in range(cols)
    ]


def _centre(rect: Rect) -> tuple[float, float]:
    return round((rect[0] + rect[2]) / 2, 6), round((rect[1] + rect[3]) / 2, 6)


def point_in(rng: random.Random, rect: Rect) -> tuple[float, float]:
    """A point well inside the rect (5 % margin), so it never sits on a shared edge."""
    s, w, n, e = rect
    return round(s + (0.05 + 0.9 * rng.random()) * (n - s), 6), round(w + (0.05 + 0.9 * rng.random()) * (e - w), 6)


def _unit(name: str, kind: str, parent: OrgUnit | None, sort: int, rect: Rect | None = None, **kw: Any) -> OrgUnit:
    if rect is not None:
        kw.update(boundary=_polygon(rect), lat=_centre(rect)[0], lng=_centre(rect)[1])
    return OrgUnit.objects.create(name=name, kind=kind, parent=parent, sort=sort, **kw)


CN_NUMBERS = "一二三四五六七八九十"


def build_org(size: Size) -> tuple[OrgUnit, list[OrgUnit], list[OrgUnit], list[OrgUnit], list[OrgUnit], dict]:
    """(district, streets, communities, grids, departments, rect of each grid id). A few hundred saves: each
    OrgUnit.save writes its materialized path from its id."""
    sr, sc = size.streets
    cr, cc = size.communities
    gr, gc = size.grids
    rows, cols = sr * cr * gr, sc * cc * gc
    lat0, lng0 = CENTRE
    extent = (
        lat0 - rows * CELL_LAT / 2,
        lng0 - cols * CELL_LNG / 2,
        lat0 + rows * CELL_LAT / 2,
        lng0 + cols * CELL_LNG / 2,
    )
    district = _unit(DISTRICT_NAME, UnitKind.DISTRICT, None, 0, extent, code=DISTRICT_CODE)
    streets, communities, grids, rects = [], [], [], {}
    for si, street_rect in enumerate(_split(extent, sr, sc)):
        street = _unit(f"{STREETS[si]}街道", UnitKind.STREET, district, si, street_rect)
        streets.append(street)
        for community_rect in _split(street_rect, cr, cc):
            ci = len(communities)
            stem = COMMUNITY_STEMS[ci % len(COMMUNITY_STEMS)]
            name = f"{stem}社区" if ci < len(COMMUNITY_STEMS) else f"{stem}村"
            community = _unit(name, UnitKind.COMMUNITY, street, ci, community_rect)
            communities.append(community)
            for gi, grid_rect in enumerate(_split(community_rect, gr, gc)):
                grid = _unit(f"{name}第{CN_NUMBERS[gi]}网格", UnitKind.GRID, community, gi, grid_rect)
                grids.append(grid)
                rects[grid.pk] = grid_rect
    departments = [_unit(name, UnitKind.DEPARTMENT, district, 100 + i) for i, (name, _p) in enumerate(DEPARTMENTS)]
    _unit(PARK, UnitKind.PARK, district, 200, lat=34.195, lng=108.865)
    return district, streets, communities, grids, departments, rects


# --- People and registries ------------------------------------------------------------------------------------
_SURNAME_WEIGHTS = [1 / (rank + 3) for rank in range(len(SURNAMES))]  # the common surnames first, most often


def person_name(rng: random.Random) -> str:
    surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    return surname + "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def credit_code(rng: random.Random, taken: set[str]) -> str:
    """91 (enterprise) + 610131 (高新区) + a 9-character organisation code + the GB 32100 check character."""
    while True:
        org_code = "".join(rng.choice(CREDIT_CODE_ALPHABET[:10] if i < 6 else CREDIT_CODE_ALPHABET) for i in range(9))
        body = f"91610131{org_code}"
        code = body + credit_code_check_char(body)
        if code not in taken:
            taken.add(code)
            return code


def _roads_of(community_index: int) -> tuple[str, str]:
    return ROADS[(2 * community_index) % len(ROADS)], ROADS[(2 * community_index + 1) % len(ROADS)]


def _bulk(model: Any, objects: list[Any], label: str, stdout: Any) -> list[Any]:
    stdout.write(f"==> {label}: {len(objects)}\n")
    created = []
    with tqdm(total=len(objects), desc=label, unit="行", disable=None) as bar:
        for start in range(0, len(objects), BATCH_SIZE):
            created += model.objects.bulk_create(objects[start : start + BATCH_SIZE])
            bar.update(min(BATCH_SIZE, len(objects) - start))
    return created


def build_households(ctx: SeedContext, rects: dict[int, Rect], count: int) -> list[Household]:
    rng = ctx.rng
    community_index = {c.pk: i for i, c in enumerate(ctx.communities)}
    street_of = {c.pk: s for s in ctx.streets for c in ctx.communities if c.parent_id == s.pk}
    names = {c.pk: c.name for c in ctx.communities}
    weights = [rng.uniform(0.4, 1.6) for _ in ctx.grids]  # some grids denser than others
    rows = []
    for grid in rng.choices(ctx.grids, weights=weights, k=count):
        community_id = grid.parent_id
        assert community_id is not None
        road = rng.choice(_roads_of(community_index[community_id]))
        room = f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}"
        address = f"{street_of[community_id].name}{names[community_id]}{road}{rng.randint(1, 199)}号{rng.randint(1, 6)}单元{room}室"
        members = rng.choices(range(1, 7), weights=MEMBERS_WEIGHTS)[0]
        draw = rng.random()
        tags = ["独居老人"] if members == 1 and draw < 0.3 else [rng.choice(HOUSEHOLD_TAGS)] if draw < 0.08 else []
        lat, lng = point_in(rng, rects[grid.pk])
        rows.append(
            Household(address=address, unit=grid, head_name=person_name(rng), phone=mobile(rng), members=members,
                      lat=lat, lng=lng, tags=tags)
        )  # fmt: skip
    return _bulk(Household, rows, "住户", ctx.stdout)


def build_enterprises(ctx: SeedContext, rects: dict[int, Rect], count: int) -> list[Enterprise]:
    rng = ctx.rng
    street_of = {c.pk: s for s in ctx.streets for c in ctx.communities if c.parent_id == s.pk}
    community_index = {c.pk: i for i, c in enumerate(ctx.communities)}
    codes: set[str] = set()
    names: set[str] = set()
    rows = []
    for _ in range(count):
        grid = rng.choice(ctx.grids)
        assert grid.parent_id is not None
        industry, words, _w = rng.choices(INDUSTRIES, weights=[i[2] for i in INDUSTRIES])[0]
        name = ""
        for _attempt in range(5):
            name = f"西安{rng.choice(BRAND_1)}{rng.choice(BRAND_2)}{rng.choice(words)}有限公司"
            if name not in names:
                break
        else:
            name = name.replace("有限公司", f"{street_of[grid.parent_id].name[:-2]}分公司")
        names.add(name)
        road = rng.choice(_roads_of(community_index[grid.parent_id]))
        lat, lng = point_in(rng, rects[grid.pk])
        rows.append(
            Enterprise(
                name=name, credit_code=credit_code(rng, codes), industry=industry,
                size=rng.choices(SIZES_OF_ENTERPRISE, weights=[s[1] for s in SIZES_OF_ENTERPRISE])[0][0],
                address=f"{street_of[grid.parent_id].name}{road}{rng.randint(1, 299)}号{rng.choice(BUILDINGS)}",
                unit=grid, contact_name=person_name(rng), contact_phone=mobile(rng), lat=lat, lng=lng,
            )
        )  # fmt: skip
    return _bulk(Enterprise, rows, "企业", ctx.stdout)


def build_users(
    rng: random.Random,
    size: Size,
    district: OrgUnit,
    streets: list[OrgUnit],
    grids: list[OrgUnit],
    departments: list[OrgUnit],
    stdout: Any,
) -> tuple[dict[str, User], list[User]]:
    """(demo accounts by username, cadres incl. 'cadre' and 'cadre2'). The password is hashed once for all."""
    password = make_password(DEMO_PASSWORD)
    dept_by_name = {d.name: d for d in departments}
    first_of_street = {s.pk: next(g for g in grids if g.parent and g.parent.parent_id == s.pk) for s in streets[:2]}
    where = {
        "district": district, "dept:城管局": dept_by_name["城管局"], "dept:人社局": dept_by_name["人社局"],
        "grid:0": first_of_street[streets[0].pk], "grid:1": first_of_street[streets[1].pk], "street:0": streets[0],
    }  # fmt: skip

    def user(username: str, role: str, unit: OrgUnit, **kw: Any) -> User:
        return User(username=username, role=role, unit=unit, password=password, display_name=person_name(rng),
                    phone=mobile(rng), **kw)  # fmt: skip

    demo = [
        user(name, role, where[place], is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
        for name, role, place, _text in DEMO_ACCOUNTS
    ]
    others = [user(f"{prefix}{n}", Role.HANDLER, dept_by_name[dept]) for dept, prefix in DEPARTMENTS for n in (1, 2)]
    others += [user(f"dispatcher_s{i + 1}", Role.DISPATCHER, s) for i, s in enumerate(streets)]
    others += [user(f"leader_s{i + 1}", Role.LEADER, s) for i, s in enumerate(streets[1:], start=1)]
    cadres = [user(f"cadre{i:04d}", Role.CADRE, grids[i % len(grids)]) for i in range(1, size.cadres - 1)]
    created = _bulk(User, demo + others + cadres, "账号", stdout)
    users = {u.username: u for u in created[: len(demo)]}
    return users, [users["cadre"], users["cadre2"], *created[len(demo) + len(others) :]]


# The demo's questionnaire (issue 16 item 6): 四情必问 as text, then a required choice and an optional number.
DEMO_QUESTIONS: list[dict[str, Any]] = [
    *DEFAULT_CHECKLIST,
    {
        "key": "satisfaction",
        "label": "满意度",
        "type": "choice",
        "choices": ["满意", "基本满意", "不满意"],
        "required": True,
    },
    {"key": "people", "label": "家庭人口", "type": "number", "min": 1, "max": 20, "integer": True},
]


def build_campaign(district: OrgUnit, today: date) -> Campaign:
    campaign = Campaign.objects.create(
        name="进万家门·知万家事·解万家忧", start_date=today - timedelta(days=90), end_date=today + timedelta(days=90),
        targets={"household_coverage": 1.0}, checklist=[dict(item) for item in DEMO_QUESTIONS],
    )  # fmt: skip
    campaign.units.add(district)
    return campaign


def build_calendar() -> None:
    """The official calendar ships with the app (migration 0009_calendar_official); this only puts it back after
    `seed_demo --reset` flushed every table, and leaves a database that has it as it is."""
    calendar_load()


def seed_now() -> datetime:
    """The demo's "now": 10:00 Asia/Shanghai of the latest day on which 10:00 has passed. Seeded at 00:30 it is
    yesterday 10:00, so nothing the demo shows as done lies in the future."""
    ten = day_start(today()) + timedelta(hours=10)
    return ten if timezone.now() >= ten else ten - timedelta(days=1)


def build_core(*, size: str, seed: int, stdout: Any) -> SeedContext:
    """The campaign core of the demo: org tree, users, the campaign, the calendar, households and enterprises.
    config.seed.build_demo adds the visits and tickets. Call inside transaction.atomic() on an empty database."""
    spec = SIZES[size]
    rng = random.Random(seed)
    now = seed_now()
    district, streets, communities, grids, departments, rects = build_org(spec)
    stdout.write(
        f"==> 组织架构：{len(streets)} 个街道，{len(communities)} 个社区，{len(grids)} 个网格，{len(departments)} 个部门\n"
    )
    for grid in grids:  # build_users reads grid.parent.parent_id: the community objects already in memory
        grid.parent = next(c for c in communities if c.pk == grid.parent_id)
    users, cadres = build_users(rng, spec, district, streets, grids, departments, stdout)
    campaign = build_campaign(district, now.date())
    build_calendar()
    ctx = SeedContext(
        rng=rng, size=size, now=now, district=district, streets=streets, communities=communities, grids=grids,
        departments=departments, households=[], enterprises=[], cadres=cadres, users=users, campaign=campaign,
        stdout=stdout,
    )  # fmt: skip
    ctx.households = build_households(ctx, rects, spec.households)
    ctx.enterprises = build_enterprises(ctx, rects, spec.enterprises)
    return ctx
