"""One publish of a Celery task, with back-off when the broker refuses it.

Every after-commit publish in the web process has the same shape: try the broker once (retry=False, so a dead broker
costs one bounded attempt, not Celery's retries), and if it refuses, do not try again for a while — the work is safe
elsewhere (a row the sweep finds, or sent in place) and a dead broker should not cost every request a timeout.
A Breaker holds that back-off for one use; `publish` is the attempt. Used by issues.notices (queue_or_run),
issues.channels.outbox, interop.outbox and dashboard.signals, each with its own breaker and its own fall-back.

The back-off is per process (a web process learns the broker is down by trying it), measured on the monotonic clock.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)
BACKOFF_S = 30.0  # after a refused publish, do not try the broker again for this long


class Breaker:
    """The back-off of one use: open after a refusal, closed again BACKOFF_S later. Thread-safe."""

    def __init__(self, backoff_s: float = BACKOFF_S) -> None:
        self.backoff_s = backoff_s
        self._lock = threading.Lock()
        self._open_until = 0.0

    def open(self) -> None:
        """The broker refused: do not try it for backoff_s from now."""
        with self._lock:
            self._open_until = time.monotonic() + self.backoff_s

    def is_open(self) -> bool:
        with self._lock:
            return time.monotonic() < self._open_until

    def reset(self) -> None:
        """Try the broker again at the next publish (as when the back-off has passed)."""
        with self._lock:
            self._open_until = 0.0


def publish(task: Any, args: tuple[Any, ...] = (), *, breaker: Breaker, what: str) -> bool:
    """Publish `task(*args)` on its queue (in place when Celery is eager). False — without trying — while `breaker` is
    open, and False when the broker refuses it (the breaker opens; a warning names `what` and the exception's type,
    never its text, which may carry the broker's URL). The caller decides what a False means."""
    if breaker.is_open():
        return False
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:
        breaker.open()
        log.warning("%s: the queue refused the task (%s)", what, type(exc).__name__)
        return False
    return True
