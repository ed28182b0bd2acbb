"""Two real worker processes and one real beat on one (private) Redis, on the test database: every job of every
queue is done exactly once, beat's periodic jobs once per tick across both workers, and a worker killed mid-task
has its task redelivered and completed once (acks_late).

The workers and beat run with tests/dashboard/worker_settings.py: the project's settings, beat's schedule every
2 s and a probe (tests/dashboard/worker_probe.py) that writes a row when any task starts and when it ends.
Needs PostgreSQL (the workers share the test database) and REDIS_URL set; skipped otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from campaign.models import Export
from config.jobs import QUEUES, TASK_QUEUE
from dashboard.models import DailyRollup
from dashboard.rollups import rollup_range
from dashboard.signals import rollups_deferred
from issues.models import Notification, Ticket, TicketEvent
from issues.notices import Notice
from tests.dashboard.conftest import at, celery_conf, household, ticket_row, visit_row
from tests.dashboard.test_worker import PrivateRedis, wait_for
from visits.models import Visit

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="worker tests need REDIS_URL (and PostgreSQL)"),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed"),
]
CELERY = str(Path(sys.executable).with_name("celery"))
# The probe's table (tests/dashboard/worker_probe.py writes it from the workers).
CREATE_PROBE = """CREATE TABLE IF NOT EXISTS zf_probe_runs (
    id bigserial PRIMARY KEY, task_id text NOT NULL, name text NOT NULL, phase text NOT NULL,
    queue text NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"""


class Proc:
    """`celery -A config worker|beat` on the test database and the private broker, with the test settings."""

    def __init__(self, name: str, args: list[str], ready: str, broker: str, tmp: Path, **env: str) -> None:
        db = connection.settings_dict
        url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        self.env = {
            **os.environ, "DATABASE_URL": url, "REDIS_URL": broker, "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.dashboard.worker_settings", "MEDIA_ROOT": str(tmp / "media"), **env,
        }  # fmt: skip
        self.name, self.args, self.ready, self.log = name, args, ready, tmp / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def launch(self) -> Proc:
        self.proc = subprocess.Popen(
            [CELERY, "-A", "config", *self.args], cwd=ROOT, env=self.env, stdout=self.log.open("a"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return self

    def wait_ready(self) -> None:
        wait_for(lambda: self.ready in self.log.read_text(), timeout=90)

    def signal(self, sig: int, wait: float = 20) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            self.proc = None


def worker(name: str, broker: str, tmp: Path, **env: str) -> Proc:
    args = ["worker", "--pool=solo", f"--queues={','.join(QUEUES)}", f"--hostname={name}@%h", "--loglevel=INFO",
            "--without-heartbeat", "--without-gossip", "--without-mingle"]  # fmt: skip
    return Proc(name, args, "ready.", broker, tmp, **env)


def beat(broker: str, tmp: Path) -> Proc:
    args = ["beat", "--loglevel=INFO", f"--schedule={tmp / 'beat-schedule'}"]
    return Proc("beat", args, "beat: Starting", broker, tmp)


@pytest.fixture
def broker(tmp_path) -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("the worker processes must share the test database: PostgreSQL only")
    server = PrivateRedis(tmp_path)
    server.start()
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=server.url):
        yield server.url
    server.stop()


@pytest.fixture
def probe() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(CREATE_PROBE)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS zf_probe_runs")


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.signal(signal.SIGTERM)


def start(procs: list[Proc], *new: Proc) -> None:
    """Launch together (their start-up is seconds of imports each), then wait for each."""
    for proc in new:
        procs.append(proc.launch())
    for proc in new:
        proc.wait_ready()


def runs() -> list[tuple[str, str, str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT task_id, name, phase, queue, worker FROM zf_probe_runs ORDER BY id")
        return cursor.fetchall()


def sent_by_beat(log: Path) -> Counter[str]:
    return Counter(re.findall(r"Sending due task \S+ \(([\w.]+)\)", log.read_text()))


def settled(at_least: Counter[str] | None = None) -> list[tuple[str, str, str, str, str]]:
    """The probe's rows once each task name in `at_least` started at least that many times, every task that started
    has ended, and nothing new came for a second (a quiet second alone let a job beat sent last, still waiting for a
    worker on a busy machine, go uncounted)."""

    def quiet():
        before = runs()
        started = {row[0] for row in before if row[2] == "start"}
        ended = {row[0] for row in before if row[2] != "start"}
        names = Counter(row[1] for row in before if row[2] == "start")
        if any(names[name] < n for name, n in (at_least or Counter()).items()):
            return False
        time.sleep(1.0)
        return started == ended and runs() == before and before

    return wait_for(quiet, timeout=60, every=0)


def test_two_workers_and_one_beat_do_every_job_exactly_once(
    broker, probe, procs, tmp_path, org, campaign_obj, leader, handler
):
    from campaign.exports import export_run_task
    from dashboard.tasks import rollup_backfill, supervise_tickets
    from issues.notices import notices_send_task

    # given: visits on four days and six tickets long overdue, their lead unit the handler's department
    days = [dt.date(2025, 3, 1) + dt.timedelta(days=i) for i in range(4)]
    home = household(org.grid1)
    with rollups_deferred():
        Visit.objects.bulk_create(
            visit_row(cadre=leader, target=home, when=at(day, 9 + i)) for day in days for i in range(3)
        )
        Ticket.objects.bulk_create(
            ticket_row(unit=org.grid1, created_at=at(days[0]), status="in_progress", mode="immediate",
                       lead_unit=org.dept1, dispatched_at=at(days[0], 11), due_at=at(days[0], 12))
            for _ in range(6)
        )  # fmt: skip
    first = Ticket.objects.order_by("pk").first()
    # when: two workers and one beat run, and four jobs of each queue are queued
    start(procs, worker("a", broker, tmp_path), worker("b", broker, tmp_path), beat(broker, tmp_path))
    ours: dict[str, str] = {}
    for day in days:
        ours[rollup_backfill.apply_async(args=[day.isoformat(), day.isoformat()], retry=False).id] = "statistics"
        ours[supervise_tickets.apply_async(retry=False).id] = "escalation"
        export = Export.objects.create(kind="tickets", owner=leader, params={})
        ours[export_run_task.apply_async(args=[str(export.pk)], retry=False).id] = "exports"
        notice = Notice(
            ticket_id=first.pk, kind="instructed", text="领导批示", at=at(day, 13).isoformat(), unit_ids=[org.dept1.pk]
        )
        ours[notices_send_task.apply_async(args=([dataclasses.asdict(notice)],), retry=False).id] = "notifications"
    # and beat ticks at least three times for each periodic job, then stops
    beat_proc = procs[-1]
    wait_for(lambda: min(sent_by_beat(beat_proc.log).get(e, 0) for e in beat_tasks()) >= 3, timeout=30)
    beat_proc.signal(signal.SIGTERM)
    sent = sent_by_beat(beat_proc.log)
    mine = (rollup_backfill, supervise_tickets, export_run_task, notices_send_task)
    rows = settled(sent + Counter(task.name for task in mine for _ in days))

    # then: every task started once and ended once, successfully, on its own queue
    starts = Counter(row[0] for row in rows if row[2] == "start")
    assert set(starts.values()) == {1}, [t for t, n in starts.items() if n > 1]
    assert Counter(row[2] for row in rows if row[2] != "start") == {"end:SUCCESS": len(starts)}
    assert all(queue == TASK_QUEUE[name] for _id, name, _p, queue, _w in rows), rows
    assert {task_id: queue for task_id, _n, phase, queue, _w in rows if task_id in ours and phase == "start"} == ours
    # and beat's jobs ran once per tick across both workers (our own supervise_tickets apart)
    ran = Counter(name for task_id, name, phase, *_ in rows if phase == "start" and task_id not in ours)
    assert {name: ran[name] for name in beat_tasks()} == {name: sent[name] for name in beat_tasks()}
    assert {row[4].split("@")[0] for row in rows} == {"a", "b"}  # both workers took jobs
    # and the jobs' own results: each export written, each card raised once, each notification written once
    assert set(Export.objects.values_list("state", flat=True)) == {"done"}
    assert TicketEvent.objects.filter(action="supervise").count() == 6
    kinds = Counter(Notification.objects.filter(user=handler).values_list("kind", flat=True))
    assert kinds == {"supervised": 6, "instructed": 4}
    computed = sorted(DailyRollup.objects.filter(day__in=days).values_list("day", "unit_id", "visits"))
    rollup_range(date_from=days[0], date_to=days[-1])
    assert computed and computed == sorted(
        DailyRollup.objects.filter(day__in=days).values_list("day", "unit_id", "visits")
    )


def beat_tasks() -> set[str]:
    from django.conf import settings

    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def _days_recomputed() -> int:
    return DailyRollup.objects.values("day").distinct().count()


def test_a_worker_killed_mid_task_has_it_redelivered_and_completed_once(
    broker, probe, procs, tmp_path, org, campaign_obj, leader
):
    from dashboard.tasks import rollup_backfill

    # given: a long backfill (240 days of visits) and two workers whose broker redelivers an
    # unacknowledged task after 3 s (production: an hour, longer than any task)
    visibility = 3.0
    first, days = dt.date(2025, 1, 1), 240
    homes = [household(org.grid1, 2), household(org.grid2, 3)]
    with rollups_deferred():
        Visit.objects.bulk_create(
            visit_row(cadre=leader, target=homes[i % 2], when=at(first + dt.timedelta(days=i % days), 9 + i % 8))
            for i in range(720)
        )
    env = {"CELERY_VISIBILITY_TIMEOUT_S": str(int(visibility))}
    start(procs, worker("a", broker, tmp_path, **env), worker("b", broker, tmp_path, **env))
    by_name = {proc.name: proc for proc in procs}
    # when: the worker that took it is SIGKILLed half-way
    task = rollup_backfill.apply_async(
        args=[first.isoformat(), (first + dt.timedelta(days=days - 1)).isoformat()], retry=False
    )
    taken_by = wait_for(lambda: [w for t, _n, p, _q, w in runs() if t == task.id and p == "start"])[0].split("@")[0]
    taken_at = time.monotonic()
    wait_for(lambda: 10 <= _days_recomputed() < days // 2, timeout=120, every=0.02)
    by_name[taken_by].signal(signal.SIGKILL)
    assert [p for t, _n, p, _q, _w in runs() if t == task.id] == ["start"], "the backfill ended before the kill"
    # and restarted (as its supervisor would) once the task's visibility timeout has passed
    time.sleep(max(0.0, visibility + 0.5 - (time.monotonic() - taken_at)))
    start(procs, worker(taken_by, broker, tmp_path, **env))
    # then: the task is delivered again and completed once
    wait_for(lambda: any(t == task.id and p.startswith("end") for t, _n, p, _q, _w in runs()), timeout=90)
    rows = [row for row in settled() if row[0] == task.id]
    assert [(phase, queue) for _t, _n, phase, queue, _w in rows] == [
        ("start", "statistics"), ("start", "statistics"), ("end:SUCCESS", "statistics")
    ]  # fmt: skip
    # and its rows equal a clean recompute
    after = sorted(DailyRollup.objects.values_list("day", "unit_id", "visits", "issues_collected"))
    rollup_range(date_from=first, date_to=first + dt.timedelta(days=days - 1))
    assert after and after == sorted(DailyRollup.objects.values_list("day", "unit_id", "visits", "issues_collected"))
