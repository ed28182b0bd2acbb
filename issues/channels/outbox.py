"""The outbox of the SMS and WeChat channels: plan in the notice's transaction, send after commit, once.

- Plan (deliveries_plan for users, requesters_sms for requesters; called by issues.notices.notices_send inside its
  transaction): a ChannelDelivery per (recipient, notice, channel) for the users who chose the channel
  (campaign.NotifyPreference) and, by SMS, the requesters of the notice's tickets — only for a channel that is
  configured. INSERT … ON CONFLICT DO NOTHING on the row's key: a notice delivered twice plans nothing more. On commit,
  deliveries_due is queued on the `notifications` queue (a broker that refuses it: beat's sweep sends the rows).
- Send (delivery_send, one row per task): claim the row (compare-and-set to `sending`, under a lock of the recipient:
  its user row, or its ticket for a requester), check the hourly limit, read the address from its source (the user's
  phone or OpenID, the ticket's requester phone) and call the provider outside any transaction. Sent → `sent`;
  a transient error → `pending` again with next_attempt_at backed off (30 s, 2 min, 8 min, 32 min, then hourly) up to
  MAX_ATTEMPTS, then `failed`; a final error → `failed`.
- Retry: beat runs deliveries_due every minute; it queues a task for each row whose next attempt is due — the
  retries, the rows whose first task the broker lost, and a claim whose worker died (after LEASE_S: the one case a
  message can go out twice; OutId carries the row's id so the provider's report can tell).
- Limit: at most SMS_PER_HOUR (WECHAT_PER_HOUR) messages of a channel claimed for one recipient in a rolling hour,
  counted in the database under the recipient's lock; the excess is recorded as `limited` and not sent.
Logs carry the row's id, channel and status, never the address or the text.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from campaign.models import NotifyPreference, User
from campaign.publish import Breaker, publish
from issues.channels.base import Adapter, Message, SendError
from issues.channels.sms import AliyunSms
from issues.channels.wechat import WeChatTemplate
from issues.models import Channel, ChannelDelivery, DeliveryStatus, Status, Ticket


class Notice(Protocol):
    """What the outbox reads of an issues.notices.Notice (not imported: issues.notices imports this module)."""

    ticket_id: int
    kind: str
    at: str
    requester_ticket_ids: list[int]


log = logging.getLogger(__name__)
MOBILE = re.compile(r"1[3-9]\d{9}")  # campaign.validators' mainland mobile
ADAPTERS: dict[str, Adapter] = {Channel.SMS: AliyunSms(), Channel.WECHAT: WeChatTemplate()}
MAX_ATTEMPTS = 6
BACKOFF_S = (30, 120, 480, 1920, 3600)
LEASE_S = 120  # a claim not settled after this long is tried again (its worker died mid-send)
DUE_BATCH = 200  # rows queued per sweep: a minute's worth at the notifications queue's pace
BROKER = Breaker()  # after a refused publish, leave the rows to beat's sweep for a while (campaign.publish)


def channels_on() -> list[str]:
    return [name for name, adapter in ADAPTERS.items() if adapter.enabled()]


def per_hour(channel: str) -> int:
    return int(settings.SMS_PER_HOUR if channel == Channel.SMS else settings.WECHAT_PER_HOUR)


def _tickets(ids: set[int]) -> dict[int, tuple[str, str, int]]:
    """pk → (code, status label in Chinese, district) of the tickets: one query."""
    rows = Ticket.objects.filter(pk__in=ids).values_list("pk", "code", "status", "district_id")
    with translation.override(settings.LANGUAGE_CODE):
        return {pk: (code, str(Status(status).label), district) for pk, code, status, district in rows}


def _insert(rows: list[ChannelDelivery]) -> int:
    """Insert the rows not planned yet (one read of the keys there, then INSERT … ON CONFLICT DO NOTHING for a
    delivery racing this one) and queue the sweep on commit; how many were new."""
    if not rows:
        return 0
    there = ChannelDelivery.objects.filter(ticket_id__in={r.ticket_id for r in rows}, at__in={r.at for r in rows})
    done = set(there.values_list("ticket_id", "kind", "at", "channel", "user_id"))
    new = [r for r in rows if (r.ticket_id, r.kind, r.at, r.channel, r.user_id) not in done]
    if new:
        ChannelDelivery.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        transaction.on_commit(deliveries_queue)
    return len(new)


def _row(notice: Notice, *, ticket_id: int, user_id: int | None, channel: str, code: str, status: str, district: int,
         now: dt.datetime) -> ChannelDelivery:  # fmt: skip
    return ChannelDelivery(
        district_id=district, ticket_id=ticket_id, user_id=user_id, channel=channel, kind=notice.kind,
        at=dt.datetime.fromisoformat(notice.at), params={"code": code, "status": status}, next_attempt_at=now,
    )  # fmt: skip


def deliveries_plan(notices: Sequence[Notice], recipients_of: Sequence[set[int]]) -> int:
    """The users' SMS and WeChat rows of the notices (recipients_of: each notice's users, as notices_send chose them).
    Call inside notices_send's transaction; no query when no channel is configured."""
    on = channels_on()
    users = set().union(*recipients_of) if on else set()
    if not users:
        return 0
    chosen: dict[int, list[str]] = {}
    for pref in NotifyPreference.objects.filter(user_id__in=users).filter(Q(sms=True) | Q(wechat=True)):
        chosen[pref.user_id] = [c for c in on if getattr(pref, c)]
    if not chosen:
        return 0
    tickets, now = _tickets({n.ticket_id for n in notices}), timezone.now()
    rows = [
        _row(
            n,
            ticket_id=n.ticket_id,
            user_id=uid,
            channel=channel,
            code=tickets[n.ticket_id][0],
            status=tickets[n.ticket_id][1],
            district=tickets[n.ticket_id][2],
            now=now,
        )  # fmt: skip
        for n, recipients in zip(notices, recipients_of, strict=True)
        if n.ticket_id in tickets
        for uid in sorted(recipients & chosen.keys())
        for channel in chosen[uid]
    ]
    return _insert(rows)


