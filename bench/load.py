"""Benchmark: the mixed load of a working day, against gunicorn, at district size and at city size in one run.

    .venv/bin/python bench/load.py --district postgres://postgres@127.0.0.1:5432/zf_load_district \
        --city postgres://postgres@127.0.0.1:5432/zf_city [--workers 2] [--seconds 120] [--users 16] [--rate 0.5]

Needs locust (bench/requirements.txt: `make bench-install`). For each database given, in turn:
- prepares the run in that database (a subprocess with DATABASE_URL set to it): picks logins by role and unit
  (district and street dispatchers and leaders, department handlers, grid cadres), gives each an API token and,
  for the pages, a session; lists the tickets each handler and dispatcher will act on (disjoint);
- before each stack starts, brings the statistics' cache rows up to date (the state a running sweep keeps them in)
  and reads the tables the mix reads back into memory;
- starts what a deployment runs: gunicorn (`--workers` sync workers) and one Celery worker with beat (the sweep
  that keeps the statistics current), both pinned with `taskset` to the server CPUs, on 127.0.0.1 only;
- runs locust headless on the client CPU (bench/load_users.py): a warm-up, then `--seconds` at a fixed offered
  load (`--users` users, each `--rate` task runs a second: locust's constant_throughput, so the load offered does
  not fall when the server slows down);
- stops everything, reads the CPU seconds each side used, and prints, per endpoint, requests/s and p50/p95/p99
  at both sizes side by side, the city/district p95 ratio and the targets of issue 14; and per size, each request's
  time inside a gunicorn worker (its access log) against what locust saw, and the machine's CPU by state.
The visits it posts stay (a few thousand rows), and the tickets it moved stay moved: use databases made for it.
Only 127.0.0.1 is contacted. Bounded: each locust run has a --run-time, each process a timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
VENV_BIN = Path(sys.executable).parent
# Targets of issue 14 (city size): p95 in ms per class of request; `ratio` marks the classes held to city/district
# p95 ≤ 1.5. Exports are asynchronous and not part of the mix.
TARGETS = {
    "list": (200, True),
    "detail": (200, False),
    "action": (200, False),
    "visit": (200, False),
    "usual": (200, True),
    "custom": (1000, False),
}
MAX_RATIO = 1.5


def server_cpus(cpus: int, pin_server: bool) -> str:
    """The gunicorn's CPUs for taskset. The client (locust, and the niced Celery worker) always gets CPU 0; the
    server gets the other CPUs with --pin-server, else every CPU: on a shared machine another's job may sit on the
    one CPU the server is pinned to, and the scheduler balances better than a pin."""
    if cpus < 2:
        return "0"
    return f"1-{cpus - 1}" if pin_server else f"0-{cpus - 1}"


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, redis_url: str, logins: Path | None) -> dict[str, str]:
    """The stack's environment: the caller's, the database and broker, and the "env" of a logins file written by
    bench/make_city.py (the PII_KEYS that encrypted that database: the server must decrypt with the same key)."""
    from bench.common import throwaway_keys

    throwaway_keys()  # keys of the caller's environment if set (a seeded database needs its own PII_KEYS)
    extra = json.loads(logins.read_text(encoding="utf-8")).get("env", {}) if logins else {}
    return {
        **os.environ, **extra, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOWED_HOSTS": HOST, "DEBUG": "0", "LOG_LEVEL": "WARNING",
        # connections kept for the whole round (the default closes them after 60 s): the PostgreSQL CPU read from the
        # backends' process titles (bench.common.backend_cpu) misses a backend that ended within the run
        "DB_CONN_MAX_AGE": "3600",
    }  # fmt: skip


def prepare(env: dict[str, str], out: Path, users: int) -> dict[str, Any]:
    cmd = [sys.executable, str(ROOT / "bench" / "load_fixture.py"), "--out", str(out), "--users", str(users)]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, timeout=1800)  # noqa: S603 - our own script
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def round_ready(env: dict[str, str], refresh: bool) -> None:
    """Before each stack starts: the statistics as a sweep running all along keeps them (marked days recomputed, every
    cache row current) and the tables read back in memory. When this ran once only, before the first round, a size's
    rows aged past CACHE_MAX_AGE while the other size ran, and the first reads of each round computed live: a stack
    restarted after a pause, not a working day (bench/README.md, session 18)."""
    cmd = [sys.executable, str(ROOT / "bench" / "load_fixture.py"), "--round"] + ([] if refresh else ["--no-refresh"])
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, timeout=1800)  # noqa: S603 - our own script


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the process we started and its children only
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def wait_ready(port: int, limit: float = 60.0) -> None:
    import http.client

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer /healthz within {limit:.0f} s")


def tree_cpu(proc: subprocess.Popen[bytes]) -> float:
    """CPU seconds (user + system) of a process and its live children."""
    import psutil

    try:
        root = psutil.Process(proc.pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            times = p.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        return total
    except psutil.NoSuchProcess:
        return 0.0


def run_locust(fixture: Path, port: int, args: argparse.Namespace, seconds: float, samples: Path | None) -> float:
    """Runs locust headless, pinned to CPU 0; returns its CPU seconds. With `samples`, every request is appended
    there (name, ms, ok) by bench/load_users.py."""
    cmd = [
        "taskset", "-c", "0", str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "load_users.py"), "--headless",
        "-u", str(args.users), "-r", str(args.users), "--run-time", f"{int(seconds)}s", "--stop-timeout", "10",
        "--host", f"http://{HOST}:{port}", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {**os.environ, "LOAD_FIXTURE": str(fixture), "LOAD_RATE": str(args.rate), "LOAD_SAMPLES": str(samples or "")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120)  # noqa: S603
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"locust failed ({proc.returncode})")
    for line in proc.stderr.splitlines():
        if "CPU usage" in line:  # locust's own warning that the load generator itself is the limit
            print("   locust:", line.strip())
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def flush_broker(redis_url: str) -> None:
    """Empty the broker's database between stacks: a task queued against one size's database must never be run by
    the other size's worker (ids mean other rows there)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def one_round(size: dict[str, Any], args: argparse.Namespace, work: Path, seconds: float) -> None:
    """Start the size's stack (gunicorn, and the Celery worker with beat), warm up, load for `seconds`, stop.
    Adds to size["cpu"] and size["seconds"]; the requests go to size["samples"]."""
    from bench.common import backend_cpu, backend_cpu_used, cluster_cpu, cluster_cpu_used

    cpus = server_cpus(os.cpu_count() or 1, args.pin_server)
    label, env, port = size["label"], size["env"], spare_port()
    round_ready(env, not args.no_refresh)
    gunicorn = [
        "taskset", "-c", cpus, str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{port}",
        "--workers", str(args.workers), "--timeout", "60", "--log-level", "warning",
        # each request's time inside a worker (µs), to tell the wait for a free worker from the work itself
        "--access-logfile", str(work / f"{label}-access.log"), "--access-logformat", "%(D)s",
    ]  # fmt: skip
    celery = [
        "taskset", "-c", "0", "nice", "-n", "10", str(VENV_BIN / "celery"), "-A", "config", "worker", "-B",
        "--concurrency", "1", "--loglevel", "WARNING", "--schedule", str(work / f"{label}-beat"),
    ]  # fmt: skip
    flush_broker(args.redis)
    web = start(gunicorn, env, work / f"{label}-gunicorn.log")
    jobs = None if args.no_worker else start(celery, env, work / f"{label}-celery.log")
    try:
        wait_ready(port)
        run_locust(size["fixture"], port, args, args.warmup, None)
        web0, jobs0, pg0, cluster0, wall0 = (
            tree_cpu(web),
            tree_cpu(jobs) if jobs else 0.0,
            backend_cpu(size["db"]),
            cluster_cpu(),
            time.monotonic(),
        )
        machine0, access0 = machine(), (work / f"{label}-access.log").stat().st_size
        size["load"].append(os.getloadavg()[0])
        client = run_locust(size["fixture"], port, args, seconds, size["samples"])
        used = {"gunicorn": tree_cpu(web) - web0, "celery": tree_cpu(jobs) - jobs0 if jobs else 0.0,
                "postgres": backend_cpu_used(pg0, backend_cpu(size["db"])), "locust": client,
                "cluster": cluster_cpu_used(cluster0, cluster_cpu())}  # fmt: skip
        size["seconds"] += time.monotonic() - wall0
        machine1 = machine()
        for key, value in machine1.items():
            size["machine"][key] = size["machine"].get(key, 0.0) + value - machine0[key]
        with (work / f"{label}-access.log").open("rb") as log:
            log.seek(access0)
            size["inside"] += [int(us) / 1000 for us in log.read().decode().split() if us.isdigit()]
        size["load"].append(os.getloadavg()[0])
    finally:
        stop(web)
        if jobs is not None:
            stop(jobs)
        flush_broker(args.redis)
    for key, value in used.items():
        size["cpu"][key] = size["cpu"].get(key, 0.0) + value


