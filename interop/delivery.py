"""Sending a webhook (issue 17 item 2): one HTTP POST per attempt of a WebhookDelivery row, signed, at most once at a
time, never again once sent.

- Claim (`delivery_claim`): in a short transaction, lock the row with SKIP LOCKED — a second worker holding the same id
  skips it — and only if it is still pending and due; count the attempt and push `next_attempt_at` LEASE ahead, so
  the sweep and a duplicate task leave it alone while it is being sent. A worker that dies mid-send leaves the row
  pending: it is tried again after LEASE (the one way a receiver can get an event twice; the event id tells it so).
- Send (`_post`): outside any transaction (no slow I/O in one), after the SSRF guard (interop.ssrf) re-checked the
  URL's addresses; the body is the stored payload, the same bytes on every attempt and replay; redirects are not
  followed; the answer's body is never read. TIMEOUT bounds an attempt.
- Record (`_record`): 2xx → sent. Otherwise the error (a status code or an exception's class: never a body, a URL or
  a secret) is kept and the next attempt is backed off exponentially (BACKOFF_BASE_S · 2^(attempts−1), capped at
  BACKOFF_MAX_S); after MAX_ATTEMPTS the row is failed, and a person may replay it (interop.outbox.delivery_replay).
  The update is a compare-and-set on (pending, attempts): a replay or another claim in between wins.
- Signature (`signature`): HMAC-SHA256 of "{timestamp}.{body}" with the subscription's secret, as
  `X-Zoufang-Signature: sha256=<hex>`, the timestamp (Unix seconds) in `X-Zoufang-Timestamp`; docs/integration.md
  shows the receiver's check in a few lines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time

import requests
from django.db import transaction
from django.utils import timezone

from interop.models import LAST_ERROR_LENGTH, DeliveryStatus, WebhookDelivery
from interop.ssrf import resolved_problem

log = logging.getLogger(__name__)
TIMEOUT = (3.05, 5)  # seconds to connect, to wait for the answer: an attempt holds a worker ≤ ~8 s
LEASE = dt.timedelta(seconds=60)  # a claimed row is hidden this long (far beyond TIMEOUT)
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 60  # 1, 2, 4, … 64 min: eight attempts over about two hours
BACKOFF_MAX_S = 6 * 3600
DUE_BATCH = 500  # rows queued per sweep: the `webhooks` queue's minute at two processes and sub-second attempts
USER_AGENT = "Zoufang-Webhook/1"
INACTIVE = "subscription or partner inactive"  # fails at once: retrying cannot help; replay once it is active again


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of b"{timestamp}." + body, keyed by the subscription's secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def body_of(delivery: WebhookDelivery) -> bytes:
    """The stored payload as compact UTF-8 JSON with sorted keys: the same bytes on every attempt."""
    return json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


def deliveries_due(*, now: dt.datetime | None = None, limit: int = DUE_BATCH) -> list[int]:
    """The pending rows whose next attempt is due, oldest first (the partial index webhook_delivery_due_idx)."""
    now = now or timezone.now()
    rows = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    return list(rows.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def delivery_claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    """The row, claimed for one attempt, or None when it is not pending and due or another worker holds it."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription__partner")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def _post(delivery: WebhookDelivery) -> str | None:
    """One attempt: None when the receiver answered 2xx, else why not (no body, URL or secret in it)."""
    subscription = delivery.subscription
    if not (subscription.is_active and subscription.partner.is_active):
        return INACTIVE
    if problem := resolved_problem(subscription.url):
        return problem
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Zoufang-Event-Id": str(delivery.event_id),
        "X-Zoufang-Event": delivery.event,
        "X-Zoufang-Timestamp": str(timestamp),
        "X-Zoufang-Signature": signature(subscription.secret, timestamp, body),
        "X-Zoufang-Attempt": str(delivery.attempts),
    }
    with requests.Session() as session:
        session.trust_env = False  # no proxy or .netrc from the environment: the guard checked this very host
        try:
            response = session.post(
                subscription.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False, stream=True
            )
        except requests.RequestException as exc:
            return type(exc).__name__
        response.close()  # the answer's body is never read: a hostile receiver cannot make us hold it
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def _record(delivery: WebhookDelivery, error: str | None, now: dt.datetime) -> str:
    """Settle the attempt by compare-and-set on (pending, attempts); returns the row's new status."""
    if error is None:
        fields = {"status": DeliveryStatus.SENT, "sent_at": now, "next_attempt_at": None, "last_error": ""}
    elif delivery.attempts >= MAX_ATTEMPTS or error == INACTIVE:
        fields = {"status": DeliveryStatus.FAILED, "next_attempt_at": None, "last_error": error[:LAST_ERROR_LENGTH]}
    else:
        fields = {"next_attempt_at": now + backoff(delivery.attempts), "last_error": error[:LAST_ERROR_LENGTH]}
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts).update(
        **fields
    )
    status = str(fields.get("status", DeliveryStatus.PENDING))
    log.info("webhook delivery %s attempt %s: %s", delivery.pk, delivery.attempts, error or "sent")
    return status


def delivery_send(delivery_id: int) -> str | None:
    """Make one attempt at the row if it is pending and due (safe to run twice, or on a row already sent: nothing
    happens). Returns the row's status after the attempt, or None when there was nothing to do."""
    delivery = delivery_claim(delivery_id, timezone.now())
    if delivery is None:
        return None
    error = _post(delivery)
    return _record(delivery, error, timezone.now())
