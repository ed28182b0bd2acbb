"""A reveal of full personal values asks a reason from a fixed list and is logged: who, what, when, where, why."""

import pytest

from campaign.models import AccessLog
from tests.factories import HouseholdFactory
from tests.issues.conftest import Tickets


@pytest.fixture
def home(org):
    return HouseholdFactory(unit=org.grid1, head_id_number="610113199001011230")


@pytest.fixture
def ticket(org, cadre, dispatcher, handler, campaign_obj):
    return Tickets(org, cadre, dispatcher, handler, campaign_obj).reported(
        requester_name="王小明", requester_phone="13912345678"
    )


@pytest.mark.parametrize("query", ["?reveal=1", "?reveal=1&reason=", "?reveal=1&reason=好奇", "?reveal=true&reason=x"])
def test_a_reveal_without_a_known_reason_is_a_400_naming_reason_and_logs_nothing(api, dispatcher, home, query):
    response = api.as_user(dispatcher).get(f"/api/v1/households/{home.pk}/{query}")

    assert response.status_code == 400 and "reason" in response.json()
    assert not AccessLog.objects.exists()


def test_a_household_reveal_with_a_reason_is_logged_with_the_client_address(api, dispatcher, home):
    response = api.as_user(dispatcher).get(
        f"/api/v1/households/{home.pk}/?reveal=1&reason=回访", REMOTE_ADDR="10.1.2.3"
    )

    row = response.json()
    assert row["phone"] == "13812345678" and row["head_id_number"] == "610113199001011230"
    log = AccessLog.objects.get()
    assert (log.user, log.object_type, log.object_id) == (dispatcher, "household", str(home.pk))
    assert (log.reason, log.client) == ("回访", "10.1.2.3")
    assert "head_id_number" in log.fields and "610113" not in log.fields


def test_without_a_reveal_the_id_number_is_masked(api, dispatcher, home):
    row = api.as_user(dispatcher).get(f"/api/v1/households/{home.pk}/").json()

    assert row["head_id_number"] == "610113**********30"
    assert not AccessLog.objects.exists()


def test_a_leader_with_a_reason_still_reads_masked_and_nothing_is_logged(api, leader, home):
    row = api.as_user(leader).get(f"/api/v1/households/{home.pk}/?reveal=1&reason=核实").json()

    assert row["phone"] == "138******78" and row["head_id_number"] == "610113**********30"
    assert not AccessLog.objects.exists()


def test_a_ticket_reveal_asks_a_reason_too(api, dispatcher, ticket):
    refused = api.as_user(dispatcher).get(f"/api/v1/tickets/{ticket.pk}/?reveal=1")
    assert refused.status_code == 400 and "reason" in refused.json()
    assert not AccessLog.objects.exists()

    data = api.as_user(dispatcher).get(f"/api/v1/tickets/{ticket.pk}/?reveal=1&reason=办理").json()

    assert data["requester_phone"] == "13912345678"
    log = AccessLog.objects.get()
    assert (log.object_type, log.object_id, log.reason) == ("ticket", str(ticket.pk), "办理")


def test_a_ticket_read_without_reveal_is_masked(api, dispatcher, ticket):
    data = api.as_user(dispatcher).get(f"/api/v1/tickets/{ticket.pk}/").json()

    assert data["requester_phone"] == "139******78" and data["requester_name"] == "王**"
