"""The city's org tree and people, with explicit ids (so that every later table can point at them without a read).

OrgUnit has no "city" kind: the city is its districts, each the root of its own tree (as SPEC §1 and the Citus plan
distribute by district), and the city-level account is a superuser without a home unit (campaign.scope: sees
everything). Grids tile each district as a regular lattice of CELL_LAT × CELL_LNG cells (as campaign.seed lays out
the demo), so the grid holding a point is two divisions away (`City.grid_at`), vectorised for 10M visits.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.city.copying import NULL, copy_model, text

CELL_LAT, CELL_LNG = 0.005, 0.006  # one grid: ~555 m × 550 m at 34° N
NORTH, WEST = 34.40, 108.70  # the north-west corner of the city's lattice (Xi'an)
DISTRICTS = [("雁塔区", "YT"), ("碑林区", "BL"), ("莲湖区", "LH"), ("新城区", "XC"), ("未央区", "WY"),
             ("灞桥区", "BQ"), ("长安区", "CA"), ("高新区", "GX")]  # fmt: skip
STREETS = "丈八 鱼化寨 细柳 兴隆 东大 灵沼 王寺 郭杜 高桥 五星 滦镇 杜曲 小寨 大雁塔 曲江 长延堡 电子城 等驾坡".split()
COMMUNITIES = (
    "东滩 西滩 南窑头 北窑头 甘家寨 木塔寨 鱼化 天谷 锦业 唐延 云水 枫林 绿地 沣惠 团结 丁家桥 太白 科创".split()
)
DEPARTMENTS = [("城管局", "cgj", 30), ("住建局", "zjj", 16), ("人社局", "rsj", 12), ("市场监管局", "scjg", 10),
               ("生态环境局", "sthj", 8), ("交通局", "jtj", 8), ("卫健委", "wjw", 6), ("教育局", "jyj", 5),
               ("民政局", "mzj", 5)]  # name, username stem, share of the tickets it leads (%)  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅文斌浩宇欣怡涵轩萱俊佳琪博思远晓东春燕海婷雪玲鹏飞"
)
MOBILE = "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 166 177 180 182 183 186 187 188 189 199"
CADRES_PER_GRID = 2


@dataclass(frozen=True)
class Shape:
    """(rows, columns) of each level inside its parent."""

    districts: tuple[int, int]
    streets: tuple[int, int]
    communities: tuple[int, int]
    grids: tuple[int, int]


FULL = Shape((2, 4), (3, 3), (2, 4), (2, 3))  # 8 districts, 72 streets, 576 communities, 3,456 grids
MEDIUM = Shape((1, 2), (2, 2), (2, 2), (2, 2))  # 2 districts, 128 grids
TINY = Shape((1, 1), (1, 2), (1, 2), (1, 2))  # 1 district, 8 grids


def shape_for(scale: float) -> Shape:
    return FULL if scale >= 0.5 else MEDIUM if scale >= 0.005 else TINY


@dataclass
class City:
    """What later phases need to know of the tree and its people, by id."""

    districts: list[int] = field(default_factory=list)
    district_code: dict[int, str] = field(default_factory=dict)
    departments: dict[int, list[int]] = field(default_factory=dict)  # district → its departments, DEPARTMENTS order
    streets: list[int] = field(default_factory=list)
    grids: list[int] = field(default_factory=list)
    grid_district: list[int] = field(default_factory=list)  # per grid index: its district id
    grid_street: list[int] = field(default_factory=list)  # per grid index: its street id (the ticket's branch)
    grid_centre: list[tuple[float, float]] = field(default_factory=list)
    grid_rect: list[tuple[float, float, float, float]] = field(default_factory=list)  # s, w, n, e
    lattice: Any = None  # np.ndarray [row, col] → grid id, -1 outside every grid
    cadres: list[list[int]] = field(default_factory=list)  # per grid index: its cadres' user ids
    handlers: dict[int, list[int]] = field(default_factory=dict)  # department → user ids
    dispatchers: dict[int, list[int]] = field(default_factory=dict)  # district → user ids
    leaders: dict[int, int] = field(default_factory=dict)  # district → its leader
    logins: dict[str, Any] = field(default_factory=dict)  # what bench/load.py logs in as
    users: int = 0

    def grid_at(self, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
        """The grid id holding each point (-1: outside the city, or NaN)."""
        rows, cols = self.lattice.shape
        with np.errstate(invalid="ignore"):
            r = np.floor((NORTH - lat) / CELL_LAT)
            c = np.floor((lng - WEST) / CELL_LNG)
        ok = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        out = np.full(lat.shape, -1, dtype=np.int64)
        out[ok] = self.lattice[r[ok].astype(np.int64), c[ok].astype(np.int64)]
        return out


def _split(rect: tuple[float, ...], rows: int, cols: int) -> list[tuple[float, float, float, float]]:
    s, w, n, e = rect
    dlat, dlng = (n - s) / rows, (e - w) / cols
    return [(n - (r + 1) * dlat, w + c * dlng, n - r * dlat, w + (c + 1) * dlng) for r in range(rows) for c in range(cols)]  # fmt: skip


class _Units:
    """OrgUnit rows with explicit ids and their materialized paths (OrgUnit.path_for)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []
        self.path: dict[int, str] = {}

    def add(self, name: str, kind: str, parent: int | None, sort: int, rect: Any = None, code: str = "") -> int:
        pk = len(self.rows) + 1
        self.path[pk] = (self.path[parent] if parent else "") + f"{pk:06d}/"
        row = {"id": str(pk), "name": name, "kind": kind, "parent_id": str(parent) if parent else NULL, "code": code,
               "path": self.path[pk], "depth": str(len(self.path[pk]) // 7 - 1), "sort": str(sort)}  # fmt: skip
        if rect is not None:
            s, w, n, e = (round(v, 6) for v in rect)
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            row.update(boundary=text({"type": "Polygon", "coordinates": [ring]}), min_lat=str(s), max_lat=str(n),
                       min_lng=str(w), max_lng=str(e), lat=str(round((s + n) / 2, 6)), lng=str(round((w + e) / 2, 6)))  # fmt: skip
        self.rows.append(row)
        return pk


def build_org(cursor: Any, shape: Shape) -> tuple[City, _Units]:
    from campaign.models import OrgUnit

    city, units = City(), _Units()
    rows = shape.districts[0] * shape.streets[0] * shape.communities[0] * shape.grids[0]
    cols = shape.districts[1] * shape.streets[1] * shape.communities[1] * shape.grids[1]
    city.lattice = np.full((rows, cols), -1, dtype=np.int64)
    extent = (NORTH - rows * CELL_LAT, WEST, NORTH, WEST + cols * CELL_LNG)
    for di, d_rect in enumerate(_split(extent, *shape.districts)):
        name, code = DISTRICTS[di]
        district = units.add(name, "district", None, di, d_rect, code=code)
        city.districts.append(district)
        city.district_code[district] = code
        for si, s_rect in enumerate(_split(d_rect, *shape.streets)):
            street = units.add(f"{STREETS[si % len(STREETS)]}街道", "street", district, si, s_rect)
            city.streets.append(street)
            for ci, c_rect in enumerate(_split(s_rect, *shape.communities)):
                stem = COMMUNITIES[(si * 8 + ci) % len(COMMUNITIES)]
                community = units.add(f"{stem}{'社区' if ci % 3 else '村'}", "community", street, ci, c_rect)
                for gi, g_rect in enumerate(_split(c_rect, *shape.grids)):
                    grid = units.add(f"{stem}第{gi + 1}网格", "grid", community, gi, g_rect)
                    city.grids.append(grid)
                    city.grid_district.append(district)
                    city.grid_street.append(street)
                    city.grid_rect.append(g_rect)
                    city.grid_centre.append(((g_rect[0] + g_rect[2]) / 2, (g_rect[1] + g_rect[3]) / 2))
                    r = int(round((NORTH - g_rect[2]) / CELL_LAT))
                    c = int(round((g_rect[1] - WEST) / CELL_LNG))
                    city.lattice[r, c] = grid
        city.departments[district] = [units.add(n, "department", district, 100 + i) for i, (n, _s, _w) in enumerate(DEPARTMENTS)]  # fmt: skip
        units.add("软件园" if code == "GX" else f"{name[:-1]}产业园", "park", district, 200)
    columns = sorted({c for row in units.rows for c in row})
    chunk = {c: [row.get(c, NULL) for row in units.rows] for c in columns}
    copy_model(cursor, OrgUnit, [(len(units.rows), chunk)], total=len(units.rows), desc="org units")
    return city, units


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE.split()) + f"{rng.randrange(10**8):08d}"


BENCH_PASSWORD = "zoufang-bench"  # every account's; hashed once, the hash reused (as campaign.seed does)


class _People:
    def __init__(self, rng: random.Random, password: str, joined: str) -> None:
        self.rng, self.password, self.joined = rng, password, joined
        self.rows: list[list[str]] = []

    def add(self, username: str, role: str, unit: int | None, *, staff: bool = False, superuser: bool = False) -> int:
        pk = len(self.rows) + 1
        self.rows.append([str(pk), username, self.password, role, str(unit) if unit else NULL, "t" if superuser else "f",
                          "t" if staff else "f", person_name(self.rng), mobile(self.rng)])  # fmt: skip
        return pk


def build_users(cursor: Any, city: City, units: _Units, rng: random.Random, joined: dt.datetime) -> None:
    """Accounts at every level: the city (a superuser without a unit), each district (admin, leader, 2 dispatchers),
    3 handlers per department, a leader and a dispatcher per street, a leader per community, 2 cadres per grid."""
    from django.contrib.auth.hashers import make_password

    from campaign.models import User

    people = _People(rng, make_password(BENCH_PASSWORD), text(joined))
    people.add("city_admin", "admin", None, staff=True, superuser=True)
    by_parent: dict[int, list[dict[str, str]]] = {}
    for row in units.rows:
        if row["parent_id"] != NULL:
            by_parent.setdefault(int(row["parent_id"]), []).append(row)
    grid_index = {g: i for i, g in enumerate(city.grids)}
    city.cadres = [[] for _ in city.grids]
    cadre_logins: list[dict[str, Any]] = []
    for district in city.districts:
        c = city.district_code[district].lower()
        people.add(f"{c}_admin", "admin", district, staff=True)
        city.leaders[district] = people.add(f"{c}_leader", "leader", district)
        city.dispatchers[district] = [people.add(f"{c}_dispatcher{i}", "dispatcher", district) for i in (1, 2)]
        for dept, (_name, stem, _w) in zip(city.departments[district], DEPARTMENTS, strict=True):
            city.handlers[dept] = [people.add(f"{c}_{stem}{i}", "handler", dept) for i in (1, 2, 3)]
        streets = [r for r in by_parent[district] if r["kind"] == "street"]
        for s, street in enumerate(streets, start=1):
            people.add(f"{c}_s{s}_leader", "leader", int(street["id"]))
            people.add(f"{c}_s{s}_dispatcher", "dispatcher", int(street["id"]))
        communities = [r for s in streets for r in by_parent[int(s["id"])]]
        for k, community in enumerate(communities, start=1):
            people.add(f"{c}_c{k}_leader", "leader", int(community["id"]))
        grids = [int(r["id"]) for cm in communities for r in by_parent[int(cm["id"])]]
        for k, grid in enumerate(grids, start=1):
            city.cadres[grid_index[grid]] = [people.add(f"{c}_g{k:04d}_{j}", "cadre", grid) for j in (1, 2)]
            if k <= 3:  # a few cadres of every district for bench/load.py
                cadre_logins.append({"username": f"{c}_g{k:04d}_1", "grid_id": grid, "district": c.upper()})
    columns = ["id", "username", "password", "role", "unit_id", "is_superuser", "is_staff", "display_name", "phone"]
    chunk: dict[str, Any] = {col: [row[i] for row in people.rows] for i, col in enumerate(columns)}
    chunk.update(is_active="t", date_joined=people.joined)
    copy_model(cursor, User, [(len(people.rows), chunk)], total=len(people.rows), desc="users")
    city.users = len(people.rows)
    first = city.district_code[city.districts[0]].lower()
    city.logins = {
        "city_admin": "city_admin", "district_leader": f"{first}_leader", "district_dispatcher": f"{first}_dispatcher1",
        "department_handler": f"{first}_cgj1", "street_leader": f"{first}_s1_leader",
        "street_dispatcher": f"{first}_s1_dispatcher", "community_leader": f"{first}_c1_leader",
        "cadres": cadre_logins,
    }  # fmt: skip
