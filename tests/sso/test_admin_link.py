"""An admin links a pending identity to an existing account, or refuses it, in the Django admin; a district's
admin only within their subtree (sso/admin.py, sso.services)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaign.models import AuditEvent, Role
from sso.models import IdentityStatus, SsoIdentity
from tests.factories import UserFactory


@pytest.fixture
def pending(db):
    return SsoIdentity.objects.create(provider="gov", subject="sub-1", display_name="王小明")


def _staff(username, role, unit, **kw):
    return UserFactory(username=username, role=role, unit=unit, is_staff=True, is_superuser=True, **kw)


def _change(client, identity, **data):
    url = reverse("admin:sso_ssoidentity_change", args=[identity.pk])
    return client.post(url, {"status": IdentityStatus.PENDING, "user": "", **data})


def test_admin_links_a_pending_identity_to_an_account_of_their_district(client, org, pending):
    admin = _staff("admin", Role.ADMIN, org.district)
    cadre = UserFactory(username="c1", role=Role.CADRE, unit=org.grid1)
    client.force_login(admin)

    answer = _change(client, pending, user=cadre.pk)

    assert answer.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.user, pending.decided_by) == (IdentityStatus.LINKED, cadre, admin)
    audited = AuditEvent.objects.get(action="admin_change", object_type="ssoidentity")
    assert audited.actor == admin and audited.object_id == str(pending.pk)


def test_street_admin_cannot_link_an_account_outside_their_street(client, org, pending):
    street_admin = _staff("sadmin", Role.ADMIN, org.street1)
    elsewhere = UserFactory(username="c2", role=Role.CADRE, unit=org.grid2)
    client.force_login(street_admin)

    answer = _change(client, pending, user=elsewhere.pk, status=IdentityStatus.LINKED)

    assert answer.status_code == 200  # the form again, with the error
    pending.refresh_from_db()
    assert pending.status == IdentityStatus.PENDING and pending.user is None


def test_street_admin_does_not_see_identities_linked_outside_their_street(client, org, pending):
    elsewhere = UserFactory(username="c2", role=Role.CADRE, unit=org.grid2)
    SsoIdentity.objects.create(provider="gov", subject="sub-2", user=elsewhere, status=IdentityStatus.LINKED)
    client.force_login(_staff("sadmin", Role.ADMIN, org.street1))

    page = client.get(reverse("admin:sso_ssoidentity_changelist"))

    assert page.status_code == 200
    assert "sub-1" in page.text and "sub-2" not in page.text
    assert "王小明" not in page.text  # the provider's name is masked


def test_one_account_holds_one_identity_per_provider(client, org, pending):
    admin = _staff("admin", Role.ADMIN, org.district)
    cadre = UserFactory(username="c1", role=Role.CADRE, unit=org.grid1)
    SsoIdentity.objects.create(provider="gov", subject="sub-2", user=cadre, status=IdentityStatus.LINKED)
    client.force_login(admin)

    answer = _change(client, pending, user=cadre.pk)

    assert answer.status_code == 200 and "该账号已关联此认证源的另一身份" in answer.text
    pending.refresh_from_db()
    assert pending.user is None


def test_refusing_drops_the_account_and_a_decided_identity_is_not_pending_again(client, org, pending):
    admin = _staff("admin", Role.ADMIN, org.district)
    cadre = UserFactory(username="c1", role=Role.CADRE, unit=org.grid1)
    client.force_login(admin)

    assert _change(client, pending, user=cadre.pk, status=IdentityStatus.REFUSED).status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.user) == (IdentityStatus.REFUSED, None)
    assert _change(client, pending, status=IdentityStatus.PENDING).status_code == 200


def test_identities_are_never_added_by_hand(client, org):
    client.force_login(_staff("admin", Role.ADMIN, org.district))
    assert client.get(reverse("admin:sso_ssoidentity_add")).status_code == 403


def test_refuse_action(client, org, pending):
    client.force_login(_staff("admin", Role.ADMIN, org.district))
    url = reverse("admin:sso_ssoidentity_changelist")
    answer = client.post(url, {"action": "refuse_identities", "_selected_action": [pending.pk]})
    assert answer.status_code == 302
    pending.refresh_from_db()
    assert pending.status == IdentityStatus.REFUSED


def test_the_list_reads_a_fixed_number_of_queries(client, org, django_assert_max_num_queries):
    admin = _staff("admin", Role.ADMIN, org.district)
    for n in range(20):
        user = UserFactory(username=f"u{n}", role=Role.CADRE, unit=org.grid1)
        SsoIdentity.objects.create(provider="gov", subject=f"s{n}", user=user, status=IdentityStatus.LINKED)
    client.force_login(admin)

    with django_assert_max_num_queries(10):
        assert client.get(reverse("admin:sso_ssoidentity_changelist")).status_code == 200
