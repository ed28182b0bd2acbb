"""Benchmark: sustained POST /api/v1/visits/ against gunicorn + PostgreSQL, beside a bare DRF create of the same row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/visits_upload.py \
        [--seconds 20] [--threads 8] [--households 500] [--write-readme]

What it does, and what bounds it:
- migrates the database named by DATABASE_URL (use a scratch database), creates a small org tree, an active
  campaign, a cadre with an API token and N households of the cadre's grid;
- starts gunicorn (2 sync workers) itself on a spare port of 127.0.0.1, with DJANGO_SETTINGS_MODULE=bench.baseline_settings so that the
  baseline endpoint /api/v1/_bench/bare-visit/ exists (a ModelSerializer create with no rules), and REDIS_URL
  pointing at a scratch Redis database (15) so the dashboard's after-commit enqueue does not run rollups inline;
- drives both endpoints from a bounded pool of client threads, alternating A/B/A/B rounds so drift hits both
  alike; each round stops after `--seconds / 2` or MAX_REQUESTS_PER_ROUND requests, whichever comes first;
- prints requests/s and p50/p95 latency for both and the ratio; stops gunicorn; deletes the visits it wrote
  (the throwaway district, cadre and households stay: use a scratch database).
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MAX_REQUESTS_PER_ROUND = 50_000
MAX_SECONDS = 120
BENCH_REDIS = "redis://127.0.0.1:6379/15"


@dataclass
class Fixture:
    token: str
    cadre_id: int
    grid_id: int
    households: list[tuple[int, float, float]]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    from bench.common import throwaway_keys

    throwaway_keys()  # the gunicorn it starts inherits them
    django.setup()


def build_fixture(n_households: int) -> Fixture:
    from django.core.management import call_command
    from knox.models import AuthToken

    from campaign.models import Campaign, Household, OrgUnit, Role, UnitKind, User

    call_command("migrate", verbosity=0)
    tag = uuid.uuid4().hex[:6]
    district = OrgUnit.objects.create(name=f"压测区{tag}", kind=UnitKind.DISTRICT, code="BM")
    street = OrgUnit.objects.create(name="压测街道", kind=UnitKind.STREET, parent=district)
    community = OrgUnit.objects.create(name="压测社区", kind=UnitKind.COMMUNITY, parent=street)
    lat0, lng0, half = 34.19, 108.88, 0.01
    ring = [
        [lng0 - half, lat0 - half],
        [lng0 + half, lat0 - half],
        [lng0 + half, lat0 + half],
        [lng0 - half, lat0 + half],
    ]
    grid = OrgUnit.objects.create(
        name="压测网格", kind=UnitKind.GRID, parent=community, lat=lat0, lng=lng0,
        boundary={"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    )  # fmt: skip
    today = dt.date.today()
    campaign = Campaign.objects.create(
        name="压测活动", start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30)
    )
    campaign.units.add(district)
    cadre = User.objects.create_user(username=f"bench-{tag}", password=uuid.uuid4().hex, role=Role.CADRE, unit=grid)
    _, token = AuthToken.objects.create(user=cadre)
    rows = [
        Household(
            address=f"压测小区{i}号",
            unit=grid,
            head_name="测试",
            members=3,
            lat=lat0 + (i % 50) * 1e-4,
            lng=lng0 + (i // 50) * 1e-4,
        )
        for i in range(n_households)
    ]
    households = Household.objects.bulk_create(rows)
    return Fixture(token, cadre.pk, grid.pk, [(h.pk, h.lat, h.lng) for h in households])  # type: ignore[misc]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_gunicorn(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.baseline_settings",
        "DEBUG": "0",
        "REDIS_URL": BENCH_REDIS,
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "config.wsgi:application", "-b", f"{HOST}:{port}", "-w", "2", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    stop_gunicorn(proc)
    raise SystemExit("gunicorn did not start within 30 s")


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the master and its two workers only
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def visit_body(fx: Fixture, i: int) -> dict[str, object]:
    household_id, lat, lng = fx.households[i % len(fx.households)]
    return {
        "id": str(uuid.uuid4()),
        "target_type": "household",
        "target_id": household_id,
        "visited_at": dt.datetime.now(dt.UTC).astimezone().isoformat(),
        "lat": lat + 5e-5,
        "lng": lng,
        "accuracy_m": 12,
        "people_met": 2,
        "notes": "压测走访",
        "checklist": {"family": "三口之家"},
    }


def bare_body(fx: Fixture, i: int) -> dict[str, object]:
    household_id, lat, lng = fx.households[i % len(fx.households)]
    return {
        "id": str(uuid.uuid4()),
        "cadre": fx.cadre_id,
        "target_type": "household",
        "household": household_id,
        "unit": fx.grid_id,
        "visited_at": dt.datetime.now(dt.UTC).astimezone().isoformat(),
        "lat": lat + 5e-5,
        "lng": lng,
        "accuracy_m": 12,
        "geo_status": "verified",
    }


def drive(port: int, path: str, make_body, fx: Fixture, threads: int, seconds: float) -> Result:  # type: ignore[no-untyped-def]
    result = Result()
    lock = threading.Lock()
    counter = iter(range(MAX_REQUESTS_PER_ROUND))
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Token {fx.token}", "Content-Type": "application/json"}

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            body = json.dumps(make_body(fx, i))
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                status = response.status
            except OSError:
                status = 0
            took = time.perf_counter() - started
            with lock:
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status == 201:
                    result.latencies.append(took)
                else:
                    result.errors += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    begun = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    result.elapsed += time.monotonic() - begun
    return result


def merge(a: Result, b: Result) -> Result:
    statuses = dict(a.statuses)
    for k, v in b.statuses.items():
        statuses[k] = statuses.get(k, 0) + v
    return Result(a.latencies + b.latencies, a.errors + b.errors, a.elapsed + b.elapsed, statuses)


def summary(result: Result) -> dict[str, float]:
    lat = sorted(result.latencies)
    if not lat:
        return {"rps": 0.0, "p50_ms": float("nan"), "p95_ms": float("nan"), "ok": 0, "errors": result.errors}
    return {
        "rps": len(lat) / result.elapsed,
        "p50_ms": statistics.median(lat) * 1000,
        "p95_ms": lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000,
        "ok": len(lat),
        "errors": result.errors,
    }


def cleanup(fx: Fixture) -> None:
    from django.db import connection

    from visits.models import Visit

    Visit.objects.filter(cadre_id=fx.cadre_id)._raw_delete(connection.alias)  # type: ignore[attr-defined]
    try:
        import redis

        redis.Redis.from_url(BENCH_REDIS).flushdb()  # the scratch database 15: queued rollup tasks nobody runs
    except Exception as exc:  # Redis gone is not the benchmark's problem
        print(f"(redis cleanup skipped: {exc})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="total seconds per endpoint (split in 2 rounds)")
    parser.add_argument("--threads", type=int, default=8, help="client threads (bounded to 1..32)")
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--write-readme", action="store_true", help="append the figures to bench/README.md")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit(
            "set DATABASE_URL to a scratch PostgreSQL database (e.g. postgres://postgres@127.0.0.1:5432/bench)"
        )
    seconds = min(max(args.seconds, 2.0), MAX_SECONDS)
    threads = min(max(args.threads, 1), 32)
    setup_django()
    fx = build_fixture(args.households)
    port = free_port()
    proc = start_gunicorn(port)
    try:
        drive(port, "/api/v1/visits/", visit_body, fx, threads, 2.0)  # warm-up: imports, connections
        drive(port, "/api/v1/_bench/bare-visit/", bare_body, fx, threads, 2.0)
        service, bare = Result(), Result()
        for _round in range(2):
            service = merge(service, drive(port, "/api/v1/visits/", visit_body, fx, threads, seconds / 2))
            bare = merge(bare, drive(port, "/api/v1/_bench/bare-visit/", bare_body, fx, threads, seconds / 2))
    finally:
        stop_gunicorn(proc)
        cleanup(fx)
    s, b = summary(service), summary(bare)
    ratio = s["rps"] / b["rps"] if b["rps"] else float("nan")
    lines = [
        f"gunicorn 2 sync workers, {threads} client threads, {seconds:.0f} s per endpoint, PostgreSQL, 127.0.0.1",
        f"{'endpoint':<32}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'ok':>8}{'errors':>8}",
        f"{'POST /api/v1/visits/':<32}{s['rps']:>9.1f}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['ok']:>8}{s['errors']:>8}",
        f"{'bare DRF create (baseline)':<32}{b['rps']:>9.1f}{b['p50_ms']:>9.1f}{b['p95_ms']:>9.1f}{b['ok']:>8}{b['errors']:>8}",
        f"ratio visits/bare: {ratio:.0%} (target >= 50 %)",
    ]
    print("\n".join(lines))
    if service.statuses.keys() - {201} or bare.statuses.keys() - {201}:
        print(f"statuses: visits {service.statuses}, bare {bare.statuses}")
    if args.write_readme:
        write_readme(lines, seconds, threads)


README_INTRO = """
## visits_upload — `bench/visits_upload.py`

