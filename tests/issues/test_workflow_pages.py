"""The officials' ticket workflow on the pages (issue 13): the extension request and its answer, the callback with
its one logged reveal (回访), notifications read on opening, the public reply on /lookup/ (never `result`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaign.models import AccessLog
from issues.models import Notification, Ticket, TicketEvent


def html(response) -> str:
    return response.content.decode()


def act(client, ticket: Ticket, action: str, **data):
    ticket.refresh_from_db()
    return client.post(f"/tickets/{ticket.pk}/act/{action}/", {"version": ticket.version, **data})


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def requested(tickets, handler):
    ticket = tickets.at("accepted")
    wanted = timezone.localtime(timezone.now() + dt.timedelta(days=20)).replace(second=0, microsecond=0)
    tickets.act(ticket, "request_extension", handler, due_at=wanted.isoformat(), reason="需采购材料")
    ticket.refresh_from_db()
    return ticket


# --- extensions -------------------------------------------------------------------------------------------------
def test_the_handler_requests_an_extension_on_the_page(web, tickets, handler):
    ticket = tickets.at("in_progress")
    wanted = local(timezone.now() + dt.timedelta(days=15))
    response = act(web(handler), ticket, "request_extension", due_at=wanted, reason="需等待材料到货")
    assert response.status_code == 302
    page = html(web(handler).get(f"/tickets/{ticket.pk}/"))
    assert 'id="extension-request"' in page and "需等待材料到货" in page
    assert 'id="act-extend"' not in page and 'id="act-refuse_extension"' not in page  # the handler only sees it


def test_a_bad_request_on_the_page_is_400_and_stores_nothing(web, tickets, handler):
    ticket = tickets.at("accepted")
    before = TicketEvent.objects.filter(ticket=ticket).count()
    response = act(web(handler), ticket, "request_extension", due_at="2020-01-01T10:00", reason="x")
    assert response.status_code == 400 and "errorlist" in html(response)
    ticket.refresh_from_db()
    assert ticket.requested_due_at is None and TicketEvent.objects.filter(ticket=ticket).count() == before


def test_the_dispatcher_sees_the_request_beside_prefilled_forms_and_grants_it(web, requested, dispatcher):
    page = html(web(dispatcher).get(f"/tickets/{requested.pk}/"))
    # the pending request (date + reason), then 延期 pre-filled with the requested date, and 拒绝延期
    assert "延期申请待审批" in page and "需采购材料" in page
    assert f'value="{local(requested.requested_due_at)}"' in page
    assert 'id="act-extend"' in page and 'id="act-refuse_extension"' in page
    # when the dispatcher submits the pre-filled form
    response = act(web(dispatcher), requested, "extend", due_at=local(requested.requested_due_at), reason="同意")
    # then the deadline is exactly the requested one and the request is gone
    assert response.status_code == 302
    wanted = requested.requested_due_at
    requested.refresh_from_db()
    assert requested.due_at == wanted and requested.requested_due_at is None
    assert 'id="extension-request"' not in html(web(dispatcher).get(f"/tickets/{requested.pk}/"))


def test_the_dispatcher_refuses_with_a_reason_on_the_page(web, requested, dispatcher, handler, handler2):
    assert act(web(dispatcher), requested, "refuse_extension").status_code == 400
    requested.refresh_from_db()
    assert requested.requested_due_at is not None
    assert act(web(dispatcher), requested, "refuse_extension", reason="可先借用材料").status_code == 302
    requested.refresh_from_db()
    assert requested.requested_due_at is None
    # nothing left to refuse (409); the handler may not refuse (403); another department does not see it (404)
    assert act(web(dispatcher), requested, "refuse_extension", reason="再拒").status_code == 409
    assert act(web(handler), requested, "refuse_extension", reason="x").status_code == 403
    assert act(web(handler2), requested, "refuse_extension", reason="x").status_code == 404


def test_the_inbox_counts_and_filters_pending_requests(web, tickets, requested, dispatcher):
    tickets.at("in_progress")
    page = html(web(dispatcher).get("/tickets/"))
    assert "申请延期" in page and 'href="?extension=1"' in page
    filtered = html(web(dispatcher).get("/tickets/", {"extension": "1"}))
    assert requested.code in filtered and filtered.count('class="c-code"') == 1
    assert web(dispatcher).get("/tickets/", {"extension": "maybe"}).status_code == 400


# --- callback ---------------------------------------------------------------------------------------------------
def test_the_callback_shows_the_full_phone_through_one_logged_reveal(web, tickets, dispatcher):
    ticket = tickets.at("resolved")
    Ticket.objects.filter(pk=ticket.pk).update(requester_name="李四", requester_phone="13812345678")
    page = html(web(dispatcher).get(f"/tickets/{ticket.pk}/"))
    # the masked phone, a reveal button, the four ratings, the unreachable count
    assert "13812345678" not in page and "138******78" in page and "显示完整号码（回访）" in page
    for value in ("satisfied", "basically_satisfied", "unsatisfied", "unreachable"):
        assert f'value="{value}"' in page
    assert "已回访无法联系 0 次" in page
    # when the dispatcher asks for the full number
    response = web(dispatcher).post(f"/tickets/{ticket.pk}/reveal-phone/")
    # then the page shows it, and the access is logged once with the reason 回访
    assert response.status_code == 200 and 'href="tel:13812345678"' in html(response)
    logs = AccessLog.objects.filter(user=dispatcher, object_type="ticket", object_id=str(ticket.pk))
    assert list(logs.values_list("reason", "fields")) == [("回访", "requester_phone")]
    # and reading the page again masks it again, logging nothing
    assert "13812345678" not in html(web(dispatcher).get(f"/tickets/{ticket.pk}/"))
    assert logs.count() == 1


def test_only_who_calls_back_may_reveal(web, tickets, dispatcher, handler, handler2, leader):
    ticket = tickets.at("resolved")
    Ticket.objects.filter(pk=ticket.pk).update(requester_phone="13812345678")
    assert web(handler).post(f"/tickets/{ticket.pk}/reveal-phone/").status_code == 403
    assert web(leader).post(f"/tickets/{ticket.pk}/reveal-phone/").status_code == 403
    assert web(handler2).post(f"/tickets/{ticket.pk}/reveal-phone/").status_code == 404
    in_progress = tickets.at("in_progress")
    assert web(dispatcher).post(f"/tickets/{in_progress.pk}/reveal-phone/").status_code == 403  # no callback now
    assert web(dispatcher).get(f"/tickets/{ticket.pk}/reveal-phone/").status_code == 405
    assert AccessLog.objects.count() == 0


def test_two_unreachable_callbacks_on_the_page_then_close(web, tickets, dispatcher):
    ticket = tickets.at("resolved")
    for note in ("无人接听", "关机"):
        assert act(web(dispatcher), ticket, "callback", rating="unreachable", note=note).status_code == 302
    page = html(web(dispatcher).get(f"/tickets/{ticket.pk}/"))
    assert "已回访无法联系 2 次" in page and 'id="act-close"' in page
    assert act(web(dispatcher), ticket, "close").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed"


# --- notifications ----------------------------------------------------------------------------------------------
def test_opening_the_ticket_marks_my_notifications_of_it_read(
    web, api, tickets, handler, handler2, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = tickets.at("dispatched", mode="coordinated")  # 城管局 leads, 人社局 assists: both told
        second = tickets.at("dispatched")
    web(handler).get(f"/tickets/{first.pk}/")
    unread = Notification.objects.filter(read_at__isnull=True)
    assert list(unread.filter(user=handler).values_list("ticket_id", flat=True)) == [second.pk]
    assert unread.filter(user=handler2, ticket=first).count() == 1  # not another's
    # the API detail marks read as well
    api.as_user(handler).get(f"/api/v1/tickets/{second.pk}/")
    assert unread.filter(user=handler).count() == 0


def test_acting_through_the_api_marks_my_notifications_read(api, tickets, handler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = tickets.at("dispatched")
    response = api.as_user(handler).post(
        f"/api/v1/tickets/{ticket.pk}/accept/", {"version": ticket.version}, format="json"
    )
    assert response.status_code == 200
    assert not Notification.objects.filter(user=handler, read_at__isnull=True).exists()


def test_the_notifications_page_marks_all_read(web, tickets, handler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tickets.at("dispatched")
        tickets.at("dispatched")
    page = html(web(handler).get("/tickets/notifications/"))
    assert "全部已读" in page and 'class="notify-count"' in page and 'href="/tickets/notifications/"' in page
    response = web(handler).post("/tickets/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(user=handler, read_at__isnull=True).exists()
    assert "全部已读" not in html(web(handler).get("/tickets/notifications/"))


# --- public reply -----------------------------------------------------------------------------------------------
def test_the_public_reply_is_written_at_resolve_and_shown_on_lookup_never_the_result(web, client, tickets, handler):
    ticket = tickets.at("in_progress")
    Ticket.objects.filter(pk=ticket.pk).update(requester_phone="13912345678")
    page = html(web(handler).get(f"/tickets/{ticket.pk}/"))
    assert 'name="public_reply"' in page
    act(
        web(handler),
        ticket,
        "resolve",
        result="内部：已约谈商户负责人张某",
        public_reply="占道摊点已清理，道路恢复通行",
    )
    ticket.refresh_from_db()
    assert ticket.public_reply == "占道摊点已清理，道路恢复通行"
    assert "占道摊点已清理" in html(web(handler).get(f"/tickets/{ticket.pk}/"))
    client.logout()
    result = html(client.post("/lookup/", {"code": ticket.code, "last4": "5678"}, REMOTE_ADDR="10.0.0.9"))
    assert 'id="lookup-result"' in result and "公开答复" in result and "占道摊点已清理，道路恢复通行" in result
    assert "约谈" not in result
