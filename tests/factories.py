"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from campaign.models import Campaign, Enterprise, Household, OrgUnit, Role, UnitKind, User
from campaign.validators import credit_code_check_char


def square(lat: float, lng: float, half_deg: float = 0.005) -> dict:
    """A GeoJSON square boundary centred on (lat, lng)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lng - half_deg, lat - half_deg],
                [lng + half_deg, lat - half_deg],
                [lng + half_deg, lat + half_deg],
                [lng - half_deg, lat + half_deg],
                [lng - half_deg, lat - half_deg],
            ]
        ],
    }


def valid_credit_code(n: int) -> str:
    body = f"91610131{n:09d}"
    return body + credit_code_check_char(body)


class OrgUnitFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = UnitKind.GRID


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"干部{n}")
    role = Role.CADRE
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    address = factory.Sequence(lambda n: f"丈八街道某小区{n}号楼")
    head_name = "张三丰"
    phone = "13812345678"
    members = 3
    lat = 34.19
    lng = 108.88


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"西安某科技有限公司{n}")
    credit_code = factory.Sequence(valid_credit_code)
    address = "锦业路1号"
    contact_name = "李四"
    contact_phone = "13987654321"
    lat = 34.19
    lng = 108.88


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    name = "进万家门·知万家事·解万家忧"
    # Running in 2026 and around today whenever the suite runs: a visit's default campaign is the one running on its
    # day (campaign.selectors.campaign_of), so a fixed end date would make the suite fail from 2027 on.
    start_date = factory.LazyFunction(lambda: dt.date(2026, 1, 1))
    end_date = factory.LazyFunction(lambda: max(dt.date(2026, 12, 31), timezone.localdate() + dt.timedelta(days=365)))


def accepted_door_to_door_ticket(org, household):
    """A door_to_door ticket of grid1 requested by `household`, led by dept1 (the handler's department), accepted two
    hours ago: what a handler's door-to-door visit proves."""
    from issues.models import Ticket

    now = timezone.now()
    return Ticket.objects.create(
        code="GX-20260512-000001",
        source="visit",
        kind="request",
        description="下水道堵塞",
        unit=org.grid1,
        requester_household=household,
        mode="door_to_door",
        lead_unit=org.dept1,
        status="accepted",
        created_at=now - dt.timedelta(hours=3),
        dispatched_at=now - dt.timedelta(hours=3),
        accepted_at=now - dt.timedelta(hours=2),
    )
