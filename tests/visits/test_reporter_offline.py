"""A 户长's report with the phone's id (POST /api/v1/reports/, issue 16): a report queued in a dead spot and sent
again on reconnect is one ticket; the same id with another body, or another user's, is 409; hostile input 400 with
nothing stored; only reporters; a household outside the group 404."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections

from campaign.household_groups import household_group_save
from campaign.models import HouseholdGroup, Role
from issues.models import Ticket, TicketEvent
from tests.factories import HouseholdFactory, UserFactory
from visits.models import ReportKey
from visits.reporter import report_record

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/"


@pytest.fixture
def reporter(org, admin_user, campaign_obj):
    head = UserFactory(username="huzhang", role=Role.REPORTER, unit=org.grid1)
    homes = [HouseholdFactory(unit=org.grid1, address=f"丈八路{n}号") for n in range(2)]
    household_group_save(
        actor=admin_user, group=HouseholdGroup(name="一号户区", unit=org.grid1, head=head), households=homes
    )
    head.home = homes[0]
    return head


def body(reporter, **fields):
    return {
        "id": str(uuid.uuid4()),
        "kind": "request",
        "description": "楼道灯坏了",
        "requester_household": reporter.home.pk,
        **fields,
    }


def stored():
    return Ticket.objects.count(), TicketEvent.objects.count(), ReportKey.objects.count()


def test_a_report_sent_twice_is_one_ticket(api, reporter):
    report = body(reporter)
    first = api.as_user(reporter).post(URL, report, format="json")
    assert first.status_code == 201, first.json()
    again = api.as_user(reporter).post(URL, {**report}, format="json")  # the outbox resends after a lost answer
    assert again.status_code == 200 and again.json() == first.json()
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.created_by_id, ticket.requester_household_id) == (
        "self_found",
        reporter.pk,
        reporter.home.pk,
    )
    assert first.json()["code"] == ticket.code and stored() == (1, 1, 1)


def test_the_same_id_with_another_body_or_by_another_reporter_is_409(api, org, admin_user, reporter):
    report = body(reporter)
    assert api.as_user(reporter).post(URL, report, format="json").status_code == 201
    assert api.as_user(reporter).post(URL, {**report, "description": "另一件事"}, format="json").status_code == 409
    other = UserFactory(username="huzhang2", role=Role.REPORTER, unit=org.grid1)
    home = HouseholdFactory(unit=org.grid1)
    household_group_save(
        actor=admin_user, group=HouseholdGroup(name="二号户区", unit=org.grid1, head=other), households=[home]
    )
    theirs = {**report, "requester_household": home.pk}
    assert api.as_user(other).post(URL, theirs, format="json").status_code == 409
    assert stored() == (1, 1, 1)


def test_a_household_outside_the_group_is_404_and_nothing_stored(api, org, reporter):
    outsider = HouseholdFactory(unit=org.grid1)
    response = api.as_user(reporter).post(URL, body(reporter, requester_household=outsider.pk), format="json")
    assert response.status_code == 404 and stored() == (0, 0, 0)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": None}, "id"),
        ({"description": ""}, "description"),
        ({"description": "灯坏了\x00"}, "description"),
        ({"description": "长" * 5001}, "description"),
        ({"kind": "praise"}, "kind"),
        ({"source": "hotline"}, "source"),
        ({"lat": "NaN", "lng": 108.88}, "lat"),
        ({"category": "类" * 51}, "category"),
    ],
)
def test_hostile_reports_are_refused_by_field_with_nothing_stored(api, reporter, change, field):
    response = api.as_user(reporter).post(URL, body(reporter, **change), format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert stored() == (0, 0, 0)


def test_only_reporters_use_it(api, cadre, reporter):
    response = api.as_user(cadre).post(URL, body(reporter), format="json")
    assert response.status_code == 403 and stored() == (0, 0, 0)


def test_the_schema_lists_it(api, admin_user):
    schema = api.as_user(admin_user).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200 and "/api/v1/reports/" in schema.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_eight_resends_racing_store_one_ticket(reporter):
    report = body(reporter)
    fields = {"source": "self_found", "kind": "request", "description": report["description"]}
    fields["requester_household"] = reporter.home.pk
    outcomes: list[tuple[int, bool]] = []
    barrier = threading.Barrier(8)

    def resend() -> None:
        try:
            barrier.wait()
            ticket, created = report_record(actor=reporter, report_id=report["id"], body_hash="h", fields=fields)
            outcomes.append((ticket.pk, created))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=resend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 8 and len({pk for pk, _ in outcomes}) == 1
    assert sum(created for _, created in outcomes) == 1 and stored() == (1, 1, 1)
