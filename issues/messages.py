"""Messages and tasks to cadres (精神早餐, 任务布置; issue 16 item 7): the writes and the reads.

A leader, a dispatcher or an admin sends a message, or a task with a due date, to a unit in their scope
(message_send: scope 404 → role 403 → fields 400). The CadreMessage is written in the sender's transaction; after
commit its delivery goes through the one notification road (issues.notices.queue_or_run: the `notifications` queue,
in place when the broker is away), and message_deliver writes one MessageReceipt per active cadre of the unit's
subtree, keyed by (message, user): delivered twice, written once. Cadres who join the unit later do not get it.

A cadre reads their own receipts (receipts_of: unread first) and acknowledges them (message_ack: read, and done for a
task; the same call again changes nothing, so a phone may resend it from its outbox). A sender reads the messages sent
to units in their scope (messages_visible_to) with their counts; message_rates gives read and done per child unit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign.days import day_start, today
from campaign.errors import Invalid, NotAllowed, OutOfScope
from campaign.fields import text_error
from campaign.models import OrgUnit, Role, User
from campaign.scope import in_subtree, unit_in_scope, within
from issues.models import CadreMessage, MessageKind, MessageReceipt
from issues.models.messages import TEXT_MAX
from issues.notices import queue_or_run

SENDER_ROLES = {Role.LEADER, Role.DISPATCHER, Role.ADMIN}
DUE_AHEAD_DAYS = 366  # a task is due within a year: a later date is a typing error (2062 for 2026)
RECEIPT_BATCH = 1000  # receipts per INSERT: a street's cadres (a few hundred) in one statement


def may_send(user: User) -> bool:
    return user.is_superuser or user.role in SENDER_ROLES


def is_recipient(user: User) -> bool:
    """Cadres get messages (the phone page's 消息与任务); a superuser reads as a sender."""
    return user.role == Role.CADRE and not user.is_superuser


# --- writes --------------------------------------------------------------------------------------------------------
def _field_errors(kind: str, text: str, due_date: dt.date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    problem = text_error(text)
    if not text.strip():
        errors["text"] = [_("请填写内容。")]
    elif len(text) > TEXT_MAX:
        errors["text"] = [_("内容不能超过 %(n)d 个字。") % {"n": TEXT_MAX}]
    elif problem:
        errors["text"] = [problem]
    if kind not in MessageKind.values:
        errors["kind"] = [_("类型应为消息或任务。")]
    elif kind == MessageKind.TASK and due_date is None:
        errors["due_date"] = [_("任务须填写完成时限。")]
    elif kind == MessageKind.MESSAGE and due_date is not None:
        errors["due_date"] = [_("消息不设完成时限；需要完成的请选择“任务”。")]
    elif due_date is not None and due_date < today():
        errors["due_date"] = [_("完成时限不能早于今天。")]
    elif due_date is not None and due_date > today() + dt.timedelta(days=DUE_AHEAD_DAYS):
        errors["due_date"] = [_("完成时限不能晚于一年以后。")]
    return errors


def sender_unit(sender: User, unit_id: Any) -> OrgUnit:
    """The recipients' unit if `sender` may send to it: OutOfScope (404) first, then NotAllowed (403) (SPEC §1's
    order, so a view checks this before it reports the body's fields)."""
    unit = unit_in_scope(sender, unit_id)
    if not may_send(sender):
        raise NotAllowed(_("只有领导、指挥中心和管理员可以向干部发送消息和任务。"))
    return unit


def message_send(*, sender: User, unit_id: Any, kind: str, text: str, due_date: dt.date | None) -> CadreMessage:
    """Send a message or a task to the cadres of `unit_id`'s subtree: OutOfScope (404) for a unit the sender does not
    see, NotAllowed (403) for a role that does not send, Invalid (400, by field) for the rest; nothing is stored then.
    The receipts are written after commit (message_deliver)."""
    unit = sender_unit(sender, unit_id)
    text = text.strip()
    errors = _field_errors(kind, text, due_date)
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        message = CadreMessage.objects.create(
            sender=sender, district_id=unit.district_id, unit=unit, kind=kind, text=text, due_date=due_date
        )
        transaction.on_commit(lambda: message_queue(message.pk))
    return message


def message_queue(message_id: int) -> None:
    """Deliver the message on the `notifications` queue (in place without a broker)."""
    queue_or_run(message_deliver_task, (message_id,), lambda: message_deliver(message_id))


def message_deliver(message_id: int) -> int:
    """Write a receipt for each active cadre of the message's unit subtree who has none: a read of the message, one
    of the cadres, one of the receipts already there, then INSERT … ON CONFLICT DO NOTHING (the key settles a delivery
    racing this one). Safe to run twice; returns how many receipts this run wrote (0 for a deleted message)."""
    message = CadreMessage.objects.select_related("unit").filter(pk=message_id).first()
    if message is None:
        return 0
    cadres = in_subtree(User.objects.filter(role=Role.CADRE, is_active=True), message.unit)
    have = set(message.receipts.values_list("user_id", flat=True))
    rows = [
        MessageReceipt(message=message, user_id=pk, unit_id=unit_id, district_id=message.district_id)
        for pk, unit_id in cadres.values_list("pk", "unit_id").order_by("pk")
        if pk not in have
    ]
    MessageReceipt.objects.bulk_create(rows, batch_size=RECEIPT_BATCH, ignore_conflicts=True)
    return len(rows)


@shared_task(acks_late=True, ignore_result=True)
def message_deliver_task(message_id: int) -> int:
    """Write a message's receipts after its commit: thin, takes an id, safe to run twice (STYLE 7). Registered in every
    process by issues.apps, beside notices_send_task."""
    return message_deliver(message_id)


def message_ack(*, user: User, message_id: Any, done: bool = False) -> MessageReceipt:
    """The cadre has read the message (and, `done`, carried out the task): stamps read_at, and done_at, the first
    time only, so the same acknowledgement again (a phone's outbox resending it) changes nothing. OutOfScope (404)
    unless the user has a receipt of it; Invalid on `done` for a message that is not a task."""
    receipt = receipts_of(user).filter(message_id=message_id).first() if str(message_id).isdigit() else None
    if receipt is None:
        raise OutOfScope()
    if done and receipt.message.kind != MessageKind.TASK:
        raise Invalid.field("done", _("只有任务可以标记为已完成。"))
    now = timezone.now()
    # One statement that keeps the first moments: two deliveries of the same ack race harmlessly.
    stamps = {"read_at": Coalesce("read_at", Value(now))}
    if done:
        stamps["done_at"] = Coalesce("done_at", Value(now))
    MessageReceipt.objects.filter(pk=receipt.pk).update(**stamps)
    receipt.refresh_from_db(fields=["read_at", "done_at"])
    return receipt


# --- reads ---------------------------------------------------------------------------------------------------------
def receipts_of(user: User) -> QuerySet[MessageReceipt]:
    """The user's own receipts with their messages: unread first, then newest."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return (
        MessageReceipt.objects.filter(user=user)
        .select_related("message", "message__sender", "message__unit")
        .order_by(unread.desc(), "-message__created_at", "-message_id")
    )


def _counted(messages: QuerySet[CadreMessage]) -> QuerySet[CadreMessage]:
    return messages.annotate(
        recipients=Count("receipts"),
        read=Count("receipts", filter=Q(receipts__read_at__isnull=False)),
        done=Count("receipts", filter=Q(receipts__done_at__isnull=False)),
    )


def messages_visible_to(user: User) -> QuerySet[CadreMessage]:
    """The messages a sender reads: those sent to a unit in their scope, newest first, with recipients, read and
    done counted (one query). Nothing for other roles (a cadre reads receipts_of)."""
    if not may_send(user):
        return CadreMessage.objects.none()
    messages = within(CadreMessage.objects.select_related("unit", "sender"), user)
    return _counted(messages).order_by("-created_at", "-id")


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def message_by_unit(message: CadreMessage) -> list[dict[str, Any]]:
    """The message's receipts per recipient unit (a grid, mostly): recipients, read, done and their rates, in the
    tree's order; one query."""
    rows = (
        message.receipts.values("unit", "unit__name", "unit__path")
        .annotate(
            recipients=Count("id"),
            read=Count("id", filter=Q(read_at__isnull=False)),
            done=Count("id", filter=Q(done_at__isnull=False)),
        )
        .order_by("unit__path")
    )
    return [
        {
            "unit": row["unit"],
            "name": row["unit__name"],
            "recipients": row["recipients"],
            "read": row["read"],
            "done": row["done"],
            "read_rate": rate(row["read"], row["recipients"]),
            "done_rate": rate(row["done"], row["recipients"]) if message.kind == MessageKind.TASK else None,
        }
        for row in rows
    ]


def _receipts_count(receipts: QuerySet[MessageReceipt]) -> Coalesce:
    """COUNT(*) of `receipts` as a correlated subquery (no GROUP BY: one number per outer row)."""
    return Coalesce(Subquery(receipts.order_by().annotate(n=Func("id", function="COUNT")).values("n")), 0)


def message_rates(unit: OrgUnit, since: dt.date | dt.datetime) -> list[dict[str, Any]]:
    """Per child unit of `unit` (and `unit` itself, for cadres placed at its own level): the receipts of messages and
    tasks sent since `since` (a day: from its start in the campaign's zone) to cadres there, how many were read, the
    tasks' receipts and how many of them were done, with read_rate and done_rate (of tasks). One query, whatever the
    subtree's size (the units, each with four counts over its subtree's receipts): the dashboard's panel 提醒与任务
    (dashboard.page_data.message_panel) has no query to spare. The caller checks the unit is in scope."""
    start = since if isinstance(since, dt.datetime) else day_start(since)
    # a child counts its subtree's receipts; the unit itself only those of cadres placed at its own level
    mine = Q(unit=OuterRef("pk")) | Q(
        GreaterThan(OuterRef("depth"), unit.depth), unit__path__startswith=OuterRef("path")
    )
    receipts = MessageReceipt.objects.filter(mine, message__created_at__gte=start)
    units = (
        OrgUnit.objects.filter(Q(parent=unit) | Q(pk=unit.pk))
        .annotate(
            sent=_receipts_count(receipts),
            read=_receipts_count(receipts.filter(read_at__isnull=False)),
            tasks=_receipts_count(receipts.filter(message__kind=MessageKind.TASK)),
            done=_receipts_count(receipts.filter(done_at__isnull=False)),
        )
        .order_by("path")
        .values("pk", "name", "sent", "read", "tasks", "done")
    )
    return [
        {
            "unit": child["pk"],
            "name": child["name"],
            "sent": child["sent"],
            "read": child["read"],
            "tasks": child["tasks"],
            "done": child["done"],
            "read_rate": rate(child["read"], child["sent"]),
            "done_rate": rate(child["done"], child["tasks"]),
        }  # fmt: skip
        for child in units
        if child["pk"] != unit.pk
        or child["sent"]  # no cadre at the unit's own level: its children's rows are the whole
    ]
