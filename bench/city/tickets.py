"""Tickets with their events, co-units and code sequences, built one ticket at a time as the machine would move it.

Each ticket is created at a daytime moment of the window (hotline hours, weekends too), in a grid drawn in
proportion to its households, and walks the SPEC §5 path — report → dispatch → accept → progress (+ assist) →
resolve → callback → close, or on-site resolution, or cancellation — with delays drawn per step; a step that would
fall after now does not happen, so the open tickets are the young ones plus a few stuck ones (a stalled co-unit,
a lead unit that never accepts): most tickets are closed, a few percent open, part of them overdue and carded by
the escalation job's rules (level 1 at due + 15 min, level 2 past half the SLA). Every event is written with its
from/to status in time order, and `version` counts the events that bump it (all but report and supervise).
Visits that raised tickets (source `visit`) and the handlers' door-to-door proofs are handed to bench.city.visits.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import numpy as np

from bench.city.copying import text
from bench.city.org import DEPARTMENTS, City, mobile, person_name
from bench.city.registries import Registry
from bench.city.visits import DAY_US, HOUR_US, MINUTE_US, SHANGHAI_US, Extra

CHUNK = 50_000
SOURCES = [("hotline", 45), ("visit", 30), ("online", 12), ("walk_in", 8), ("self_found", 5)]
KINDS = [("complaint", 35), ("request", 40), ("suggestion", 15), ("consultation", 10)]
MODES = [("immediate", 25), ("door_to_door", 25), ("coordinated", 12), ("public", 8), ("proactive", 8), ("tracking", 22)]  # fmt: skip
SLA_DAYS = {"immediate": 1, "proactive": 30, "door_to_door": 5, "public": 15, "coordinated": 10}  # issues.sla
RATINGS = [("satisfied", 82), ("basically_satisfied", 12), ("unsatisfied", 2), ("unreachable", 2), ("", 2)]
OPEN = ("reported", "dispatched", "accepted", "in_progress")
QUARTERS = np.array([1] * 28 + [3] * 8 + [8] * 36 + [5] * 16 + [1] * 8, dtype=float)  # hotline hours, 00:00–23:45


_CUMULATIVE: dict[int, tuple[list[Any], list[float]]] = {}


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    values, cumulative = _CUMULATIVE.get(id(weighted)) or _CUMULATIVE.setdefault(
        id(weighted), ([v for v, _ in weighted], list(itertools.accumulate(w for _, w in weighted)))
    )
    return rng.choices(values, cum_weights=cumulative)[0]


def end_of_day(us: int, days: int) -> int:
    """issues.sla.due_at_for on calendar days: 23:59:59.999999 of the `days`-th Asia/Shanghai day after `us`'s."""
    day = (us + SHANGHAI_US) // DAY_US + days
    return (day + 1) * DAY_US - SHANGHAI_US - 1


def iso(us: int) -> str:
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC).isoformat()


class _Walk:
    """One ticket's row and events, moved step by step; a step dated after now stops the walk."""

    def __init__(self, row: dict[str, Any], now: int) -> None:
        self.row, self.now, self.ok = row, now, True
        self.events: list[tuple[int, int, str, str, str, str, str]] = []  # at, actor, action, from, to, note, payload

    def step(self, at: int, actor: int, action: str, to: str | None = None, note: str = "", payload: Any = None,
             bump: bool = True) -> bool:  # fmt: skip
        if not self.ok or at >= self.now:
            self.ok = False
            return False
        frm = self.row["status"]
        self.events.append((at, actor, action, frm, to or frm, note, text(payload or {})))
        self.row["status"] = to or frm
        self.row["version"] += 1 if bump else 0
        return True


