"""How far the read replica is behind, and whether a user may read it yet (issue 14 item 4; config.routers uses it).

Lag by WAL position, not by replay time: the replica's last replayed transaction grows old while the primary is idle,
though the replica then holds everything. Each measurement reads the replica's replay position and the primary's
current one, and records (time, primary position) in a short shared history (the cache). The lag is how long ago the
primary was at a position the replica has replayed: 0 when the replica has replayed the primary's current position,
else the age of the newest sample it has passed (unknown, so too much, when it has passed none). A sample is taken
at most every REPLICA_CHECK_S per process, so under traffic the lag is known to about that much and over-estimated,
never under-estimated; with no traffic the next read finds the replica caught up or goes to the primary.

Read-your-writes: after a request by a user that wrote (any POST/PUT/PATCH/DELETE, or an ORM write of our data),
ReadYourWritesMiddleware records the primary's position for that user in the cache. A block of that user's reads
uses the replica only once it has replayed that position. The mark lives MARK_TTL_S; if the replica has not reached
it by then, it lags by more than that, far over the limit, and the lag alone keeps it out.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponseBase

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DOWN_RETRY_S = 10.0  # a replica that did not answer is asked again after this long (its connect timeout is 2 s)
SAMPLES_KEY = "zoufang:replica:primary-lsn"  # [(unix time, primary LSN)], newest last
MARK_KEY = "zoufang:replica:wrote:{}"  # user id → the primary's LSN after that user's last write
# Apps whose writes are bookkeeping of every request (the session saved each time, the API token's refresh, the
# lockout's log), not something a user reads back on a replica's path.
BOOKKEEPING_APPS = frozenset({"sessions", "knox", "axes"})

log = logging.getLogger(__name__)


def lsn(text: str) -> int:
    """A PostgreSQL WAL position ('16/B374D848') as a number."""
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def _ask(alias: str, sql: str) -> str | None:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def primary_lsn() -> int:
    """The primary's WAL position after every committed write (the write position: a commit waits for its WAL)."""
    return lsn(_ask(DEFAULT_DB_ALIAS, "SELECT pg_current_wal_lsn()::text") or "0/0")


def max_lag_s() -> float:
    return float(getattr(settings, "REPLICA_MAX_LAG_S", 3))


def mark_ttl_s() -> float:
    return max(60.0, 10 * max_lag_s())


@dataclass(frozen=True)
class Reading:
    at: float  # unix time of the measurement
    replay: int | None  # the replica's replay position; None: it did not answer or is no standby
    lag: float  # seconds behind the primary at `at` (math.inf: unknown or unusable)
    until: float  # unix time after which this process measures again

    def lag_now(self) -> float:
        """The lag now, at worst: what it was, plus the time since (if the replica replayed nothing meanwhile)."""
        return self.lag + (time.time() - self.at)


def _samples(now: float, position: int) -> list[tuple[float, int]]:
    """Add the primary's position now to the shared history and return it (oldest kept: a few lag limits)."""
    keep_s = 4 * max_lag_s() + 2 * float(getattr(settings, "REPLICA_CHECK_S", 1.0))
    try:
        history = [(t, p) for t, p in cache.get(SAMPLES_KEY) or [] if now - t <= keep_s]
        history.append((now, position))
        cache.set(SAMPLES_KEY, history[-200:], timeout=int(keep_s) + 1)
    except Exception:  # a cache that is down: this process's sample only (the lag is then 0 or unknown)
        log.warning("replica: the cache did not answer; lag measured without history", exc_info=True)
        history = [(now, position)]
    return history


def lag_of(replay: int, primary: int, history: list[tuple[float, int]], now: float) -> float:
    """How long ago the primary was at a position the replica has replayed (0: it holds the primary's current one)."""
    if replay >= primary:
        return 0.0
    passed = [t for t, position in history if position <= replay]
    return now - max(passed) if passed else math.inf


def measure() -> Reading:
    now = time.time()
    try:
        raw = _ask(REPLICA, "SELECT pg_last_wal_replay_lsn()::text")
    except DatabaseError:
        log.warning("replica: no answer; reads stay on the primary for %s s", DOWN_RETRY_S, exc_info=True)
        connections[REPLICA].close()
        return Reading(at=now, replay=None, lag=math.inf, until=now + DOWN_RETRY_S)
    if raw is None:  # not in recovery: DATABASE_REPLICA_URL names a primary, which may hold anything
        log.error("replica: %s is not a standby (pg_last_wal_replay_lsn() is null); not used", REPLICA)
        return Reading(at=now, replay=None, lag=math.inf, until=now + DOWN_RETRY_S)
    replay, primary = lsn(raw), primary_lsn()
    lag = lag_of(replay, primary, _samples(now, primary), now)
    return Reading(at=now, replay=replay, lag=lag, until=now + float(getattr(settings, "REPLICA_CHECK_S", 1.0)))


_lock = threading.Lock()
_last: Reading | None = None


def reading(*, fresh: bool = False) -> Reading:
    """The replica's last measurement in this process, measured again when older than REPLICA_CHECK_S."""
    global _last
    with _lock:
        if fresh or _last is None or time.time() >= _last.until:
            _last = measure()
        return _last


def forget() -> None:
    """Drop this process's measurement (tests; after the replica was rebuilt)."""
    global _last
    with _lock:
        _last = None


def usable_for(user_id: int | None) -> bool:
    """Whether a block of reads by this user (None: nobody's) may go to the replica now."""
    current = reading()
    if current.replay is None or current.lag_now() > max_lag_s():
        return False
    if user_id is None:
        return True
    try:
        mark = cache.get(MARK_KEY.format(user_id))
    except Exception:  # what this user wrote is unknown: the primary
        log.warning("replica: the cache did not answer; user %s reads the primary", user_id, exc_info=True)
        return False
    if mark is None or current.replay >= mark:
        return True
    current = reading(fresh=True)  # just after the user's write: perhaps replayed since the last measurement
    return current.replay is not None and current.replay >= mark and current.lag_now() <= max_lag_s()


def remember_write(user_id: int) -> None:
    """After `user_id`'s write committed: their reads stay on the primary until the replica replayed it."""
    key = MARK_KEY.format(user_id)
    try:
        position = primary_lsn()
        # Kept the highest: two writes of one user ending together leave the later position.
        cache.set(key, max(position, cache.get(key) or 0), timeout=int(mark_ttl_s()))
    except Exception:  # the primary or the cache: the response is ready, only the log can say it
        log.error("replica: could not remember user %s's write; their next reads may not show it", user_id)


@dataclass
class RequestWrites:
    wrote: bool = False


_request: ContextVar[RequestWrites | None] = ContextVar("zoufang_request_writes", default=None)


def note_write(app_label: str) -> None:
    """Called by the router for every ORM write: one of our data (not bookkeeping) marks the request as a writer."""
    state = _request.get()
    if state is not None and app_label not in BOOKKEEPING_APPS:
        state.wrote = True


class ReadYourWritesMiddleware:
    """Records the primary's position for the user after a request that wrote (see the module's docstring). Removed
    from the chain when no replica is configured. After AuthenticationMiddleware, so it sees who made the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if REPLICA not in settings.DATABASES:
            raise MiddlewareNotUsed()
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        state = RequestWrites()
        token = _request.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and (request.method not in SAFE_METHODS or state.wrote):
            remember_write(user.pk)
        return response
