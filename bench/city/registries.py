"""Households and enterprises, each grid's rows under consecutive ids (a registry is imported grid by grid), so that
"a household of grid g" is a random id in [start[g], end[g]) and a visit's target is drawn without a lookup.

The head's ID number is encrypted as the app stores it (campaign.crypto.encrypt, a Fernet token per value: the
slowest column, ~25 µs a row) and its keyed lookup hash computed by campaign.crypto.lookup_hash, so
`Household.objects.with_id_number(...)` finds it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.city.copying import Chunk, copy_model, floats, text
from bench.city.org import City, mobile, person_name
from campaign.validators import CREDIT_CODE_ALPHABET, credit_code_check_char, id_number_check_char

CHUNK = 50_000
ROADS = "锦业路 丈八北路 唐延路 科技路 高新路 沣惠路 天谷路 云水路 西太路 鱼化路 太白路 雁塔路 长安路 含光路 朱雀大街 友谊路 劳动路 文景路".split()  # fmt: skip
TAGS = ["低保", "残疾", "退役军人", "空巢", "留守儿童", "困难家庭"]
REGIONS = ["610113", "610103", "610104", "610102", "610112", "610111", "610116", "610131"]
INDUSTRIES = [("软件和信息技术服务业", "软件科技"), ("制造业", "电子科技"), ("批发和零售业", "商贸"),
              ("住宿和餐饮业", "餐饮管理"), ("建筑业", "建设工程"), ("交通运输、仓储和邮政业", "物流"),
              ("科学研究和技术服务业", "检测技术")]  # fmt: skip
SIZES = ["微型", "微型", "小型", "小型", "中型", "大型"]


@dataclass
class Registry:
    """One registry's rows, per grid index: ids [start, end), and every row's position."""

    start: np.ndarray
    end: np.ndarray
    lat: np.ndarray  # by id - 1
    lng: np.ndarray
    grid: np.ndarray  # grid index by id - 1


def _layout(city: City, total: int, rng: np.random.Generator) -> Registry:
    """`total` rows over the grids, some denser than others, with a point well inside the grid (5 % margin)."""
    weights = rng.uniform(0.4, 1.6, len(city.grids))
    counts = rng.multinomial(total, weights / weights.sum())
    end = np.cumsum(counts) + 1
    start = end - counts
    grid = np.repeat(np.arange(len(city.grids)), counts)
    rect = np.array(city.grid_rect)[grid]  # s, w, n, e
    lat = rect[:, 0] + (0.05 + 0.9 * rng.random(total)) * (rect[:, 2] - rect[:, 0])
    lng = rect[:, 1] + (0.05 + 0.9 * rng.random(total)) * (rect[:, 3] - rect[:, 1])
    return Registry(start=start, end=end, lat=np.round(lat, 6), lng=np.round(lng, 6), grid=grid)


def _place_names(units: Any, city: City) -> list[str]:
    """Per grid index: "<street><community>" for its addresses."""
    name = {int(r["id"]): r["name"] for r in units.rows}
    parent = {int(r["id"]): int(r["parent_id"]) for r in units.rows if r["parent_id"] != "\\N"}
    return [name[parent[parent[g]]] + name[parent[g]] for g in city.grids]


BIRTHS = [f"{dt.date(1940, 1, 1) + dt.timedelta(days=d):%Y%m%d}" for d in range(65 * 365)]


def _id_number(rng: random.Random) -> str:
    """A GB 11643 number: region, birth date (1940–2004), sequence, and the check character the app validates."""
    body = f"{rng.choice(REGIONS)}{rng.choice(BIRTHS)}{rng.randrange(1000):03d}"
    return body + id_number_check_char(body)


def _household_chunks(city: City, reg: Registry, places: list[str], seed: int, created: str) -> Iterator[Chunk]:
    from campaign import crypto

    rng = random.Random(seed)
    names = [person_name(rng) for _ in range(5000)]
    members_pool = [1] * 10 + [2] * 25 + [3] * 30 + [4] * 20 + [5] * 10 + [6] * 5
    total = len(reg.grid)
    for lo in range(0, total, CHUNK):
        n = min(CHUNK, total - lo)
        numbers = [_id_number(rng) if rng.random() < 0.9 else "" for _ in range(n)]
        members = [rng.choice(members_pool) for _ in range(n)]
        tags = [text(["独居老人"]) if m == 1 and rng.random() < 0.3 else text([rng.choice(TAGS)]) if rng.random() < 0.08
                else "[]" for m in members]  # fmt: skip
        grids = reg.grid[lo : lo + n].tolist()
        yield (
            n,
            {
                "id": [str(i) for i in range(lo + 1, lo + n + 1)],
                "address": [
                    f"{places[g]}{rng.choice(ROADS)}{rng.randint(1, 199)}号{rng.randint(1, 6)}单元"
                    f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
                    for g in grids
                ],  # fmt: skip
                "unit_id": [str(city.grids[g]) for g in grids],
                "head_name": [rng.choice(names) for _ in range(n)],
                "phone": [mobile(rng) for _ in range(n)],
                "head_id_number": [crypto.encrypt(v) if v else "" for v in numbers],
                "head_id_number_hash": [crypto.lookup_hash(v) for v in numbers],
                "members": [str(m) for m in members],
                "lat": floats(reg.lat[lo : lo + n], 6),
                "lng": floats(reg.lng[lo : lo + n], 6),
                "tags": tags,
                "confirmed": "t",
                "created_at": created,
            },
        )


def _credit_code(index: int) -> str:
    """91 + 610100 + a 9-character organisation code unique per index + the GB 32100 check character."""
    digits, value = [], index + 31**7
    for _ in range(9):
        value, rest = divmod(value, 31)
        digits.append(CREDIT_CODE_ALPHABET[rest])
    body = "91610100" + "".join(reversed(digits))
    return body + credit_code_check_char(body)


def _enterprise_chunks(city: City, reg: Registry, places: list[str], seed: int, created: str) -> Iterator[Chunk]:
    rng = random.Random(seed)
    total = len(reg.grid)
    for lo in range(0, total, CHUNK):
        n = min(CHUNK, total - lo)
        grids = reg.grid[lo : lo + n].tolist()
        kinds = [rng.choice(INDUSTRIES) for _ in range(n)]
        yield (
            n,
            {
                "id": [str(i) for i in range(lo + 1, lo + n + 1)],
                "name": [
                    f"西安{rng.choice('华瑞中天博启智恒宏鼎君泰凯众睿')}{rng.choice('信达科源远明联通图盛诚和创')}"
                    f"{k[1]}有限公司"
                    for k in kinds
                ],  # fmt: skip
                "credit_code": [_credit_code(i) for i in range(lo, lo + n)],
                "industry": [k[0] for k in kinds],
                "size": [rng.choice(SIZES) for _ in range(n)],
                "address": [f"{places[g]}{rng.choice(ROADS)}{rng.randint(1, 299)}号" for g in grids],
                "unit_id": [str(city.grids[g]) for g in grids],
                "contact_name": [person_name(rng) for _ in range(n)],
                "contact_phone": [mobile(rng) for _ in range(n)],
                "lat": floats(reg.lat[lo : lo + n], 6),
                "lng": floats(reg.lng[lo : lo + n], 6),
                "created_at": created,
            },
        )


def build_registries(cursor: Any, city: City, units: Any, *, households: int, enterprises: int, seed: int,
                     created: dt.datetime) -> tuple[Registry, Registry]:  # fmt: skip
    from campaign.models import Enterprise, Household

    rng = np.random.default_rng(seed)
    places = _place_names(units, city)
    homes, firms = _layout(city, households, rng), _layout(city, enterprises, rng)
    stamp = text(created)
    copy_model(
        cursor, Household, _household_chunks(city, homes, places, seed, stamp), total=households, desc="households"
    )
    copy_model(cursor, Enterprise, _enterprise_chunks(city, firms, places, seed + 1, stamp), total=enterprises, desc="enterprises")  # fmt: skip
    return homes, firms
