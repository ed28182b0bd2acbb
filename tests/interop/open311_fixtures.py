"""Fixtures of the Open311 tests (imported by each tests/interop/test_open311*.py as `<name>_fixture`, each named
`<name>`): a partner of the test district with a known key, a second district with its own partner and ticket, and
tickets carrying a requester's name and phone — which no answer may hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from campaign.models import OrgUnit, Role, UnitKind, User
from interop.models import Partner
from issues.models import Ticket
from issues.services import ticket_create
from tests.factories import square
from tests.issues.conftest import GRID1_POINT, Tickets

KEY = "test-open311-key-gaoxin-0123456789abcdef"
OTHER_KEY = "test-open311-key-changan-0123456789abcdef"
REQUESTER_NAME, REQUESTER_PHONE = "欧阳秀英", "13912345678"
OTHER_POINT = {"lat": 34.10, "lng": 108.95}


@pytest.fixture(name="fast_password_hashing", autouse=True)
def fast_password_hashing_fixture(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(name="tickets")
def tickets_fixture(org, cadre, dispatcher, handler, campaign_obj) -> Tickets:
    return Tickets(org, cadre, dispatcher, handler, campaign_obj)


@pytest.fixture(name="partner")
def partner_fixture(org) -> Partner:
    partner = Partner(name="市12345热线", district=org.district)
    partner.set_key(KEY)
    partner.save()
    return partner


@dataclass
class Elsewhere:
    district: OrgUnit
    grid: OrgUnit
    partner: Partner
    ticket: Ticket


@pytest.fixture(name="elsewhere")
def elsewhere_fixture(org) -> Elsewhere:
    """长安区 (CA) with one grid, its own partner and one ticket: out of the test partner's scope."""
    district = OrgUnit.objects.create(name="长安区", kind=UnitKind.DISTRICT, code="CA", lat=34.10, lng=108.95)
    street = OrgUnit.objects.create(name="韦曲街道", kind=UnitKind.STREET, parent=district)
    grid = OrgUnit.objects.create(
        name="韦曲一网格", kind=UnitKind.GRID, parent=street, boundary=square(34.10, 108.95), lat=34.10, lng=108.95
    )
    other = Partner(name="长安区平台", district=district)
    other.set_key(OTHER_KEY)
    other.save()
    dispatcher = User.objects.create(username="ca_dispatcher", role=Role.DISPATCHER, unit=district)
    ticket = ticket_create(
        actor=dispatcher,
        source="hotline",
        kind="complaint",
        description="长安区的诉求",
        unit=grid,
        lat=OTHER_POINT["lat"],
        lng=OTHER_POINT["lng"],
    )
    return Elsewhere(district, grid, other, ticket)


@pytest.fixture(name="personal_ticket")
def personal_ticket_fixture(tickets: Tickets, dispatcher: Any) -> Ticket:
    """A hotline ticket of grid1 with a requester's name and phone in its fields (and its description)."""
    return ticket_create(
        actor=dispatcher,
        source="hotline",
        kind="complaint",
        category="城市管理",
        description=f"{REQUESTER_NAME}来电：楼下烧烤油烟大，回电{REQUESTER_PHONE}",
        requester_name=REQUESTER_NAME,
        requester_phone=REQUESTER_PHONE,
        lat=GRID1_POINT["lat"],
        lng=GRID1_POINT["lng"],
    )
