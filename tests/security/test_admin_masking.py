"""The admin shows personal data masked on list and change pages; a reveal there asks a reason and is logged; search
by a full name or phone is only for roles that may reveal, and never by a fragment (issue 12 item 4)."""

import pytest
from django.contrib.auth.models import Permission

from campaign.models import AccessLog, Role
from tests.factories import HouseholdFactory, UserFactory
from tests.issues.conftest import Tickets

PHONE, NAME, ID_NUMBER = "13812345678", "张三丰", "610113199001011230"


@pytest.fixture
def home(org):
    return HouseholdFactory(unit=org.grid1, head_name=NAME, phone=PHONE, head_id_number=ID_NUMBER)


@pytest.fixture
def admin_client(client, org):
    user = UserFactory(username="root", role=Role.ADMIN, unit=org.district, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def leader_client(client, org):
    """A staff leader allowed to view households in the admin: leaders may not reveal personal data."""
    user = UserFactory(username="staffleader", role=Role.LEADER, unit=org.district, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_household", "view_ticket", "change_household"])
    )
    client.force_login(user)
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_household_changelist_is_masked(admin_client, home):
    html = page(admin_client, "/admin/campaign/household/")

    assert "138******78" in html and "张**" in html
    assert PHONE not in html and NAME not in html


def test_the_household_change_page_is_masked_and_logs_nothing(admin_client, home):
    html = page(admin_client, f"/admin/campaign/household/{home.pk}/change/")

    assert "138******78" in html and "610113**********30" in html
    assert PHONE not in html and NAME not in html and ID_NUMBER not in html
    assert not AccessLog.objects.exists()


def test_an_admin_reveal_asks_a_reason_and_is_logged(admin_client, home):
    refused = page(admin_client, f"/admin/campaign/household/{home.pk}/change/?reveal=1")
    assert PHONE not in refused and not AccessLog.objects.exists()

    html = page(admin_client, f"/admin/campaign/household/{home.pk}/change/?reveal=1&reason=核实")

    assert PHONE in html and ID_NUMBER in html
    log = AccessLog.objects.get()
    assert (log.object_type, log.object_id, log.reason) == ("household", str(home.pk), "核实")


def test_a_masked_change_page_saves_without_touching_personal_fields(admin_client, home, org):
    form = {"address": "新地址1号", "unit": org.grid1.pk, "members": 2, "lat": "", "lng": "", "tags": "[]"}
    form["confirmed"] = "on"

    response = admin_client.post(f"/admin/campaign/household/{home.pk}/change/", form)

    assert response.status_code == 302
    home.refresh_from_db()
    assert (home.address, home.phone, home.head_name, home.head_id_number) == ("新地址1号", PHONE, NAME, ID_NUMBER)


def test_an_admin_finds_a_household_by_a_full_phone_name_or_id_number_only(admin_client, home, org):
    other = HouseholdFactory(unit=org.grid1, head_name="李四", phone="13900000000")

    for term in (PHONE, NAME, ID_NUMBER):
        html = page(admin_client, f"/admin/campaign/household/?q={term}")
        assert home.address in html and other.address not in html
    assert home.address not in page(admin_client, "/admin/campaign/household/?q=5678")  # no fragment search
    assert home.address not in page(admin_client, "/admin/campaign/household/?q=张")


def test_a_leader_cannot_search_by_phone_and_reads_masked_even_when_asking(leader_client, home):
    assert home.address not in page(leader_client, f"/admin/campaign/household/?q={PHONE}")
    assert home.address not in page(leader_client, f"/admin/campaign/household/?q={NAME}")
    assert home.address in page(leader_client, "/admin/campaign/household/")

    html = page(leader_client, f"/admin/campaign/household/{home.pk}/change/?reveal=1&reason=核实")

    assert PHONE not in html and "138******78" in html
    assert not AccessLog.objects.exists()


def test_the_ticket_admin_is_masked(admin_client, org, cadre, dispatcher, handler, campaign_obj):
    ticket = Tickets(org, cadre, dispatcher, handler, campaign_obj).reported(
        requester_name="王小明", requester_phone="13912345678"
    )

    html = page(admin_client, f"/admin/issues/ticket/{ticket.pk}/change/")

    assert "139******78" in html and "王**" in html
    assert "13912345678" not in html and "王小明" not in html
    assert ticket.code in page(admin_client, "/admin/issues/ticket/?q=13912345678")