```
DATABASE_URL=postgres://postgres@127.0.0.1:5432/zf_visits_bench .venv/bin/python bench/visits_upload.py [--seconds 20] [--threads 8] [--write-readme]
```

Migrates the database, creates a throwaway district (one grid with a boundary), an active campaign, a cadre with an
API token and 500 households; starts gunicorn (2 sync workers) on a spare port of 127.0.0.1 with `DJANGO_SETTINGS_MODULE=bench.baseline_settings`
(which mounts the baseline `/api/v1/_bench/bare-visit/`: a plain ModelSerializer create of the same row, no rules)
and `REDIS_URL` on the scratch Redis database 15; then drives `POST /api/v1/visits/` (Token auth, a new UUID per
request, a household of the cadre's grid ~5 m away) and the baseline from the same bounded client pool, in
alternating rounds (A/B/A/B). Each round stops after its time or 50,000 requests; gunicorn is stopped and the visits
it wrote are deleted at the end (the small throwaway district, cadre and households stay: use a scratch database). The full path does, per visit: scope lookup of the target, the campaign, the cadre's
previous visit (impossible_speed), the grid of the point, time/checklist/coordinate rules, the insert keyed by the
client's UUID, and the dashboard's dirty-day mark (the baseline pays that mark too, as a post_save signal).
"""


def write_readme(lines: list[str], seconds: float, threads: int) -> None:
    readme = ROOT / "bench" / "README.md"
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    with readme.open("a", encoding="utf-8") as handle:
        if "## visits_upload" not in text:
            handle.write(README_INTRO)
        handle.write(
            f"\nMeasured {stamp}, load average {os.getloadavg()[0]:.1f} (`--seconds {seconds:.0f} --threads {threads}`):\n\n```\n"
        )
        handle.write("\n".join(lines) + "\n```\n")


if __name__ == "__main__":
    main()
