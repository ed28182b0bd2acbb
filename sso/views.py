"""Sign-in through a provider: /accounts/sso/<key>/start/ sends the browser to the provider with a fresh state,
nonce and PKCE challenge (kept in the session, with the provider's key and the page to return to);
/accounts/sso/callback/ (the one redirect URI registered with every provider) takes the code back.

A linked identity is logged in with django.contrib.auth.login, so user_logged_in fires as for a password (the audit
trail, the reporter's fence, axes' access log). A pending identity sees "账号待管理员关联", a refused one a refusal;
a state that is unknown, used, stale or of another provider, a nonce or token that fails a check, answer 400 and
log nobody in. Nothing personal is logged: the identity's row id at most.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.views.decorators.http import require_GET
from mozilla_django_oidc.utils import absolutify, add_state_and_verifier_and_nonce_to_session, generate_code_challenge
from mozilla_django_oidc.views import get_next_url

from sso.backends import SESSION_BACKEND, ProviderBackend
from sso.models import IdentityStatus
from sso.providers import provider_named
from sso.services import sign_in_refused

log = logging.getLogger(__name__)

STATES = "oidc_states"  # the session key mozilla-django-oidc keeps states under (at most OIDC_MAX_STATES, 50)
STATE_MAX_AGE = 10 * 60  # seconds a started sign-in may take at the provider


@require_GET
def sso_start(request: HttpRequest, provider: str) -> HttpResponse:
    config = provider_named(provider)
    state, nonce, verifier = get_random_string(32), get_random_string(32), get_random_string(64)
    params = {
        "response_type": "code",
        "scope": config.scopes,
        "client_id": config.client_id,
        "redirect_uri": absolutify(request, reverse("sso-callback")),
        "state": state,
        "nonce": nonce,
        "code_challenge": generate_code_challenge(verifier, "S256"),
        "code_challenge_method": "S256",
    }
    add_state_and_verifier_and_nonce_to_session(request, state, params, verifier)
    entry = request.session[STATES][state]
    entry["provider"], entry["next"] = config.key, get_next_url(request, "next")
    request.session.modified = True
    return HttpResponseRedirect(f"{config.authorization_endpoint}?{urlencode(params)}")


def _failed(request: HttpRequest, reason: str, status: int = 400) -> HttpResponse:
    log.warning("sso sign-in failed: %s", reason)
    return render(request, "sso/failed.html", {"status": status}, status=status)


def _take_state(request: HttpRequest) -> dict | None:
    """The session's entry for the callback's state, removed (a state is used once), if fresh."""
    state = request.GET.get("state", "")
    states = request.session.get(STATES) or {}
    if not state or state not in states:
        return None  # nothing written: a stranger's callback costs no session row
    entry = states.pop(state)
    request.session[STATES] = states
    request.session.save()  # before the slow exchange with the provider: a replay meanwhile finds no state
    if not isinstance(entry, dict) or time.time() - float(entry.get("added_on", 0)) > STATE_MAX_AGE:
        return None
    return entry


@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    entry = _take_state(request)
    if entry is None:
        return _failed(request, "unknown, used or stale state")
    if request.GET.get("error") or not request.GET.get("code"):
        return _failed(request, "the provider answered no code")
    config = provider_named(str(entry.get("provider", "")))
    backend = ProviderBackend(config)
    try:
        user = backend.authenticate(request, nonce=entry["nonce"], code_verifier=entry.get("code_verifier"))
    except SuspiciousOperation as exc:
        return _failed(request, f"{config.key}: {type(exc).__name__}: {exc}")
    except requests.RequestException as exc:
        status = exc.response.status_code if exc.response is not None else None
        log.warning("sso provider %s unreachable or refused the code (HTTP %s)", config.key, status)
        return render(request, "sso/failed.html", {"status": 502}, status=502)
    identity = backend.identity
    if user is None:
        outcome = identity.status if identity is not None else "failed"
        if identity is not None and outcome == IdentityStatus.LINKED:
            outcome = "inactive"
        sign_in_refused(provider=config.key, identity=identity, outcome=outcome)
        log.info("sso sign-in %s: provider %s, identity %s", outcome, config.key, getattr(identity, "pk", None))
        if outcome == IdentityStatus.PENDING:
            return render(request, "sso/pending.html", {"provider": config, "identity": identity})
        if outcome == "failed":
            return _failed(request, f"{config.key}: no usable user id in the claims")
        return render(request, "sso/refused.html", {"provider": config}, status=403)
    auth.login(request, user, backend=SESSION_BACKEND)
    log.info("sso sign-in: provider %s, identity %s", config.key, getattr(identity, "pk", None))
    return HttpResponseRedirect(entry.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL))
