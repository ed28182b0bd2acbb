"""campaign.exports: one start function and one task write every ledger; a rerun after DONE does nothing; a
failure marks the export FAILED naming only the exception's type; over the sync limit a view answers 202."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from campaign import exports
from campaign.exports import export_run_task
from campaign.models import Export
from tests.visits.test_visit_list import make_visits


@pytest.fixture(autouse=True)
def media_and_hashing(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def self_found_tickets(api, cadre, n: int) -> None:
    client = api.as_user(cadre)
    for i in range(n):
        body = {
            "source": "self_found",
            "kind": "complaint",
            "description": f"井盖缺失{i}",
            "lat": 34.191,
            "lng": 108.881,
        }
        assert client.post("/api/v1/tickets/", body, format="json").status_code == 201


def workbook_rows(export: Export, settings) -> list[tuple]:
    book = load_workbook(f"{settings.MEDIA_ROOT}/{export.file}", read_only=True)
    return list(book.active.iter_rows(values_only=True))


def test_one_task_writes_a_tickets_and_a_visits_ledger(
    api, org, cadre, leader, campaign_obj, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_SYNC_LIMIT = 1
    self_found_tickets(api, cadre, 2)
    make_visits(cadre, org.grid1, 3)
    client = api.as_user(leader)

    with django_capture_on_commit_callbacks(execute=True) as queued:  # eager Celery: the task runs on commit
        tickets = client.get("/api/v1/tickets/export.xlsx")
        visits = client.get("/api/v1/visits/export.xlsx", {"geo_status": "verified"})

    assert (tickets.status_code, visits.status_code, len(queued)) == (202, 202, 2)
    done = {e.kind: e for e in Export.objects.filter(pk__in=[tickets.json()["id"], visits.json()["id"]])}
    assert {kind: (e.state, e.total, e.progress) for kind, e in done.items()} == {
        "tickets": ("done", 2, 2),
        "visits": ("done", 3, 3),
    }
    assert done["visits"].params == {"geo_status": "verified"}
    ticket_rows, visit_rows = workbook_rows(done["tickets"], settings), workbook_rows(done["visits"], settings)
    assert ticket_rows[0][0] == "工单编号" and len(ticket_rows) == 3
    assert visit_rows[0][0] == "走访日期" and len(visit_rows) == 4
    status = client.get(tickets.json()["url"]).json()
    assert status["download_url"] == f"/api/v1/exports/{status['id']}/download/"


def test_a_retry_after_done_does_nothing(api, org, cadre, leader, settings, tmp_path):
    make_visits(cadre, org.grid1, 2)
    export = exports.export_start(owner=leader, ledger=exports.ledger_of("visits"), params={})  # not yet queued
    export_run_task.delay(str(export.pk))
    export.refresh_from_db()
    path = exports.export_path(export)
    written = (export.state, export.finished_at, path.stat().st_mtime_ns)
    make_visits(cadre, org.grid1, 1)  # a rerun would now write 3 rows

    export_run_task.delay(str(export.pk))  # the broker redelivers (acks_late)

    export.refresh_from_db()
    assert (export.state, export.finished_at, path.stat().st_mtime_ns) == written
    assert export.total == 2 and len(workbook_rows(export, settings)) == 3


@pytest.mark.parametrize(
    ("kind", "params", "error"),
    [
        ("tickets", {"status": "13800001234"}, "Invalid"),  # stored filters no longer valid: no value in the error
        ("no-such-ledger", {}, "KeyError"),
    ],
)
def test_a_failing_ledger_marks_the_export_failed_with_the_type_only(leader, org, kind, params, error):
    export = Export.objects.create(kind=kind, owner=leader, params=params)

    with pytest.raises(Exception) as raised:  # eager mode propagates it, as a worker logs it
        export_run_task.delay(str(export.pk))

    export.refresh_from_db()
    assert type(raised.value).__name__ == error
    assert (export.state, export.error, export.file) == ("failed", error, "")


def test_over_the_limit_a_view_answers_202_with_the_export_and_at_the_limit_the_workbook(
    api, org, cadre, leader, campaign_obj, settings
):
    self_found_tickets(api, cadre, 2)
    client = api.as_user(leader)
    settings.EXPORT_SYNC_LIMIT = 1

    response = client.get("/api/v1/tickets/export.xlsx", {"kind": "complaint"})  # job queued on commit: not run

    assert response.status_code == 202
    body = response.json()
    assert {k: body[k] for k in ("kind", "state", "progress", "total", "error", "download_url")} == {
        "kind": "tickets",
        "state": "pending",
        "progress": 0,
        "total": 2,
        "error": "",
        "download_url": None,
    }
    assert body["url"] == f"/api/v1/exports/{body['id']}/"
    assert client.get(body["url"]).json() == body
    assert Export.objects.get(pk=body["id"]).params == {"kind": "complaint"}

    settings.EXPORT_SYNC_LIMIT = 2
    at_once = client.get("/api/v1/tickets/export.xlsx", {"kind": "complaint"})
    assert at_once.status_code == 200 and at_once["Content-Type"] == exports.XLSX
    rows = list(load_workbook(io.BytesIO(b"".join(at_once.streaming_content))).active.iter_rows(values_only=True))
    assert len(rows) == 3


@pytest.mark.django_db(transaction=True)  # the thread has its own connection: it must see committed rows
def test_without_a_broker_the_export_runs_in_a_thread_after_the_request_answered(api, org, cadre, leader, settings):
    import threading
    import time

    # given: the embedded default (no broker) and a ledger over the sync limit
    settings.EXPORTS_IN_THREAD = True
    settings.EXPORT_SYNC_LIMIT = 1
    self_found_tickets(api, cadre, 2)
    ran_on: list[str] = []
    real_run = exports.export_run

    def run_after_answer(*, export_id: str) -> None:
        ran_on.append(threading.current_thread().name)
        real_run(export_id=export_id)

    exports.export_run = run_after_answer  # a spy around the real job: records that it ran on another thread
    try:
        # when: the leader asks for it
        response = api.as_user(leader).get("/api/v1/tickets/export.xlsx")
        # then: 202 at once, and the job runs on a thread of the process until the export is done
        assert response.status_code == 202
        export = Export.objects.get(pk=response.json()["id"])
        deadline = time.monotonic() + 20
        while export.state != Export.State.DONE and time.monotonic() < deadline:
            time.sleep(0.1)
            export.refresh_from_db()
    finally:
        exports.export_run = real_run
    assert ran_on == ["zoufang-export"] and (export.state, export.total) == ("done", 2)
    assert len(workbook_rows(export, settings)) == 3