def requesters_sms(notices: Sequence[Notice]) -> int:
    """REQUESTER_CHANNELS["sms"]: an SMS row per requester's ticket of the notices, when SMS is configured. The code
    is the requester's own ticket's, the status the notice's ticket's."""
    if not ADAPTERS[Channel.SMS].enabled() or not any(n.requester_ticket_ids for n in notices):
        return 0
    ids = {n.ticket_id for n in notices} | {pk for n in notices for pk in n.requester_ticket_ids}
    tickets, now = _tickets(ids), timezone.now()
    rows = [
        _row(
            n,
            ticket_id=pk,
            user_id=None,
            channel=Channel.SMS,
            code=tickets[pk][0],
            status=tickets[n.ticket_id][1],
            district=tickets[pk][2],
            now=now,
        )  # fmt: skip
        for n in notices
        if n.ticket_id in tickets
        for pk in n.requester_ticket_ids
        if pk in tickets
    ]
    return _insert(rows)


# --- sending -------------------------------------------------------------------------------------------------------
def _publish(task: Any, args: tuple[Any, ...]) -> bool:
    """Publish `task(*args)` on its queue (in place when Celery is eager). A broker that refuses it costs nothing but
    time: the rows stay due in the database and beat's next sweep sends them; for BROKER's back-off after that the
    broker is not tried again (one bounded attempt, not one per commit). Unlike issues.notices.queue_or_run there is
    no sending in place, which would put a provider's HTTP call into a web request."""
    return publish(task, args, breaker=BROKER, what="channel deliveries left for the next sweep")


def deliveries_queue() -> None:
    """After the plan's commit: the sweep, on the `notifications` queue."""
    _publish(deliveries_due_task, ())


def deliveries_due() -> int:
    """Queue a send task for each row due now (pending, or a claim whose lease ran out), oldest first; how many."""
    due = ChannelDelivery.objects.filter(
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING), next_attempt_at__lte=timezone.now()
    )
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:DUE_BATCH])
    for queued, pk in enumerate(ids):
        if not _publish(delivery_send_task, (pk,)):
            return queued
    return len(ids)


def _lock_recipient(row: ChannelDelivery) -> None:
    """Serialise the claims of one recipient, so that two workers cannot both pass the hourly limit."""
    if row.user_id is not None:
        list(User.objects.select_for_update().filter(pk=row.user_id).values_list("pk"))
    else:
        list(Ticket.objects.select_for_update().filter(pk=row.ticket_id).values_list("pk"))