def machine() -> dict[str, float]:
    """The whole machine's CPU seconds by state (steal: taken by the host of this VM) and its disk reads (MB)."""
    import psutil

    cpu, disk = psutil.cpu_times(), psutil.disk_io_counters()
    states = {k: getattr(cpu, k, 0.0) for k in ("user", "nice", "system", "iowait", "steal", "idle")}
    return {**states, "read_mb": disk.read_bytes / 1e6 if disk else 0.0}


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarize(size: dict[str, Any]) -> dict[str, dict[str, float]]:
    by_name: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    errors = size.setdefault("errors", {})
    for line in size["samples"].read_text(encoding="utf-8").splitlines() if size["samples"].exists() else []:
        name, ms, ok, _at, error = line.split("\t", 4)
        by_name.setdefault(name, []).append(float(ms))
        failed[name] = failed.get(name, 0) + (ok == "0")
        if error:
            errors[f"{name}: {error}"] = errors.get(f"{name}: {error}", 0) + 1
    size["seen"] = [ms for times in by_name.values() for ms in times]  # every request, for machine_lines
    stats = {}
    for name, times in by_name.items():
        times.sort()
        stats[name] = {"n": len(times), "fail": failed[name], "rps": len(times) / size["seconds"],
                       "p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "p99": percentile(times, 0.99)}  # fmt: skip
    return stats


def verdict(name: str, district: dict[str, float] | None, city: dict[str, float] | None) -> str:
    limit, held_to_ratio = TARGETS.get(name.split(" ", 1)[0], (None, False))
    notes = []
    if city is not None and limit is not None:
        notes.append("p95 ok" if city["p95"] < limit else f"p95 > {limit}")
    if city is not None and district is not None and held_to_ratio and district["p95"]:
        notes.append("ratio ok" if city["p95"] / district["p95"] <= MAX_RATIO else f"ratio > {MAX_RATIO}")
    return ", ".join(notes)


def cell(s: dict[str, float] | None) -> str:
    return f"{s['rps']:5.2f} {s['p50']:5.0f} {s['p95']:5.0f} {s['p99']:5.0f}" if s else "-"


def table(sizes: list[dict[str, Any]]) -> list[str]:
    stats = {size["label"]: summarize(size) for size in sizes}
    district, city = stats.get("district", {}), stats.get("city", {})
    order = list(TARGETS)
    names = sorted({n for s in stats.values() for n in s}, key=lambda n: (order.index(n.split()[0]), n))
    lines = [
        f"{'':<56}{'district':>24}{'city':>24}",
        f"{'endpoint':<56}{'req/s p50 p95 p99':>24}{'req/s p50 p95 p99':>24}{'p95 ×':>7}  verdict",
    ]
    for name in names:
        d, c = district.get(name), city.get(name)
        ratio = f"{c['p95'] / d['p95']:.2f}" if c and d and d["p95"] else "-"
        lines.append(f"{name:<56}{cell(d):>24}{cell(c):>24}{ratio:>7}  {verdict(name, d, c)}")
    for size in sizes:
        rows = stats[size["label"]].values()
        wall = size["seconds"] or 1.0
        cpu = {k: v / wall for k, v in size["cpu"].items()}
        lines.append(
            f"{size['label']}: {sum(r['n'] for r in rows)} requests in {wall:.0f} s, {sum(r['fail'] for r in rows)} "
            f"failed; CPU cores used: gunicorn {cpu.get('gunicorn', 0):.2f}, celery {cpu.get('celery', 0):.2f}, locust "
            f"{cpu.get('locust', 0):.2f}, PostgreSQL (its backends) {cpu.get('postgres', 0):.2f}, (every process of the "
            f"cluster) {cpu.get('cluster', 0):.2f}; load average "
            f"{min(size['load']):.1f}–{max(size['load']):.1f}"
        )
        lines += machine_lines(size, wall)
        worst = sorted(size.get("errors", {}).items(), key=lambda kv: -kv[1])[:6]
        lines += [f"   {n}× {what}" for what, n in worst]
    return lines


def machine_lines(size: dict[str, Any], wall: float) -> list[str]:
    """Where the requests' time went: inside a gunicorn worker (its access log) against what locust saw (the rest is
    the wait for a free worker and the network), and the machine's CPU states and disk reads over the run."""
    inside, seen = sorted(size["inside"]), sorted(size["seen"])
    lines = []
    if inside and seen:
        quantiles = [(percentile(inside, q), percentile(seen, q)) for q in (0.5, 0.95, 0.99)]
        lines.append("   every request, inside a worker / as locust saw it (ms): p50 {:.0f}/{:.0f}, p95 {:.0f}/{:.0f}, "
                     "p99 {:.0f}/{:.0f}".format(*(v for pair in quantiles for v in pair)))  # fmt: skip
    m = size["machine"]
    if m:
        states = ", ".join(f"{k} {m[k] / wall:.2f}" for k in ("user", "nice", "system", "iowait", "steal", "idle"))
        lines.append(f"   machine, cores by state: {states}; disk reads {m['read_mb'] / wall:.1f} MB/s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--district", help="database URL of the district-size data (manage.py seed_demo)")
    parser.add_argument("--city", help="database URL of the city-size data (bench/make_city.py)")
    parser.add_argument("--city-logins", type=Path, help="the logins file of bench/make_city.py (its PII_KEYS)")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
                        help="the broker: a Redis database of its own (flushed between stacks)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--seconds", type=float, default=240.0, help="measured seconds per size, over all rounds")
    parser.add_argument("--rounds", type=int, default=2, help="alternate the sizes this many times (A/B/A/B)")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds after each start")
    parser.add_argument("--users", type=int, default=16, help="simulated users (8 cadres : 4 handlers : 2 : 2)")
    parser.add_argument("--rate", type=float, default=0.5, help="task runs per second per user")
    parser.add_argument("--pin-server", action="store_true", help="gunicorn on CPUs 1.. only (a quiet machine)")
    parser.add_argument(
        "--no-refresh",
        action="store_true",
        help="skip the refresh of the statistics' cache rows before each stack starts",
    )
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker (the statistics then age)")
    parser.add_argument("--keep", type=Path, help="copy every request's sample (name, ms, ok, epoch s) here")
    args = parser.parse_args()
    if not (args.district or args.city):
        raise SystemExit("give --district and/or --city database URLs")
    seconds = min(max(args.seconds, 10.0), 1800.0) / max(1, args.rounds)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="zf-load-") as tmp:
        work = Path(tmp)
        sizes = []
        for label, url in (("district", args.district), ("city", args.city)):
            if url:
                env = server_env(url, args.redis, args.city_logins if label == "city" else None)
                print(f"==> {label}: preparing {url.rsplit('/', 1)[-1]}", flush=True)
                prepare(env, work / f"{label}.json", args.users)
                sizes.append({"label": label, "env": env, "db": url.rsplit("/", 1)[-1], "fixture": work / f"{label}.json", "cpu": {}, "seconds": 0.0,
                              "samples": work / f"{label}.samples", "load": [], "machine": {}, "inside": []})  # fmt: skip
        for n in range(max(1, args.rounds)):
            for size in sizes:
                print(f"==> round {n + 1}: {size['label']}, {seconds:.0f} s", flush=True)
                one_round(size, args, work, seconds)
        print(
            f"\ngunicorn {args.workers} sync workers ({'CPUs 1..' if args.pin_server else 'any CPU'}), locust on CPU 0 "
            f"with the Celery worker (nice 10); {args.users} users at {args.rate}/s each (≈{args.users * args.rate:.0f} "
            f"task runs/s offered), {seconds * max(1, args.rounds):.0f} s per size in {args.rounds} rounds; ms"
        )
        print("\n".join(table(sizes)))
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for size in sizes:
                if size["samples"].exists():
                    shutil.copy(size["samples"], args.keep / size["samples"].name)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print("load average (1, 5, 15 min) {:.2f} {:.2f} {:.2f} at {}".format(*os.getloadavg(), stamp))


if __name__ == "__main__":
    main()
