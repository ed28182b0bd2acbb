"""The client's address, the one way everything reads it: the lockout (axes), the throttles (DRF) and the lookup.

A client can write any `X-Forwarded-For` it likes, so the header is believed only when `TRUSTED_PROXY_COUNT` (N)
says N reverse proxies of ours stand in front of the app: each appends the address it received the request from,
so the N-th address from the right is the one our outermost proxy saw. With N = 0 (the default) the address is the
connection's own (REMOTE_ADDR). DRF's throttles use the same rule through REST_FRAMEWORK["NUM_PROXIES"].
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, or None when there is none to trust (no REMOTE_ADDR: a test's fake request)."""
    remote = _ip(request.META.get("REMOTE_ADDR"))
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if trusted <= 0 or not hops:
        return remote
    # Fewer hops than trusted proxies: the leftmost is still one a proxy of ours wrote.
    return _ip(hops[-min(trusted, len(hops))])
