"""Benchmark: the embedded demo (SQLite, no broker) under concurrent ticket work, with its scheduler running.

    .venv/bin/python bench/embedded.py [--seconds 60] [--threads 2] [--dir DIR]

What it does (issue 13 point 8; SPEC §9 "Embedded default"):
- builds the district demo in a scratch ZOUFANG_VAR_DIR (a new temporary directory unless --dir names one that
  already holds it), with DATABASE_URL and REDIS_URL removed from the environment: SQLite and eager Celery, the
  embedded default exactly (`manage.py demo --no-serve`: migrate, then seed_demo --size district);
- serves it with `manage.py demo --addr 127.0.0.1:<spare port>`: runserver, threaded, beside the in-process
  scheduler that sweeps the dirty days every EMBEDDED_SWEEP_S seconds (config/scheduler.py);
- takes API tokens for dispatcher, handler and cadre; `--threads` client threads each walk reported tickets
  through dispatch → accept → progress → resolve → callback (each POST with the version the last answer gave) and
  post a visit of a household of the cadre's grid after each step, timing every POST;
- meanwhile, in this process (a second writer on the same database file, as a worker would be), runs the
  escalation job (dashboard.tasks.supervise_tickets, what the scheduler runs every 15 minutes) and times it;
- after the load, times how long the sweep takes to clear the dirty marks (how old the statistics get);
- prints p50/p95 of each action and of the visit POST, the escalation's duration, every status other than
  200/201, and how many answers or server log lines said "database is locked"; then `uptime`.
Only 127.0.0.1 is contacted; the scratch directory is deleted at the end unless --dir was given.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "zoufang-demo"
STEPS = ("dispatch", "accept", "progress", "resolve", "callback")
LOCKED = "database is locked"


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    return {**env, "ZOUFANG_VAR_DIR": str(var_dir), "PYTHONPATH": str(ROOT)}


def manage(var_dir: Path, *args: str, **popen: object) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, str(ROOT / "manage.py"), *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=embedded_env(var_dir), start_new_session=True, **popen)  # type: ignore[call-overload,no-any-return]


def spare_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Client:
    """One keep-alive HTTP connection with one user's token."""

    def __init__(self, port: int, username: str) -> None:
        self.port, self.token = port, ""
        status, body = self.call("POST", "/api/v1/auth/token/", {"username": username, "password": PASSWORD})
        assert status == 200, (status, body)
        self.token = body["token"]

    def call(self, method: str, path: str, body: dict[str, object] | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        try:
            return response.status, json.loads(raw or b"{}")
        except ValueError:
            return response.status, {"raw": raw.decode("utf-8", "replace")[:300]}


class Load:
    """The timings and odd answers of every POST, shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.odd: dict[str, int] = defaultdict(int)
        self.locked = 0

    def post(self, client: Client, name: str, path: str, body: dict[str, object]) -> dict | None:  # type: ignore[type-arg]
        started = time.perf_counter()
        status, answer = client.call("POST", path, body)
        took = time.perf_counter() - started
        with self.lock:
            self.times[name].append(took)
            if status not in (200, 201):
                self.odd[f"{name} {status}"] += 1
            if LOCKED in json.dumps(answer, ensure_ascii=False):
                self.locked += 1
        return answer if status in (200, 201) else None


def step_body(step: str, lead_unit: int) -> dict[str, object]:
    return {
        "dispatch": {"mode": "immediate", "lead_unit": lead_unit, "problem": "压测问题", "responsible_person": "压测",
                     "measures": "压测措施", "expected_effect": "压测效果"},
        "accept": {},
        "progress": {"note": "压测进展"},
        "resolve": {"result": "已办结（压测）", "public_reply": "已办结"},
        "callback": {"rating": "satisfied"},
    }[step]  # fmt: skip


def visit_body(home: tuple[int, float, float]) -> dict[str, object]:
    import datetime as dt

    return {
        "id": str(uuid.uuid4()), "target_type": "household", "target_id": home[0],
        "visited_at": dt.datetime.now(dt.UTC).astimezone().isoformat(), "lat": home[1] + 5e-5, "lng": home[2],
        "accuracy_m": 12, "people_met": 2, "notes": "压测走访",
    }  # fmt: skip


def client_loop(port: int, load: Load, work: queue.Queue[int], fixture: dict, deadline: float) -> None:  # type: ignore[type-arg]
    users = {name: Client(port, name) for name in ("dispatcher", "handler", "cadre")}
    homes, n = fixture["homes"], 0
    while time.monotonic() < deadline:
        try:
            ticket_id = work.get_nowait()
        except queue.Empty:
            return
        version = fixture["versions"][ticket_id]
        for step in STEPS:
            who = users["handler" if step in ("accept", "progress", "resolve") else "dispatcher"]
            body = {**step_body(step, fixture["lead_unit"]), "version": version}
            answer = load.post(who, step, f"/api/v1/tickets/{ticket_id}/{step}/", body)
            load.post(users["cadre"], "visit", "/api/v1/visits/", visit_body(homes[n % len(homes)]))
            n += 1
            if answer is None or time.monotonic() > deadline:
                break
            version = answer["version"]


def fixture_read() -> dict:  # type: ignore[type-arg]
    from campaign.models import Household, OrgUnit, User
    from issues.models import Status, Ticket

    handler, cadre = User.objects.get(username="handler"), User.objects.get(username="cadre")
    reported = Ticket.objects.filter(status=Status.REPORTED).order_by("pk").values_list("pk", "version")
    homes = Household.objects.filter(unit_id=cadre.unit_id, lat__isnull=False).values_list("pk", "lat", "lng")
    assert OrgUnit.objects.filter(pk=handler.unit_id).exists()
    return {"lead_unit": handler.unit_id, "versions": dict(reported), "homes": list(homes[:200])}


def escalation_timed(result: dict[str, float]) -> None:
    from django.db import close_old_connections

    from dashboard.tasks import supervise_tickets

    started = time.monotonic()
    try:
        result["raised"] = supervise_tickets.apply(throw=True).get()
    finally:
        result["seconds"] = time.monotonic() - started
        close_old_connections()


def sweep_catch_up(limit: float = 300.0) -> float:
    from dashboard.models import DirtyDay

    started = time.monotonic()
    while DirtyDay.objects.exists() and time.monotonic() - started < limit:
        time.sleep(0.5)
    return time.monotonic() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def report(load: Load, escalation: dict[str, float], catch_up: float, log_locked: int) -> list[str]:
    lines = [f"{'POST':<10} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"]
    for name in (*STEPS, "visit"):
        values = load.times.get(name, [])
        if values:
            lines.append(
                f"{name:<10} {len(values):>5} {statistics.median(values) * 1000:>8.0f} {pct(values, 0.95):>8.0f} "
                f"{max(values) * 1000:>8.0f}"
            )
    lines.append(f"escalation: {escalation.get('seconds', -1):.1f} s ({escalation.get('raised', '?')} cards)")
    lines.append(f"dirty marks cleared by the sweep {catch_up:.1f} s after the load")
    lines.append(f"not 200/201: {dict(load.odd) or 'none'}")
    lines.append(f'"{LOCKED}": {load.locked} in answers, {log_locked} in the server log')
    lines.append("uptime: " + subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return lines


def build(var_dir: Path) -> None:
    started = time.monotonic()
    proc = manage(var_dir, "demo", "--no-serve", "--size", "district", stdout=subprocess.DEVNULL)
    if proc.wait() != 0:
        raise SystemExit("building the demo failed")
    print(f"demo ready in {var_dir} ({time.monotonic() - started:.0f} s)", flush=True)


def serve(var_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = manage(var_dir, "demo", "--addr", f"{HOST}:{port}", stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the demo server did not start: see " + str(log))


def run(var_dir: Path, seconds: float, threads: int) -> list[str]:
    os.environ.update(embedded_env(var_dir))
    os.environ.pop("DATABASE_URL", None), os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    port, log = spare_port(), var_dir / "server.log"
    proc = serve(var_dir, port, log)
    try:
        fixture = fixture_read()
        work: queue.Queue[int] = queue.Queue()
        for ticket_id in fixture["versions"]:
            work.put(ticket_id)
        load, escalation = Load(), {}  # type: ignore[var-annotated]
        deadline = time.monotonic() + seconds
        pool = [
            threading.Thread(target=client_loop, args=(port, load, work, fixture, deadline)) for _ in range(threads)
        ]
        for thread in pool:
            thread.start()
        time.sleep(min(5.0, seconds / 4))  # the load first, then the job in the middle of it
        escalation_timed(escalation)
        for thread in pool:
            thread.join()
        catch_up = sweep_catch_up()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    return report(load, escalation, catch_up, log.read_text(errors="replace").count(LOCKED))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dir", type=Path, help="build (or reuse) the demo here, and keep it")
    args = parser.parse_args()
    var_dir = args.dir or Path(tempfile.mkdtemp(prefix="zf-embedded-"))
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        if not (var_dir / "zoufang.sqlite3").exists():
            build(var_dir)
        print("\n".join(run(var_dir, args.seconds, args.threads)))
    finally:
        if args.dir is None:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
