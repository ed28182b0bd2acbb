"""Benchmark: sustained POST /api/v1/visits/ against gunicorn + PostgreSQL, beside a bare DRF create of the same row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/visits_upload.py \
        [--seconds 40] [--workers 2] [--users 8] [--pin-server] [--households 500] [--write-readme]

What it does, and what bounds it:
- migrates the database named by DATABASE_URL (use a scratch database), creates a small org tree, an active
  campaign, a cadre with an API token and N households of the cadre's grid;
- starts gunicorn (`--workers` sync workers) itself on a spare port of 127.0.0.1, with
  DJANGO_SETTINGS_MODULE=bench.baseline_settings so that the baseline endpoint /api/v1/_bench/bare-visit/ exists (a
  ModelSerializer create with no rules), and REDIS_URL pointing at a scratch Redis database (15) so the
  dashboard's after-commit enqueue does not run rollups inline;
- drives both endpoints with locust (bench/visits_upload_users.py: gevent, not Python threads; pinned to CPU 0),
  `--users` closed-loop users that post again as soon as answered, so every worker stays busy and the server's
  CPU is the limit; alternating A/B/A/B rounds of `--seconds / 2` so drift hits both alike;
- reads the CPU seconds gunicorn and PostgreSQL used in each round, and prints requests/s, p50/p95, CPU per
  request and two ratios: throughput (visits/bare, with the CPU as the limit) and server CPU per request
  (bare/visits; PostgreSQL's share is read from the backends connected to this database); stops gunicorn; deletes the visits it wrote (the throwaway district, cadre and households stay:
  use a scratch database).
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
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
    server_cpu: float = 0.0  # gunicorn's CPU seconds during the round
    db_cpu: float = 0.0  # CPU seconds of the PostgreSQL backends of the benchmark's database during the round


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


def start_gunicorn(port: int, workers: int, cpus: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.baseline_settings",
        "DEBUG": "0",
        "REDIS_URL": BENCH_REDIS,
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = ["taskset", "-c", cpus, gunicorn, "config.wsgi:application", "-b", f"{HOST}:{port}", "-w", str(workers),
           "--log-level", "warning"]  # fmt: skip
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
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the master and its workers only
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) of the given processes and their children."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def drive(port: int, path: str, fx: Fixture, users: int, seconds: float, server: int, samples: Path) -> Result:
    """One round: locust (gevent, pinned to CPU 0, never Python threads) posts `path` with `users` closed-loop
    users for `seconds`; the server's CPU (gunicorn, and PostgreSQL's processes, every database) is read around it."""
    fixture = {"token": fx.token, "cadre_id": fx.cadre_id, "grid_id": fx.grid_id, "households": fx.households}
    env = {**os.environ, "VU_FIXTURE": json.dumps(fixture), "VU_PATH": path, "VU_SAMPLES": str(samples)}
    locust = str(Path(sys.executable).with_name("locust"))
    cmd = [
        "taskset", "-c", "0", locust, "-f", str(ROOT / "bench" / "visits_upload_users.py"), "--headless",
        "-u", str(users), "-r", str(users), "--run-time", f"{max(1, int(seconds))}s", "--stop-timeout", "5",
        "--host", f"http://{HOST}:{port}", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    samples.unlink(missing_ok=True)
    from bench.common import backend_cpu, backend_cpu_used

    database = os.environ["DATABASE_URL"].rsplit("/", 1)[-1]
    web0, pg0, begun = cpu_seconds([server]), backend_cpu(database), time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 60)  # noqa: S603
    result = Result(elapsed=time.monotonic() - begun)
    result.server_cpu, result.db_cpu = cpu_seconds([server]) - web0, backend_cpu_used(pg0, backend_cpu(database))
    if done.returncode != 0:
        raise SystemExit(f"locust failed: {done.stderr[-2000:]}")
    for line in samples.read_text(encoding="utf-8").splitlines() if samples.exists() else []:
        ms, status = line.split("\t")
        result.statuses[int(status)] = result.statuses.get(int(status), 0) + 1
        if int(status) == 201:
            result.latencies.append(float(ms) / 1000)
        else:
            result.errors += 1
    return result


def merge(a: Result, b: Result) -> Result:
    statuses = dict(a.statuses)
    for k, v in b.statuses.items():
        statuses[k] = statuses.get(k, 0) + v
    merged = Result(a.latencies + b.latencies, a.errors + b.errors, a.elapsed + b.elapsed, statuses)
    merged.server_cpu, merged.db_cpu = a.server_cpu + b.server_cpu, a.db_cpu + b.db_cpu
    return merged


def summary(result: Result) -> dict[str, float]:
    lat = sorted(result.latencies)
    if not lat:
        return {"rps": 0.0, "p50_ms": float("nan"), "p95_ms": float("nan"), "ok": 0, "errors": result.errors,
                "cpu_ms": float("nan"), "db_ms": float("nan"), "cores": 0.0}  # fmt: skip
    return {
        "rps": len(lat) / result.elapsed,
        "p50_ms": statistics.median(lat) * 1000,
        "p95_ms": lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000,
        "ok": len(lat),
        "errors": result.errors,
        "cpu_ms": result.server_cpu / len(lat) * 1000,  # gunicorn CPU per created visit
        "db_ms": result.db_cpu / len(lat) * 1000,  # CPU per created visit of the PostgreSQL backends serving it
        "cores": result.server_cpu / result.elapsed,  # how much CPU gunicorn got: near its CPU count = CPU-bound
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
    parser.add_argument("--seconds", type=float, default=40.0, help="total seconds per endpoint (split in 2 rounds)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--users", type=int, default=0, help="closed-loop locust users (default: 4 per worker)")
    parser.add_argument("--pin-server", action="store_true", help="gunicorn on CPUs 1.. (default: any CPU)")
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--write-readme", action="store_true", help="append the figures to bench/README.md")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit(
            "set DATABASE_URL to a scratch PostgreSQL database (e.g. postgres://postgres@127.0.0.1:5432/bench)"
        )
    seconds = min(max(args.seconds, 4.0), MAX_SECONDS)
    users = min(max(args.users or 4 * args.workers, 1), 64)
    cpus = os.cpu_count() or 1
    server_cpus = f"1-{cpus - 1}" if args.pin_server and cpus > 1 else f"0-{cpus - 1}"
    setup_django()
    fx = build_fixture(args.households)
    port = free_port()
    proc = start_gunicorn(port, args.workers, server_cpus)
    samples = Path(tempfile.mkdtemp(prefix="zf-vu-")) / "samples.tsv"
    try:
        drive(port, "/api/v1/visits/", fx, users, 3.0, proc.pid, samples)  # warm-up: imports, connections
        drive(port, "/api/v1/_bench/bare-visit/", fx, users, 3.0, proc.pid, samples)
        service, bare = Result(), Result()
        for _round in range(2):
            service = merge(service, drive(port, "/api/v1/visits/", fx, users, seconds / 2, proc.pid, samples))
            bare = merge(bare, drive(port, "/api/v1/_bench/bare-visit/", fx, users, seconds / 2, proc.pid, samples))
    finally:
        stop_gunicorn(proc)
        cleanup(fx)
        shutil.rmtree(samples.parent, ignore_errors=True)
    lines = report(summary(service), summary(bare), args.workers, users, seconds, server_cpus)
    print("\n".join(lines))
    if service.statuses.keys() - {201} or bare.statuses.keys() - {201}:
        print(f"statuses: visits {service.statuses}, bare {bare.statuses}")
    if args.write_readme:
        write_readme(lines, seconds, args.workers, users)


def report(s: dict[str, float], b: dict[str, float], workers: int, users: int, seconds: float, cpus: str) -> list[str]:
    """The figures, and two ratios: throughput (visits/bare req/s, with the server's CPU the limit: closed-loop
    users keep every worker busy) and server CPU per request (bare/visits: what the ratio tends to on any number
    of cores, independent of the load generator's share of them)."""
    ratio = s["rps"] / b["rps"] if b["rps"] else float("nan")
    cpu_ratio = b["cpu_ms"] / s["cpu_ms"] if s["cpu_ms"] else float("nan")
    both = (b["cpu_ms"] + b["db_ms"]) / (s["cpu_ms"] + s["db_ms"]) if s["cpu_ms"] else float("nan")
    return [
        f"gunicorn {workers} sync workers (CPUs {cpus}), locust {users} closed-loop users (gevent, CPU 0), "
        f"{seconds:.0f} s per endpoint in 2 rounds, PostgreSQL, 127.0.0.1",
        f"{'endpoint':<30}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'ok':>7}{'errors':>7}{'cores':>7}{'cpu ms':>8}{'pg ms':>7}",
        *(
            f"{name:<30}{r['rps']:>8.1f}{r['p50_ms']:>8.1f}{r['p95_ms']:>8.1f}{r['ok']:>7}{r['errors']:>7}"
            f"{r['cores']:>7.2f}{r['cpu_ms']:>8.1f}{r['db_ms']:>7.1f}"
            for name, r in (("POST /api/v1/visits/", s), ("bare DRF create (baseline)", b))
        ),
        f"ratio visits/bare, throughput with the CPU as the limit: {ratio:.0%} (target >= 50 %)",
        f"ratio bare/visits, gunicorn CPU per request: {cpu_ratio:.0%}; gunicorn + PostgreSQL CPU per request: {both:.0%}",
        "load average (1, 5, 15 min) {:.2f} {:.2f} {:.2f} at ".format(*os.getloadavg())
        + dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    ]


README_INTRO = """
## visits_upload — `bench/visits_upload.py`

```
DATABASE_URL=postgres://postgres@127.0.0.1:5432/zf_visits_bench .venv/bin/python bench/visits_upload.py [--seconds 40] [--workers 2] [--users 8] [--write-readme]
```

Migrates the database, creates a throwaway district (one grid with a boundary), an active campaign, a cadre with an
API token and 500 households; starts gunicorn (`--workers` sync workers) on a spare port of 127.0.0.1 with `DJANGO_SETTINGS_MODULE=bench.baseline_settings`
(which mounts the baseline `/api/v1/_bench/bare-visit/`: a plain ModelSerializer create of the same row, no rules)
and `REDIS_URL` on the scratch Redis database 15; then drives `POST /api/v1/visits/` (Token auth, a new UUID per
request, a household of the cadre's grid ~5 m away) and the baseline with locust (closed-loop users, gevent, pinned
to CPU 0: no Python threads), in alternating rounds (A/B/A/B); gunicorn is stopped and the visits
it wrote are deleted at the end (the small throwaway district, cadre and households stay: use a scratch database). The full path does, per visit: scope lookup of the target, the campaign, the cadre's
previous visit (impossible_speed), the grid of the point, time/checklist/coordinate rules, the insert keyed by the
client's UUID, and the dashboard's dirty-day mark (the baseline pays that mark too, as a post_save signal).
"""


def write_readme(lines: list[str], seconds: float, workers: int, users: int) -> None:
    readme = ROOT / "bench" / "README.md"
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Benchmarks\n"
    with readme.open("a", encoding="utf-8") as handle:
        if "## visits_upload" not in text:
            handle.write(README_INTRO)
        handle.write(
            f"\nMeasured {stamp}, load average {os.getloadavg()[0]:.1f} (`--seconds {seconds:.0f} --workers {workers} --users {users}`):\n\n```\n"
        )
        handle.write("\n".join(lines) + "\n```\n")


if __name__ == "__main__":
    main()
