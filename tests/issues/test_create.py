"""Opening a ticket: TicketInput checks the shapes (every bad field at once), ticket_create the rules in SPEC §1's
order (requester out of scope 404 → role 403 → fields 400)."""

from __future__ import annotations

import pytest

from campaign.errors import Invalid, NotAllowed, OutOfScope
from campaign.models import Category
from issues.inputs import TicketInput
from issues.models import Ticket
from issues.services import ticket_create
from tests.factories import EnterpriseFactory, HouseholdFactory


def test_a_requester_outside_the_dispatchers_scope_is_404_and_stores_nothing(api, street_leader, cadre, org):
    elsewhere = HouseholdFactory(unit=org.grid2)
    body = {"source": "self_found", "kind": "request", "description": "x", "requester_household": elsewhere.pk}

    response = api.as_user(cadre).post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 404
    assert Ticket.objects.count() == 0


def test_the_requesters_unit_is_where_the_matter_is_by_default(api, cadre, org, campaign_obj):
    home = HouseholdFactory(unit=org.grid1)
    body = {"source": "self_found", "kind": "request", "description": "楼道灯坏了", "requester_household": home.pk}

    response = api.as_user(cadre).post("/api/v1/tickets/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["unit"] == org.grid1.pk and response.json()["requester_household"] == home.pk


def test_the_input_names_every_bad_field_and_pair_at_once(org):
    body = {
        "source": "pigeon",
        "kind": "gossip",
        "description": "",
        "lat": 34.19,
        "requester_household": 1,
        "requester_enterprise": 2,
        "attachments": ["a"] * 21,
        "requester_phone": "12",
    }

    serializer = TicketInput(data=body)

    assert not serializer.is_valid()
    assert set(serializer.errors) == {
        "source",
        "kind",
        "description",
        "lat",
        "requester_enterprise",
        "attachments",
        "requester_phone",
    }


def test_a_point_out_of_range_is_named(org):
    serializer = TicketInput(data={"source": "hotline", "kind": "request", "description": "x", "lat": 91, "lng": 0})

    assert not serializer.is_valid() and set(serializer.errors) == {"lat"}


def test_the_role_is_checked_before_the_fields(dispatcher, cadre, org):
    with pytest.raises(NotAllowed):
        ticket_create(actor=cadre, source="hotline", kind="request", description="x", unit=org.grid2)


def test_the_requesters_scope_is_checked_before_the_role(cadre, org):
    other = EnterpriseFactory(unit=org.grid2)
    with pytest.raises(OutOfScope):
        ticket_create(actor=cadre, source="hotline", kind="request", description="x", requester_enterprise=other.pk)


def test_a_unit_outside_the_scope_is_not_found(cadre, org):
    # issue 12 item 2: a named unit out of scope answers 404, as every write naming another's row
    with pytest.raises(OutOfScope):
        ticket_create(actor=cadre, source="self_found", kind="request", description="x", unit=org.grid2)


@pytest.mark.parametrize("category", ["别的", "教育"])
def test_a_category_outside_the_campaigns_is_refused(cadre, org, campaign_obj, category):
    # "别的" is no category at all; 教育 is one, but not among the campaign's
    campaign_obj.categories.set(Category.objects.filter(name="城市管理"))
    with pytest.raises(Invalid) as caught:
        ticket_create(
            actor=cadre, source="self_found", kind="request", description="x", unit=org.grid1, category=category
        )

    assert list(caught.value.detail) == ["category"]
    assert not Ticket.objects.exists()
