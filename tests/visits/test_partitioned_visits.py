"""Visits partitioned by month on PostgreSQL (issue 14 item 3): periods read only their months, the client's UUID
stays the idempotency key across months, and a photo never outlives or precedes its visit."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from dashboard.rollups import _visits_grouped
from tests.dashboard.conftest import household as a_household
from tests.dashboard.conftest import visit_row
from tests.partitions import in_plan, months_ready, postgres_only, scanned, sql_reading
from tests.visits.conftest import visit_body
from tests.visits.test_photos import _jpeg, _upload
from visits.models import Visit, VisitKey, VisitPhoto

pytestmark = postgres_only
MONTHS = [(2026, 1), (2026, 2), (2026, 3), (2026, 4), (2026, 5)]


def test_the_visits_list_filtered_by_dates_reads_only_those_months(api, leader, org):
    months_ready("visits_visit", *MONTHS)

    with CaptureQueriesContext(connection) as queries:
        response = api.as_user(leader).get("/api/v1/visits/?date_from=2026-03-05&date_to=2026-03-20")

    assert response.status_code == 200
    [rows_sql] = [sql for sql in sql_reading("visits_visit", queries) if "ORDER BY" in sql]
    assert scanned("visits_visit", rows_sql) == {"visits_visit_p202603"}


def test_a_range_across_two_months_reads_those_two(api, leader, org):
    months_ready("visits_visit", *MONTHS)

    with CaptureQueriesContext(connection) as queries:
        api.as_user(leader).get("/api/v1/visits/?date_from=2026-02-25&date_to=2026-03-03")

    [rows_sql] = [sql for sql in sql_reading("visits_visit", queries) if "ORDER BY" in sql]
    assert scanned("visits_visit", rows_sql) == {"visits_visit_p202602", "visits_visit_p202603"}


def test_the_statistics_of_a_day_read_only_its_month(db):
    months_ready("visits_visit", *MONTHS)

    plan = _visits_grouped(dt.date(2026, 4, 30), None).explain()  # the rollup's raw rows of one day

    assert in_plan("visits_visit", plan) == {"visits_visit_p202604"}


def test_an_unpartitioned_month_lands_in_the_default_partition_and_is_still_found(org, leader):
    far = dt.datetime(2019, 6, 15, 10, tzinfo=dt.UTC)

    visit = visit_row(cadre=leader, target=a_household(org.grid1), when=far)
    visit.save(force_insert=True)

    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM visits_visit WHERE id = %s", [visit.pk])
        assert cursor.fetchone()[0] == "visits_visit_default"
    assert Visit.objects.filter(pk=visit.pk).exists()


# --- the idempotency key across months ------------------------------------------------------------------------
def test_a_retried_post_lands_once(api, cadre, household, campaign_obj):
    body = visit_body(household)

    first = api.as_user(cadre).post("/api/v1/visits/", body, format="json")
    retry = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert (first.status_code, retry.status_code) == (201, 200)
    assert Visit.objects.filter(pk=body["id"]).count() == 1 and VisitKey.objects.filter(pk=body["id"]).count() == 1


def test_a_retry_claiming_another_month_is_refused_and_the_first_kept(api, cadre, household, campaign_obj):
    months_ready("visits_visit", (2026, 11), (2026, 12))
    when = dt.datetime(2026, 12, 2, 10, tzinfo=dt.UTC)
    body = visit_body(household, visited_at=when.isoformat())
    other_month = dict(body, visited_at=(when - dt.timedelta(days=20)).isoformat())

    with time_machine.travel(when + dt.timedelta(hours=1), tick=False):
        first = api.as_user(cadre).post("/api/v1/visits/", body, format="json")
        retry = api.as_user(cadre).post("/api/v1/visits/", other_month, format="json")

    assert (first.status_code, retry.status_code) == (201, 409)
    assert list(Visit.objects.filter(pk=body["id"]).values_list("visited_at", flat=True)) == [when]


def test_the_database_refuses_one_id_in_two_months(org, leader):
    months_ready("visits_visit", (2026, 3), (2026, 4))
    visit = visit_row(cadre=leader, target=a_household(org.grid1), when=dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    visit.save(force_insert=True)
    twin = visit_row(cadre=leader, target=a_household(org.grid1), when=dt.datetime(2026, 4, 10, tzinfo=dt.UTC))
    twin.id = visit.id

    with pytest.raises(IntegrityError, match="visits_visitkey"), transaction.atomic():
        twin.save(force_insert=True)

    assert Visit.objects.filter(pk=visit.pk).count() == 1


def test_a_visit_keeps_its_month(org, leader):
    months_ready("visits_visit", (2026, 3), (2026, 4))
    visit = visit_row(cadre=leader, target=a_household(org.grid1), when=dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    visit.save(force_insert=True)

    with pytest.raises(DatabaseError, match="keeps its id and its month"), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(visited_at=dt.datetime(2026, 4, 10, tzinfo=dt.UTC))
    Visit.objects.filter(pk=visit.pk).update(visited_at=dt.datetime(2026, 3, 11, tzinfo=dt.UTC))  # same month: fine

    assert Visit.objects.get(pk=visit.pk).visited_at.day == 11


# --- photos: a foreign key the code keeps ----------------------------------------------------------------------
@pytest.fixture
def visit_id(api, cadre, household, campaign_obj):
    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(household), format="json")
    assert response.status_code == 201
    return response.json()["id"]


def test_photos_of_a_partitioned_visit_upload_and_list(api, cadre, visit_id):
    response = _upload(api, cadre, visit_id, _jpeg())

    assert response.status_code == 201, response.json()
    detail = api.as_user(cadre).get(f"/api/v1/visits/{visit_id}/").json()
    assert [p["id"] for p in detail["photos"]] == [response.json()["id"]]


def test_the_database_refuses_a_photo_row_of_a_missing_visit(cadre, visit_id):
    photo = VisitPhoto(
        visit_id=uuid.uuid4(), sha256="0" * 64, uploaded_by=cadre, file="x.jpg", thumbnail="x.thumb.jpg",
        original_format="JPEG", width=1, height=1, size_bytes=1,
    )  # fmt: skip

    with pytest.raises(IntegrityError, match="visitphoto_visit_key_fk"), transaction.atomic():
        photo.save(force_insert=True)


@pytest.mark.parametrize("how", ["orm", "sql"])
def test_deleting_a_visit_deletes_its_photos_and_frees_its_key(api, cadre, visit_id, how):
    _upload(api, cadre, visit_id, _jpeg())

    if how == "orm":
        Visit.objects.filter(pk=visit_id).delete()
    else:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM visits_visit WHERE id = %s", [visit_id])

    assert not VisitPhoto.objects.filter(visit_id=visit_id).exists()
    assert not VisitKey.objects.filter(pk=visit_id).exists()
