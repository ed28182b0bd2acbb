"""Each mode's rule, both ways (SPEC §5, 六办工作法)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from campaign.errors import Invalid
from issues.models import Ticket, TicketEvent
from issues.sla import tracking_limit
from visits.models import Visit


def refused(fn, *fields):
    with pytest.raises(Invalid) as caught:
        fn()
    assert set(fields) <= set(caught.value.detail), caught.value.detail
    return caught.value.detail


def test_proactive_dispatch_needs_a_leader_as_lead_official(tickets, dispatcher, leader, handler):
    ticket = tickets.reported()
    refused(lambda: tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body("proactive")), "lead_official")
    body = tickets.dispatch_body("proactive", lead_official=handler.pk)
    refused(lambda: tickets.act(ticket, "dispatch", dispatcher, **body), "lead_official")
    done = tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body("proactive", lead_official=leader.pk))
    assert done.lead_official == leader
    assert done.due_at.date() >= (timezone.now() + dt.timedelta(days=29)).date()


def test_lead_official_may_instruct(tickets, dispatcher, leader):
    ticket = tickets.at("dispatched", mode="proactive", lead_official=leader.pk)
    assert tickets.act(ticket, "instruct", leader, note="月底前解决").status == "dispatched"


def test_tracking_needs_a_due_at_within_180_days(tickets, dispatcher):
    ticket = tickets.reported()
    body = tickets.dispatch_body("tracking")
    body.pop("due_at")
    refused(lambda: tickets.act(ticket, "dispatch", dispatcher, **body), "due_at")
    too_late = (tracking_limit(timezone.now()) + dt.timedelta(days=1)).isoformat()
    refused(lambda: tickets.act(ticket, "dispatch", dispatcher, **body, due_at=too_late), "due_at")
    ok = (timezone.now() + dt.timedelta(days=170)).isoformat()
    assert tickets.act(ticket, "dispatch", dispatcher, **body, due_at=ok).status == "dispatched"


def test_dispatcher_may_set_an_earlier_due_at_but_not_a_later_one(tickets, dispatcher):
    ticket = tickets.reported()
    later = (timezone.now() + dt.timedelta(days=9)).isoformat()
    refused(
        lambda: tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body("door_to_door", due_at=later)),
        "due_at",
    )
    earlier = timezone.now() + dt.timedelta(hours=5)
    done = tickets.act(
        ticket, "dispatch", dispatcher, **tickets.dispatch_body("door_to_door", due_at=earlier.isoformat())
    )
    assert done.due_at == earlier.replace(microsecond=done.due_at.microsecond)


def test_coordinated_needs_co_units_and_every_part_before_resolve(tickets, dispatcher, handler, handler2, org):
    ticket = tickets.reported()
    refused(
        lambda: tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body("coordinated", co_units=[])),
        "co_units",
    )
    ticket = tickets.at("in_progress", mode="coordinated")
    detail = refused(lambda: tickets.act(ticket, "resolve", handler, result="已办结"), "co_units")
    assert "人社局" in detail["co_units"][0]
    tickets.act(ticket, "assist", handler2, part="人社局已落实社保补贴")
    link = ticket.co_unit_links.get()
    assert (link.part, link.submitted_by) == ("人社局已落实社保补贴", handler2)
    assert tickets.act(ticket, "resolve", handler, result="已办结").status == "resolved"


def test_public_resolve_needs_a_public_notice(tickets, handler):
    ticket = tickets.at("accepted", mode="public")
    refused(lambda: tickets.act(ticket, "resolve", handler, result="已办结"), "public_notice")
    done = tickets.act(ticket, "resolve", handler, result="已办结", public_notice="经研究，已于本月公示")
    assert done.public_notice == "经研究，已于本月公示"


def test_door_to_door_resolve_needs_a_verified_visit(tickets, handler):
    ticket = tickets.at("accepted", mode="door_to_door")
    detail = refused(lambda: tickets.act(ticket, "resolve", handler, result="已上门解决"), "visit")
    assert detail["visit"] == ["需要上门走访核实记录"]
    # when the lead unit's handler has logged a geo-verified visit naming the ticket, after accepting it
    Visit.objects.create(
        id=uuid.uuid4(),
        cadre=handler,
        ticket=ticket,
        unit=ticket.unit,
        visited_at=timezone.now(),
        lat=34.19,
        lng=108.88,
        accuracy_m=10,
        distance_m=5,
        geo_status="verified",
        body_hash="0" * 64,
    )
    assert tickets.act(ticket, "resolve", handler, result="已上门解决").status == "resolved"


def test_immediate_resolve_on_site_by_the_raising_cadre(tickets, cadre, cadre2):
    ticket = tickets.reported()
    refused(lambda: tickets.act(ticket, "resolve_on_site", cadre), "result")
    done = tickets.act(ticket, "resolve_on_site", cadre, result="现场讲解政策，群众认可")
    assert (done.status, done.mode, done.resolved_on_site) == ("resolved", "immediate", True)


def test_ticket_create_can_resolve_on_site_in_one_go(cadre, campaign_obj):
    from issues.services import ticket_create

    ticket = ticket_create(
        actor=cadre,
        source="visit",
        kind="consultation",
        description="咨询医保",
        lat=34.19,
        lng=108.88,
        resolve_on_site_result="已现场解答",
    )
    assert ticket.status == "resolved"
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True).order_by("id")) == [
        "report",
        "resolve_on_site",
    ]


def test_extension_must_be_later_than_the_current_due_at(tickets, dispatcher, handler):
    ticket = tickets.at("accepted")
    earlier = (ticket.due_at - dt.timedelta(hours=1)).isoformat()
    refused(lambda: tickets.act(ticket, "extend", dispatcher, due_at=earlier, reason="x"), "due_at")
    later = ticket.due_at + dt.timedelta(days=3)
    requested = tickets.act(ticket, "request_extension", handler, due_at=later.isoformat(), reason="缺材料")
    assert requested.due_at == ticket.due_at  # a request changes nothing but the timeline
    extended = tickets.act(ticket, "extend", dispatcher, due_at=later.isoformat(), reason="同意")
    assert extended.due_at == later


def test_cancel_may_merge_into_another_ticket(tickets, dispatcher):
    original, duplicate = tickets.reported(), tickets.reported()
    refused(
        lambda: tickets.act(duplicate, "cancel", dispatcher, reason="重复", merge_into=duplicate.code), "merge_into"
    )
    done = tickets.act(duplicate, "cancel", dispatcher, reason="重复", merge_into=original.code)
    assert (done.status, done.merge_into) == ("cancelled", original)


def test_return_sends_it_back_to_reported_and_it_can_be_redispatched(tickets, dispatcher, handler, org):
    ticket = tickets.at("dispatched")
    refused(lambda: tickets.act(ticket, "return", handler), "reason")
    returned = tickets.act(ticket, "return", handler, reason="非本单位职责")
    assert returned.status == "reported"
    again = tickets.act(ticket, "dispatch", dispatcher, mode="immediate", lead_unit=org.dept2.pk)
    assert (again.status, again.lead_unit) == ("dispatched", org.dept2)  # the other clarities were kept


def test_reassign_makes_the_new_lead_unit_accept(tickets, dispatcher, handler, handler2, org):
    ticket = tickets.at("in_progress")
    moved = tickets.act(ticket, "reassign", dispatcher, lead_unit=org.dept2.pk, reason="职责调整")
    assert (moved.status, moved.lead_unit, moved.accepted_at) == ("dispatched", org.dept2, None)
    assert tickets.act(ticket, "accept", handler2).status == "accepted"


def test_supervise_raises_the_card_without_changing_version(tickets, dispatcher, leader):
    ticket = tickets.at("accepted")
    yellow = tickets.act(ticket, "supervise", leader)
    assert (yellow.supervision, yellow.version) == (1, ticket.version)
    red = tickets.act(ticket, "supervise", dispatcher)
    assert red.supervision == 2
    from campaign.errors import WrongState

    with pytest.raises(WrongState):
        tickets.act(ticket, "supervise", dispatcher)
    assert Ticket.objects.get(pk=ticket.pk).supervision == 2


def test_the_escalation_job_supervises_as_the_system(tickets):
    from issues.machine import ticket_apply

    ticket = tickets.at("dispatched")
    ticket_apply(ticket_id=ticket.pk, action="supervise", actor=None, version=None, data={"reason": "超期未签收"})
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert (event.action, event.actor, event.note) == ("supervise", None, "超期未签收")
