"""The partner pages (/interop/partners/): a district's admins see their partners' subscriptions and deliveries,
failures shown, and replay a failed delivery with its event id; another district's partner is 404; the admin shows a
new subscription's secret once."""

from __future__ import annotations

import pytest
from django.test import Client

from campaign.models import OrgUnit, Role, UnitKind
from interop.models import DeliveryStatus, Partner, WebhookDelivery, WebhookSubscription
from tests.factories import UserFactory
from tests.interop.webhook_fixtures import (  # noqa: F401  fixtures
    partner_fixture,
    receiver_fixture,
    send_due,
    subscribe,
    tickets_fixture,
    webhook_settings_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(tickets, partner, receiver) -> WebhookDelivery:
    """A delivery that failed its last attempt (the receiver answered 500)."""
    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    receiver.answer = 500
    send_due()
    WebhookDelivery.objects.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    receiver.answer = 200
    return WebhookDelivery.objects.get()


@pytest.fixture
def other_admin(db):
    other = OrgUnit.objects.create(name="雁塔区", kind=UnitKind.DISTRICT, code="YT")
    return UserFactory(username="yt-admin", role=Role.ADMIN, unit=other)


def test_the_partner_page_shows_failures_and_a_replay_puts_the_same_event_id_back(
    web, admin_user, partner, failed, receiver
):
    client = web(admin_user)
    listing = client.get("/interop/partners/")
    assert listing.status_code == 200 and partner.name in listing.content.decode()
    page = client.get(f"/interop/partners/{partner.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and str(failed.event_id) in html and "HTTP 500" in html and "重发" in html
    # when: the admin replays it
    answer = client.post(f"/interop/partners/{partner.pk}/deliveries/{failed.pk}/replay/")
    assert answer.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING and failed.attempts == 0
    # then: the sweep sends it, with the event id of the first attempt
    assert send_due() == [DeliveryStatus.SENT]
    assert receiver.event_ids() == [str(failed.event_id)] * 2


def test_only_a_failed_delivery_can_be_replayed(web, admin_user, partner, failed):
    WebhookDelivery.objects.update(status=DeliveryStatus.SENT)
    answer = web(admin_user).post(f"/interop/partners/{partner.pk}/deliveries/{failed.pk}/replay/", follow=True)
    assert "只有发送失败的推送可以重发" in answer.content.decode()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SENT


def test_another_districts_admin_gets_404(web, other_admin, partner, failed):
    client = web(other_admin)
    assert partner.name not in client.get("/interop/partners/").content.decode()
    assert client.get(f"/interop/partners/{partner.pk}/").status_code == 404
    assert client.post(f"/interop/partners/{partner.pk}/deliveries/{failed.pk}/replay/").status_code == 404
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_delivery_of_another_partner_is_404_under_this_one(web, admin_user, org, partner, failed):
    second = Partner.objects.create(name="随手拍", district=org.district, key_hash="y" * 64)
    url = f"/interop/partners/{second.pk}/deliveries/{failed.pk}/replay/"
    assert web(admin_user).post(url).status_code == 404


def test_other_roles_may_not_open_the_pages(web, dispatcher, leader, partner):
    for user in (dispatcher, leader):
        assert web(user).get("/interop/partners/").status_code == 403
        assert web(user).get(f"/interop/partners/{partner.pk}/").status_code == 403


def test_the_replay_is_a_post_with_a_csrf_token(admin_user, partner, failed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    url = f"/interop/partners/{partner.pk}/deliveries/{failed.pk}/replay/"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_bad_status_filter_shows_every_delivery(web, admin_user, partner, failed):
    for status in ("nonsense", "failed\x00", "x" * 500):
        page = web(admin_user).get(f"/interop/partners/{partner.pk}/", {"status": status})
        assert page.status_code == 200 and str(failed.event_id) in page.content.decode()


def test_the_pages_read_a_fixed_number_of_queries(
    web, admin_user, partner, failed, tickets, django_assert_max_num_queries
):
    client = web(admin_user)
    client.get("/interop/partners/")  # the session and the user's unit, once
    with django_assert_max_num_queries(10) as few:
        client.get(f"/interop/partners/{partner.pk}/")
    for _ in range(5):
        tickets.reported()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/interop/partners/{partner.pk}/")
    with django_assert_max_num_queries(9):
        client.get("/interop/partners/")


def test_the_admin_shows_a_new_subscriptions_secret_once(client, partner, org, receiver):
    superuser = UserFactory(username="root", role=Role.ADMIN, unit=org.district, is_staff=True, is_superuser=True)
    client.force_login(superuser)
    answer = client.post(
        "/admin/interop/webhooksubscription/add/",
        {"partner": partner.pk, "url": receiver.url, "events": ["created", "closed"], "is_active": "on"},
        follow=True,
    )
    assert answer.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret and subscription.secret in answer.content.decode()
    assert subscription.district_id == org.district.pk and subscription.events == ["created", "closed"]
    again = client.get(f"/admin/interop/webhooksubscription/{subscription.pk}/change/")
    assert subscription.secret not in again.content.decode()
    refused = client.post(
        "/admin/interop/webhooksubscription/add/",
        {"partner": partner.pk, "url": "file:///etc/passwd", "events": ["created"], "is_active": "on"},
    )
    assert refused.status_code == 200 and WebhookSubscription.objects.count() == 1
