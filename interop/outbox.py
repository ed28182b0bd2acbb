"""The webhooks' transactional outbox (issue 17 item 2): a WebhookDelivery row per matching subscription, written by
the same connection in the same transaction as the ticket event it announces, so an event and its webhooks commit or
roll back together. After commit each row's delivery is queued (interop.tasks.webhook_deliver); a lost publish costs
nothing, the minute sweep (interop.tasks.webhook_sweep) finds the row.

The hook is TicketEvent's post_save (connected in InteropConfig.ready): every ticket event — the report of a new
ticket (issues.services._report) and every action of the machine (issues.machine.ticket_apply) — is written by
`TicketEvent.objects.create` inside the writer's atomic block, and the issues app cannot import this one. Events
written with bulk_create send no signal: the escalation job's `supervise` (not a webhook event) and the demo seed.

Cost for the rest: an event that maps to no webhook event costs nothing; a mapped event in a district with no active
subscription costs no query either, most of the time — the set of districts with one is kept per process for
SUBSCRIBED_TTL_S seconds (and dropped at once when this process saves a subscription). A subscription saved by
another process therefore takes effect within SUBSCRIBED_TTL_S.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from campaign.models import User
from campaign.publish import Breaker, publish
from interop.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from interop.tasks import webhook_deliver
from issues.models import OPEN_STATUSES, Status, Ticket, TicketEvent

log = logging.getLogger(__name__)
SUBSCRIBED_TTL_S = 10.0
BROKER = Breaker()  # after a refused publish, leave the rows to the sweep for a while (campaign.publish)

_lock = threading.Lock()
_subscribed: tuple[float, frozenset[int]] | None = None


def event_type(*, action: str, from_status: str, to_status: str) -> str | None:
    """The webhook event a ticket event announces, or None: read from the change of status, so any action that makes
    the change (resolve, resolve_on_site, answer_directly; close, or a satisfied callback) announces it."""
    if action == "report":
        return WebhookEvent.CREATED
    if to_status == Status.DISPATCHED and action in ("dispatch", "reassign"):
        return WebhookEvent.DISPATCHED
    if to_status == from_status:
        return None
    if to_status == Status.RESOLVED:
        return WebhookEvent.RESOLVED
    if to_status == Status.CLOSED:
        return WebhookEvent.CLOSED
    if from_status == Status.RESOLVED and to_status in OPEN_STATUSES:  # an unsatisfied callback (群众不认可不罢休)
        return WebhookEvent.REOPENED
    return None


def subscribed_districts() -> frozenset[int]:
    """The districts with at least one active subscription, re-read at most every SUBSCRIBED_TTL_S seconds."""
    global _subscribed
    now = time.monotonic()
    held = _subscribed
    if held is not None and now - held[0] < SUBSCRIBED_TTL_S:
        return held[1]
    ids = frozenset(WebhookSubscription.objects.filter(is_active=True).values_list("district_id", flat=True).distinct())
    with _lock:
        _subscribed = (now, ids)
    return ids


def forget_subscribed(**kwargs: Any) -> None:
    """post_save / post_delete of a subscription: the next event re-reads the set."""
    global _subscribed
    with _lock:
        _subscribed = None


def _stamp(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def webhook_payload(*, event_id: uuid.UUID, kind: str, ticket: Ticket, event: TicketEvent) -> dict[str, Any]:
    """What a partner receives: the ticket's identity, state and clock — never a person's name, phone or a free text
    (description, notes, result may name people). Built from the loaded rows only: no query."""
    return {
        "id": str(event_id),
        "event": kind,
        "occurred_at": _stamp(event.at),
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "ticket": {
            "id": ticket.pk,
            "code": ticket.code,
            "status": ticket.status,
            "kind": ticket.kind,
            "source": ticket.source,
            "category": ticket.category,
            "mode": ticket.mode,
            "unit_id": ticket.unit_id,
            "lead_unit_id": ticket.lead_unit_id,
            "created_at": _stamp(ticket.created_at),
            "due_at": _stamp(ticket.due_at),
            "resolved_at": _stamp(ticket.resolved_at),
            "closed_at": _stamp(ticket.closed_at),
            "reopen_count": ticket.reopen_count,
        },
    }


def outbox_write(event: TicketEvent) -> list[int]:
    """Insert the event's webhook rows for the matching active subscriptions of its ticket's district; queue them on
    commit. Call inside the transaction that wrote `event` (TicketEvent's post_save does). Returns the rows' ids."""
    kind = event_type(action=event.action, from_status=event.from_status, to_status=event.to_status)
    if kind is None:
        return []
    ticket: Ticket = event.ticket  # the writer's own instance: no query
    if ticket.district_id not in subscribed_districts():
        return []
    subscriptions = [
        pk
        for pk, events in WebhookSubscription.objects.filter(district_id=ticket.district_id, is_active=True)
        .order_by("pk")
        .values_list("pk", "events")
        if kind in (events or [])
    ]
    if not subscriptions:
        return []
    now = timezone.now()
    rows = []
    for subscription_id in subscriptions:
        event_id = uuid.uuid4()
        rows.append(
            WebhookDelivery(
                event_id=event_id, subscription_id=subscription_id, district_id=ticket.district_id, ticket=ticket,
                ticket_event_id=event.pk, event=kind, created_at=now, next_attempt_at=now,
                payload=webhook_payload(event_id=event_id, kind=kind, ticket=ticket, event=event),
            )
        )  # fmt: skip
    ids = [row.pk for row in WebhookDelivery.objects.bulk_create(rows)]
    transaction.on_commit(lambda: deliveries_enqueue(ids))
    return ids


def on_ticket_event(sender: Any, instance: TicketEvent, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        outbox_write(instance)


def deliveries_enqueue(ids: list[int]) -> None:
    """After commit: queue one delivery task per row — unless Celery is eager (the embedded default: a request never
    waits on a partner's server; the in-process sweep sends) or the broker refused a moment ago (the sweep sends).
    A refused publish leaves this and the remaining rows to the sweep: they are safe in the table."""
    if webhook_deliver.app.conf.task_always_eager:
        return
    for pk in ids:
        if not publish(webhook_deliver, (pk,), breaker=BROKER, what="webhook deliveries left to the sweep"):
            return


def delivery_replay(*, delivery: WebhookDelivery, actor: User) -> bool:
    """Queue a failed delivery again, with the same event id (the receiver's idempotency id): attempts start over.
    The caller read `delivery` through the partner page's scope. False when it is not failed (nothing changes)."""
    with transaction.atomic():
        changed = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
        )
        if changed:
            log.info("webhook delivery %s replayed by user %s", delivery.pk, actor.pk)
            transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))
    return bool(changed)
