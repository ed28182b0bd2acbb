"""Tickets in every state, driven through the real machine (issues.machine.ticket_apply)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from issues.machine import ticket_apply
from issues.models import Ticket
from issues.services import ticket_create
from tests.issues.fake_providers import providers  # noqa: F401 - the SMS and WeChat providers' stand-in (issue 17)

GRID1_POINT = {"lat": 34.19, "lng": 108.88}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The named users are created with a password; PBKDF2 would dominate these tests' time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Tickets:
    """`tickets.at("accepted", mode="public")` gives a fresh ticket in that state (grid1, lead unit 城管局)."""

    def __init__(self, org: Any, cadre: Any, dispatcher: Any, handler: Any, campaign: Any) -> None:
        self.org, self.cadre, self.dispatcher, self.handler, self.campaign = org, cadre, dispatcher, handler, campaign

    def reported(self, **data: Any) -> Ticket:
        body = {"kind": "complaint", "category": "城市管理", "description": "小区门口占道经营，影响通行", **GRID1_POINT}
        body.update(data)
        return ticket_create(actor=self.cadre, source="self_found", **body)

    def act(self, ticket: Ticket, action: str, actor: Any, **data: Any) -> Ticket:
        ticket.refresh_from_db()
        return ticket_apply(ticket_id=ticket.pk, action=action, actor=actor, version=ticket.version, data=data)

    def dispatch_body(self, mode: str = "immediate", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "mode": mode,
            "problem": "占道经营",
            "lead_unit": self.org.dept1.pk,
            "responsible_person": "王科长",
            "measures": "劝离并设置隔离桩",
            "expected_effect": "恢复通行",
        }
        if mode == "tracking":
            body["due_at"] = (timezone.now() + dt.timedelta(days=60)).isoformat()
        if mode == "coordinated":
            body["co_units"] = [self.org.dept2.pk]
        body.update(extra)
        return body

    def at(self, status: str, mode: str = "immediate", **dispatch_extra: Any) -> Ticket:
        ticket = self.reported()
        if status == "reported":
            return ticket
        if status == "cancelled":
            return self.act(ticket, "cancel", self.dispatcher, reason="重复诉求")
        ticket = self.act(ticket, "dispatch", self.dispatcher, **self.dispatch_body(mode, **dispatch_extra))
        if status == "dispatched":
            return ticket
        ticket = self.act(ticket, "accept", self.handler)
        if status == "accepted":
            return ticket
        ticket = self.act(ticket, "progress", self.handler, note="已联系当事人")
        if status == "in_progress":
            return ticket
        ticket = self.act(ticket, "resolve", self.handler, result="已清理", public_notice="公告")
        if status == "resolved":
            return ticket
        assert status == "closed"
        return self.act(ticket, "callback", self.dispatcher, rating="satisfied", note="满意")


@pytest.fixture
def tickets(org, cadre, dispatcher, handler, campaign_obj) -> Tickets:
    return Tickets(org, cadre, dispatcher, handler, campaign_obj)
