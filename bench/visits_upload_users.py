"""The locust user of bench/visits_upload.py: POSTs one endpoint (VU_PATH) as fast as the server answers (no wait:
a closed loop whose bound is the server's CPU), with the fixture's cadre token, a new UUID per request and a
household of the cadre's grid ~5 m away. Every request's time goes to VU_SAMPLES ("ms<TAB>status")."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import uuid
from typing import Any

from locust import FastHttpUser, constant, events, task

FIXTURE: dict[str, Any] = json.loads(os.environ["VU_FIXTURE"])
PATH = os.environ["VU_PATH"]
BARE = "_bench" in PATH
COUNTER = itertools.count()
_samples: list[str] = []


def body(i: int) -> dict[str, object]:
    household_id, lat, lng = FIXTURE["households"][i % len(FIXTURE["households"])]
    row: dict[str, object] = {
        "id": str(uuid.uuid4()), "target_type": "household", "visited_at": dt.datetime.now(dt.UTC).isoformat(),
        "lat": lat + 5e-5, "lng": lng, "accuracy_m": 12,
    }  # fmt: skip
    if BARE:  # the baseline: a plain ModelSerializer create, every column given
        return {**row, "cadre": FIXTURE["cadre_id"], "household": household_id, "unit": FIXTURE["grid_id"],
                "geo_status": "verified"}  # fmt: skip
    return {**row, "target_id": household_id, "people_met": 2, "notes": "压测走访", "checklist": {"family": "三口之家"}}


@events.request.add_listener
def _sample(response_time: float, response: Any = None, **_: Any) -> None:
    _samples.append(f"{response_time:.2f}\t{getattr(response, 'status_code', 0)}\n")


@events.quitting.add_listener
def _write(**_: Any) -> None:
    with open(os.environ["VU_SAMPLES"], "a", encoding="utf-8") as handle:
        handle.writelines(_samples)


class Poster(FastHttpUser):
    wait_time = constant(0)

    @task
    def post(self) -> None:
        headers = {"Authorization": f"Token {FIXTURE['token']}"}
        self.client.post(PATH, json=body(next(COUNTER)), headers=headers, name=PATH)
