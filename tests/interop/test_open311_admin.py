"""Partners in /admin/ (issue 17 item 1): a new partner's Open311 key is shown once, on the answer of the save; the
list and the change page show its prefix only; "生成新的密钥" replaces it and the old key stops working at once; a
district's admin sees its district's partners only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission

from campaign.models import OrgUnit, Role, UnitKind
from interop.models import Partner
from tests.factories import UserFactory
from tests.interop.open311_fixtures import KEY, fast_password_hashing_fixture, partner_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
KEY_SHOWN = re.compile(r"只显示这一次[^：]*：([A-Za-z0-9_-]{40,})")


@pytest.fixture
def superuser(org):
    return UserFactory(username="root", role=Role.ADMIN, unit=org.district, is_staff=True, is_superuser=True)


def test_a_new_partners_key_is_shown_once_and_works(client, org, superuser):
    client.force_login(superuser)
    answer = client.post(
        "/admin/interop/partner/add/",
        {"name": "区网格化平台", "district": org.district.pk, "is_active": "on"},
        follow=True,
    )
    assert answer.status_code == 200
    [key] = KEY_SHOWN.findall(answer.content.decode())
    partner = Partner.objects.get(name="区网格化平台")
    assert Partner.by_key(key) == partner and partner.key_prefix == key[:8]
    for page in (f"/admin/interop/partner/{partner.pk}/change/", "/admin/interop/partner/"):
        text = client.get(page).content.decode()
        assert key not in text and partner.key_prefix in text
    assert client.get("/open311/v2/requests.json", {"api_key": key}).status_code == 200


def test_a_new_key_replaces_the_old_one(client, superuser, partner):
    client.force_login(superuser)
    answer = client.post(
        "/admin/interop/partner/",
        {"action": "new_key", "_selected_action": [partner.pk]},
        follow=True,
    )
    [key] = KEY_SHOWN.findall(answer.content.decode())
    assert key != KEY
    assert client.get("/open311/v2/requests.json", {"api_key": KEY}).status_code == 403
    assert client.get("/open311/v2/requests.json", {"api_key": key}).status_code == 200


def test_another_districts_admin_does_not_see_the_partner(client, partner):
    other = OrgUnit.objects.create(name="雁塔区", kind=UnitKind.DISTRICT, code="YT")
    admin = UserFactory(username="yt-admin", role=Role.ADMIN, unit=other, is_staff=True)
    admin.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="interop", codename__endswith="_partner")
    )
    client.force_login(admin)
    page = client.get("/admin/interop/partner/")
    assert page.status_code == 200 and partner.name not in page.content.decode()
    assert client.get(f"/admin/interop/partner/{partner.pk}/change/").status_code in (302, 404)
