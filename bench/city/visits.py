"""Visits, vectorised with numpy (10M rows must cost microseconds each).

Routine visits: each day of the window gets visits in proportion to its weight (working days full, Saturdays a
quarter, Sundays and official holidays little, make-up working days full, the campaign ramping up over the year),
at daytime hours (peaks mid-morning and mid-afternoon, a lunch dip); each is made by a cadre (some more active than
others) at a household (92 %) or an enterprise of the cadre's own grid, in time order as visits arrive. The phone
stands near the door: mostly verified, some far / poor accuracy / no fix, with the geo status, distance and point
grid computed by the app's rules (visits.geo.geo_status_for, campaign.geo.haversine_m, `outside_grid`).
The visits that raised tickets and the handlers' door-to-door proofs come from bench.city.tickets (`Extra`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.city.copying import NULL, Chunk, copy_model, floats, ints, times
from bench.city.org import City
from bench.city.registries import Registry

DAY_US, HOUR_US, MINUTE_US = 86_400_000_000, 3_600_000_000, 60_000_000
SHANGHAI_US = 8 * HOUR_US  # Asia/Shanghai is UTC+8 all year
OUTCOMES = np.array([0.87, 0.05, 0.05, 0.03])  # verified, far, poor accuracy, no fix (wanted; the rule decides)
# Weight of each quarter hour of the day, 00:00–23:45 local: nobody before 7:30 or after 20:00.
QUARTERS = np.array([0] * 30 + [1, 2] + [4] * 4 + [9] * 10 + [5] * 4 + [2] * 6 + [8] * 12 + [4] * 4 + [1] * 4 + [0] * 20, dtype=float)  # fmt: skip
EARTH_RADIUS_M, METRES_PER_DEGREE_LAT = 6_371_008.8, 111_320.0


@dataclass
class Extra:
    """Visits decided by the ticket phase (raising a ticket, door-to-door proof), as arrays for `visit_columns`."""

    ids: list[str] = field(default_factory=list)
    cadre: list[int] = field(default_factory=list)
    household: list[int] = field(default_factory=list)  # -1: none
    ticket: list[int] = field(default_factory=list)  # -1: none
    unit: list[int] = field(default_factory=list)
    ref_lat: list[float] = field(default_factory=list)
    ref_lng: list[float] = field(default_factory=list)
    at: list[int] = field(default_factory=list)


def _haversine(lat1: np.ndarray, lng1: np.ndarray, lat2: np.ndarray, lng2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _positions(rng: np.random.Generator, ref_lat: np.ndarray, ref_lng: np.ndarray) -> tuple[np.ndarray, ...]:
    """(lat, lng, accuracy, distance, geo status) of the phone at each door."""
    n = len(ref_lat)
    outcome = rng.choice(4, n, p=OUTCOMES)
    metres = np.where(outcome == 1, rng.uniform(350, 900, n), np.abs(rng.normal(0, 25, n)))
    bearing = rng.uniform(0, 2 * np.pi, n)
    lat = ref_lat + metres * np.cos(bearing) / METRES_PER_DEGREE_LAT
    lng = ref_lng + metres * np.sin(bearing) / (METRES_PER_DEGREE_LAT * np.cos(np.radians(ref_lat)))
    accuracy = np.select([outcome == 2, outcome == 1], [rng.uniform(110, 400, n), rng.uniform(8, 40, n)],
                         rng.uniform(5, 35, n)).round(1)  # fmt: skip
    no_fix = outcome == 3
    lat, lng, accuracy = np.round(np.where(no_fix, np.nan, lat), 6), np.round(np.where(no_fix, np.nan, lng), 6), np.where(no_fix, np.nan, accuracy)  # fmt: skip
    distance = np.round(_haversine(lat, lng, ref_lat, ref_lng), 1)
    with np.errstate(invalid="ignore"):
        status = np.select([no_fix, accuracy > 100, distance <= 200 + accuracy],
                           ["no_fix", "poor_accuracy", "verified"], "far")  # fmt: skip
    return lat, lng, accuracy, distance, status


def visit_columns(city: City, rng: np.random.Generator, ctx: dict[str, Any], *, ids: list[str], cadre: np.ndarray,
                  household: np.ndarray, enterprise: np.ndarray, ticket: np.ndarray, unit: np.ndarray,
                  ref_lat: np.ndarray, ref_lng: np.ndarray, at: np.ndarray) -> dict[str, Any]:  # fmt: skip
    n = len(at)
    lat, lng, accuracy, distance, status = _positions(rng, ref_lat, ref_lng)
    point = city.grid_at(lat, lng)
    target = np.where(household >= 0, "household", np.where(enterprise >= 0, "enterprise", "")).tolist()
    people = np.where(household >= 0, rng.integers(1, 6, n), rng.integers(1, 4, n))
    notes, answers = ctx["notes"], ctx["answers"]
    return {
        "id": ids,
        "cadre_id": ints(cadre),
        "target_type": target,
        "household_id": ints(household, null_below=0),
        "enterprise_id": ints(enterprise, null_below=0),
        "ticket_id": ints(ticket, null_below=0),
        "campaign_id": ctx["campaign"],
        "unit_id": ints(unit),
        "point_unit_id": ints(point, null_below=0),
        "visited_at": times(at),
        "lat": floats(lat, 6),
        "lng": floats(lng, 6),
        "accuracy_m": floats(accuracy, 1),
        "crs": "wgs84",
        "distance_m": floats(np.where(np.isnan(lat), np.nan, distance), 1),
        "geo_status": status.tolist(),
        "flags": np.where((point >= 0) & (point != unit), '["outside_grid"]', "[]").tolist(),
        "people_met": ints(people),
        "notes": [notes[i] for i in rng.integers(0, len(notes), n).tolist()],
        "checklist": [answers[i] for i in rng.integers(0, len(answers), n).tolist()],
        "body_hash": [hashlib.sha256(bytes.fromhex(i)).hexdigest() for i in ids],  # seeded rows have no request body
        "created_at": times(at + rng.integers(1, 20, n) * MINUTE_US),
    }


def new_ids(rng: np.random.Generator, at: np.ndarray) -> list[str]:
    """Time-ordered UUIDs (version 7's layout: 48 bits of milliseconds, then random bits), as a phone that follows
    RFC 9562 makes them; in time order they append to the primary key's index instead of splitting its pages at
    random (random v4 keys made the 10M-row COPY several times slower)."""
    ms = (at // 1000).tolist()
    low, high = rng.integers(0, 2**62, len(at)).tolist(), rng.integers(0, 4096, len(at)).tolist()
    return [f"{m:012x}7{h:03x}{lo:016x}" for m, h, lo in zip(ms, high, low, strict=True)]


def text_pools(rng: np.random.Generator, checklist_keys: list[str]) -> tuple[list[str], list[str]]:
    from visits.seed import ANSWERS, NOTES

    answers = []
    for _ in range(256):
        answer = {
            key: ANSWERS.get(key, ["无"])[int(rng.integers(0, len(ANSWERS.get(key, ["无"]))))] for key in checklist_keys
        }
        answers.append(json.dumps(answer, ensure_ascii=False))
    return list(NOTES), answers


def day_weights(first: dt.date, days: int, exceptions: dict[dt.date, str]) -> np.ndarray:
    """A working day 1, Saturday 0.25, Sunday 0.08, holiday 0.1 (make-up working day 1); ramping 0.8 → 1.2."""
    weights = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        base = {5: 0.25, 6: 0.08}.get(day.weekday(), 1.0)
        base = {"holiday": 0.1, "workday": 1.0}.get(exceptions.get(day, ""), base)
        weights.append(base * (0.8 + 0.4 * i / max(1, days - 1)))
    return np.array(weights)


def _routine_day(city: City, homes: Registry, firms: Registry, rng: np.random.Generator, day0_us: int, n: int,
                 activity: np.ndarray, cadre_grid: np.ndarray, cadre_ids: np.ndarray) -> dict[str, np.ndarray]:  # fmt: skip
    quarter = rng.choice(len(QUARTERS), n, p=QUARTERS / QUARTERS.sum())
    at = np.sort(day0_us + quarter * 15 * MINUTE_US + rng.integers(0, 15 * MINUTE_US, n))
    who = rng.choice(len(cadre_ids), n, p=activity)
    grid = cadre_grid[who]
    firm_count = firms.end[grid] - firms.start[grid]
    is_firm = (rng.random(n) < 0.08) & (firm_count > 0)
    home = homes.start[grid] + (rng.random(n) * (homes.end[grid] - homes.start[grid])).astype(np.int64)
    firm = firms.start[grid] + (rng.random(n) * firm_count).astype(np.int64)
    household, enterprise = np.where(is_firm, -1, home), np.where(is_firm, firm, -1)
    at_firm = np.clip(firm - 1, 0, len(firms.lat) - 1)
    ref_lat = np.where(is_firm, firms.lat[at_firm], homes.lat[home - 1])
    ref_lng = np.where(is_firm, firms.lng[at_firm], homes.lng[home - 1])
    return {"cadre": cadre_ids[who], "household": household, "enterprise": enterprise, "ticket": np.full(n, -1),
            "unit": np.array(city.grids)[grid], "ref_lat": ref_lat, "ref_lng": ref_lng, "at": at}  # fmt: skip


def routine_chunks(city: City, homes: Registry, firms: Registry, ctx: dict[str, Any], *, total: int,
                   first: dt.date, weights: np.ndarray, now_us: int, seed: int) -> Iterator[Chunk]:  # fmt: skip
    rng = np.random.default_rng(seed)
    cadre_grid = np.array([g for g, ids in enumerate(city.cadres) for _ in ids])
    cadre_ids = np.array([c for ids in city.cadres for c in ids])
    activity = rng.lognormal(0, 0.35, len(cadre_ids))
    activity /= activity.sum()
    per_day = rng.multinomial(total, weights / weights.sum())
    epoch = dt.date(1970, 1, 1)
    for i, n in enumerate(per_day.tolist()):
        day0 = ((first - epoch).days + i) * DAY_US - SHANGHAI_US
        cols = _routine_day(city, homes, firms, rng, day0, n, activity, cadre_grid, cadre_ids)
        keep = cols["at"] < now_us - 5 * MINUTE_US  # today's visits only until now
        cols = {k: v[keep] for k, v in cols.items()}
        if len(cols["at"]):
            yield len(cols["at"]), visit_columns(city, rng, ctx, ids=new_ids(rng, cols["at"]), **cols)


def extra_chunks(city: City, extra: Extra, ctx: dict[str, Any], seed: int) -> Iterator[Chunk]:
    rng = np.random.default_rng(seed)
    order = np.argsort(np.array(extra.at, dtype=np.int64), kind="stable")
    arrays = {k: np.array(getattr(extra, k))[order] for k in ("cadre", "household", "ticket", "unit", "ref_lat", "ref_lng", "at")}  # fmt: skip
    ids = [extra.ids[i] for i in order.tolist()]
    for lo in range(0, len(ids), 100_000):
        part = {k: v[lo : lo + 100_000] for k, v in arrays.items()}
        n = len(part["at"])
        yield n, visit_columns(city, rng, ctx, ids=ids[lo : lo + n], enterprise=np.full(n, -1), **part)


def build_visits(cursor: Any, city: City, homes: Registry, firms: Registry, extra: Extra, *, total: int,
                 first: dt.date, days: int, now_us: int, campaign: int, seed: int) -> int:  # fmt: skip
    from campaign.models import CalendarDay, Campaign
    from visits.models import Visit

    rng = np.random.default_rng(seed)
    keys = sorted(Campaign.objects.get(pk=campaign).checklist_keys())
    notes, answers = text_pools(rng, keys)
    ctx = {"campaign": str(campaign), "notes": notes, "answers": answers}
    exceptions = dict(CalendarDay.objects.values_list("date", "kind"))
    routine = max(0, total - len(extra.ids))
    # Routine visits up to yesterday: today's share would be cut at `now` (none yet just after midnight in Shanghai),
    # and the city would hold fewer visits than asked for, by the hour of the build.
    weights = day_weights(first, days, exceptions)
    weights[-1] = 0.0
    chunks = routine_chunks(city, homes, firms, ctx, total=routine, first=first, weights=weights, now_us=now_us,
                            seed=seed)  # fmt: skip
    written = copy_model(cursor, Visit, chunks, total=routine, desc="visits")
    written += copy_model(cursor, Visit, extra_chunks(city, extra, ctx, seed + 1), total=len(extra.ids), desc="visits (tickets)")  # fmt: skip
    return written


__all__ = ["NULL", "Extra", "build_visits", "new_ids"]
