"""Signed outbound webhooks (issue 17 item 2): the outbox row is written in the ticket event's transaction, sent as a
signed POST to a real HTTP receiver on 127.0.0.1, retried with back-off, never sent again once sent, and carries one
event id on every attempt."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaign.errors import WrongState
from campaign.models import OrgUnit, UnitKind
from interop import delivery as sender
from interop.delivery import backoff, delivery_claim, delivery_send
from interop.models import DeliveryStatus, Partner, WebhookDelivery
from interop.outbox import event_type
from issues.machine import ticket_apply
from tests.interop.webhook_fixtures import (  # noqa: F401  fixtures
    partner_fixture,
    receiver_fixture,
    send_due,
    subscribe,
    tickets_fixture,
    webhook_settings_fixture,
)

pytestmark = pytest.mark.django_db


def _rows(**filters):
    return list(WebhookDelivery.objects.filter(**filters).order_by("pk"))


def _time_passes() -> None:
    """Every pending row's next attempt is due now (as if its back-off had passed)."""
    WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now())


def test_each_event_of_a_tickets_life_reaches_the_receiver_signed(tickets, partner, receiver, dispatcher):
    # given: a partner subscribed to every event
    subscribe(partner, receiver)
    # when: a ticket is reported, dispatched, … resolved, called back unsatisfied (reopened), resolved, closed
    ticket = tickets.at("resolved")
    tickets.act(ticket, "callback", dispatcher, rating="unsatisfied", note="不满意")
    tickets.act(ticket, "resolve", tickets.handler, result="再次清理", public_notice="公告")
    tickets.act(ticket, "callback", dispatcher, rating="satisfied", note="满意")
    assert all(status == DeliveryStatus.SENT for status in send_due())
    # then: one signed POST per event, in order, each with its own id, the header's id the body's
    events = [r.json["event"] for r in receiver.received]
    assert events == ["created", "dispatched", "resolved", "reopened", "resolved", "closed"]
    assert all(r.signature_ok for r in receiver.received)
    assert len(set(receiver.event_ids())) == 6
    assert all(
        r.json["id"] == r.event_id and r.headers["X-Zoufang-Event"] == r.json["event"] for r in receiver.received
    )
    assert {str(d.event_id) for d in _rows(status=DeliveryStatus.SENT)} == set(receiver.event_ids())
    assert receiver.received[0].json["ticket"]["code"] == ticket.code


def test_the_payload_names_no_person_and_no_free_text(tickets, partner, receiver):
    subscribe(partner, receiver, events=["created"])
    tickets.reported(requester_name="张三丰", requester_phone="13812345678", description="张三丰家门口占道经营")
    send_due()
    body = receiver.received[0].body.decode()
    for personal in ("张三丰", "13812345678", "占道经营", "requester", "description"):
        assert personal not in body


def test_only_the_subscribed_events_of_active_subscriptions_of_the_district(tickets, partner, receiver, org):
    # given: one subscription to `resolved`, one inactive, one of another district's partner
    resolved_only = subscribe(partner, receiver, events=["resolved"])
    subscribe(partner, receiver, is_active=False)
    other = OrgUnit.objects.create(name="雁塔区", kind=UnitKind.DISTRICT, code="YT")
    subscribe(Partner.objects.create(name="雁塔热线", district=other, key_hash="x" * 64), receiver)
    # when: a ticket goes to resolved
    tickets.at("resolved")
    # then: one row, the resolved event of the matching subscription
    assert [(d.subscription_id, d.event) for d in _rows()] == [(resolved_only.pk, "resolved")]


def test_the_outbox_row_commits_and_rolls_back_with_the_event(tickets, partner, receiver, dispatcher):
    subscribe(partner, receiver)
    ticket = tickets.reported()
    assert len(_rows(event="created")) == 1
    # when: an action succeeds inside a transaction that is then rolled back
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_apply(ticket_id=ticket.pk, action="dispatch", actor=dispatcher, version=ticket.version,
                     data=tickets.dispatch_body())  # fmt: skip
        assert len(_rows(event="dispatched")) == 1  # written with the event, in its transaction
        raise RuntimeError("the caller fails after the action")
    # then: neither the event nor its row is left
    assert not _rows(event="dispatched") and not ticket.events.filter(action="dispatch").exists()
    # and a refused action writes no row either
    with pytest.raises(WrongState):
        ticket_apply(ticket_id=ticket.pk, action="close", actor=dispatcher, version=ticket.version, data={})
    assert len(_rows()) == 1


