"""What /open311/v2/ reads: the categories as services (public), and a partner's district's tickets as service
requests — every read starts from requests_visible_to(partner), so another district's ticket is not found (404) and
not listed.

Nothing personal is answered: no requester (name, phone, household), no internal text (result, notes, people). The
description is answered only for a request the partner itself filed (its own words); another ticket's description
was written by a resident or a cadre and may name people, so it stays empty, and its point is rounded to 3 decimals
(about 100 m: a visit's ticket may stand at a resident's door). docs/decisions.md "Issue 17 — Open311"."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from campaign.models import Category, User
from interop.models import Partner
from interop.open311.formats import w3_time
from interop.open311.inputs import DEFAULT_KIND, KIND_ATTRIBUTE, RequestFilters
from issues.models import Kind, Source, Status, Ticket

LIST_MAX = 1000  # the newest this many match a query (the spec lets a server cap its answer)
COARSE_DECIMALS = 3  # the point of a ticket the partner did not file: ~110 m
CLOSED = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)  # the spec's `closed`; every other status is `open`
REPLIED = (Status.RESOLVED, Status.CLOSED)  # a public reply is shown once written at resolve
ROW_FIELDS = (
    "code", "source", "category", "created_by_id", "status", "description", "public_reply", "lead_unit__name",
    "due_at", "created_at", "updated_at", "lat", "lng",
)  # fmt: skip


def intake_username(partner: Partner) -> str:
    """The inactive account a partner's requests are filed by (interop.open311.services.intake_account)."""
    return f"open311-{partner.pk}"


def intake_account_id(partner: Partner) -> int | None:
    return User.objects.filter(username=intake_username(partner)).values_list("pk", flat=True).first()


# --- services ------------------------------------------------------------------------------------------------
def services() -> list[dict[str, Any]]:
    """GET services: every active category, `group` its parent's name (a sub-item) or its own."""
    rows = Category.objects.usable().select_related("parent").order_by("position", "id")
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.name,
            "metadata": True,
            "type": "realtime",
            "keywords": "",
            "group": c.parent.name if c.parent is not None else c.name,
        }
        for c in rows
    ]


def service_definition(code: str) -> dict[str, Any] | None:
    """GET services/{code}: its attributes, the intake's one question a partner can answer — the kind of matter
    (SPEC §5 `kind`; `request` when not given). None: no active category has the code."""
    if not Category.objects.usable().filter(code=code).exists():
        return None
    kind = {
        "variable": True,
        "code": KIND_ATTRIBUTE,
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": f"默认 {DEFAULT_KIND.value}（{DEFAULT_KIND.label}）",
        "order": 1,
        "description": "诉求类型 / kind of matter",
        "values": [{"key": value, "name": str(label)} for value, label in Kind.choices],
    }
    return {"service_code": code, "attributes": [kind]}


# --- requests ------------------------------------------------------------------------------------------------
def requests_visible_to(partner: Partner) -> QuerySet[Ticket]:
    """The partner's scope: the tickets whose matter lies in its district (one indexed column, as a district's
    staff: issues.selectors.ticket_scope_q)."""
    return Ticket.objects.filter(district_id=partner.district_id)


def requests_filtered(partner: Partner, filters: RequestFilters) -> list[dict[str, Any]]:
    """GET requests: the spec's filters, newest first, at most LIST_MAX. Three queries (the intake account, the
    rows, the category codes), whatever the number of rows."""
    rows = requests_visible_to(partner)
    if filters.ids is not None:  # the spec: a list of ids overrides every other filter
        rows = rows.filter(code__in=filters.ids)
    else:
        rows = rows.filter(created_at__gte=filters.start, created_at__lt=filters.end)
        if filters.codes is not None:
            names = Category.objects.filter(code__in=filters.codes).values_list("name", flat=True)
            rows = rows.filter(category__in=list(names))
        if filters.statuses is not None and len(set(filters.statuses)) == 1:
            closed = filters.statuses[0] == "closed"
            rows = rows.filter(status__in=CLOSED) if closed else rows.exclude(status__in=CLOSED)
    return _answers(partner, rows.order_by("-created_at", "-id")[:LIST_MAX])


def request_one(partner: Partner, code: str) -> dict[str, Any] | None:
    """GET requests/{id}: the request in the partner's district, or None (not found, or another district's)."""
    found = _answers(partner, requests_visible_to(partner).filter(code=code)[:1])
    return found[0] if found else None


def _answers(partner: Partner, rows: QuerySet[Ticket]) -> list[dict[str, Any]]:
    own = intake_account_id(partner)
    values = list(rows.values(*ROW_FIELDS))
    names = {v["category"] for v in values if v["category"]}
    codes = dict(Category.objects.filter(name__in=names).values_list("name", "code")) if names else {}
    return [_answer(v, codes, own) for v in values]


def _point(value: float | None, own: bool) -> float | None:
    if value is None:
        return None
    return value if own else round(value, COARSE_DECIMALS)


def _answer(v: dict[str, Any], codes: dict[str, str], own_account: int | None) -> dict[str, Any]:
    own = own_account is not None and v["source"] == Source.PARTNER and v["created_by_id"] == own_account
    status = Status(v["status"])
    notes = v["public_reply"] if status in REPLIED and v["public_reply"] else str(status.label)
    return {
        "service_request_id": v["code"],
        "status": "closed" if status in CLOSED else "open",
        "status_notes": notes,
        "service_name": v["category"],
        "service_code": codes.get(v["category"], ""),
        "description": v["description"] if own else "",
        "agency_responsible": v["lead_unit__name"] or "",
        "service_notice": "",
        "requested_datetime": w3_time(v["created_at"]),
        "updated_datetime": w3_time(v["updated_at"]),
        "expected_datetime": w3_time(v["due_at"]),
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": _point(v["lat"], own),
        "long": _point(v["lng"], own),
        "media_url": "",
    }
