"""SMS and WeChat notices: a user who chose SMS gets exactly one per notice, after commit, with the kind's template;
a provider error is retried with back-off; the hourly limit holds; a requester's SMS carries the ticket's code and
status only. The provider is a local server (tests/issues/fake_providers.py)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket

import pytest
import time_machine
from django.utils import timezone

from campaign.models import NotifyPreference, Role
from issues.channels import outbox
from issues.models import ChannelDelivery, Notification, RequesterNotice
from issues.notices import Notice, notices_send
from tests.dashboard.conftest import celery_conf
from tests.factories import UserFactory

HANDLER_PHONE = "13800001111"
REQUESTER_PHONE = "13912345678"


@pytest.fixture(autouse=True)
def broker_not_known_down():
    outbox.BROKER.reset()
    yield
    outbox.BROKER.reset()


@pytest.fixture
def sms_handler(handler):
    handler.phone = HANDLER_PHONE
    handler.save(update_fields=["phone"])
    NotifyPreference.objects.create(user=handler, sms=True)
    return handler


@pytest.fixture
def in_app_handler(org):
    """A second handler of the lead unit, with a phone, who kept the default: in-app only."""
    return UserFactory(username="handler1b", role=Role.HANDLER, unit=org.dept1, phone="13900002222")


def dispatched(tickets, capture):
    with capture(execute=True):
        return tickets.at("dispatched")


def sms_to(providers, phone):
    return [s.form() for s in providers.to("/") if s.form()["PhoneNumbers"] == phone]


def test_a_dispatch_sends_one_sms_to_the_user_who_chose_it(
    tickets, sms_handler, in_app_handler, providers, django_capture_on_commit_callbacks
):
    ticket = dispatched(tickets, django_capture_on_commit_callbacks)
    [sms] = sms_to(providers, HANDLER_PHONE)
    assert sms["TemplateCode"] == "SMS_100001"
    assert json.loads(sms["TemplateParam"]) == {"code": ticket.code, "status": "待签收"}
    assert sms_to(providers, in_app_handler.phone) == []  # in-app only: no SMS
    assert Notification.objects.filter(user=in_app_handler, ticket=ticket).count() == 1  # the bell as before
    row = ChannelDelivery.objects.get()
    assert (row.status, row.attempts, row.user_id, row.provider_ref) == (
        "sent",
        1,
        sms_handler.pk,
        "900619746936498440^0",
    )
    assert sms["OutId"] == str(row.pk)
    # the same notice delivered again (a redelivered task) plans and sends nothing more
    event = ticket.events.get(action="dispatch")
    again = Notice(
        ticket_id=ticket.pk, kind="dispatched", text="x", at=event.at.isoformat(), unit_ids=[ticket.lead_unit_id]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notices_send([again]) == 0
    assert outbox.delivery_send(row.pk) == ""  # a second task for the sent row does nothing
    assert len(providers.to("/")) == 1 and ChannelDelivery.objects.count() == 1


def test_nothing_is_planned_when_sms_is_not_configured(
    tickets, sms_handler, providers, settings, django_capture_on_commit_callbacks
):
    settings.SMS_ACCESS_KEY_ID = ""
    dispatched(tickets, django_capture_on_commit_callbacks)
    assert ChannelDelivery.objects.count() == 0 and providers.seen == []


def test_a_provider_error_is_retried_with_back_off_then_sent(
    tickets, sms_handler, providers, django_capture_on_commit_callbacks
):
    providers.scripted["/"] = [(503, {"Code": "ServiceUnavailable", "Message": "busy"})]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        dispatched(tickets, django_capture_on_commit_callbacks)
        row = ChannelDelivery.objects.get()
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == start + dt.timedelta(seconds=30) and "ServiceUnavailable" in row.last_error
        assert outbox.deliveries_due() == 0  # not due before its back-off
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert outbox.deliveries_due_task.apply().get() == 1  # beat's sweep
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert len(sms_to(providers, HANDLER_PHONE)) == 2  # the failed attempt and the one that went through


def test_an_error_the_provider_calls_final_is_not_retried(
    tickets, sms_handler, providers, django_capture_on_commit_callbacks
):
    providers.scripted["/"] = [(400, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": f"bad {HANDLER_PHONE}"})]
    dispatched(tickets, django_capture_on_commit_callbacks)
    row = ChannelDelivery.objects.get()
    assert row.status == "failed" and HANDLER_PHONE not in row.last_error


def test_retries_stop_after_the_last_attempt(tickets, sms_handler, providers, django_capture_on_commit_callbacks):
    providers.scripted["/"] = [(503, {})] * outbox.MAX_ATTEMPTS
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        dispatched(tickets, django_capture_on_commit_callbacks)
    for hours in range(1, outbox.MAX_ATTEMPTS):
        with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
            outbox.deliveries_due()
    row = ChannelDelivery.objects.get()
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert len(providers.to("/")) == outbox.MAX_ATTEMPTS


def notice_at(ticket, handler, at: dt.datetime) -> Notice:
    return Notice(ticket_id=ticket.pk, kind="supervised", text="督办", at=at.isoformat(), user_ids=[handler.pk])


def test_the_hourly_limit_records_the_excess_and_sends_it_not(
    tickets, sms_handler, providers, settings, django_capture_on_commit_callbacks
):
    settings.SMS_PER_HOUR = 2
    ticket = tickets.reported()
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        notices_send([notice_at(ticket, sms_handler, start - dt.timedelta(seconds=s)) for s in range(3)])
    statuses = sorted(ChannelDelivery.objects.values_list("status", flat=True))
    assert statuses == ["limited", "sent", "sent"]
    assert len(sms_to(providers, HANDLER_PHONE)) == 2
    assert sorted(json.loads(s["TemplateParam"])["status"] for s in sms_to(providers, HANDLER_PHONE)) == ["待派单"] * 2
    # an hour later the user gets messages again
    later = start + dt.timedelta(minutes=61)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        notices_send([notice_at(ticket, sms_handler, later)])
    assert len(sms_to(providers, HANDLER_PHONE)) == 3


def test_a_user_who_turned_sms_off_after_the_plan_gets_none(
    tickets, sms_handler, providers, django_capture_on_commit_callbacks
):
    ticket = tickets.reported()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notices_send([notice_at(ticket, sms_handler, timezone.now())])
    NotifyPreference.objects.filter(user=sms_handler).update(sms=False)
    for callback in callbacks:
        callback()
    assert ChannelDelivery.objects.get().status == "no_address" and providers.seen == []


def test_a_wechat_user_gets_a_template_message(tickets, handler, providers, django_capture_on_commit_callbacks):
    NotifyPreference.objects.create(user=handler, wechat=True, wechat_openid="oABCD1234567890openid")
    ticket = dispatched(tickets, django_capture_on_commit_callbacks)
    [sent] = providers.to("/cgi-bin/message/template/send")
    assert sent.json()["touser"] == "oABCD1234567890openid"
    assert sent.json()["data"]["keyword1"] == {"value": ticket.code}
    assert providers.to("/") == []  # no SMS: not chosen
    assert ChannelDelivery.objects.get().status == "sent"


def resolved_with_requester(tickets, handler, dispatcher):
    ticket = tickets.reported(
        requester_name="李秀英", requester_phone=REQUESTER_PHONE, description="楼道堆放杂物，李秀英家门口"
    )
    ticket = tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body())
    ticket = tickets.act(ticket, "accept", handler)
    return tickets.act(ticket, "resolve", handler, result="已清理", public_notice="公告", public_reply="已清理完毕")


def test_the_requester_gets_one_sms_with_the_code_and_status_only(
    tickets, handler, dispatcher, providers, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = resolved_with_requester(tickets, handler, dispatcher)
    [sms] = sms_to(providers, REQUESTER_PHONE)
    assert sms["TemplateCode"] == "SMS_100002"
    assert json.loads(sms["TemplateParam"]) == {"code": ticket.code, "status": "已办结"}
    raw = providers.to("/")[0].body.decode()
    for personal in ("李秀英", "楼道", "已清理", "%E6%9D%8E"):  # name, description, result, the name URL-encoded
        assert personal not in raw
    row = ChannelDelivery.objects.get(user=None)
    assert row.params == {"code": ticket.code, "status": "已办结"} and row.status == "sent"
    assert REQUESTER_PHONE not in json.dumps(list(ChannelDelivery.objects.values()), default=str)
    assert REQUESTER_PHONE not in caplog.text and "已办结" not in caplog.text
    assert RequesterNotice.objects.filter(ticket=ticket, channel="in_app").count() == 1  # /lookup/ as before


def test_a_requester_without_a_mobile_number_is_recorded_not_sent(
    tickets, handler, dispatcher, providers, django_capture_on_commit_callbacks
):
    ticket = tickets.reported(requester_name="张三", requester_phone="029-88886666")
    with django_capture_on_commit_callbacks(execute=True):
        tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body())
        tickets.act(ticket, "accept", handler)
        tickets.act(ticket, "resolve", handler, result="已清理", public_notice="公告")
    assert ChannelDelivery.objects.get(user=None).status == "no_address" and providers.to("/") == []


def test_a_claim_lets_one_of_two_workers_send(tickets, sms_handler, providers, django_capture_on_commit_callbacks):
    ticket = tickets.reported()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False):
        notices_send([notice_at(ticket, sms_handler, now)])
    row = ChannelDelivery.objects.get()
    claimed = outbox._claim(row.pk, timezone.now())
    assert claimed is not None and outbox._claim(row.pk, timezone.now()) is None  # the second worker gets nothing


def test_a_broker_that_refuses_leaves_the_rows_for_beats_sweep(
    tickets, sms_handler, providers, django_capture_on_commit_callbacks
):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    ticket = tickets.reported()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notices_send([notice_at(ticket, sms_handler, timezone.now())])
    with celery_conf(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=dead):
        for callback in callbacks:
            callback()  # the web process's on-commit: no provider call in place
    assert ChannelDelivery.objects.get().status == "pending" and providers.seen == []
    assert outbox.BROKER.is_open()  # and for a while this process does not try the broker again
    outbox.BROKER.reset()  # the back-off has passed (beat's sweep runs in another process, a minute later)
    assert outbox.deliveries_due_task.apply().get() == 1  # beat's next sweep, the broker back
    assert ChannelDelivery.objects.get().status == "sent" and len(providers.to("/")) == 1


def test_a_claim_whose_worker_died_is_sent_after_the_lease(
    tickets, sms_handler, providers, django_capture_on_commit_callbacks
):
    ticket = tickets.reported()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            notices_send([notice_at(ticket, sms_handler, start)])
        row = ChannelDelivery.objects.get()
        assert outbox._claim(row.pk, timezone.now()) is not None  # …and the worker dies before the provider answers
        assert outbox.deliveries_due() == 0  # the lease holds
    with time_machine.travel(start + dt.timedelta(seconds=outbox.LEASE_S + 1), tick=False):
        assert outbox.deliveries_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2) and len(providers.to("/")) == 1
