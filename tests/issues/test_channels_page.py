"""/accounts/notifications/: a user chooses SMS or WeChat beside the in-app bell; a channel that cannot be chosen, an
unknown one or a hostile value is a 400 and nothing is stored. And the admin shows the outbox and masks the OpenID."""

from __future__ import annotations

import pytest

from campaign.models import NotifyPreference
from issues.models import ChannelDelivery

URL = "/accounts/notifications/"


@pytest.fixture
def with_phone(handler):
    handler.phone = "13800001111"
    handler.save(update_fields=["phone"])
    return handler


def test_the_page_shows_the_channels_and_the_masked_number(web, with_phone, providers, django_assert_max_num_queries):
    client = web(with_phone)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "短信" in page and "微信模板消息" in page and "站内通知" in page
    assert "13800001111" not in page and "138******11" in page
    assert "您尚未绑定微信" in page  # WeChat configured, no OpenID bound


def test_a_user_turns_sms_on_and_off(web, with_phone, providers):
    client = web(with_phone)
    response = client.post(URL, {"channels": ["in_app", "sms"]})
    assert response.status_code == 302
    assert NotifyPreference.objects.filter(user=with_phone, sms=True, wechat=False).exists()
    assert client.post(URL, {"channels": ["in_app"]}).status_code == 302
    assert NotifyPreference.objects.filter(user=with_phone, sms=False).exists()


def test_wechat_once_an_admin_bound_the_openid(web, handler, providers):
    NotifyPreference.objects.create(user=handler, wechat_openid="oABCD1234567890openid")
    assert web(handler).post(URL, {"channels": ["wechat"]}).status_code == 302
    assert NotifyPreference.objects.get(user=handler).wechat


@pytest.mark.parametrize(
    "channels",
    [["carrier_pigeon"], ["sms", "carrier_pigeon"], ["sms\x00"], ["s" * 5000], ["wechat"]],
    ids=["unknown", "unknown-beside-a-known-one", "nul", "over-long", "wechat-not-bound"],
)
def test_hostile_or_impossible_choices_are_refused_and_nothing_is_stored(web, with_phone, providers, channels):
    response = web(with_phone).post(URL, {"channels": channels})
    assert response.status_code == 400
    assert not NotifyPreference.objects.filter(user=with_phone, sms=True).exists()
    assert not NotifyPreference.objects.filter(user=with_phone, wechat=True).exists()


def test_sms_without_a_phone_on_the_account_is_refused(web, handler, providers):
    response = web(handler).post(URL, {"channels": ["sms"]})
    assert response.status_code == 400 and "没有登记手机号" in response.content.decode()
    assert not NotifyPreference.objects.filter(user=handler, sms=True).exists()


def test_sms_not_configured_is_refused(web, with_phone, settings):
    settings.SMS_ACCESS_KEY_ID = ""
    response = web(with_phone).post(URL, {"channels": ["sms"]})
    assert response.status_code == 400 and "未开通短信通知" in response.content.decode()


def test_the_page_needs_a_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_admin_masks_the_openid_and_shows_the_outbox(
    web, org, handler, tickets, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    superuser = UserFactory(username="root", is_superuser=True, is_staff=True, role="admin", unit=org.district)
    pref = NotifyPreference.objects.create(user=handler, wechat=True, wechat_openid="oABCD1234567890openid")
    client = web(superuser)
    listing = client.get("/admin/campaign/notifypreference/").content.decode()
    assert "oABCD1234567890openid" not in listing
    change = client.get(f"/admin/campaign/notifypreference/{pref.pk}/change/").content.decode()
    assert "oABCD1234567890openid" not in change
    ticket = tickets.reported()
    ChannelDelivery.objects.create(
        district=org.district, ticket=ticket, user=handler, channel="sms", kind="dispatched", at=ticket.created_at,
        params={"code": ticket.code, "status": "待签收"}, next_attempt_at=ticket.created_at,
    )  # fmt: skip
    assert client.get("/admin/issues/channeldelivery/").status_code == 200
