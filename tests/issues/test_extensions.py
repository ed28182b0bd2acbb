"""Extensions are a real request (SPEC §5): the lead unit asks (`request_extension`: requested_due_at + reason,
the dispatchers told), a dispatcher grants (`extend`, the requested date by default) or refuses (`refuse_extension`,
a reason), the lead unit told; each is exactly one event; the inbox filters and counts the pending ones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from issues.models import Notification, Ticket, TicketEvent


def later(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


def events(ticket: Ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket).count()


def kinds(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def post(api, user, ticket: Ticket, action: str, **body):
    ticket.refresh_from_db()
    return api.as_user(user).post(
        f"/api/v1/tickets/{ticket.pk}/{action}/", {"version": ticket.version, **body}, format="json"
    )


@pytest.fixture
def requested(api, tickets, handler):
    """An accepted ticket whose lead unit (城管局) asked for 20 more days."""
    ticket = tickets.at("accepted")
    assert post(api, handler, ticket, "request_extension", due_at=later(20), reason="需采购材料").status_code == 200
    ticket.refresh_from_db()
    return ticket


def test_request_extension_stores_the_request_and_tells_the_dispatchers(
    api, tickets, handler, dispatcher, django_capture_on_commit_callbacks
):
    # given an accepted ticket and its current due date
    ticket = tickets.at("accepted")
    due_at, before = ticket.due_at, events(ticket)
    wanted = later(20)
    # when the handler of the lead unit asks for an extension
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, handler, ticket, "request_extension", due_at=wanted, reason="需采购材料")
    # then the request is stored, the deadline unchanged, one event written, the dispatchers told
    assert response.status_code == 200
    body = response.json()
    assert body["requested_due_at"] is not None and body["extension_reason"] == "需采购材料"
    ticket.refresh_from_db()
    assert ticket.requested_due_at == dt.datetime.fromisoformat(wanted) and ticket.due_at == due_at
    assert events(ticket) == before + 1
    assert kinds(dispatcher) == ["extension_requested"]
    assert kinds(handler) == []  # never the actor


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reason": "需采购材料"}, "due_at"),
        ({"due_at": "2020-01-01", "reason": "x"}, "due_at"),
        ({"due_at": "x"}, "due_at"),
    ],
)
def test_a_bad_request_is_refused_and_stores_nothing(api, tickets, handler, body, field):
    ticket = tickets.at("accepted")
    before = events(ticket)
    response = post(api, handler, ticket, "request_extension", **body)
    assert response.status_code == 400 and field in response.json()
    ticket.refresh_from_db()
    assert ticket.requested_due_at is None and ticket.extension_reason == "" and events(ticket) == before


def test_extend_grants_the_requested_date_by_default(
    api, requested, handler, dispatcher, django_capture_on_commit_callbacks
):
    before = events(requested)
    wanted = requested.requested_due_at
    # when the dispatcher extends without naming a date
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, dispatcher, requested, "extend", reason="同意")
    # then the deadline is the requested one, the request is cleared, one event, the handler told
    assert response.status_code == 200
    requested.refresh_from_db()
    assert requested.due_at == wanted and requested.requested_due_at is None and requested.extension_reason == ""
    assert events(requested) == before + 1
    event = TicketEvent.objects.filter(ticket=requested).latest("at", "id")
    assert event.action == "extend" and event.payload["requested_due_at"] == wanted.isoformat()
    assert "extended" in kinds(handler)


def test_extend_with_its_own_date_overrides_the_request(api, requested, dispatcher):
    own = later(10)
    assert post(api, dispatcher, requested, "extend", due_at=own, reason="先延10天").status_code == 200
    requested.refresh_from_db()
    assert requested.due_at == dt.datetime.fromisoformat(own) and requested.requested_due_at is None


def test_extend_without_a_request_needs_a_date(api, tickets, dispatcher):
    ticket = tickets.at("in_progress")
    before = (ticket.due_at, events(ticket))
    response = post(api, dispatcher, ticket, "extend", reason="延期")
    assert response.status_code == 400 and "due_at" in response.json()
    ticket.refresh_from_db()
    assert (ticket.due_at, events(ticket)) == before


def test_refuse_extension_clears_the_request_and_tells_the_lead_unit(
    api, requested, handler, dispatcher, django_capture_on_commit_callbacks
):
    due_at, before = requested.due_at, events(requested)
    # a reason is required: 400, nothing stored
    response = post(api, dispatcher, requested, "refuse_extension")
    assert response.status_code == 400 and "reason" in response.json()
    assert events(requested) == before
    # when the dispatcher refuses with a reason
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, dispatcher, requested, "refuse_extension", reason="材料可先借用")
    # then the request is gone, the deadline unchanged, one event, the handler told
    assert response.status_code == 200
    requested.refresh_from_db()
    assert requested.requested_due_at is None and requested.due_at == due_at
    assert events(requested) == before + 1
    assert "extension_refused" in kinds(handler)
    # and a second refusal has nothing to answer: 409
    assert post(api, dispatcher, requested, "refuse_extension", reason="再拒").status_code == 409


def test_refuse_extension_403_404_409(api, tickets, requested, handler, handler2, dispatcher):
    assert post(api, handler, requested, "refuse_extension", reason="x").status_code == 403
    assert post(api, handler2, requested, "refuse_extension", reason="x").status_code == 404
    assert post(api, dispatcher, tickets.at("in_progress"), "refuse_extension", reason="x").status_code == 409
    requested.refresh_from_db()
    assert requested.requested_due_at is not None


def test_reassign_and_resolve_drop_a_pending_request(api, tickets, requested, handler, dispatcher, org):
    assert post(api, handler, requested, "resolve", result="已办").status_code == 200
    requested.refresh_from_db()
    assert requested.requested_due_at is None
    other = tickets.at("in_progress")
    post(api, handler, other, "request_extension", due_at=later(20), reason="需协调")
    assert post(api, dispatcher, other, "reassign", lead_unit=org.dept2.pk, reason="职责调整").status_code == 200
    other.refresh_from_db()
    assert other.requested_due_at is None


def test_the_list_and_counters_filter_pending_requests(
    api, tickets, requested, dispatcher, django_assert_max_num_queries
):
    tickets.at("in_progress")
    client = api.as_user(dispatcher)
    rows = client.get("/api/v1/tickets/", {"extension": "1"}).json()["results"]
    assert [r["id"] for r in rows] == [requested.pk]
    others = client.get("/api/v1/tickets/", {"extension": "false"}).json()["results"]
    assert requested.pk not in [r["id"] for r in others] and others
    assert client.get("/api/v1/tickets/counters/").json()["extension_requested"] == 1
    assert client.get("/api/v1/tickets/", {"extension": "maybe"}).status_code == 400
    # the filter adds no query per row
    with django_assert_max_num_queries(6) as few:
        client.get("/api/v1/tickets/", {"extension": "0"})
    tickets.at("accepted")
    tickets.at("accepted")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/api/v1/tickets/", {"extension": "0"})


def test_the_schema_documents_refuse_extension_and_the_filter(api, admin_user):
    schema = api.as_user(admin_user).get("/api/schema/", {"format": "json"}).json()
    assert "post" in schema["paths"]["/api/v1/tickets/{id}/refuse_extension/"]
    assert "extension" in {p["name"] for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]}
    counters = schema["components"]["schemas"]["TicketCounters"]["properties"]
    assert "extension_requested" in counters
    detail = schema["components"]["schemas"]["TicketDetail"]["properties"]
    assert {"requested_due_at", "extension_reason", "public_reply"} <= set(detail)
