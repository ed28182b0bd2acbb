"""Where a webhook may be sent (the SSRF guard): the one check of a subscription's URL, used when it is saved
(WebhookSubscription.url's validator) and again by the sender before each attempt (interop.delivery), since a name's
addresses can change after the check.

- Only `http` and `https`; a host is required; no user:password in the URL (it would end up in logs and errors).
- The addresses a host resolves to must be public. Loopback (127.0.0.0/8, ::1) and private networks (10/8, 172.16/12,
  192.168/16, fc00::/7) are refused unless settings.WEBHOOK_ALLOW_PRIVATE_TARGETS is on — for a partner on the same
  intranet, and for the tests' receiver on 127.0.0.1. Link-local (169.254/16: cloud metadata services), multicast,
  unspecified (0.0.0.0) and reserved addresses are refused always.
- Redirects are never followed (interop.delivery): a 3xx is a failed attempt, not a way around this check.
Numeric hosts in any spelling the resolver accepts (`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`) are checked on save
without a DNS query; names are resolved at send time. A name re-pointed between the check and the connection
(DNS rebinding) is the residual risk, bounded by the short timeout and the refusal of redirects.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SCHEMES = ("http", "https")
URL_MAX_LENGTH = 500
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # "this host on this network": reaches the local host on Linux


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def address_problem(address: Address) -> str | None:
    """Why a webhook may not go to `address`, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if _allow_private() else _("不允许推送到本机或内网地址。")
    if (
        address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or address in _THIS_NETWORK
    ):
        return _("不允许推送到链路本地、组播或保留地址。")
    if address.is_global:
        return None
    return None if _allow_private() and address.is_private else _("不允许推送到本机或内网地址。")


def _numeric(host: str) -> list[Address]:
    """The addresses of a numeric host in any spelling the resolver accepts; [] for a name."""
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def url_problem(url: str) -> str | None:
    """Why `url` may not be a webhook's target (without resolving names), or None."""
    if not isinstance(url, str) or not url or len(url) > URL_MAX_LENGTH:
        return _("接收地址不能为空，且不超过 %(n)d 个字符。") % {"n": URL_MAX_LENGTH}
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return _("接收地址不能包含空白或控制字符。")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("接收地址格式无效。")
    if parts.scheme.lower() not in SCHEMES:
        return _("接收地址只能使用 http 或 https。")
    if parts.username is not None or parts.password is not None:
        return _("接收地址不能包含用户名或密码。")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return _("接收地址缺少主机名。")
    if port == 0:
        return _("接收地址的端口无效。")
    if (host == "localhost" or host.endswith(".localhost")) and not _allow_private():
        return _("不允许推送到本机或内网地址。")
    for address in _numeric(host):
        if problem := address_problem(address):
            return problem
    return None


def validate_webhook_url(value: str) -> None:
    if problem := url_problem(value):
        raise ValidationError(problem)


def resolved_problem(url: str) -> str | None:
    """At send time: the URL's check plus every address its host resolves to now."""
    if problem := url_problem(url):
        return problem
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        return _("无法解析接收地址的主机名。")
    for info in infos:
        if problem := address_problem(ipaddress.ip_address(str(info[4][0]).split("%")[0])):
            return problem
    return None
