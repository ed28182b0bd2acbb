"""直办 (SPEC §5 answer_directly, issue 16 item 5): a dispatcher answers a hotline, walk-in or online ticket at intake;
it is resolved at once and counted as `direct`; a ticket dispatched at least once is 转办 (`forwarded`)."""

from __future__ import annotations

import pytest

from campaign.days import today
from campaign.errors import Invalid, WrongState
from dashboard.rollups import rollup_dirty
from issues.models import RequesterNotice, Status, Ticket, TicketEvent
from issues.services import ticket_create

pytestmark = pytest.mark.django_db
ANSWER = {"result": "电话解释了医保异地报销政策", "public_reply": "异地就医需先在医保App备案，备案后直接结算。"}


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def hotline(dispatcher, source="hotline", **fields):
    body = {
        "kind": "consultation",
        "category": "城市管理",
        "description": "咨询异地就医怎么报销",
        "lat": 34.19,
        "lng": 108.88,
    }
    return ticket_create(actor=dispatcher, source=source, requester_phone="13900005678", **body | fields)


def test_a_dispatcher_answers_a_hotline_ticket_at_intake(dispatcher, tickets, sent, client):
    ticket = hotline(dispatcher)
    with sent():
        answered = tickets.act(ticket, "answer_directly", dispatcher, **ANSWER)
    # then it is resolved at once, marked 直办, with one event of its own, never dispatched
    assert answered.status == Status.RESOLVED and answered.answered_directly and answered.resolved_at
    assert answered.dispatched_at is None and not answered.resolved_on_site
    event = TicketEvent.objects.filter(ticket=ticket).latest("at")
    assert (event.action, event.from_status, event.to_status) == ("answer_directly", "reported", "resolved")
    # and the requester is told, with the public reply, which /lookup/ shows; never the internal result
    assert "医保App备案" in RequesterNotice.objects.get(ticket=ticket, kind="resolved").text
    page = client.post("/lookup/", {"code": ticket.code, "last4": "5678"}, REMOTE_ADDR="10.0.0.9").content.decode()
    assert "医保App备案" in page and "电话解释了" not in page


def test_a_dispatched_ticket_is_forwarded_and_cannot_be_answered_directly(dispatcher, handler, tickets):
    # given a ticket dispatched, then returned by the lead unit (reported again)
    ticket = hotline(dispatcher)
    ticket = tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body())
    ticket = tickets.act(ticket, "return", handler, reason="非本单位职责", reason_code="not_our_duty")
    assert ticket.status == Status.REPORTED
    before = (ticket.version, TicketEvent.objects.filter(ticket=ticket).count())
    # then answering it directly is a 409, and nothing changes
    with pytest.raises(WrongState, match="转办"):
        tickets.act(ticket, "answer_directly", dispatcher, **ANSWER)
    ticket.refresh_from_db()
    assert (ticket.version, TicketEvent.objects.filter(ticket=ticket).count()) == before
    assert not ticket.answered_directly and ticket.status == Status.REPORTED


def test_a_ticket_raised_on_a_visit_is_not_answered_directly(dispatcher, cadre, tickets):
    ticket = tickets.reported()  # raised by a cadre (self_found): the cadre resolves on site
    with pytest.raises(WrongState, match="现场解决"):
        tickets.act(ticket, "answer_directly", dispatcher, **ANSWER)


@pytest.mark.parametrize("result", ["", "   ", None])
def test_the_answer_is_required(dispatcher, tickets, result):
    ticket = hotline(dispatcher, source="walk_in")
    body = {"result": result} if result is not None else {}
    with pytest.raises(Invalid) as refused:
        tickets.act(ticket, "answer_directly", dispatcher, **body)
    assert "result" in refused.value.detail
    assert Ticket.objects.get(pk=ticket.pk).status == Status.REPORTED


def test_the_api_answers_and_refuses_control_characters(dispatcher, api):
    ticket = hotline(dispatcher, source="online")
    url = f"/api/v1/tickets/{ticket.pk}/answer_directly/"
    bad = api.as_user(dispatcher).post(url, {"version": ticket.version, "result": "答复\x00内容"}, format="json")
    assert bad.status_code == 400 and "result" in bad.json()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.REPORTED
    good = api.as_user(dispatcher).post(url, {"version": ticket.version, **ANSWER}, format="json")
    assert good.status_code == 200, good.content
    assert good.json()["answered_directly"] is True and good.json()["status"] == "resolved"


def test_the_ticket_page_offers_the_answer_and_takes_it(dispatcher, web):
    ticket = hotline(dispatcher)
    page = web(dispatcher).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'data-action="answer_directly"' in page and "直办答复" in page
    posted = web(dispatcher).post(f"/tickets/{ticket.pk}/act/answer_directly/", {"version": ticket.version, **ANSWER})
    assert posted.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).answered_directly


def test_direct_and_forwarded_are_counted_apart(dispatcher, tickets, leader, api, org):
    direct = [hotline(dispatcher) for _ in range(2)]
    for ticket in direct:
        tickets.act(ticket, "answer_directly", dispatcher, **ANSWER)
    forwarded = hotline(dispatcher)
    tickets.act(forwarded, "dispatch", dispatcher, **tickets.dispatch_body())
    hotline(dispatcher)  # still waiting: neither
    rollup_dirty()  # the sweep the commit would have asked for
    day = today().isoformat()
    body = api.as_user(leader).get(
        "/api/v1/stats/summary/", {"unit": org.district.pk, "date_from": day, "date_to": day}
    )
    assert body.status_code == 200
    assert (body.json()["direct"], body.json()["forwarded"]) == (2, 1)
