"""Display links (issue 12 item 3): the wall screen runs on a revocable read-only link, not on a leader's session.

/dashboard/displays/ — leaders and admins create a link for a unit of their scope (the full link is shown once:
only its SHA-256 is stored), list the links of their scope and revoke them; both acts go to the audit trail.
/dashboard/wall/<token>/ — the wall screen of the link's unit, with no login and no session: the same figures,
ranking and map as a leader's wall (dashboard.views.wall_context), and its three data endpoints under the same
path (daily series, grid boundaries, open-ticket points), each resolving the link again, so a revoked or unknown
link answers 404 at once everywhere. Nothing personal is shown: ticket points carry a code, a category and the
supervision level; the heat layer of visit points is left out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaign.audit import audit_record
from campaign.errors import Invalid, OutOfScope
from campaign.models import AuditAction, OrgUnit, Role, UnitKind, User
from campaign.params import bbox_param
from campaign.replica import replica_reads
from campaign.scope import in_subtree, unit_in_scope, units_visible_to
from dashboard import page_data, selectors
from dashboard.hotspot_api import period_hotspots
from dashboard.models import DisplayLink
from dashboard.selectors import StatsQuery
from dashboard.views import chart_start, wall_context
from issues.models import OPEN_STATUSES, Ticket
from issues.selectors import ticket_points

CREATOR_ROLES = {Role.LEADER, Role.ADMIN}
SEEN_EVERY = dt.timedelta(minutes=5)  # last_seen_at is written at most this often (the wall's page: every minute)
TICKET_POINTS = 2000  # as many open tickets as the leader's map shows at most
UNIT_CHOICES = 500  # the unit list on the page (grids are not offered: a wall shows a community or above)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def resolve(token: str) -> DisplayLink:
    """The live link of `token` (not revoked, its creator still active); 404 otherwise."""
    link = (
        DisplayLink.objects.select_related("unit")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, created_by__is_active=True)
        .first()
    )
    if link is None:
        raise Http404()
    return link


def _creator(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not (user.is_superuser or user.role in CREATOR_ROLES):
        raise PermissionDenied()
    return user


def links_of(user: User) -> QuerySet[DisplayLink]:
    """The links of the units in the user's scope, whoever created them (so a colleague can revoke one)."""
    return DisplayLink.objects.filter(unit__in=units_visible_to(user)).select_related("unit", "created_by")


@login_required
@require_http_methods(["GET", "POST"])
def displays_page(request: HttpRequest) -> HttpResponse:
    """The list of display links, and (POST `unit`) a new one, whose full link is shown on this answer only."""
    user = _creator(request)
    created = None
    if request.method == "POST":
        try:
            unit = unit_in_scope(user, request.POST.get("unit"))
        except OutOfScope:
            raise Http404() from None
        token = secrets.token_urlsafe(32)
        link = DisplayLink.objects.create(token_hash=token_hash(token), hint=token[:6], unit=unit, created_by=user)
        audit_record(action=AuditAction.DISPLAY_LINK_CREATE, actor=user, obj=link, changes={"unit": unit.pk})
        created = request.build_absolute_uri(f"/dashboard/wall/{token}/")
    units = units_visible_to(user).exclude(kind=UnitKind.GRID).order_by("path")[:UNIT_CHOICES]
    context = {
        "links": links_of(user).order_by("revoked_at", "-created_at"),
        "units": units,
        "created": created,
    }
    return render(request, "dashboard/displays.html", context, status=201 if created else 200)


@login_required
@require_POST
def revoke_display(request: HttpRequest, pk: int) -> HttpResponse:
    user = _creator(request)
    link = get_object_or_404(links_of(user), pk=pk)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        audit_record(action=AuditAction.DISPLAY_LINK_REVOKE, actor=user, obj=link, changes={"unit": link.unit_id})
    return redirect("dashboard-displays")


def _seen(link: DisplayLink) -> None:
    now = timezone.now()
    if link.last_seen_at is None or now - link.last_seen_at > SEEN_EVERY:
        DisplayLink.objects.filter(pk=link.pk).update(last_seen_at=now)


@never_cache  # a revoked link must not be served from a cache
@require_GET
def wall_page(request: HttpRequest, token: str) -> HttpResponse:
    """The wall screen of the link's unit over the default period: no login, nothing to click through."""
    link = resolve(token)  # on the primary: a revoked link is refused at once
    _seen(link)
    unit = link.unit
    base = f"/dashboard/wall/{token}/"
    with replica_reads(None):  # the figures may come from the read replica (campaign.replica)
        period = page_data.period_of(QueryDict(), unit)
        context = wall_context(unit, period, None) | {
            "wall": True,
            "display": True,
            "daily_url": base + "daily.json",
            "grids_url": base + "grids.geojson",
            "visits_url": "",
            "tickets_url": base + "tickets.geojson",
            "hotspots_url": base + "hotspots.json",
        }
        return render(request, "dashboard/index.html", context)


@never_cache
@require_GET
def wall_daily(request: HttpRequest, token: str) -> JsonResponse:
    """The daily series of the wall's charts (what /api/v1/stats/daily/ answers for the unit and period)."""
    unit = resolve(token).unit
    with replica_reads(None):
        period = page_data.period_of(QueryDict(), unit)
        query = StatsQuery(unit=unit, date_from=chart_start(period), date_to=period.date_to)
        return JsonResponse({"results": selectors.stats_daily(query)})


@never_cache
@require_GET
def wall_grids(request: HttpRequest, token: str) -> HttpResponse:
    unit = resolve(token).unit
    with replica_reads(None):
        text = page_data.grids_geojson(unit, page_data.period_of(QueryDict(), unit))
        return HttpResponse(text, content_type="application/json")


@never_cache
@require_GET
def wall_tickets(request: HttpRequest, token: str) -> JsonResponse:
    """Open tickets of the unit's subtree in the box, as points: code, category, supervision, overdue — no names,
    no phones, no description."""
    unit: OrgUnit = resolve(token).unit
    try:
        bbox = bbox_param(request.GET)
    except Invalid as exc:
        return JsonResponse(exc.payload(), status=400)
    qs = in_subtree(Ticket.objects.filter(status__in=OPEN_STATUSES), unit)
    fields = ("code", "category", "supervision")
    with replica_reads(None):
        features, truncated = ticket_points(qs, bbox, fields=fields, limit=TICKET_POINTS)
    return JsonResponse({"type": "FeatureCollection", "features": features, "truncated": truncated})


@never_cache
@require_GET
def wall_hotspots(request: HttpRequest, token: str) -> JsonResponse:
    """The hot spots of the wall's unit and period (what /api/v1/stats/hotspots/ answers, with the default threshold)
    without their ticket ids or topic: circles on the map, nothing to click through."""
    unit = resolve(token).unit
    with replica_reads(None):
        period = page_data.period_of(QueryDict(), unit)
        spots = period_hotspots(unit, 0, chart_start(period), period.date_to, settings.HOTSPOT_MIN_TICKETS)
    shown = [{k: v for k, v in spot.items() if k not in ("ticket_ids", "topic")} | {"ticket_ids": []} for spot in spots]
    return JsonResponse({"hotspots": shown})
