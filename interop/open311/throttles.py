"""The limit of /open311/v2/: per partner key, or per client address for whoever has none (the public services,
a missing or bad key). Open while the cache is down, as every limit here (campaign.throttles)."""

from __future__ import annotations

from typing import Any

from campaign.throttles import FailOpen
from interop.models import Partner


class PartnerThrottle(FailOpen):
    scope = "open311"
    # A partner polls its district's requests and posts new ones; a minute's worth of both, with room for a backlog.
    rate = "120/min"

    def __init__(self, partner: Partner | None) -> None:
        super().__init__()
        self.partner = partner

    def get_cache_key(self, request: Any, view: Any) -> str:
        ident = f"partner-{self.partner.pk}" if self.partner is not None else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
