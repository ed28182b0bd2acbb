"""Rate limits that fail open when the cache is unreachable (issue 12 item 7).

The limits live in the cache (Redis in production). A Redis outage must not turn the token login or the public
lookup into a 500: while the cache cannot be reached the limit is not enforced, and the log says so once per outage
and limiter (with no client address or other personal value), then once more when the cache answers again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

log = logging.getLogger(__name__)

# What Django's RedisCache lets through when Redis is down or slow (redis-py's errors; OSError for the socket).
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)


class Outages:
    """Which limiters currently run without their cache: one warning when an outage starts, one note when it ends."""

    def __init__(self) -> None:
        self.down: set[str] = set()

    def failed(self, limiter: str, error: Exception) -> None:
        if limiter not in self.down:
            self.down.add(limiter)
            log.warning(
                "rate limit %r not enforced: the cache is unreachable (%s); requests are allowed until it is back",
                limiter,
                type(error).__name__,
            )

    def recovered(self, limiter: str) -> None:
        if limiter in self.down:
            self.down.discard(limiter)
            log.info("rate limit %r enforced again: the cache answers", limiter)


outages = Outages()


class FailOpen(SimpleRateThrottle):
    """A DRF throttle that lets every request through while its cache cannot be reached, saying so in the log once
    per outage (Outages). Every limit of the app is one of these (Open311's is called by plain Django views)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            allowed = super().allow_request(request, view)
        except CACHE_ERRORS as error:
            outages.failed(str(self.scope), error)
            return True
        outages.recovered(str(self.scope))
        return allowed


class TokenThrottle(FailOpen, AnonRateThrottle):
    """The token login's limit per client address (rate `token` in REST_FRAMEWORK), open while the cache is down.
    Only logins are limited: revoking one's own token (DELETE) is not a guess."""

    scope = "token"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
