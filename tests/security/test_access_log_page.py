"""Leaders and admins review the personal-data access log at /audit/access/: scope first, filtered, paginated."""

import datetime as dt

import pytest
from django.utils import timezone

from campaign.models import AccessLog, Role
from tests.factories import UserFactory

URL = "/audit/access/"


@pytest.fixture
def logs(org, dispatcher, cadre, cadre2):
    """cadre (grid1, street1) read a household; cadre2 (grid2, street2) a ticket; the dispatcher (district) both."""
    rows = [
        AccessLog.objects.create(user=cadre, object_type="household", object_id="11", fields="phone", reason="回访"),
        AccessLog.objects.create(user=cadre2, object_type="ticket", object_id="22", fields="requester_phone"),
        AccessLog.objects.create(user=dispatcher, object_type="household", object_id="33", fields="phone"),
    ]
    AccessLog.objects.filter(pk=rows[2].pk).update(at=timezone.now() - dt.timedelta(days=10))
    return rows


def rows_of(response):
    html = response.content.decode()
    return {oid for oid in ("11", "22", "33") if f"#{oid}<" in html}


def test_a_district_leader_sees_every_row(client, leader, logs):
    client.force_login(leader)

    assert rows_of(client.get(URL)) == {"11", "22", "33"}


def test_a_street_leader_sees_only_readers_of_their_scope(client, street_leader, logs):
    client.force_login(street_leader)

    assert rows_of(client.get(URL)) == {"11"}


def test_filters_by_user_object_type_and_dates(client, leader, logs):
    client.force_login(leader)
    today = timezone.localdate().isoformat()

    assert rows_of(client.get(URL, {"user": "cadre2"})) == {"22"}
    assert rows_of(client.get(URL, {"object_type": "household"})) == {"11", "33"}
    assert rows_of(client.get(URL, {"date_from": today})) == {"11", "22"}
    assert rows_of(client.get(URL, {"date_to": (timezone.localdate() - dt.timedelta(days=5)).isoformat()})) == {"33"}


def test_a_bad_filter_is_a_400_with_the_forms_error(client, leader, logs):
    client.force_login(leader)

    response = client.get(URL, {"date_from": "2026-13-45", "object_type": "nope"})

    assert response.status_code == 400 and rows_of(response) == set()
    assert "date_from" in response.content.decode()


@pytest.mark.parametrize("role", [Role.CADRE, Role.DISPATCHER, Role.HANDLER])
def test_other_roles_are_refused(client, org, role, logs):
    client.force_login(UserFactory(username=f"x-{role}", role=role, unit=org.district))

    assert client.get(URL).status_code == 403


def test_the_page_is_paginated(client, leader, cadre):
    AccessLog.objects.bulk_create(
        AccessLog(user=cadre, object_type="household", object_id=str(i), fields="phone") for i in range(120)
    )
    client.force_login(leader)

    html = client.get(URL, {"page": 3}).content.decode()

    assert "第 3 / 3 页，共 120 条" in html and html.count("<tr>") == 1 + 20