def _claim(pk: int, now: dt.datetime) -> ChannelDelivery | None:
    """The row, now `sending` with one more attempt, if it is due and within its recipient's limit; else None (a row
    over the limit is settled as `limited`)."""
    with transaction.atomic():
        row = ChannelDelivery.objects.filter(pk=pk).first()
        if row is None:
            return None
        _lock_recipient(row)
        row = (
            ChannelDelivery.objects.select_for_update()
            .filter(pk=pk, status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING), next_attempt_at__lte=now)
            .first()
        )
        if row is None:
            return None  # sent, settled or claimed by another worker meanwhile
        if row.attempts >= MAX_ATTEMPTS:  # its last claim's worker died: give up rather than loop
            row.status, row.last_error = DeliveryStatus.FAILED, "no answer recorded after the last attempt"
            row.save(update_fields=["status", "last_error"])
            return None
        recent = ChannelDelivery.objects.filter(
            channel=row.channel, user_id=row.user_id, claimed_at__gte=now - dt.timedelta(hours=1),
            status__in=(DeliveryStatus.SENDING, DeliveryStatus.SENT),
        ).exclude(pk=pk)  # fmt: skip
        if row.user_id is None:
            recent = recent.filter(ticket_id=row.ticket_id)
        if recent.count() >= per_hour(row.channel):
            row.status = DeliveryStatus.LIMITED
            row.save(update_fields=["status"])
            return None
        row.status, row.attempts, row.claimed_at = DeliveryStatus.SENDING, row.attempts + 1, now
        row.next_attempt_at = now + dt.timedelta(seconds=LEASE_S)
        row.save(update_fields=["status", "attempts", "claimed_at", "next_attempt_at"])
    return row


def _address(row: ChannelDelivery) -> str:
    """Where the message goes, read from its source now (never stored on the row): "" when there is none, or when the
    user has since turned the channel off or left."""
    if row.user_id is None:
        ticket = Ticket.objects.select_related("requester_household", "requester_enterprise").get(pk=row.ticket_id)
        phones = [ticket.requester_phone]
        phones += [ticket.requester_household.phone] if ticket.requester_household else []
        phones += [ticket.requester_enterprise.contact_phone] if ticket.requester_enterprise else []
        return next((p for p in phones if MOBILE.fullmatch(p)), "")
    pref = NotifyPreference.objects.select_related("user").filter(user_id=row.user_id).first()
    if pref is None or not pref.user.is_active or not getattr(pref, row.channel):
        return ""
    address = pref.user.phone if row.channel == Channel.SMS else pref.wechat_openid
    return address if row.channel != Channel.SMS or MOBILE.fullmatch(address) else ""


def _settle(row: ChannelDelivery, **fields: Any) -> str:
    ChannelDelivery.objects.filter(pk=row.pk, status=DeliveryStatus.SENDING).update(**fields)
    log.info("channel delivery %s (%s) attempt %s: %s", row.pk, row.channel, row.attempts, fields["status"])
    return str(fields["status"])


def delivery_send(pk: int) -> str:
    """Send one planned message if it is due; its status after (or "" when there was nothing to do). Safe to run twice:
    the claim lets one run through."""
    now = timezone.now()
    row = _claim(pk, now)
    if row is None:
        return ""
    address = _address(row)
    if not address:
        return _settle(row, status=DeliveryStatus.NO_ADDRESS)
    adapter = ADAPTERS[row.channel]
    if not adapter.enabled():
        return _settle(row, status=DeliveryStatus.FAILED, last_error="channel not configured")
    try:
        ref = adapter.send(address=address, message=Message(row.kind, row.params), reference=str(row.pk))
    except SendError as exc:
        if exc.transient and row.attempts < MAX_ATTEMPTS:
            delay = BACKOFF_S[min(row.attempts, len(BACKOFF_S)) - 1]
            later = timezone.now() + dt.timedelta(seconds=delay)
            return _settle(row, status=DeliveryStatus.PENDING, next_attempt_at=later, last_error=exc.reason)
        return _settle(row, status=DeliveryStatus.FAILED, last_error=exc.reason)
    return _settle(row, status=DeliveryStatus.SENT, sent_at=timezone.now(), provider_ref=ref, last_error="")


@shared_task(acks_late=True, ignore_result=True)
def delivery_send_task(delivery_id: int) -> str:
    """Send one planned SMS or WeChat message: thin, takes an id, safe to run twice (the claim)."""
    return delivery_send(delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def deliveries_due_task() -> int:
    """Every minute (beat) and after each plan's commit: queue the rows due now."""
    return deliveries_due()
