"""Pages of the visits app: the cadre's phone page (/m/) and its service worker (SPEC §8)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from campaign.assignments import ASSIGNEE_ROLES
from campaign.models import Role, User
from campaign.scope import is_reporter
from visits.assignments import my_assignments
from visits.messages import cadre_inbox
from visits.must_visit import my_must_visits
from visits.reporter import reporter_page

SW_SOURCE = settings.BASE_DIR / "static" / "js" / "m" / "sw.js"

# The page shell the service worker keeps so /m/ opens in a dead spot. Keep in step with templates/m/index.html.
SHELL_STATIC = [
    "css/app.css",
    "css/m.css",
    # Leaflet as {% leaflet_css %} / {% leaflet_js %} load it (django-leaflet's static/leaflet/, templates/leaflet/).
    "leaflet/leaflet.css",
    "leaflet/leaflet.js",
    "leaflet/leaflet.extras.js",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "js/map.js",
    "js/m/store.js",
    "js/nav.js",  # the header's menu (templates/base.html)
    "js/m/outbox.js",
    "js/m/core.js",
    "js/m/location.js",
    "js/m/targets.js",
    "js/m/visit-form.js",
    "js/m/questions.js",
    "js/m/meeting.js",
    "js/m/suggest.js",
    "js/m/outbox-ui.js",
    "js/m/today.js",
    "js/m/tickets.js",
    "js/m/duty.js",
    "js/m/household.js",
    "js/m/assigned.js",
    "js/m/must_visit.js",
    "js/m/messages.js",
    "js/m/app.js",
    "m/manifest.webmanifest",
    "m/icon-192.png",
]


@login_required
@ensure_csrf_cookie  # the page's fetch() calls send X-CSRFToken read from the csrftoken cookie
@never_cache
def phone_page(request: HttpRequest) -> HttpResponse:
    """The cadre's phone page: everything after the first paint is JS talking to the JSON API. The tabs and
    their words follow the role (phone_profile); `?ticket=<id>` (the ticket page's 记录上门走访) is read by the JS,
    so the page itself stays the same for every ticket and the service worker can keep it. A cadre's or a leader's
    assignments (我包联的, issue 16) are listed in the page: the kept copy shows them as last seen online."""
    user: User = request.user  # type: ignore[assignment]
    if is_reporter(user):  # 户长/楼长: their light page only (visits/reporter.py)
        return render(request, "m/index.html", {"phone": phone_profile(user), "reporter": reporter_page(user)})
    assigned = my_assignments(user) if user.role in ASSIGNEE_ROLES else None
    context = {
        "phone": phone_profile(user),
        "assigned": assigned,
        "cadre_inbox": cadre_inbox(user),
        "must_visit": my_must_visits(user),  # 必访对象（四门必敲）: a cadre's, overdue first
    }
    return render(request, "m/index.html", context)


def phone_profile(user: User) -> dict[str, Any]:
    """What the phone page offers a role (docs/decisions.md, issue 13): a cadre (and an admin) logs visits to the
    targets of their area, adds households found on the spot and follows the tickets they raised; a handler logs
    only the door-to-door visit of one of their unit's tickets (SPEC §4) and follows their unit's open tickets;
    other roles log no visits (visits.services answers 403), so the page offers them no tab; a reporter (户长/楼长)
    reports tickets for their groups' households and follows them (templates/m/_reporter.html)."""
    if is_reporter(user):
        return {"role": "reporter", "tabs": []}
    if user.role == Role.HANDLER and not user.is_superuser:
        return {
            "role": "handler",
            "tabs": ["today", "visit", "tickets"],
            "visit_tab": _("上门走访"),
            "tickets_tab": _("本单位工单"),
            "tickets_title": _("本单位在办工单"),
            "tickets_query": "status=dispatched,accepted,in_progress&ordering=priority",
        }
    if user.is_superuser or user.role in (Role.CADRE, Role.ADMIN):
        cadre = user.role == Role.CADRE and not user.is_superuser
        return {
            "role": "cadre" if cadre else "admin",
            "tabs": ["today", "visit", "tickets", "household"],
            "visit_tab": _("记录走访"),
            "tickets_tab": _("我的诉求") if cadre else _("工单"),
            "tickets_title": _("我反映的诉求") if cadre else _("辖区工单"),
            "tickets_query": "mine=1" if cadre else "ordering=priority",
        }
    return {"role": "other", "tabs": []}


@lru_cache(maxsize=4)
def _service_worker_source(mtime: float, shell_json: str) -> tuple[str, str]:
    text = SW_SOURCE.read_text(encoding="utf-8")
    version = hashlib.sha256((text + shell_json).encode()).hexdigest()[:12]
    # The static URLs depend on the storage backend (hashed names in production): filled in here, not hard-coded.
    text = text.replace("/*SHELL_URLS*/[]", shell_json).replace("__SW_VERSION__", version)
    return text, version


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """/m/sw.js: served under /m/ so its scope covers the page (a file under /static/ could not control /m/)."""
    shell = [request.path.rsplit("/", 1)[0] + "/"] + [static(p) for p in SHELL_STATIC]
    text, version = _service_worker_source(SW_SOURCE.stat().st_mtime, json.dumps(shell))
    response = HttpResponse(text, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/m/"
    # Browsers re-check the worker at most daily anyway; no-cache makes an update reach phones at once.
    response["Cache-Control"] = "no-cache"
    response["ETag"] = f'"{version}"'
    return response
