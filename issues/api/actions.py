"""One endpoint per action of the machine (SPEC §7): POST /tickets/{id}/{action}/ → issues.machine.ticket_apply."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaign.errors import Invalid, OutOfScope
from campaign.models import User
from issues import selectors, services
from issues.api.serializers import ActionRequestSerializer, TicketDetailSerializer
from issues.inputs import check_action_body
from issues.machine import ACTIONS, ticket_apply


class TicketActionView(APIView):
    action_name = ""

    def post(self, request: Request, pk: int) -> Response:
        if not isinstance(request.data, dict):
            raise Invalid.field("non_field_errors", "请求体应为 JSON 对象。")
        data = dict(request.data)
        ticket_id = _visible_pk(request.user, pk)  # type: ignore[arg-type]
        check_action_body(data)  # before the machine: a hostile text or date is a 400 naming the field
        ticket_apply(
            ticket_id=ticket_id,
            action=self.action_name,
            actor=request.user,  # type: ignore[arg-type]
            version=data.pop("version", None),
            data=data,
        )
        services.notifications_mark_read_for_ticket(user=request.user, ticket_id=ticket_id)  # type: ignore[arg-type]
        ticket = selectors.ticket_detail(request.user, pk)  # type: ignore[arg-type]
        return Response(TicketDetailSerializer(ticket, context={"request": request}).data)


def _visible_pk(user: User, pk: int) -> int:
    if not selectors.ticket_is_visible(user=user, ticket_id=pk):
        raise OutOfScope()
    return pk


def action_view(name: str) -> type[APIView]:
    """One endpoint per action of the machine (SPEC §7), each with its own operation in the schema."""
    spec = ACTIONS[name]

    def post(self: TicketActionView, request: Request, pk: int) -> Response:
        return TicketActionView.post(self, request, pk)

    post = extend_schema(
        operation_id=f"tickets_{name}",
        summary=f"{spec.label} ({name})",
        request=ActionRequestSerializer,
        responses={
            200: TicketDetailSerializer,
            400: OpenApiResponse(description="missing or bad fields, named"),
            403: OpenApiResponse(description="your role may not"),
            404: OpenApiResponse(description="not in your scope"),
            409: OpenApiResponse(description="wrong state or stale version"),
        },
    )(post)
    camel = "".join(part.title() for part in name.split("_"))
    return type(f"Ticket{camel}View", (TicketActionView,), {"action_name": name, "post": post})


ACTION_VIEWS = {name: action_view(name) for name in ACTIONS}