def test_the_delivery_is_queued_only_after_commit(tickets, partner, receiver, django_capture_on_commit_callbacks):
    subscribe(partner, receiver)
    with django_capture_on_commit_callbacks() as callbacks:
        tickets.reported()
    assert callbacks  # the enqueue waits for the commit (eager Celery here: the sweep sends, nothing in the request)
    assert receiver.received == []


def test_receiver_down_is_retried_with_backoff_and_delivered_later(tickets, partner, receiver):
    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    # given: the receiver is down
    receiver.stop()
    # when: the first attempt fails
    before = timezone.now()
    assert send_due() == [DeliveryStatus.PENDING]
    row = _rows()[0]
    # then: it is kept for later, backed off, with the reason and nothing more
    assert row.attempts == 1 and row.last_error == "ConnectionError"
    assert row.next_attempt_at >= before + backoff(1) - dt.timedelta(seconds=1)
    assert send_due() == []  # not due yet: the sweep leaves it
    # when: the receiver answers 500, then is healthy
    receiver.start()
    receiver.answer = 500
    _time_passes()
    assert send_due() == [DeliveryStatus.PENDING]
    row.refresh_from_db()
    assert row.attempts == 2 and row.last_error == "HTTP 500"
    assert row.next_attempt_at - timezone.now() > backoff(1)  # the back-off doubles
    receiver.answer = 204
    _time_passes()
    assert send_due() == [DeliveryStatus.SENT]
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.sent_at and row.next_attempt_at is None and row.last_error == ""
    # and both attempts that reached the receiver carried the same event id and the same body
    assert receiver.event_ids() == [str(row.event_id)] * 2
    assert receiver.received[0].body == receiver.received[1].body


def test_a_sent_row_is_never_sent_again(tickets, partner, receiver):
    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    row = _rows()[0]
    assert delivery_send(row.pk) == DeliveryStatus.SENT
    # when: the task is delivered twice, and time passes
    assert delivery_send(row.pk) is None
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(row.pk) is None and send_due() == []
    assert len(receiver.received) == 1


def test_a_claimed_row_is_not_sent_by_a_second_worker(tickets, partner, receiver):
    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    row = _rows()[0]
    # given: one worker claimed the row and is sending it
    assert delivery_claim(row.pk, timezone.now()) is not None
    # then: a second task for the same row does nothing
    assert delivery_send(row.pk) is None and receiver.received == []


def test_a_worker_lost_mid_send_means_a_duplicate_with_the_same_event_id(tickets, partner, receiver):
    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    row = _rows()[0]
    # given: a worker claimed the row, posted it, and died before recording it
    claimed = delivery_claim(row.pk, timezone.now())
    assert claimed is not None and sender._post(claimed) is None
    # when: the lease passes and the sweep sends it again
    _time_passes()
    assert send_due() == [DeliveryStatus.SENT]
    # then: the receiver got it twice, with one event id: it keeps the first and drops the second
    assert receiver.event_ids() == [str(row.event_id)] * 2
    assert json.loads(receiver.received[0].body) == json.loads(receiver.received[1].body)


def test_after_the_last_attempt_the_row_is_failed(tickets, partner, receiver, monkeypatch):
    monkeypatch.setattr(sender, "MAX_ATTEMPTS", 3)
    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    receiver.answer = 503
    results = []
    for _ in range(3):
        _time_passes()
        results += send_due()
    assert results == [DeliveryStatus.PENDING, DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    row = _rows()[0]
    assert row.attempts == 3 and row.next_attempt_at is None and row.last_error == "HTTP 503"
    _time_passes()
    assert send_due() == []


def test_a_redirect_is_a_failed_attempt_not_followed(tickets, partner, receiver):
    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    receiver.answer = 307
    assert send_due() == [DeliveryStatus.PENDING]
    assert _rows()[0].last_error == "HTTP 307" and len(receiver.received) == 1


def test_an_inactive_subscription_fails_at_once(tickets, partner, receiver):
    subscription = subscribe(partner, receiver, events=["created"])
    tickets.reported()
    subscription.is_active = False
    subscription.save()
    assert send_due() == [DeliveryStatus.FAILED]
    assert receiver.received == []


def test_a_loopback_target_is_refused_at_send_time_unless_allowed(tickets, partner, receiver, settings):
    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert send_due() == [DeliveryStatus.PENDING]
    assert receiver.received == [] and "内网" in _rows()[0].last_error


def test_the_secret_is_encrypted_at_rest(partner, receiver):
    subscription = subscribe(partner, receiver)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM interop_webhooksubscription WHERE id = %s", [subscription.pk])
        stored = cursor.fetchone()[0]
    assert receiver.secret and receiver.secret not in stored


@pytest.mark.parametrize(
    ("action", "frm", "to", "expected"),
    [
        ("report", "", "reported", "created"),
        ("dispatch", "reported", "dispatched", "dispatched"),
        ("reassign", "in_progress", "dispatched", "dispatched"),
        ("resolve_on_site", "reported", "resolved", "resolved"),
        ("answer_directly", "reported", "resolved", "resolved"),
        ("close", "resolved", "closed", "closed"),
        ("callback", "resolved", "closed", "closed"),
        ("callback", "resolved", "in_progress", "reopened"),
        ("callback", "resolved", "resolved", None),
        ("progress", "accepted", "in_progress", None),
        ("return", "dispatched", "reported", None),
        ("cancel", "reported", "cancelled", None),
        ("supervise", "in_progress", "in_progress", None),
    ],
)
def test_which_ticket_events_are_webhook_events(action, frm, to, expected):
    assert event_type(action=action, from_status=frm, to_status=to) == expected


def test_a_district_without_subscriptions_pays_no_query_for_webhooks(tickets, dispatcher):
    ticket = tickets.reported()
    tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body())  # warms the district set
    ticket = tickets.reported()
    ticket.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        ticket_apply(ticket_id=ticket.pk, action="dispatch", actor=dispatcher, version=ticket.version,
                     data=tickets.dispatch_body())  # fmt: skip
    assert not [q for q in queries.captured_queries if "interop_" in q["sql"]]


