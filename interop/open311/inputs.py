"""The parameters of /open311/v2/, checked before anything is read or written: the GET filters of `requests` and the
POST body of a new request. A refusal is Refused (400 unless said) with one message per bad parameter, answered as
the spec's error list; nothing is stored when one fails.

Every parameter is one bounded, clean text (no NUL, control characters or lone surrogates: campaign.fields); the
spec's lists are comma-delimited values of one parameter."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from campaign.fields import instant_in_range, text_error
from campaign.models import Category
from issues.inputs import DESCRIPTION_MAX, NAME_MAX
from issues.models import Kind

PARAM_MAX = 200  # any parameter but the description
IDS_MAX = 100  # service_request_id values in one query
CODES_MAX = 50  # service_code values in one query
SPAN_MAX = dt.timedelta(days=90)  # the spec: a range "may not span more than 90 days"; also the default window
ADDRESS_MAX = 200
PHONE_DIGITS = (7, 20)  # as issues.inputs: the ticket's requester_phone
STATUSES = ("open", "closed")
KIND_ATTRIBUTE = "kind"  # the one intake question a service asks (the service definition's attribute)
DEFAULT_KIND = Kind.REQUEST
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,32}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_DECIMAL = re.compile(r"^[-+]?[0-9]{1,3}(\.[0-9]{1,15})?$")
_CJK = re.compile("[\u3400-\u9fff]")
_ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[^\]]{1,50})\]$")
# Parameters of the spec this server accepts and does not use (documented in docs/integration.md).
IGNORED = frozenset({"jurisdiction_id", "address_id", "device_id", "account_id", "media_url", "zipcode"})
POST_FIELDS = (
    frozenset(
        {"api_key", "service_code", "lat", "long", "address_string", "description", "first_name", "last_name", "phone"}
        | {"email"}
    )
    | IGNORED
)


class Refused(Exception):
    """A request this server will not answer: the HTTP status and one message per problem."""

    def __init__(self, messages: list[str], status: int = 400) -> None:
        self.messages, self.status = messages, status
        super().__init__("; ".join(messages))


def _one(params: Mapping[str, list[str]], name: str, limit: int = PARAM_MAX) -> str | None:
    """The parameter's single value, or None; refused when repeated, too long or holding forbidden characters."""
    values = params.get(name) or []
    if not values:
        return None
    if len(values) > 1:
        raise Refused([f"{name}: given more than once"])
    value = values[0]
    if len(value) > limit:
        raise Refused([f"{name}: at most {limit} characters"])
    if (message := text_error(value)) is not None:
        raise Refused([f"{name}: {message}"])
    return value


def check_common(params: Mapping[str, list[str]]) -> None:
    """What every path accepts: `jurisdiction_id` (ignored: a key names its district) and `api_key`, bounded."""
    _one(params, "jurisdiction_id")
    _one(params, "api_key")


def _comma_list(value: str | None, name: str, pattern: re.Pattern[str], limit: int) -> list[str] | None:
    if value is None or not value.strip():
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    if len(items) > limit:
        raise Refused([f"{name}: at most {limit} values"])
    bad = [item for item in items if not pattern.match(item)]
    if bad:
        raise Refused([f"{name}: not a valid value: {bad[0][:40]}"])
    return items


def _moment(value: str | None, name: str) -> dt.datetime | None:
    if value is None or not value.strip():
        return None
    try:
        moment = parse_datetime(value.strip())
    except (ValueError, OverflowError):
        moment = None
    if moment is None or moment.tzinfo is None or not instant_in_range(moment):
        raise Refused([f"{name}: a w3 date and time with its offset, e.g. 2026-05-12T10:30:00+08:00"])
    return moment


@dataclass(frozen=True)
class RequestFilters:
    """GET requests: `ids` overrides the rest (the spec); otherwise requested_datetime in [start, end)."""

    ids: list[str] | None
    codes: list[str] | None
    statuses: list[str] | None
    start: dt.datetime
    end: dt.datetime


