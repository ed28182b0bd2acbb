"""The locust users of bench/load.py (the locustfile; bench/load.py starts locust with it, headless, on 127.0.0.1).

Four roles, each a FastHttpUser (geventhttpclient: far less client CPU per request than `requests`) with a
`constant_throughput` wait, so the offered load is fixed by the user count and does not fall when the server
slows down. The logins, tokens, sessions and the tickets each user may act on come from the fixture JSON that
`bench/load.py` prepares in the database under test (LOAD_FIXTURE); users of one role never share a ticket, so a
409 (stale version) means a real conflict, not two simulated users racing.

Every request is named "<class> <what>": the class is the target it is held to (bench/load.py, TARGETS).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from locust import FastHttpUser, events, task

FIXTURE: dict[str, Any] = json.loads(open(os.environ["LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115
RATE = float(os.environ.get("LOAD_RATE", "0.5"))  # task runs per second per simulated user
SEATS = {role: itertools.count() for role in ("cadre", "handler", "dispatcher", "leader")}
RESULT_FIELDS = {"result": "已办结（压测）", "public_reply": "已办结"}


SAMPLES = os.environ.get("LOAD_SAMPLES")  # where every request's name, time and outcome go, for bench/load.py
_samples: list[str] = []


@events.request.add_listener
def _sample(name: str, response_time: float, exception: Exception | None, **_: Any) -> None:
    error = " ".join(str(exception).split())[:120] if exception else ""
    _samples.append(f"{name}\t{response_time:.2f}\t{0 if exception else 1}\t{time.time():.3f}\t{error}\n")


@events.quitting.add_listener
def _write(**_: Any) -> None:
    if SAMPLES:
        with open(SAMPLES, "a", encoding="utf-8") as handle:
            handle.writelines(_samples)


def seat(role: str) -> dict[str, Any]:
    """The next login of a role (round robin over the prepared ones)."""
    people = FIXTURE[role]
    return people[next(SEATS[role]) % len(people)]  # type: ignore[no-any-return]


def day(offset: int) -> str:
    return (dt.date.fromisoformat(FIXTURE["today"]) - dt.timedelta(days=offset)).isoformat()


def poisson_throughput(rate: float) -> Callable[[Any], float]:
    """A locust wait_time: each user starts its task runs at the times of a Poisson process of `rate` per second,
    fixed in advance (the next start is the last planned one plus an exponential gap), so the offered load neither
    falls when the server slows (a late run does not push the next ones back: like constant_throughput) nor comes in
    bursts. constant_throughput keeps every user on the same period from the moment they were spawned together,
    so all 16 users asked at once every 2 s: a queue of 16 at two workers each time (p50 77 ms for a 14 ms
    request, bench/README.md); independent people do not click in step."""

    def wait(user: Any) -> float:
        now = time.monotonic()
        planned = getattr(user, "_next_start", None)
        if planned is None:
            planned = now + random.expovariate(rate)  # a random phase for the first run too
        user._next_start = max(planned, now - 1 / rate) + random.expovariate(rate)  # noqa: SLF001
        return max(0.0, planned - now)

    return wait


class Role(FastHttpUser):
    abstract = True
    wait_time = poisson_throughput(RATE)

    def api(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Token {token}", "Accept": "application/json"}

    def get(self, path: str, name: str, headers: dict[str, str]) -> Any:
        with self.client.get(path, name=name, headers=headers, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")
                return None
            return answer


class Cadre(Role):
    """POST /api/v1/visits/: a new UUID, a household of the cadre's own grid, ~5 m from its registered point.
    Each simulated cadre rotates over many accounts, so one account posts about once a minute (a walking pace)."""

    weight = 8

    def on_start(self) -> None:
        self.accounts = [seat("cadre") for _ in range(FIXTURE["accounts_per_cadre"])]
        self.turn = itertools.cycle(self.accounts)

    @task
    def post_visit(self) -> None:
        who = next(self.turn)
        home = random.choice(who["homes"])
        body = {
            "id": str(uuid.uuid4()), "target_type": "household", "target_id": home[0],
            "visited_at": dt.datetime.now(dt.UTC).isoformat(), "lat": home[1] + 5e-5, "lng": home[2],
            "accuracy_m": 12, "people_met": 2, "notes": "压测走访", "checklist": who.get("answers", {}),
        }  # fmt: skip
        with self.client.post(
            "/api/v1/visits/", json=body, name="visit POST /api/v1/visits/", headers=self.api(who["token"]),
            catch_response=True,
        ) as answer:  # fmt: skip
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:120]}")


class Handler(Role):
    """A department handler: the list of tickets to sign for and in hand, a ticket's detail, and the next step on
    one of its own tickets (accept → progress → resolve)."""

    weight = 4

    def on_start(self) -> None:
        me = seat("handler")
        self.headers, self.todo = self.api(me["token"]), list(me["tickets"])
        self.state: dict[int, tuple[int, str]] = {}  # ticket → (version, status) as last seen
        self.public: set[int] = set()  # tickets in 公开办 mode: resolving them needs a public notice

    @task(2)
    def inbox(self) -> None:
        status = random.choice(["dispatched", "accepted", "in_progress"])
        self.get(f"/api/v1/tickets/?status={status}", "list GET /api/v1/tickets/?status=(handler)", self.headers)

    @task(2)
    def detail(self) -> None:
        if self.todo:
            self._detail(self.todo[0])

    def _detail(self, pk: int) -> dict[str, Any] | None:
        answer = self.get(f"/api/v1/tickets/{pk}/", "detail GET /api/v1/tickets/[id]/", self.headers)
        if answer is None:
            return None
        body: dict[str, Any] = answer.json()
        self.state[pk] = (body["version"], body["status"])
        if body.get("mode") == "public":
            self.public.add(pk)
        return body

    @task(3)
    def act(self) -> None:
        if not self.todo:
            return
        pk = self.todo[0]
        if pk not in self.state and self._detail(pk) is None:
            self.todo.pop(0)
            return
        version, status = self.state[pk]
        step = {"dispatched": "accept", "accepted": "progress", "in_progress": "resolve"}.get(status)
        if step is None:
            self.todo.pop(0)
            return
        fields = {"progress": {"note": "压测进展"}, "resolve": RESULT_FIELDS}.get(step, {})
        if step == "resolve" and pk in self.public:
            fields = {**fields, "public_notice": "处理结果已在社区公示栏公开（压测）"}
        with self.client.post(
            f"/api/v1/tickets/{pk}/{step}/", json={**fields, "version": version},
            name=f"action POST /api/v1/tickets/[id]/{step}/", headers=self.headers, catch_response=True,
        ) as answer:  # fmt: skip
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {answer.text[:120]}")
                self.todo.pop(0)
                return
            done = answer.json()
            self.state[pk] = (done["version"], done["status"])
        if step == "resolve":
            self.todo.pop(0)


class Dispatcher(Role):
    """A dispatcher (district or street) on the inbox: the page in its default order and with a filter, the API
    list with the usual filters, the counters, and dispatching one reported ticket of its own to a department."""

    weight = 2
    FILTERS = (
        "status=reported",
        "overdue=true",
        "supervision=1",
        "ordering=priority",
        "status=in_progress&overdue=true",
    )

    def on_start(self) -> None:
        me = seat("dispatcher")
        self.headers, self.todo = self.api(me["token"]), list(me["tickets"])
        self.page = {"Cookie": f"sessionid={me['session']}"}
        self.lead_units = me["lead_units"]

    @task(3)
    def inbox_page(self) -> None:
        self.get("/tickets/", "list GET /tickets/ (page, default order)", self.page)

    @task(1)
    def inbox_page_filtered(self) -> None:
        self.get("/tickets/?status=reported", "list GET /tickets/?status=reported (page)", self.page)

    @task(3)
    def api_list(self) -> None:
        which = random.choice(self.FILTERS)
        self.get(f"/api/v1/tickets/?{which}", f"list GET /api/v1/tickets/?{which}", self.headers)

    @task(2)
    def counters(self) -> None:
        self.get("/api/v1/tickets/counters/", "list GET /api/v1/tickets/counters/", self.headers)

    @task(1)
    def dispatch(self) -> None:
        if not self.todo:
            return
        pk = self.todo.pop(0)
        answer = self.get(f"/api/v1/tickets/{pk}/", "detail GET /api/v1/tickets/[id]/", self.headers)
        if answer is None or answer.json()["status"] != "reported":  # dispatched in an earlier round
            return
        body = {
            "mode": "immediate", "lead_unit": random.choice(self.lead_units), "problem": "压测问题",
            "responsible_person": "压测", "measures": "压测措施", "expected_effect": "压测效果",
            "version": answer.json()["version"],
        }  # fmt: skip
        with self.client.post(
            f"/api/v1/tickets/{pk}/dispatch/", json=body, name="action POST /api/v1/tickets/[id]/dispatch/",
            headers=self.headers, catch_response=True,
        ) as result:  # fmt: skip
            if result.status_code != 200:
                result.failure(f"{result.status_code}: {result.text[:120]}")


class Leader(Role):
    """A leader (district or street) on the dashboard: the page, the statistics API for the usual periods and for
    custom ranges, the ranking of the level below, and the map's GeoJSON."""

    weight = 2
    USUAL = ("today", "7d", "30d", "all")

    def on_start(self) -> None:
        me = seat("leader")
        self.headers, self.unit, self.level = self.api(me["token"]), me["unit"], me["rank_level"]
        self.page = {"Cookie": f"sessionid={me['session']}"}

    def usual(self) -> tuple[str, str]:
        """(label, query) of a usual period: today, last 7 days, last 30 days, or the campaign to date."""
        key = random.choice(self.USUAL)
        if key == "all":
            return key, f"date_from={FIXTURE['campaign_start']}&date_to={day(0)}&campaign={FIXTURE['campaign']}"
        return key, f"date_from={day({'today': 0, '7d': 6, '30d': 29}[key])}&date_to={day(0)}"

    def custom(self) -> tuple[str, str]:
        """A custom range: 7 or 31 days ending some days ago (not a usual period, so never a cache row)."""
        length, end = random.choice([(7, 3), (31, 5)]), random.randint(1, 10)
        return f"custom {length[0]}d", f"date_from={day(end + length[0] - 1)}&date_to={day(end)}"

    @task(2)
    def dashboard_page(self) -> None:
        key = random.choice(self.USUAL)
        self.get(f"/dashboard/?period={key}", "usual GET /dashboard/ (page)", self.page)

    @task(4)
    def summary(self) -> None:
        label, query = self.usual()
        self.get(f"/api/v1/stats/summary/?unit={self.unit}&{query}", f"usual GET stats/summary {label}", self.headers)

    @task(2)
    def daily(self) -> None:
        _label, query = self.usual()
        self.get(f"/api/v1/stats/daily/?unit={self.unit}&{query}", "usual GET stats/daily", self.headers)

    @task(2)
    def ranking(self) -> None:
        _label, query = self.usual()
        path = f"/api/v1/stats/ranking/?parent={self.unit}&level={self.level}&{query}"
        self.get(path, "usual GET stats/ranking", self.headers)

    @task(2)
    def custom_range(self) -> None:
        label, query = self.custom()
        what = random.choice(["summary", "daily", "ranking"])
        extra = f"parent={self.unit}&level={self.level}" if what == "ranking" else f"unit={self.unit}"
        self.get(f"/api/v1/stats/{what}/?{extra}&{query}", f"custom GET stats/{what} {label}", self.headers)

    @task(1)
    def geojson(self) -> None:
        key = random.choice(self.USUAL)
        self.get(
            f"/dashboard/grids.geojson?unit={self.unit}&period={key}", "usual GET /dashboard/grids.geojson", self.page
        )
