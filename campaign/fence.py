"""The reporter's fence (户长/楼长, SPEC §1: "no visits, no other reads"): the one list of what the light role may
open, held for pages by ReporterFenceMiddleware (config/settings.py MIDDLEWARE, session users) and for the API by
NotFenced (REST_FRAMEWORK's default permission: token users are only known inside DRF).

Everything else answers 403 to a reporter, whatever it would answer another role: a new page or endpoint is closed
to them until it is added here. What they may see behind the open doors is the scope's business (campaign.scope:
their groups' households; issues.selectors: the tickets they raised).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import IsAuthenticated

from campaign.models import Role
from campaign.scope import is_reporter

REPORTER_VIEWS = frozenset(
    {
        # pages: the phone page and its worker, signing in and out, the language, the public lookup, health
        "m-home",
        "m-sw",
        "login",
        "logout",
        "sso-start",
        "sso-callback",
        "set_language",
        "lookup",
        "healthz",
        # API: the token, who I am, the tickets I raise and follow (scope: issues.selectors.ticket_scope_q)
        "api-token",
        "api-me",
        "api-tickets",
        "api-ticket",
        "api-reports",  # the same report with the phone's id, queued offline (visits.reporter.report_record)
    }
)


def reporter_may_open(view_name: str | None) -> bool:
    return view_name in REPORTER_VIEWS


SESSION_ROLE = "zoufang_role"


def remember_role(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_in receiver (campaign.apps): the role of the session's user. A role changed later takes effect at
    the next sign-in for pages (the API and the scope read the user itself)."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_ROLE] = "" if user.is_superuser else str(user.role)


class ReporterFenceMiddleware:
    """Pages (and session-authenticated API calls) outside REPORTER_VIEWS answer a reporter 403; the landing page
    sends them to /m/. After AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        # The role kept in the session at sign-in (remember_role) spares every other role's request a read of its
        # user (an error page reads none); a session from before it was kept reads the user once.
        kept = request.session.get(SESSION_ROLE) if hasattr(request, "session") else None
        if kept is not None and kept != Role.REPORTER:
            return None
        user = getattr(request, "user", None)
        if user is None or not is_reporter(user):
            return None
        name = request.resolver_match.view_name if request.resolver_match else None
        if name == "home":
            return redirect("m-home")
        if not reporter_may_open(name):
            raise PermissionDenied
        return None


class NotFenced(IsAuthenticated):
    """IsAuthenticated, and a reporter only on the endpoints of REPORTER_VIEWS (403 elsewhere)."""

    message = _("户长/楼长账号只能上报和查看本户区住户的诉求。")

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not is_reporter(request.user):
            return True
        match = getattr(request, "resolver_match", None)
        return reporter_may_open(match.view_name if match else None)
