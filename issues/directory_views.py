"""The dispatch directory page (/tickets/directory/, issue 15 item 1): the rows with the most "not our duty"
returns first, so that dispatchers, leaders and admins see which rows to correct (in the admin, for those who may).

Scope first (`directory_rows_visible_to`): a row is listed when its area lies in the viewer's scope, or when it has
no area (everywhere) and its lead unit does. A row whose area lies above the viewer's unit (a district's row, for a
street's dispatcher) is not theirs to judge and is not listed. Active rows only: an inactive row chooses nothing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaign.models import OrgUnit, Role, User
from campaign.scope import sees_everything, subtree_q
from issues.models import DirectoryRow

DIRECTORY_ROLES = {Role.DISPATCHER, Role.LEADER, Role.ADMIN}
PAGE_SIZE = 50  # rows a page: the ones to correct are the first; the rest are a page away each
ROW_FIELDS = ("mode", "not_our_duty_returns", "last_returned_at", "category__name", "area__name", "lead_unit__name")


def may_see_directory(user: User) -> bool:
    return bool(user.is_superuser or user.role in DIRECTORY_ROLES)


def directory_rows_visible_to(user: User) -> QuerySet[DirectoryRow]:
    """The active rows in the user's scope, most "not our duty" returns first (directory_returns_idx), with their
    category, area, lead unit and co-units (one query for the co-units of a page). Units' boundaries are not read."""
    rows = DirectoryRow.objects.filter(active=True)
    if not sees_everything(user):
        if user.unit is None:
            return rows.none()
        rows = rows.filter(subtree_q(user.unit, "area") | (Q(area__isnull=True) & subtree_q(user.unit, "lead_unit")))
    co_units = OrgUnit.objects.only("id", "name").order_by("path")
    return (
        rows.select_related("category", "area", "lead_unit")
        .only(*ROW_FIELDS)
        .prefetch_related(Prefetch("co_units", queryset=co_units))
        .order_by("-not_our_duty_returns", "id")
    )


@login_required
@require_GET
def directory_page(request: HttpRequest) -> HttpResponse:
    """Dispatchers, leaders and admins (403 for the other roles); PAGE_SIZE rows a page, best first."""
    user: User = request.user  # type: ignore[assignment]
    if not may_see_directory(user):
        raise PermissionDenied
    page = Paginator(directory_rows_visible_to(user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        # The admin's change page, for those who may change rows there (staff with the permission).
        "may_change": user.is_staff and user.has_perm("issues.change_directoryrow"),
    }
    return render(request, "tickets/directory.html", context)
