"""The answers to 400, 403, 404, 500 and a refused CSRF token (config/urls.py's handlers, settings.CSRF_FAILURE_VIEW).

Pages get a page in the app's style (templates/error_base.html), Chinese first, with a way back: the home page, the
page the user came from (same site only) and, for someone not logged in, the login page. The API keeps DRF's shape,
`{"detail": …}` as JSON, for every path under /api/ — an unknown API path as much as a known one.

The 500 page is rendered without the request's context processors (they read the session, the user and the
notifications: the database that may be what failed) and without touching `request.user`: no query at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _previous_page(request: HttpRequest) -> str | None:
    """The page the user came from, when it is one of ours (never a link off site) and not this very page (a form
    posted to its own address does go back there: reloaded, it is the form again)."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:  # the very error a 400 page may be answering: no "back" then
        return None
    if not referer or not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return None
    if request.method == "GET" and referer == request.build_absolute_uri():
        return None
    return referer


def _page(request: HttpRequest, template: str, status: int, **context: Any) -> HttpResponse:
    """An error page with the request's context (the header knows who is logged in). `here` is where a login
    link brings the user back to."""
    page_context = {"previous_page": _previous_page(request), "here": request.get_full_path(), **context}
    return render(request, template, page_context, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("请求无效。")}, status=400)
    return _page(request, "400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("您没有执行该操作的权限。")}, status=403)
    return _page(request, "403.html", 403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """No context processors, no user, no session: a plain context, so the page renders when the database is down."""
    if _is_api(request):
        return JsonResponse({"detail": _("服务器内部错误，请稍后再试。")}, status=500)
    context = {"previous_page": _previous_page(request), "bare": True}
    return HttpResponse(loader.get_template("500.html").render(context), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a form sent with a token that is missing or stale (mostly an expired session, or
    a page left open across a logout). The reason is Django's English text for the log, not for the user."""
    if _is_api(request):
        return JsonResponse({"detail": _("CSRF 校验失败，请刷新页面后重试。")}, status=403)
    # The form's page is where to go back to (reloaded, it carries a fresh token), after a login if need be.
    previous = _previous_page(request)
    return _page(request, "403_csrf.html", 403, here=urlsplit(previous).path if previous else "/")
