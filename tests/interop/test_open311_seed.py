"""seed_demo's partner system (issue 17 item 1): the demo district answers Open311 with the key zoufang-demo-open311,
including the two requests the partner filed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from interop.models import Partner
from interop.open311.seed import DEMO_KEY
from issues.models import Source, Ticket

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_demo_partner_and_its_requests(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--size", "small", stdout=io.StringIO())

    assert DEMO_KEY == "zoufang-demo-open311"
    partner = Partner.by_key(DEMO_KEY)
    assert partner is not None and partner.district.code == "GX" and partner.key_prefix == DEMO_KEY[:8]
    filed = Ticket.objects.filter(source=Source.PARTNER).order_by("pk")
    assert filed.count() == 2 and all(t.district_id == partner.district_id for t in filed)
    rows = client.get("/open311/v2/requests.json", {"api_key": DEMO_KEY}).json()
    own = [r for r in rows if r["description"]]
    assert {r["service_request_id"] for r in own} == {t.code for t in filed}
    assert len(rows) > len(own)  # the district's other tickets too, without their words
