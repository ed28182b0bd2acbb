"""Notifications (SPEC §5; issue 15 item 3): the one interface through which the machine and the escalation job
tell users — and requesters — what happened, sent after commit through the `notifications` Celery queue
(config/jobs.py), exactly once.

Users get in-app notifications (Notification). Requesters have no account: a notice to them goes out on each of
REQUESTER_CHANNELS — the in-app one (RequesterNotice rows, shown on /lookup/ to whoever gives the ticket's code and
phone digits) and SMS (issues.channels, issue 17 item 4). Each channel's row is keyed by (requester's ticket, kind,
the action's moment, channel), so a task delivered twice writes each once. Users who chose SMS or WeChat
(campaign.NotifyPreference) get those beside the in-app row: issues.channels.outbox plans them in the same transaction.

A notice names its ticket, kind, text, recipients (units' users and users) and `at`, the moment of the action that
raised it (the event's `at`). The row written for a recipient is keyed by (user, ticket, kind, created_at = at):
`notices_send` locks the notices' tickets, skips the recipients that already have that row and writes the others,
so a task delivered twice (acks_late, a worker killed mid-way) writes each notification once. Notification has no
unique constraint on that key (no migration in issue 14's slice): the ticket row lock serialises two deliveries.

Without a broker (the embedded default, eager Celery) the task runs in place after commit, as before; with a
broker that cannot be reached the web process sends in place rather than lose the notices.

Messages and tasks to cadres (issues.messages, issue 16) take the same road: queue_or_run publishes their delivery
on this queue, after the message's commit, with the same fall-back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import shared_task
from django.db import transaction

from campaign.models import User
from campaign.publish import Breaker, publish
from issues.channels import outbox
from issues.models import Notification, RequesterNotice, Ticket

TEXT_LIMIT = 300
BROKER = Breaker()  # the back-off of queue_or_run's publishes (campaign.publish)


@dataclass
class Notice:
    """An in-app notification to send after commit: to the users of `unit_ids` and to `user_ids`."""

    ticket_id: int
    kind: str
    text: str
    at: str  # ISO datetime of the action (the event's `at`): part of the notification's key
    unit_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    exclude_user_id: int | None = None
    requester_ticket_ids: list[int] = field(default_factory=list)  # the requesters of these tickets are told too

    def send(self) -> None:
        """Run on commit by the machine: one in-app notification per recipient, never the actor."""
        notices_queue([self])


def notices_queue(notices: list[Notice]) -> None:
    """Queue the notices on the `notifications` queue (in place when Celery is eager), or send them here if the broker
    cannot take them (queue_or_run)."""
    if not notices:
        return
    payload = [dataclasses.asdict(notice) for notice in notices]
    queue_or_run(notices_send_task, (payload,), lambda: notices_send(notices))


def queue_or_run(task: Any, args: tuple[Any, ...], in_place: Callable[[], object]) -> None:
    """Publish `task(*args)` on its queue (in place when Celery is eager); run `in_place` instead if the broker cannot
    take it (the task must be idempotent, so a publish that did arrive after all costs nothing), and while BROKER's
    back-off lasts after that, without trying the broker again (campaign.publish). Used by notices_queue and by
    issues.messages (messages to cadres)."""
    if not publish(task, args, breaker=BROKER, what="notifications sent in place"):
        in_place()


def _recipients(notices: list[Notice]) -> list[set[int]]:
    unit_ids = {unit_id for notice in notices for unit_id in notice.unit_ids}
    by_unit: dict[int, list[int]] = {}
    for pk, unit_id in User.objects.filter(unit_id__in=unit_ids, is_active=True).values_list("pk", "unit_id"):
        by_unit.setdefault(unit_id, []).append(pk)
    out = []
    for notice in notices:
        recipients = set(notice.user_ids).union(*(by_unit.get(u, []) for u in notice.unit_ids))
        recipients.discard(notice.exclude_user_id)  # type: ignore[arg-type]
        out.append(recipients)
    return out


def notices_send(notices: list[Notice]) -> int:
    """Write the notices' notifications not written yet, in one transaction: one query for the users of all their
    units, the tickets locked (in id order), one query for the rows already there, one INSERT, one UPDATE that
    stamps the new rows with their action's moment. Never to a notice's actor. Returns how many were written."""
    if not notices:
        return 0
    with transaction.atomic():
        ticket_ids = sorted({notice.ticket_id for notice in notices})
        list(Ticket.objects.select_for_update().filter(pk__in=ticket_ids).order_by("pk").values_list("pk"))
        moments = {notice.at: dt.datetime.fromisoformat(notice.at) for notice in notices}
        done = set(
            Notification.objects.filter(ticket_id__in=ticket_ids, created_at__in=set(moments.values())).values_list(
                "user_id", "ticket_id", "kind", "created_at"
            )
        )
        by_moment: dict[dt.datetime, list[Notification]] = {}
        recipients_of = _recipients(notices)
        for notice, recipients in zip(notices, recipients_of, strict=True):
            at, text = moments[notice.at], notice.text[:TEXT_LIMIT]
            for uid in sorted(recipients):
                if (uid, notice.ticket_id, notice.kind, at) not in done:
                    done.add((uid, notice.ticket_id, notice.kind, at))
                    row = Notification(user_id=uid, ticket_id=notice.ticket_id, kind=notice.kind, text=text)
                    by_moment.setdefault(at, []).append(row)
        rows = [row for group in by_moment.values() for row in group]
        Notification.objects.bulk_create(rows, batch_size=500)
        # created_at is auto_now_add (the insert's clock): stamp each row with its action's moment, the key above.
        for at, group in by_moment.items():
            Notification.objects.filter(pk__in=[row.pk for row in group]).update(created_at=at)
        told = sum(channel(notices) for channel in REQUESTER_CHANNELS.values())
        told += outbox.deliveries_plan(notices, recipients_of)  # the users' SMS and WeChat (issues.channels)
    return len(rows) + told


def _requesters_in_app(notices: list[Notice]) -> int:
    """The in-app channel of requesters: a RequesterNotice per requester's ticket, shown on /lookup/; a row already
    written (the same notice delivered twice) is skipped by its key."""
    rows = [
        RequesterNotice(
            ticket_id=pk,
            kind=notice.kind,
            text=notice.text[:TEXT_LIMIT],
            channel="in_app",
            created_at=dt.datetime.fromisoformat(notice.at),
        )
        for notice in notices
        for pk in notice.requester_ticket_ids
    ]
    if not rows:
        return 0
    written = RequesterNotice.objects.filter(
        ticket_id__in={row.ticket_id for row in rows}, created_at__in={row.created_at for row in rows}, channel="in_app"
    )
    done = set(written.values_list("ticket_id", "kind", "created_at"))
    new = [row for row in rows if (row.ticket_id, row.kind, row.created_at) not in done]
    RequesterNotice.objects.bulk_create(new, ignore_conflicts=True)  # the key settles a race with another delivery
    return len(new)


# The channels a requester's notice goes out on, each writing (or handing to its gateway) its own keyed rows.
REQUESTER_CHANNELS: dict[str, Callable[[list[Notice]], int]] = {
    "in_app": _requesters_in_app,
    "sms": outbox.requesters_sms,  # planned only when SMS is configured; sent after commit (issues.channels.outbox)
}


@shared_task(acks_late=True, ignore_result=True)
def notices_send_task(notices: list[dict[str, Any]]) -> int:
    """Write a batch of notices' notifications: thin, takes plain data, safe to run twice (STYLE 7)."""
    return notices_send([Notice(**notice) for notice in notices])
