"""/healthz: is this instance able to serve, and are the statistics keeping up? For load balancers and monitoring.

No login, JSON, nothing personal: 200 with the state of the database, the cache, and the statistics' sweep (the age of
the oldest change still waiting for its recompute); 503 when the database cannot be reached. A sweep that falls
behind is reported here and on the dashboard ("数据更新于 …"), never answered by switching to a slower path.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dashboard.selectors import oldest_pending_recompute

# A change waiting longer than this for its recompute means the sweep (a minute apart) is stuck or overloaded.
RECOMPUTE_LATE_AFTER = dt.timedelta(minutes=5)


def _cache_state() -> str:
    try:
        cache.set("healthz", "1", timeout=10)
        return "ok" if cache.get("healthz") == "1" else "unavailable"
    except Exception:  # any backend error (Redis down) is a state to report, not a failure of this endpoint
        return "unavailable"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        oldest = oldest_pending_recompute()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
    late = oldest is not None and age > RECOMPUTE_LATE_AFTER.total_seconds()
    return JsonResponse(
        {
            "status": "stale" if late else "ok",
            "database": "ok",
            "cache": _cache_state(),
            "statistics": {
                "oldest_pending_recompute_seconds": round(age) if oldest is not None else None,
                "late": late,
                "late_after_seconds": round(RECOMPUTE_LATE_AFTER.total_seconds()),
            },
        }
    )
