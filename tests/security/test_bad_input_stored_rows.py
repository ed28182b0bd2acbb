"""The database refuses what it can (issue 12 item 1), and one odd stored row never fails a list.

CHECK constraints refuse non-finite and out-of-range coordinates, accuracies and distances and unreadable EXIF
dates even when a raw UPDATE bypasses every serializer (on PostgreSQL 'NaN' compares greater than every number,
so a range check refuses it; SQLite stores NaN as NULL, so it is tried with Infinity). The JSON parser bounds
depth and size. A row that the constraints allow but no serializer would write (odd JSON, control characters)
still lists, shows, maps and exports.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from campaign.models import Enterprise, Household
from issues.models import Ticket
from issues.services import ticket_create
from tests.factories import EnterpriseFactory, HouseholdFactory
from visits.models import Visit, VisitPhoto

NOT_FINITE = "'NaN'::float8" if connection.vendor == "postgresql" else "9e999"
MINUS_INFINITY = "'-Infinity'::float8" if connection.vendor == "postgresql" else "-9e999"


@pytest.fixture
def rows(org, cadre, campaign_obj):
    home = HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)
    visit = Visit.objects.create(
        id=uuid.uuid4(),
        cadre=cadre,
        target_type="household",
        household=home,
        unit=org.grid1,
        campaign=campaign_obj,
        visited_at=timezone.now() - dt.timedelta(hours=1),
        lat=34.19,
        lng=108.88,
        accuracy_m=10,
        distance_m=5,
        geo_status="verified",
        body_hash="x",
    )
    photo = VisitPhoto.objects.create(
        visit=visit, sha256="0" * 64, uploaded_by=cadre, file="a.jpg", thumbnail="a.t.jpg",
        original_format="JPEG", width=1, height=1, size_bytes=1,
    )  # fmt: skip
    ticket = ticket_create(actor=cadre, source="self_found", kind="request", description="灯", lat=34.19, lng=108.88)
    return {
        "visit": visit,
        "photo": photo,
        "ticket": ticket,
        "household": home,
        "enterprise": EnterpriseFactory(unit=org.grid1, lat=34.19, lng=108.88),
    }


COLUMNS = [
    (Visit, "visit", "lat", NOT_FINITE),
    (Visit, "visit", "lng", MINUS_INFINITY),
    (Visit, "visit", "accuracy_m", NOT_FINITE),
    (Visit, "visit", "accuracy_m", "100001"),
    (Visit, "visit", "distance_m", NOT_FINITE),
    (VisitPhoto, "photo", "lat", NOT_FINITE),
    (VisitPhoto, "photo", "lng", NOT_FINITE),
    (Ticket, "ticket", "lat", NOT_FINITE),
    (Ticket, "ticket", "lng", MINUS_INFINITY),
    (Household, "household", "lat", NOT_FINITE),
    (Household, "household", "lng", NOT_FINITE),
    (Enterprise, "enterprise", "lat", NOT_FINITE),
    (Enterprise, "enterprise", "lng", MINUS_INFINITY),
]


@pytest.mark.parametrize(
    ("model", "row", "column", "value"), COLUMNS, ids=[f"{m.__name__}.{c}={v}" for m, _r, c, v in COLUMNS]
)
def test_database_refuses_a_non_finite_or_out_of_range_number(rows, model, row, column, value):
    table, pk = model._meta.db_table, model._meta.pk.get_db_prep_value(rows[row].pk, connection)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = {value} WHERE id = %s", [pk])  # noqa: S608 (test constants)


@pytest.mark.parametrize("moment", ["0001-01-01 00:00:00+00", "1999-12-31 23:59:59+00", "2101-01-01 00:00:00+00"])
def test_database_refuses_an_exif_date_out_of_range(rows, moment):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE visits_visitphoto SET taken_at = %s WHERE id = %s", [moment, rows["photo"].pk])


def test_a_stored_row_with_odd_values_never_fails_a_list(api, cadre, leader, rows):
    """Values the constraints allow but no serializer writes: a list for the checklist, objects among the flags,
    control characters in the notes, the earliest EXIF date allowed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE visits_visit SET checklist = %s, flags = %s, notes = %s WHERE id = %s",
            [
                '["family", 1, null]',
                '[{"x": 1}, 2, "far"]',
                "bell\x07 esc\x1b",
                Visit._meta.pk.get_db_prep_value(rows["visit"].pk, connection),
            ],
        )
        cursor.execute(
            "UPDATE visits_visitphoto SET taken_at = %s WHERE id = %s", ["2000-01-01 00:00:00+00", rows["photo"].pk]
        )
    visit_id = rows["visit"].pk

    for user in (cadre, leader):
        client = api.as_user(user)
        assert client.get("/api/v1/visits/").status_code == 200
        assert client.get(f"/api/v1/visits/{visit_id}/").status_code == 200
        assert client.get("/api/v1/geo/visits/?bbox=108,34,109,35").status_code == 200
        export = client.get("/api/v1/visits/export.xlsx")
        assert export.status_code in (200, 202), export.content[:300]


def test_a_non_finite_value_renders_as_unknown_not_as_a_server_error(rows):
    """Should one reach a serializer (an old row, a bug elsewhere), JSON shows null rather than failing."""
    from visits.api.serializers import VisitSerializer

    visit = Visit.objects.select_related("unit", "cadre").get(pk=rows["visit"].pk)
    visit.accuracy_m, visit.distance_m = float("nan"), float("inf")

    data = VisitSerializer(visit, context={"tickets": {}}).data

    assert data["accuracy_m"] is None and data["distance_m"] is None