def request_filters(params: Mapping[str, list[str]]) -> RequestFilters:
    """The filters of GET requests.{fmt}; without dates, the last 90 days (the spec's default window)."""
    check_common(params)
    ids = _comma_list(_one(params, "service_request_id", 4000), "service_request_id", _REQUEST_ID, IDS_MAX)
    codes = _comma_list(_one(params, "service_code", 2000), "service_code", _CODE, CODES_MAX)
    statuses = _comma_list(_one(params, "status"), "status", re.compile(r"^(open|closed)$"), len(STATUSES))
    start, end = _moment(_one(params, "start_date"), "start_date"), _moment(_one(params, "end_date"), "end_date")
    if start is not None and end is not None and end < start:
        raise Refused(["end_date: before start_date"])
    if start is not None and end is not None and end - start > SPAN_MAX:
        raise Refused(["start_date, end_date: may not span more than 90 days"])
    end = end or (start + SPAN_MAX if start is not None else timezone.now() + dt.timedelta(minutes=1))
    start = start or end - SPAN_MAX
    return RequestFilters(ids=ids, codes=codes, statuses=statuses, start=start, end=end)


@dataclass(frozen=True)
class NewRequest:
    """A POST requests body, checked: what issues.services.ticket_create receives (interop.open311.services)."""

    category: str  # the category's name (Ticket.category)
    kind: str
    lat: float
    lng: float
    description: str
    requester_name: str
    requester_phone: str


def _coordinate(value: str | None, name: str, bound: float) -> float:
    if value is None or not value.strip():
        raise Refused([f"{name}: required (this server places a request by lat and long)"])
    if not _DECIMAL.match(value.strip()):  # float() would also take "nan", "1_0" and "infinity"
        raise Refused([f"{name}: not a number"])
    number = float(value)
    if not math.isfinite(number) or not -bound <= number <= bound:
        raise Refused([f"{name}: a finite number between -{bound:g} and {bound:g}"])
    return number


def _phone(value: str | None) -> str:
    if value is None:
        return ""
    phone = re.sub(r"[\s()]", "", value)
    digits = phone.removeprefix("+").replace("-", "")
    if phone and not (re.fullmatch("[0-9]+", digits) and PHONE_DIGITS[0] <= len(phone) <= PHONE_DIGITS[1]):
        raise Refused(["phone: 7 to 20 digits (dashes, spaces and a leading + allowed)"])
    return phone


def _name(first: str | None, last: str | None) -> str:
    """The requester's name as written at home: a Chinese name family name first and unspaced (欧阳 + 秀英 =
    欧阳秀英), another given name first."""
    first, last = (first or "").strip(), (last or "").strip()
    if _CJK.search(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _kind(params: Mapping[str, list[str]]) -> str:
    """attribute[kind] (the service definition's one attribute); any other attribute code is refused."""
    kind = DEFAULT_KIND.value
    for name in params:
        found = _ATTRIBUTE.match(name)
        if name.startswith("attribute") and (found is None or found["code"] != KIND_ATTRIBUTE):
            raise Refused([f"{name[:60]}: no such attribute (the services define attribute[{KIND_ATTRIBUTE}])"])
        if found is not None:
            kind = _one(params, name) or kind
    if kind not in Kind.values:
        raise Refused([f"attribute[{KIND_ATTRIBUTE}]: one of {', '.join(Kind.values)}"])
    return kind


def new_request(params: Mapping[str, list[str]]) -> NewRequest:
    """The body of POST requests.{fmt} (form-encoded, as the spec): the category by its code, a point, the text."""
    unknown = [name for name in params if name not in POST_FIELDS and not name.startswith("attribute")]
    if unknown:
        raise Refused([f"{unknown[0][:60]}: not a parameter of this server"])
    check_common(params)
    for name in IGNORED:
        _one(params, name, 1000)
    code = _one(params, "service_code") or ""
    category = Category.objects.usable().filter(code=code).values_list("name", flat=True).first() if code else None
    if category is None:
        raise Refused(["service_code: required, one of the codes of services"])
    lat, lng = _coordinate(_one(params, "lat"), "lat", 90), _coordinate(_one(params, "long"), "long", 180)
    description = (_one(params, "description", DESCRIPTION_MAX) or "").strip()
    if not description:
        raise Refused(["description: required"])
    address = (_one(params, "address_string", ADDRESS_MAX) or "").strip()
    if address:
        description = f"{description}\n地址：{address}"
        if len(description) > DESCRIPTION_MAX:
            raise Refused([f"description, address_string: at most {DESCRIPTION_MAX} characters together"])
    name = _name(_one(params, "first_name"), _one(params, "last_name"))
    if len(name) > NAME_MAX:
        raise Refused([f"first_name, last_name: at most {NAME_MAX} characters together"])
    email = _one(params, "email", 254)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise Refused(["email: not a valid address"]) from None
    return NewRequest(
        category=category,
        kind=_kind(params),
        lat=lat,
        lng=lng,
        description=description,
        requester_name=name,
        requester_phone=_phone(_one(params, "phone")),
    )
