"""The answers of /open311/v2/ in the spec's two formats: JSON (a list, or an object for a service definition) and
XML (the spec's element names: <services><service>, <service_requests><request>, <errors><error>, …), UTF-8 with
the XML declaration. Errors are always the spec's list of {code, description}, in the format the path asked for.

Every text is passed through campaign.fields.printable: a row stored before the input checks may hold a control
character, which XML 1.0 cannot carry at all (one such row would break a whole list)."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from campaign.fields import printable

JSON, XML = "json", "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
# The element of each item of a list, by the list's own element (the spec's names).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
}


def w3_time(moment: dt.datetime | None) -> str | None:
    """The spec's date/time: ISO 8601 (the w3 note's subset) with the offset, in the campaign's zone (+08:00)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _xml_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml_fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _xml_fill(ET.SubElement(element, ITEM_TAGS.get(element.tag, "item")), item)
    else:
        element.text = _xml_text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _xml_fill(element, _clean(value))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def answer(value: Any, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """`value` (a list or a dict) as JSON, or as XML under the element `root`."""
    if fmt == XML:
        body = to_xml(root, value)
    else:
        body = json.dumps(_clean(value), ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(status: int, messages: list[str], fmt: str) -> HttpResponse:
    """The spec's error list: one {code, description} per message, the code being the HTTP status."""
    return answer([{"code": status, "description": str(m)} for m in messages], fmt, root="errors", status=status)
