"""What the cadre's phone page (/m/) keeps on the phone to work through a dead spot (SPEC §8).

`GET /api/v1/m/tickets/<id>/` answers the ticket a door-to-door visit names (TicketBriefView).
`GET /api/v1/m/bootstrap/` answers the user, the active campaign (its typed questions + ticket categories), the
units a meeting may be held in and the key projects a visit may name (issue 16 item 6), and the
targets in the user's scope (households and enterprises, personal data masked) with their locations, so the
page can list nearby targets nearest first without a network. Targets come in bounded pages: a page holds at
most TARGETS_PER_PAGE rows, households first then enterprises, and `next` follows with `?cursor=`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign import categories
from campaign.assignments import key_projects_visible_to
from campaign.errors import Invalid
from campaign.models import Assignment, Campaign, Enterprise, Household, User
from campaign.models.questions import questions_version
from campaign.params import read_int
from campaign.scope import enterprises_visible_to, households_visible_to, units_visible_to
from campaign.selectors import campaign_of
from campaign.serializers import MeSerializer
from campaign.validators import mask_name
from visits.selectors import ticket_visit_brief

# A grid holds a few hundred to a couple of thousand targets: one page covers a cadre's grid; a street-wide
# scope follows `next`. 3000 rows of ~120 bytes is ~360 kB of JSON, fine on a phone.
TARGETS_PER_PAGE = 3000
MEETING_UNITS_MAX = 200  # the units a meeting may be held in, as the phone offers them (a street: its grids)
PROJECTS_MAX = 200  # key projects: a district has tens


def campaign_brief(campaign: Campaign | None) -> dict[str, Any] | None:
    if campaign is None:
        return None
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "start_date": campaign.start_date.isoformat(),
        "end_date": campaign.end_date.isoformat(),
        # The questions, typed (campaign.models.questions), and their fingerprint, which the phone sends back with
        # the answers (visits.answers: an answer recorded offline against older questions is still accepted).
        "checklist": [question.brief() for question in campaign.questions()],
        "checklist_version": questions_version(campaign.checklist),
        "categories": categories.allowed_names(campaign),
    }


def meeting_units(user: User) -> list[dict[str, Any]]:
    """The units a meeting may be held in (visits.meetings: in the user's scope), the home unit first, then its
    subtree by path: a cadre's grid alone, a street's communities and grids. One query, bounded."""
    rows = (
        units_visible_to(user).order_by("path").values("id", "name", "kind", "path", "lat", "lng")[:MEETING_UNITS_MAX]
    )
    return [dict(row) for row in rows]


def visit_projects(user: User) -> list[dict[str, Any]]:
    """The active key projects a visit may name (visits.services: in the user's scope), the user's own (挂点/联系,
    我包联的) first — so the bound never cuts them off —, each marked `assigned`. One query, bounded."""
    mine = Assignment.objects.filter(user=user, project=OuterRef("pk"))
    rows = (
        key_projects_visible_to(user)
        .filter(active=True)
        .annotate(assigned=Exists(mine))
        .order_by("-assigned", "name", "pk")
        .values("id", "name", "address", "lat", "lng", "unit_id", "assigned")[:PROJECTS_MAX]
    )
    return [
        {"type": "project", "id": p["id"], "name": p["name"], "address": p["address"], "lat": p["lat"],
         "lng": p["lng"], "unit": p["unit_id"], "assigned": p["assigned"]}
        for p in rows
    ]  # fmt: skip


def _household_row(h: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "household",
        "id": h["id"],
        "name": mask_name(h["head_name"]),
        "address": h["address"],
        "members": h["members"],
        "lat": h["lat"],
        "lng": h["lng"],
        "unit": h["unit_id"],
        "confirmed": h["confirmed"],
    }


def _enterprise_row(e: Mapping[str, Any]) -> dict[str, Any]:
    # The enterprise's name is not personal data; its contact person and phone are left out altogether.
    return {
        "type": "enterprise",
        "id": e["id"],
        "name": e["name"],
        "address": e["address"],
        "lat": e["lat"],
        "lng": e["lng"],
        "unit": e["unit_id"],
    }


def _parse_cursor(raw: str | None) -> tuple[str, int]:
    """'h:<id>' continues the households after id, 'e:<id>' the enterprises; none starts at the beginning."""
    if not raw:
        return "h", 0
    try:
        kind, after = raw.split(":")
        if kind not in ("h", "e"):
            raise ValueError
        return kind, read_int(after)
    except ValueError:
        raise Invalid.field("cursor", _("无效的分页游标。")) from None


def targets_page(user: User, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One bounded page of the user's targets and the cursor of the next page (or None). Two queries at most."""
    kind, after = _parse_cursor(cursor)
    rows: list[dict[str, Any]] = []
    if kind == "h":
        households: QuerySet[Household] = households_visible_to(user).filter(pk__gt=after).order_by("pk")
        for h in households.values("id", "head_name", "address", "members", "lat", "lng", "unit_id", "confirmed")[
            : TARGETS_PER_PAGE + 1
        ]:
            rows.append(_household_row(h))
        if len(rows) > TARGETS_PER_PAGE:
            rows = rows[:TARGETS_PER_PAGE]
            return rows, f"h:{rows[-1]['id']}"
        after = 0
    room = TARGETS_PER_PAGE - len(rows)
    enterprises: QuerySet[Enterprise] = enterprises_visible_to(user).filter(pk__gt=after).order_by("pk")
    batch = [
        _enterprise_row(e) for e in enterprises.values("id", "name", "address", "lat", "lng", "unit_id")[: room + 1]
    ]
    if len(batch) > room:
        batch = batch[:room]
        rows.extend(batch)
        return rows, f"e:{batch[-1]['id']}" if batch else f"e:{after}"
    rows.extend(batch)
    return rows, None


class BootstrapView(APIView):
    """Everything the phone page caches: me, the active campaign, and the targets in scope (masked)."""

    @extend_schema(
        parameters=[OpenApiParameter("cursor", OpenApiTypes.STR, description="next page of targets")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        cursor = request.query_params.get("cursor")
        targets, next_cursor = targets_page(user, cursor)
        next_url = None
        if next_cursor:
            next_url = request.build_absolute_uri(request.path) + f"?cursor={next_cursor}"
        data: dict[str, Any] = {"targets": targets, "next": next_url}
        if not cursor:
            data["me"] = MeSerializer(user).data
            data["campaign"] = campaign_brief(campaign_of(user.unit))
            data["meeting_units"] = meeting_units(user)
            data["projects"] = visit_projects(user)
            data["generated_at"] = timezone.now().isoformat()
        return Response(data)


class TicketBriefView(APIView):
    """The ticket a visit will name (the door-to-door visit, SPEC §4): its code, and the requester to visit or the
    place of the matter. The phone page asks for it when opened as /m/?ticket=<id> and keeps it for dead spots."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ticket_visit_brief(cast(User, request.user), pk))
