"""Messages and tasks to cadres API (issue 16 item 7; issues.messages holds the rules).

GET /messages/: a cadre's own messages with their read and done moments, unread first; a sender's (leader,
dispatcher, admin) messages sent to units in their scope with recipients, read and done counted. POST sends one
(scope 404 → role 403 → fields 400). GET /messages/{id}/ adds, for a sender, the figures per recipient unit.
POST /messages/{id}/ack/ is the cadre's 已读 (and, {"done": true}, a task's 已完成): idempotent, so a phone's outbox
may send it again and get the same 200.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.errors import NotAllowed, OutOfScope
from campaign.fields import CleanCharField
from campaign.pagination import NumberPage
from campaign.scope import user_of
from issues.messages import (
    is_recipient,
    may_send,
    message_ack,
    message_by_unit,
    message_send,
    messages_visible_to,
    rate,
    receipts_of,
    sender_unit,
)
from issues.models import CadreMessage, MessageKind, MessageReceipt
from issues.models.messages import TEXT_MAX

RATE_HELP = "0..1; null when there is nothing to count"
PK_MAX = 2**63 - 1
_PRIVATE = "for a sender; null for a cadre"


class MessageSerializer(serializers.Serializer):
    """A message as a cadre sees it (read_at, done_at: their own) or as a sender sees it (the counts)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    text = serializers.CharField()
    due_date = serializers.DateField(allow_null=True, help_text="a task's; null for a message")
    unit = serializers.IntegerField(source="unit_id", help_text="the recipients' unit (its cadres, subtree included)")
    unit_name = serializers.CharField(source="unit.name")
    sender_name = serializers.CharField(source="sender.display_name", allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True, help_text="the cadre's 已读; null for a sender")
    done_at = serializers.DateTimeField(allow_null=True, help_text="the cadre's 已完成 (tasks); null for a sender")
    recipients = serializers.IntegerField(allow_null=True, help_text=_PRIVATE)
    read = serializers.IntegerField(allow_null=True, help_text=_PRIVATE)
    done = serializers.IntegerField(allow_null=True, help_text=_PRIVATE)
    read_rate = serializers.FloatField(allow_null=True, help_text=f"{_PRIVATE}; {RATE_HELP}")
    done_rate = serializers.FloatField(allow_null=True, help_text=f"tasks, {_PRIVATE}; {RATE_HELP}")


class UnitFiguresSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    name = serializers.CharField()
    recipients = serializers.IntegerField()
    read = serializers.IntegerField()
    done = serializers.IntegerField()
    read_rate = serializers.FloatField(allow_null=True, help_text=RATE_HELP)
    done_rate = serializers.FloatField(allow_null=True, help_text=f"tasks; {RATE_HELP}")


class MessageDetailSerializer(MessageSerializer):
    units = UnitFiguresSerializer(many=True, allow_null=True, help_text=f"per recipient unit (a grid), {_PRIVATE}")


class MessageInput(serializers.Serializer):
    """Shapes here; scope, role and the rules (due date by kind, not in the past) are issues.messages'."""

    unit = serializers.IntegerField(min_value=1, max_value=PK_MAX, help_text="in your scope: its cadres receive it")
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    text = CleanCharField(max_length=TEXT_MAX)
    due_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="required for a task (today or later), null else"
    )


class AckInput(serializers.Serializer):
    done = serializers.BooleanField(required=False, default=False, help_text="the task is done (tasks only)")


def _with_rates(message: CadreMessage) -> CadreMessage:
    message.read_rate = rate(message.read, message.recipients)  # type: ignore[attr-defined]
    task = message.kind == MessageKind.TASK
    message.done_rate = rate(message.done, message.recipients) if task else None  # type: ignore[attr-defined]
    return message


def _as_message(receipt: MessageReceipt) -> CadreMessage:
    message = receipt.message
    message.read_at, message.done_at = receipt.read_at, receipt.done_at  # type: ignore[attr-defined]
    return message


class MessageList(generics.ListCreateAPIView):
    serializer_class = MessageSerializer
    pagination_class = NumberPage
    queryset = CadreMessage.objects.none()  # for the schema; requests read issues.messages' selectors

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A cadre: my messages and tasks, unread first, with my read_at and done_at. A sender: the messages sent to
        units in my scope, newest first, with recipients, read and done counted. Other roles: 403."""
        user = user_of(request)
        rows: list[CadreMessage]
        if is_recipient(user):
            rows = [_as_message(r) for r in self.paginate_queryset(receipts_of(user)) or []]
        elif may_send(user):
            rows = [_with_rates(m) for m in self.paginate_queryset(messages_visible_to(user)) or []]
        else:
            raise NotAllowed(_("您的角色不收发干部消息。"))
        return self.get_paginated_response(MessageSerializer(rows, many=True).data)

    @extend_schema(request=MessageInput, responses={201: MessageSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Send a message, or a task with a due date, to the cadres of a unit in my scope (leaders, dispatchers,
        admins). Their receipts are written after commit, on the notifications queue."""
        user = user_of(request)
        body = MessageInput(data=request.data)
        valid = body.is_valid()
        unit = request.data.get("unit") if isinstance(request.data, dict) else None
        if unit is not None and "unit" not in body.errors:
            sender_unit(user, unit)  # 404 (scope), then 403 (role), before the fields' 400 (SPEC §1)
        if not valid:
            raise ValidationError(body.errors)
        data = body.validated_data
        message = message_send(
            sender=user, unit_id=data["unit"], kind=data["kind"], text=data["text"], due_date=data["due_date"]
        )
        return Response(MessageSerializer(_with_rates(messages_visible_to(user).get(pk=message.pk))).data, status=201)


def _detail(request: Request, pk: int) -> dict[str, Any]:
    user = user_of(request)
    if is_recipient(user):
        receipt = receipts_of(user).filter(message_id=pk).first()
        if receipt is None:
            raise OutOfScope()
        return MessageDetailSerializer(_as_message(receipt)).data
    message = messages_visible_to(user).filter(pk=pk).first()
    if message is None:
        raise OutOfScope()
    _with_rates(message).units = message_by_unit(message)  # type: ignore[attr-defined]
    return MessageDetailSerializer(message).data


class MessageDetail(APIView):
    @extend_schema(responses=MessageDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """One message: a cadre's own (404 unless they received it); a sender's in scope, with recipients, read and
        done per recipient unit (two queries)."""
        return Response(_detail(request, pk))


class MessageAck(APIView):
    @extend_schema(request=AckInput, responses=MessageSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """已读, or {"done": true} 已完成 for a task (400 on `done` for a message): the recipient only (404 else).
        The same acknowledgement again answers the same 200 and keeps the first moments."""
        body = AckInput(data=request.data)
        body.is_valid(raise_exception=True)
        receipt = message_ack(user=user_of(request), message_id=pk, done=body.validated_data["done"])
        return Response(MessageSerializer(_as_message(receipt)).data)
