"""The client's UUID is the idempotency key (SPEC §4): same body → 200, different body → 409, never a duplicate."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from tests.visits.conftest import visit_body
from visits.models import Visit


def test_same_id_and_same_body_answers_200_with_the_stored_visit(api, cadre, household, campaign_obj):
    body = visit_body(household)
    first = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    again = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Visit.objects.count() == 1


def test_key_order_does_not_make_a_body_different(api, cadre, household, campaign_obj):
    body = visit_body(household)
    api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    reordered = dict(reversed(list(body.items())))
    response = api.as_user(cadre).post("/api/v1/visits/", reordered, format="json")

    assert response.status_code == 200


def test_same_id_with_a_different_body_answers_409_and_keeps_the_first(api, cadre, household, campaign_obj):
    body = visit_body(household)
    api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    response = api.as_user(cadre).post("/api/v1/visits/", {**body, "notes": "改过的记录"}, format="json")

    assert response.status_code == 409
    assert Visit.objects.get().notes == body["notes"]


def test_another_user_reusing_an_id_gets_409(api, cadre, household, campaign_obj, org):
    from tests.factories import UserFactory

    body = visit_body(household)
    api.as_user(cadre).post("/api/v1/visits/", body, format="json")
    colleague = UserFactory(role="cadre", unit=org.grid1)

    response = api.as_user(colleague).post("/api/v1/visits/", body, format="json")

    assert response.status_code == 409
    assert Visit.objects.get().cadre == cadre


def test_a_retry_that_would_now_fail_validation_still_answers_the_stored_visit(
    api, cadre, household, campaign_obj, time_machine
):
    # given a stored visit
    body = visit_body(household)
    assert api.as_user(cadre).post("/api/v1/visits/", body, format="json").status_code == 201

    # when the same body comes again while the server's clock reads an hour earlier (its visited_at now "future")
    time_machine.move_to(timezone.now() - dt.timedelta(hours=1))
    response = api.as_user(cadre).post("/api/v1/visits/", body, format="json")

    # then the phone still gets the stored visit, not a 400
    assert response.status_code == 200
    assert Visit.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_sixteen_simultaneous_posts_of_one_visit_store_one_row(org, cadre, household, campaign_obj):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises writers)")
    from rest_framework.test import APIClient

    body = visit_body(household)
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def post() -> None:
        client = APIClient()
        client.force_authenticate(cadre)
        try:
            barrier.wait()
            statuses.append(client.post("/api/v1/visits/", body, format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Visit.objects.filter(pk=body["id"]).count() == 1
    assert sorted(statuses) == [200] * 15 + [201]
