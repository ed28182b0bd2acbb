"""Template tags of the visits app for pages of the apps below it (the issues app cannot import visits).

Used by templates/tickets/_door_to_door.html on the ticket page: `{% door_to_door_visit ticket as visit %}`.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from issues.models import Ticket
from visits.selectors import door_to_door_due

register = template.Library()


@register.simple_tag(takes_context=True)
def door_to_door_visit(context: template.Context, ticket: Ticket) -> dict[str, Any] | None:
    """The 记录上门走访 button's target, or None when the viewer's unit owes this ticket no door-to-door visit."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not door_to_door_due(ticket, user):
        return None
    return {"url": reverse("m-home"), "ticket": ticket.pk}
