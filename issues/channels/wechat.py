"""The WeChat channel: the Official Account (公众号) template message API.

- Access token: GET {WECHAT_API_URL}/cgi-bin/token?grant_type=client_credential&appid=…&secret=… →
  {"access_token": …, "expires_in": 7200}; kept in the cache (Redis) until TOKEN_MARGIN_S before it expires, so the
  workers share one token (WeChat caps the fetches a day, and a new token ends the old one after 5 minutes).
- Send: POST {WECHAT_API_URL}/cgi-bin/message/template/send?access_token=… with JSON {"touser": OpenID,
  "template_id": …, "data": {"first", "keyword1" (code), "keyword2" (status), "remark"}} → {"errcode": 0, "msgid": …}.
  An expired or revoked token (40001, 40014, 42001) is dropped and fetched once more within the same attempt.
The token and the OpenID never reach a log or the delivery row.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache

from issues.channels.base import HTTP_TIMEOUT, Message, SendError
from issues.channels.texts import code_for, text_of

TOKEN_MARGIN_S = 300
TOKEN_EXPIRED = {40001, 40014, 42001}
TRANSIENT_ERRCODES = {-1, 45009, 45011}  # system busy, API quota reached for now, API called too often
REMARK = "详情请登录系统查看。"


def _token_key() -> str:
    return f"wechat:token:{settings.WECHAT_APP_ID}"


def _get_json(method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = requests.request(method, url, timeout=HTTP_TIMEOUT, **kwargs)
    except requests.RequestException as exc:
        raise SendError(f"network: {type(exc).__name__}", transient=True) from None
    if response.status_code >= 500:
        raise SendError(f"HTTP {response.status_code}", transient=True)
    try:
        answer = response.json()
    except ValueError:
        raise SendError(f"HTTP {response.status_code}: not JSON", transient=response.status_code >= 400) from None
    return answer if isinstance(answer, dict) else {}


def access_token(*, fresh: bool = False) -> str:
    """The cached access token, fetched from /cgi-bin/token when there is none (or `fresh`)."""
    token = None if fresh else cache.get(_token_key())
    if token:
        return str(token)
    params = {"grant_type": "client_credential", "appid": settings.WECHAT_APP_ID, "secret": settings.WECHAT_APP_SECRET}
    answer = _get_json("GET", f"{settings.WECHAT_API_URL.rstrip('/')}/cgi-bin/token", params=params)
    token, expires = answer.get("access_token"), answer.get("expires_in")
    if not token or not isinstance(expires, int):
        errcode = answer.get("errcode")
        raise SendError(f"token errcode {errcode}: {answer.get('errmsg', '')}", transient=errcode in TRANSIENT_ERRCODES)
    cache.set(_token_key(), token, timeout=max(60, expires - TOKEN_MARGIN_S))
    return str(token)


class WeChatTemplate:
    name = "wechat"

    def enabled(self) -> bool:
        return bool(settings.WECHAT_APP_ID and settings.WECHAT_APP_SECRET and settings.WECHAT_TEMPLATE_IDS)

    def body(self, *, address: str, message: Message) -> dict[str, Any]:
        template = code_for(settings.WECHAT_TEMPLATE_IDS, message.kind, "WECHAT_TEMPLATE_IDS")
        if not template:
            raise SendError(f"no WeChat template id for {message.kind}", transient=False)
        data = {
            "first": text_of(message.kind, message.params),
            "keyword1": message.params.get("code", ""),
            "keyword2": message.params.get("status", ""),
            "remark": REMARK,
        }
        return {"touser": address, "template_id": template, "data": {k: {"value": v} for k, v in data.items()}}

    def send(self, *, address: str, message: Message, reference: str) -> str:
        """Send one template message; WeChat's msgid. SendError otherwise. `reference` is not sent (no field)."""
        body = self.body(address=address, message=message)
        url = f"{settings.WECHAT_API_URL.rstrip('/')}/cgi-bin/message/template/send"
        for fresh in (False, True):
            answer = _get_json("POST", url, params={"access_token": access_token(fresh=fresh)}, json=body)
            errcode = answer.get("errcode")
            if errcode == 0:
                return str(answer.get("msgid", ""))[:64]
            if errcode not in TOKEN_EXPIRED:
                break
            cache.delete(_token_key())
        raise SendError(f"errcode {errcode}: {answer.get('errmsg', '')}", transient=errcode in TRANSIENT_ERRCODES)