class TicketMaker:
    def __init__(self, city: City, homes: Registry, *, campaign: int, now: int, seed: int) -> None:
        from issues.texts import CATEGORIES, complaint_text

        self.city, self.homes, self.campaign, self.now = city, homes, campaign, now
        self.rng = random.Random(seed)
        self.complaint = complaint_text
        self.categories = list(CATEGORIES)
        self.lead_weights = list(itertools.accumulate(w for _n, _s, w in DEPARTMENTS))
        self.sequences: dict[tuple[int, int], int] = {}
        self.extra = Extra()
        self.names = [person_name(self.rng) for _ in range(3000)]

    def daytime(self, us: int) -> int:
        """The moment moved into office hours (09:00–18:00) of its Asia/Shanghai day, if it is outside them."""
        local = (us + SHANGHAI_US) % DAY_US
        if 9 * HOUR_US <= local < 18 * HOUR_US:
            return us
        return us - local + 9 * HOUR_US + self.hours(0, 9)

    def hours(self, low: float, high: float) -> int:
        return int(self.rng.uniform(low, high) * HOUR_US)

    def new(self, pk: int, created: int) -> _Walk:
        rng, city = self.rng, self.city
        home = rng.randrange(1, len(self.homes.grid) + 1)
        g = int(self.homes.grid[home - 1])
        grid, district = city.grids[g], city.grid_district[g]
        source, category = _pick(rng, SOURCES), rng.choice(self.categories)
        if source in ("visit", "self_found", "walk_in") and self.daytime(created) != created:
            source = rng.choice(("hotline", "online"))  # at night only the hotline and the web take tickets
        cadre = rng.choice(city.cadres[g]) if city.cadres[g] else city.dispatchers[district][0]
        by_resident = source == "visit" or rng.random() < 0.5
        day = (created + SHANGHAI_US) // DAY_US
        seq = self.sequences[district, day] = self.sequences.get((district, day), 0) + 1
        row = {
            "id": pk, "code": f"{city.district_code[district]}-{iso(day * DAY_US)[:10].replace('-', '')}-{seq:06d}",
            "source": source, "kind": _pick(rng, KINDS), "category": category, "campaign_id": self.campaign,
            "requester_household_id": home if by_resident else None,
            "requester_name": "" if by_resident else rng.choice(self.names),
            "requester_phone": "" if by_resident else mobile(rng), "unit_id": grid, "district": district,
            "branch": city.grid_street[g], "g": g,
            "lat": round(float(self.homes.lat[home - 1]) + rng.uniform(-3e-4, 3e-4), 6),
            "lng": round(float(self.homes.lng[home - 1]) + rng.uniform(-3e-4, 3e-4), 6),
            "description": self.complaint(rng, category), "status": "reported", "version": 1,
            "created_by_id": cadre if source in ("visit", "self_found") else city.dispatchers[district][0],
            "created_at": created, "supervision": 0, "reopen_count": 0, "unreachable_count": 0,
        }  # fmt: skip
        walk = _Walk(row, self.now)
        walk.events.append((created, row["created_by_id"], "report", "", "reported", "", text({"source": source})))
        if source == "visit":  # the visit it was raised on, a few minutes before
            row["visit_id"] = self._visit(cadre, home, -1, grid, created - self.hours(0.05, 0.5))
        return walk

    def _visit(self, user: int, home: int, ticket: int, grid: int, at: int) -> str:
        vid = f"{at // 1000:012x}7{self.rng.getrandbits(76):019x}"  # time-ordered, as bench.city.visits.new_ids
        e = self.extra
        e.ids.append(vid), e.cadre.append(user), e.household.append(home), e.ticket.append(ticket), e.unit.append(grid)  # type: ignore[func-returns-value]
        (
            e.ref_lat.append(float(self.homes.lat[home - 1])),
            e.ref_lng.append(float(self.homes.lng[home - 1])),
            e.at.append(at),
        )  # type: ignore[func-returns-value]
        return vid

    def run(self, w: _Walk) -> None:
        rng, row = self.rng, w.row
        stuck = rng.random() < 0.012
        if row["source"] == "visit" and rng.random() < 0.15:
            at = row["created_at"] + self.hours(0.1, 0.7)
            if w.step(at, row["created_by_id"], "resolve_on_site", "resolved", payload={"result": "现场处理"}):
                row.update(mode="immediate", resolved_on_site=True, result="现场解答/处理，群众认可", resolved_at=at)
                self.callback(w)
            return
        dispatcher = self.city.dispatchers[row["district"]][rng.random() < 0.5]
        if rng.random() < 0.02:
            w.step(row["created_at"] + self.hours(1, 30), dispatcher, "cancel", "cancelled", "重复诉求", {"merge_into": None})  # fmt: skip
            return
        if stuck and rng.random() < 0.15:
            return  # never dispatched (a hard intake case): reported, and carded after 24 h
        if not self.dispatch(w, dispatcher) or (stuck and rng.random() < 0.3):
            return  # stuck: the lead unit never accepts
        handler = rng.choice(self.city.handlers[row["lead_unit_id"]])
        sla_hours = (row["due_at"] - row["dispatched_at"]) / HOUR_US
        slow = rng.random() < 0.05  # a lead unit that takes more than a day to accept: carded
        at = row["dispatched_at"] + (self.hours(24, 60) if slow else self.hours(0.3, min(12, 0.2 * sla_hours)))
        if not w.step(at, handler, "accept", "accepted"):
            return
        row["accepted_at"] = at
        self.handle(w, handler, stuck)

    def dispatch(self, w: _Walk, dispatcher: int) -> bool:
        rng, row = self.rng, w.row
        mode = _pick(rng, MODES)
        departments = self.city.departments[row["district"]]
        lead = rng.choices(departments, cum_weights=self.lead_weights)[0]
        at = row["created_at"] + (self.hours(0.2, 8) if rng.random() < 0.9 else self.hours(8, 20))
        days = rng.choice((45, 60, 90)) if mode == "tracking" else SLA_DAYS[mode]
        due = end_of_day(at, days)
        co = rng.sample([d for d in departments if d != lead], rng.choice((1, 2))) if mode == "coordinated" else []
        official = self.city.leaders[row["district"]] if mode == "proactive" else None
        payload = {"mode": mode, "lead_unit": lead, "due_at": iso(due), "co_units": co, "lead_official": official}
        if not w.step(at, dispatcher, "dispatch", "dispatched", payload=payload):
            return False
        row.update(mode=mode, lead_unit_id=lead, due_at=due, dispatched_at=at, co_units=co, lead_official_id=official,
                   problem=row["description"], responsible_person=rng.choice(self.names), sla=days,
                   measures="现场核实，制定整改方案并限期落实", expected_effect="问题解决，群众满意")  # fmt: skip
        return True

    def handle(self, w: _Walk, handler: int, stuck: bool) -> None:
        rng, row = self.rng, w.row
        sla = row["due_at"] - row["dispatched_at"]
        at = row["accepted_at"] + max(HOUR_US, min(48 * HOUR_US, int(sla * rng.uniform(0.05, 0.3))))
        if not w.step(at, handler, "progress", "in_progress", "已联系诉求人，正在办理"):
            return
        row["last_progress_at"] = at
        parts = []
        for unit, part_at in zip(row["co_units"], sorted(at + self.hours(1, 72) for _ in row["co_units"]), strict=True):
            if stuck or not w.step(part_at, rng.choice(self.city.handlers[unit]), "assist", None, payload={"co_units": [unit], "part": "已按职责完成协办事项"}):  # fmt: skip
                return
            parts.append((unit, part_at))
        row["parts"] = parts
        late = rng.random() < 0.08
        resolved = self.daytime(row["dispatched_at"] + int(sla * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.35, 0.95))))  # fmt: skip
        resolved = max(resolved, w.events[-1][0] + self.hours(1, 5))
        for tick in range(row["last_progress_at"] + 7 * DAY_US, resolved - DAY_US, 7 * DAY_US):  # the 7-day rule
            if row["mode"] in ("tracking", "proactive") and w.step(
                tick, handler, "progress", "in_progress", "持续跟进"
            ):
                row["last_progress_at"] = tick
        if stuck:
            return self.request_extension(w, handler)
        if row["mode"] == "door_to_door" and resolved < self.now:  # the geo-verified proof visit, before resolving
            home = row["requester_household_id"] or int(self.homes.start[row["g"]])  # a neighbour's door otherwise
            self._visit(
                handler, home, row["id"], row["unit_id"], max(resolved - self.hours(0.5, 3), w.events[-1][0] + 1)
            )
        if w.step(resolved, handler, "resolve", "resolved", payload={"result": "已按措施办理完毕"}):
            row.update(result="已按措施办理完毕", resolved_at=resolved, public_reply="您反映的问题已由承办单位办理完毕，感谢您的监督。",
                       public_notice="处理结果已在社区公示栏公开" if row["mode"] == "public" else "")  # fmt: skip
            return self.callback(w)
        if row["status"] == "in_progress" and self.now > row["due_at"] - DAY_US and rng.random() < 0.3:
            self.request_extension(w, handler)
        return None

    def request_extension(self, w: _Walk, handler: int) -> None:
        row = w.row
        at = max(w.events[-1][0] + HOUR_US, self.now - self.hours(1, 48))
        requested = row["due_at"] + 7 * DAY_US
        payload = {"due_at": iso(requested), "previous": iso(row["due_at"])}
        w.ok = True
        if row["status"] in ("accepted", "in_progress") and w.step(at, handler, "request_extension", None, "需协调施工队，申请延期一周", payload):  # fmt: skip
            row.update(requested_due_at=requested, extension_reason="需协调施工队，申请延期一周")
        w.ok = False

    def callback(self, w: _Walk) -> None:
        rng, row = self.rng, w.row
        dispatcher = self.city.dispatchers[row["district"]][0]
        at = row["resolved_at"] + self.hours(4, 72)
        rating = _pick(rng, RATINGS)
        if rating == "":  # no answer for 7 days: closed without a rating
            if w.step(row["resolved_at"] + 7 * DAY_US + self.hours(1, 20), dispatcher, "close", "closed", payload={"unreachable_count": 0}):  # fmt: skip
                row["closed_at"] = w.events[-1][0]
            return
        if rating == "unreachable":
            for i in (1, 2):
                if w.step(at + (i - 1) * DAY_US, dispatcher, "callback", None, "电话无人接听", {"rating": rating}):
                    row["unreachable_count"] = i
            if w.step(at + DAY_US + 2 * HOUR_US, dispatcher, "close", "closed", payload={"unreachable_count": 2}):
                row["closed_at"] = at + DAY_US + 2 * HOUR_US
            return
        if rating == "unsatisfied":
            due = end_of_day(at, SLA_DAYS.get(row.get("mode") or "immediate", row.get("sla", 30)))
            if not w.step(
                at, dispatcher, "callback", "in_progress", "群众不认可", {"rating": rating, "due_at": iso(due)}
            ):
                return
            row.update(satisfaction=rating, reopen_count=1, due_at=due, resolved_at=None, last_progress_at=at)
            again = at + self.hours(24, 96)
            lead = row.get("lead_unit_id")
            if not w.step(again, rng.choice(self.city.handlers[lead]) if lead else row["created_by_id"], "resolve", "resolved"):  # fmt: skip
                return
            row["resolved_at"], at, rating = again, again + self.hours(4, 48), rng.choice(("satisfied", "basically_satisfied"))  # fmt: skip
        if w.step(at, dispatcher, "callback", "closed", "回访", {"rating": rating}):
            row.update(satisfaction=rating, closed_at=at)

    def supervise(self, w: _Walk) -> None:
        """The escalation job's cards (issues.escalation): 24 h unreported/unaccepted → 1; overdue → 1; overdue by half
        the SLA → 2; each at the job's next quarter hour, while the ticket was open, levels only going up."""
        row, day, quarter = w.row, 24 * HOUR_US, 15 * MINUTE_US
        is_open = row["status"] in OPEN
        until = self.now if is_open else None
        candidates = []
        dispatched, accepted = row.get("dispatched_at"), row.get("accepted_at")
        if (dispatched or until or 0) - row["created_at"] > day and row["status"] != "cancelled":
            candidates.append((row["created_at"] + day + quarter, 1, "超过24小时未派单"))
        if dispatched and (accepted or (until if row["status"] == "dispatched" else 0) or 0) - dispatched > day:
            candidates.append((dispatched + day + quarter, 1, "超过24小时未签收"))
        due, end = row.get("due_at"), row.get("resolved_at") or until
        if due and end and end > due + quarter:
            candidates.append((due + quarter, 1, "超过办理时限"))
            half = (due - dispatched) // 2 if dispatched else 0
            if end > due + half + quarter:
                candidates.append((due + half + quarter, 2, "超过办理时限一半以上"))
        level, walked = 0, list(w.events)
        for at, wanted, note in sorted(candidates):
            if wanted > level and at < self.now:
                status = next((e[4] for e in reversed(walked) if e[0] <= at), "reported")
                w.events.append((at, -1, "supervise", status, status, note, text({"level": wanted, "from": level})))
                level = wanted
        w.events.sort(key=lambda e: e[0])
        row["supervision"] = level
        row["priority"] = int(is_open and bool(due) and due < self.now) + int(is_open and level > 0)
        # issues 0006: an open ticket past due is marked as the overdue job would have (`passed_due_at` = `due_at`)
        row["passed_due_at"] = due if is_open and due and due < self.now else None
