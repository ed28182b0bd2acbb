"""Benchmark of the intake's suggestion at city size (issue 15 item 2: p95 under 50 ms), the whole API call.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zf_city .venv/bin/python bench/suggest_api.py \
        [--logins var/bench/city.json] [--calls 500] [--texts 6000]

Runs against a database built by bench/make_city.py (and migrated to this branch). Once per database it makes what a
deployment would have: a directory row per default category for the benchmarked district (its departments in turn,
area = the district) and router models trained on --texts texts of the demo's complaint generator, stored as the
active RouterModel rows (the city's own descriptions come from the generator too; training on the live tickets is
`manage.py train_router`, timed apart). Then, in this process (Django's test client: routing, DRF, the body's
checks, scope, the JSON; no network), --calls POSTs of /api/v1/tickets/suggest/ by the district dispatcher and by
a street dispatcher, each with a fresh generator text and a point at one of their grids' centres. Prints p50 / p95
/ p99 per user (the query count of a call is pinned by tests/issues/test_suggest.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(logins: dict) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-suggest")
    os.environ.setdefault("PLAIN_HTTP", "1")
    os.environ.setdefault("PII_KEYS", logins["env"]["PII_KEYS"])
    os.environ.pop("DATABASE_REPLICA_URL", None)
    import django

    django.setup()


def prepare(district_username: str, n_texts: int) -> None:
    """The directory rows and the active router models, unless there already are some."""
    from campaign.models import Category, OrgUnit, UnitKind, User
    from issues.models import DirectoryRow, RouterModel
    from issues.router.model import train
    from issues.router.store import router_store
    from issues.texts import CATEGORIES, complaint_text

    district = User.objects.get(username=district_username).unit
    departments = list(OrgUnit.objects.filter(parent=district, kind=UnitKind.DEPARTMENT).order_by("pk"))
    if not DirectoryRow.objects.filter(area=district).exists():
        for i, category in enumerate(Category.objects.filter(name__in=CATEGORIES).order_by("position")):
            DirectoryRow.objects.create(category=category, area=district, lead_unit=departments[i % len(departments)])
    if RouterModel.objects.filter(active=True).count() < 2:
        rng = random.Random(1)
        labels = [CATEGORIES[i % len(CATEGORIES)] for i in range(n_texts)]
        texts = [complaint_text(rng, c) for c in labels]
        units = [departments[CATEGORIES.index(c) % len(departments)].pk for c in labels]
        started = time.perf_counter()
        router_store({"category": train(texts, labels), "lead_unit": train(texts, units)})
        print(f"router models trained on {n_texts} generator texts and stored: {time.perf_counter() - started:.1f} s")


def percentiles(ms: list[float]) -> str:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms, max {max(ms):.1f} ms"


def run_user(username: str, calls: int, seed: int) -> None:
    from rest_framework.test import APIClient

    from campaign.models import OrgUnit, UnitKind, User
    from campaign.scope import units_visible_to
    from issues.texts import CATEGORIES, complaint_text

    user = User.objects.get(username=username)
    grids = list(units_visible_to(user).filter(kind=UnitKind.GRID).values_list("lat", "lng")[:2000]) or list(
        OrgUnit.objects.filter(kind=UnitKind.GRID).values_list("lat", "lng")[:1]
    )
    client = APIClient()
    client.force_authenticate(user)
    rng = random.Random(seed)

    def body() -> dict:
        lat, lng = rng.choice(grids)
        return {"description": complaint_text(rng, rng.choice(CATEGORIES)), "lat": lat, "lng": lng}

    first = client.post("/api/v1/tickets/suggest/", body(), format="json")
    assert first.status_code == 200, first.content[:300]
    ms = []
    for _ in range(calls):
        data = body()
        started = time.perf_counter()
        answer = client.post("/api/v1/tickets/suggest/", data, format="json")
        ms.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    print(f"{username:>20}: {calls} calls; {percentiles(ms)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", default=str(ROOT / "var" / "bench" / "city.json"))
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--texts", type=int, default=6000)
    args = parser.parse_args()
    logins = json.loads(Path(args.logins).read_text(encoding="utf-8"))
    setup(logins)
    names = logins["logins"]
    prepare(names["district_dispatcher"], args.texts)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for i, key in enumerate(("district_dispatcher", "street_dispatcher")):
        run_user(names[key], args.calls, seed=10 + i)


if __name__ == "__main__":
    main()
