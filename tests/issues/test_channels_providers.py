"""The SMS and WeChat adapters speak their providers' HTTP APIs: checked against a local server standing in for
Alibaba Cloud SMS and the WeChat API (tests/issues/fake_providers.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from urllib.parse import quote_plus

import pytest
from django.core.cache import cache

from issues.channels.base import Message, SendError
from issues.channels.sms import AliyunSms, signature
from issues.channels.wechat import WeChatTemplate

MESSAGE = Message("dispatched", {"code": "XA-20261204-0001", "status": "已派单"})


def documented_percent(value: str) -> str:
    """Alibaba's documented recipe, independent of the adapter's: URL-encode, then + → %20, * → %2A, %7E → ~."""
    return quote_plus(value).replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def expected_signature(params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{documented_percent(k)}={documented_percent(v)}" for k, v in sorted(params.items()))
    to_sign = "POST&%2F&" + documented_percent(canonical)
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def test_the_signature_matches_alibabas_documented_example():
    # The example of Alibaba Cloud's SMS signing document (GET, AccessKeySecret "testSecret").
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }  # fmt: skip
    assert signature(params, "testSecret", method="GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_an_sms_is_a_signed_sendsms_post_with_the_kinds_template(providers):
    ref = AliyunSms().send(address="13800001111", message=MESSAGE, reference="42")
    assert ref == "900619746936498440^0"
    [seen] = providers.to("/")
    assert seen.method == "POST" and seen.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    form = seen.form()
    assert form["Action"] == "SendSms" and form["Version"] == "2017-05-25" and form["SignatureMethod"] == "HMAC-SHA1"
    assert form["PhoneNumbers"] == "13800001111" and form["TemplateCode"] == "SMS_100001"
    assert form["SignName"] == "走访测试" and form["OutId"] == "42" and form["AccessKeyId"] == "testId"
    assert json.loads(form["TemplateParam"]) == {"code": "XA-20261204-0001", "status": "已派单"}
    sent_signature = form.pop("Signature")
    assert sent_signature == expected_signature(form, "testSecret")
    assert sent_signature != expected_signature(form, "wrongSecret")


@pytest.mark.parametrize(
    ("status", "answer", "transient"),
    [
        (400, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号 13800001111"}, False),
        (400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}, False),
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "业务限流"}, True),
        (400, {"Code": "Throttling.User", "Message": "Request was denied due to user flow control."}, True),
        (503, {}, True),
    ],
)
def test_an_sms_the_provider_refuses_is_an_error_transient_or_not(providers, status, answer, transient):
    providers.scripted["/"] = [(status, answer)]
    with pytest.raises(SendError) as raised:
        AliyunSms().send(address="13800001111", message=MESSAGE, reference="1")
    assert raised.value.transient is transient
    assert "13800001111" not in raised.value.reason  # a provider echoing the number never reaches the row or a log


def test_a_provider_out_of_reach_is_a_transient_error(providers, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.SMS_API_URL = f"http://127.0.0.1:{port}/"
    with pytest.raises(SendError) as raised:
        AliyunSms().send(address="13800001111", message=MESSAGE, reference="1")
    assert raised.value.transient and raised.value.reason == "network: ConnectionError"


def test_a_kind_without_a_template_code_is_a_final_error(providers, settings):
    settings.SMS_TEMPLATE_CODES = ["resolved:SMS_2"]
    with pytest.raises(SendError) as raised:
        AliyunSms().send(address="13800001111", message=MESSAGE, reference="1")
    assert not raised.value.transient and providers.seen == []


def test_a_wechat_message_fetches_a_token_once_and_posts_the_template(providers):
    cache.clear()
    adapter = WeChatTemplate()
    assert adapter.send(address="oABCD1234567890openid", message=MESSAGE, reference="7") == "200228332"
    adapter.send(address="oABCD1234567890openid", message=MESSAGE, reference="8")
    [token] = providers.to("/cgi-bin/token")  # cached for the second message
    assert token.method == "GET"
    assert token.query == {"grant_type": "client_credential", "appid": "wx0123456789abcdef", "secret": "appsecret"}
    sends = providers.to("/cgi-bin/message/template/send")
    assert [s.query["access_token"] for s in sends] == ["TOKEN-1", "TOKEN-1"]
    body = sends[0].json()
    assert body["touser"] == "oABCD1234567890openid" and body["template_id"] == "TPL-generic"
    assert body["data"]["keyword1"] == {"value": "XA-20261204-0001"}
    assert body["data"]["keyword2"] == {"value": "已派单"}
    assert body["data"]["first"]["value"] == "您有新派单：工单XA-20261204-0001，当前状态：已派单，请及时签收。"


def test_an_expired_wechat_token_is_fetched_again_within_the_attempt(providers):
    cache.clear()
    providers.scripted["/cgi-bin/message/template/send"] = [(200, {"errcode": 42001, "errmsg": "access_token expired"})]
    assert WeChatTemplate().send(address="oABCD1234567890openid", message=MESSAGE, reference="7") == "200228332"
    sends = providers.to("/cgi-bin/message/template/send")
    assert [s.query["access_token"] for s in sends] == ["TOKEN-1", "TOKEN-2"]


@pytest.mark.parametrize(("errcode", "transient"), [(43004, False), (40003, False), (-1, True), (45009, True)])
def test_a_wechat_refusal_is_an_error_transient_or_not(providers, errcode, transient):
    cache.clear()
    providers.scripted["/cgi-bin/message/template/send"] = [(200, {"errcode": errcode, "errmsg": "refused"})]
    with pytest.raises(SendError) as raised:
        WeChatTemplate().send(address="oABCD1234567890openid", message=MESSAGE, reference="7")
    assert raised.value.transient is transient


def test_a_channel_without_keys_is_off(settings):
    settings.SMS_ACCESS_KEY_ID = ""
    settings.WECHAT_APP_ID = ""
    assert not AliyunSms().enabled() and not WeChatTemplate().enabled()
