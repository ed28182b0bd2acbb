"""The doors of /open311/v2/ (GeoReport v2): services and a service's definition (public), requests (GET, POST)
and one request (GET), each as `.json` or `.xml`. Not DRF views: the spec's answers (error lists, XML, form bodies,
403 for a missing key) are not the REST API's, and no session or CSRF applies — a partner's key is its credential.

Order of the checks: the method (405), the key (403; throttled first, per key or address: 429), the parameters
(400), then the scope (another district's request: 404). Every refusal is the spec's error list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from campaign.errors import DomainError
from interop.models import Partner
from interop.open311 import formats, selectors, services
from interop.open311.inputs import Refused, check_common, new_request, request_filters
from interop.open311.throttles import PartnerThrottle

FORM = "application/x-www-form-urlencoded"
KEY_MISSING = "api_key: required (each partner system has its own key)"
KEY_INVALID = "api_key: not a valid key"


def _params(data: QueryDict) -> dict[str, list[str]]:
    return {name: data.getlist(name) for name in data}


def _partner(request: HttpRequest, data: QueryDict) -> Partner:
    """The partner holding the request's api_key; Refused 429 past the limit, 403 without a valid key."""
    keys = data.getlist("api_key")
    partner = Partner.by_key(keys[0]) if len(keys) == 1 else None
    if not PartnerThrottle(partner).allow_request(request, None):
        raise Refused(["too many requests: try again in a minute"], status=429)
    if partner is None:
        raise Refused([KEY_INVALID if keys else KEY_MISSING], status=403)
    return partner


def _door(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view answering `methods` only, with every Refused and domain error as the spec's list in its format."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def door(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = formats.errors(405, [f"method not allowed: use {' or '.join(methods)}"], fmt)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, fmt, **kwargs)
            except Refused as refused:
                return formats.errors(refused.status, refused.messages, fmt)
            except DomainError as error:
                return formats.errors(error.status_code, _messages(error.detail), fmt)

        return door

    return wrap


def _messages(detail: Any) -> list[str]:
    """A domain error's detail as the spec's descriptions, the API's field names read as the spec's."""
    spec_names = {"lng": "long", "category": "service_code", "unit": "lat"}
    if isinstance(detail, dict):
        found = {f"{spec_names.get(name, name)}: {m}" for name, messages in detail.items() for m in messages}
        return sorted(found)
    return [str(detail)]


@_door("GET")
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    check_common(_params(request.GET))
    if not PartnerThrottle(None).allow_request(request, None):
        raise Refused(["too many requests: try again in a minute"], status=429)
    return formats.answer(selectors.services(), fmt, root="services")


@_door("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    check_common(_params(request.GET))
    if not PartnerThrottle(None).allow_request(request, None):
        raise Refused(["too many requests: try again in a minute"], status=429)
    definition = selectors.service_definition(code)
    if definition is None:
        raise Refused([f"service_code: no service {code}"], status=404)
    return formats.answer(definition, fmt, root="service_definition")


@_door("GET", "POST")
def requests_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post(request, fmt)
    partner = _partner(request, request.GET)
    found = selectors.requests_filtered(partner, request_filters(_params(request.GET)))
    return formats.answer(found, fmt, root="service_requests")


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST requests: the spec's form body; the key in the body (not the URL, where logs would keep it)."""
    if request.content_type != FORM:
        raise Refused([f"Content-Type: {FORM} (the spec's form encoding)"], status=400)
    partner = _partner(request, request.POST)
    ticket, created = services.request_file(partner=partner, body=new_request(_params(request.POST)))
    answer = [{"service_request_id": ticket.code, "service_notice": "", "account_id": ""}]
    return formats.answer(answer, fmt, root="service_requests", status=201 if created else 200)


@_door("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    partner = _partner(request, request.GET)
    check_common(_params(request.GET))
    found = selectors.request_one(partner, request_id)
    if found is None:
        raise Refused([f"service_request_id: no request {request_id}"], status=404)
    return formats.answer([found], fmt, root="service_requests")