def test_a_subscribed_district_pays_two_queries_per_event(tickets, partner, receiver, dispatcher):
    subscribe(partner, receiver)
    subscribe(partner, receiver, events=["dispatched"])
    ticket = tickets.reported()
    ticket.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        ticket_apply(ticket_id=ticket.pk, action="dispatch", actor=dispatcher, version=ticket.version,
                     data=tickets.dispatch_body())  # fmt: skip
    ours = [q["sql"] for q in queries.captured_queries if "interop_" in q["sql"]]
    assert len(ours) == 2, ours  # the district's subscriptions, one insert of both rows
    assert len(_rows(event="dispatched")) == 2


def test_event_ids_are_uuids_unique_per_row(tickets, partner, receiver):
    subscribe(partner, receiver)
    subscribe(partner, receiver)
    tickets.reported()
    ids = [row.event_id for row in _rows()]
    assert len(ids) == 2 and len(set(ids)) == 2 and all(isinstance(i, uuid.UUID) for i in ids)


def test_the_documented_check_refuses_another_secret_a_changed_body_and_an_old_timestamp(tickets, partner, receiver):
    from tests.interop.webhook_receiver import verify

    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    send_due()
    got = receiver.received[0]
    assert verify(receiver.secret, got.headers, got.body)
    assert not verify("another-secret", got.headers, got.body)
    assert not verify(receiver.secret, got.headers, got.body.replace(b"created", b"closed"))
    old = int(got.headers["X-Zoufang-Timestamp"]) - 3600
    stale = {**got.headers, "X-Zoufang-Timestamp": str(old)}
    stale["X-Zoufang-Signature"] = sender.signature(receiver.secret, old, got.body)
    assert not verify(receiver.secret, stale, got.body)  # well signed, but an hour old: a replayed capture


def test_the_sweep_task_sends_the_due_rows_in_the_embedded_default(tickets, partner, receiver):
    from interop.tasks import webhook_sweep

    subscribe(partner, receiver, events=["created"])
    tickets.reported()
    tickets.reported()
    assert webhook_sweep.apply().get() == 2  # eager Celery: each attempt runs in place, as config/scheduler.py does
    assert len(receiver.received) == 2 and not _rows(status=DeliveryStatus.PENDING)
    assert webhook_sweep.apply().get() == 0


def test_rotating_the_keys_re_encrypts_the_secrets_and_keeps_them(partner, receiver, settings):
    from cryptography.fernet import Fernet, InvalidToken
    from django.core.management import call_command

    from interop.models import WebhookSubscription

    def raw() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT secret FROM interop_webhooksubscription WHERE id = %s", [subscription.pk])
            return cursor.fetchone()[0]

    subscription = subscribe(partner, receiver)
    old_key, new_key = settings.PII_KEYS[0], Fernet.generate_key().decode()
    settings.PII_KEYS = [new_key, old_key]
    call_command("rotate_webhook_secrets", stdout=open("/dev/null", "w"))
    assert Fernet(new_key.encode()).decrypt(raw().encode()).decode() == receiver.secret
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(raw().encode())
    settings.PII_KEYS = [new_key]  # the old key dropped: the secret still signs
    assert WebhookSubscription.objects.get(pk=subscription.pk).secret == receiver.secret
