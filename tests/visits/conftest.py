"""Helpers of the visits tests: a household in cadre's grid and a valid visit body."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.utils import timezone

from tests.factories import HouseholdFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Photos and exports land in a per-test directory; passwords hash fast (the named users' fixtures)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@pytest.fixture
def household(org):
    """A household of grid1 (cadre's grid) at the grid's centre."""
    return HouseholdFactory(unit=org.grid1, lat=34.19, lng=108.88)


@pytest.fixture
def household2(org):
    """A household of grid2 (cadre2's grid, the other street)."""
    return HouseholdFactory(unit=org.grid2, lat=34.23, lng=108.85)


def visit_body(target: Any = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "visited_at": timezone.localtime().replace(microsecond=0).isoformat(),
        "lat": 34.1901,
        "lng": 108.8801,
        "accuracy_m": 15,
        "people_met": 2,
        "notes": "了解家庭情况",
        "checklist": {"family": "三口之家", "difficulties": "无"},
    }
    if target is not None:
        body["target_type"] = "household" if target._meta.model_name == "household" else "enterprise"
        body["target_id"] = target.pk
    body.update(overrides)
    return body


def door_to_door_ticket(*, dispatcher: Any, handler: Any, org: Any, household: Any = None, **point: Any) -> Any:
    """A door_to_door ticket of grid1 led by dept1 (handler's unit), through the real machine: reported on the hotline
    (by `household`, or by a caller with no registered home at `point`), dispatched, then accepted by `handler` an hour
    ago (so a visit logged now comes after acceptance)."""
    import datetime as dt

    from issues.machine import ticket_apply
    from issues.models import Ticket
    from issues.services import ticket_create

    where = point or {"lat": 34.19, "lng": 108.88}
    requester: dict[str, Any] = (
        {"requester_household": household.pk}
        if household is not None
        else {"requester_name": "张三丰", "requester_phone": "13812345678"}
    )
    ticket = ticket_create(
        actor=dispatcher, source="hotline", kind="request", description="家中下水道堵塞", **where, **requester
    )
    body = {
        "mode": "door_to_door",
        "problem": "下水道堵塞",
        "lead_unit": org.dept1.pk,
        "responsible_person": "王科长",
        "measures": "上门疏通",
        "expected_effect": "排水通畅",
    }
    ticket = ticket_apply(ticket_id=ticket.pk, action="dispatch", actor=dispatcher, version=ticket.version, data=body)
    ticket = ticket_apply(ticket_id=ticket.pk, action="accept", actor=handler, version=ticket.version, data={})
    Ticket.objects.filter(pk=ticket.pk).update(accepted_at=timezone.now() - dt.timedelta(hours=1))
    ticket.refresh_from_db()
    return ticket
