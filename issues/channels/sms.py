"""The SMS channel: Alibaba Cloud SMS (阿里云短信服务) `SendSms`, API version 2017-05-25, RPC style.

A form POST to SMS_API_URL (https://dysmsapi.aliyuncs.com/) with the common parameters (AccessKeyId, Action, Format,
RegionId, SignatureMethod HMAC-SHA1, SignatureNonce, SignatureVersion 1.0, Timestamp, Version), the message's
(PhoneNumbers, SignName, TemplateCode, TemplateParam as JSON, OutId = our delivery's id) and `Signature`:
base64(HMAC-SHA1(secret + "&", "POST&%2F&" + percent(canonical query))), the canonical query being the parameters
sorted by name, each name and value percent-encoded (RFC 3986: space %20, "*" %2A, "~" kept). The answer is JSON:
{"Code": "OK", "BizId": …} or another Code. Tests stand a local HTTP server in for the provider
(tests/issues/test_channels_providers.py) and check the signature with the same secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

from issues.channels.base import HTTP_TIMEOUT, Message, SendError
from issues.channels.texts import code_for

# The provider's codes worth another attempt (throttling, its own trouble); every other non-OK code is final.
TRANSIENT_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "ServiceUnavailable", "InternalError", "isv.SYSTEM_ERROR"}


def percent(value: str) -> str:
    """Alibaba's POP percent-encoding: RFC 3986 unreserved characters kept, everything else %XX (UTF-8)."""
    return quote(value, safe="~")


def signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    name = "sms"

    def enabled(self) -> bool:
        return bool(settings.SMS_ACCESS_KEY_ID and settings.SMS_ACCESS_KEY_SECRET and settings.SMS_TEMPLATE_CODES)

    def params(self, *, address: str, message: Message, reference: str) -> dict[str, str]:
        template = code_for(settings.SMS_TEMPLATE_CODES, message.kind, "SMS_TEMPLATE_CODES")
        if not template:
            raise SendError(f"no SMS template code for {message.kind}", transient=False)
        return {
            "AccessKeyId": settings.SMS_ACCESS_KEY_ID,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": reference,
            "PhoneNumbers": address,
            "RegionId": "cn-hangzhou",
            "SignName": settings.SMS_SIGN_NAME,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def send(self, *, address: str, message: Message, reference: str) -> str:
        """Send one SMS; the provider's BizId. SendError on anything but Code OK (never the number in it)."""
        params = self.params(address=address, message=message, reference=reference)
        params["Signature"] = signature(params, settings.SMS_ACCESS_KEY_SECRET)
        body = "&".join(f"{percent(k)}={percent(v)}" for k, v in params.items())
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        try:
            response = requests.post(settings.SMS_API_URL, data=body.encode(), headers=headers, timeout=HTTP_TIMEOUT)
        except requests.RequestException as exc:
            raise SendError(f"network: {type(exc).__name__}", transient=True) from None
        answer = _json(response)
        code = str(answer.get("Code", ""))
        if response.status_code < 300 and code == "OK":
            return str(answer.get("BizId", ""))[:64]
        transient = response.status_code >= 500 or code in TRANSIENT_CODES or code.startswith("Throttling")
        raise SendError(f"HTTP {response.status_code} {code}: {answer.get('Message', '')}", transient=transient)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
