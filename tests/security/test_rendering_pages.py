"""Issue 12 item 9, rendering, at the template level: stored text reaches a page's HTML escaped (Django's
autoescape; no |safe or mark_safe anywhere), in the body and in the data- attributes the scripts read."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from issues.models import Ticket

XSS = "<img src=x onerror=window.__xss=1>"
ESCAPED = "&lt;img src=x onerror=window.__xss=1&gt;"


@pytest.fixture
def ticket(org, campaign_obj):
    for unit in (org.street1, org.grid1):
        unit.name = XSS
        unit.save()
    return Ticket.objects.create(
        code="GX-20260512-000001",
        source="hotline",
        kind="request",
        category=XSS,
        description=XSS,
        requester_name="王五",
        unit=org.grid1,
        lat=34.19,
        lng=108.88,
        status="reported",
        created_at=timezone.now() - dt.timedelta(hours=1),
    )


@pytest.mark.parametrize(
    ("who", "url"),
    [("dispatcher", "/tickets/"), ("dispatcher", "/tickets/{pk}/"), ("street_leader", "/dashboard/")],
)
def test_stored_markup_reaches_the_html_escaped(client, request, ticket, who, url):
    client.force_login(request.getfixturevalue(who))

    response = client.get(url.format(pk=ticket.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert ESCAPED in html
    assert XSS not in html


def test_no_template_or_module_marks_text_safe():
    roots = [Path(settings.BASE_DIR) / name for name in ("templates", "campaign", "issues", "visits", "dashboard")]
    unsafe = re.compile(r"\|\s*safe\b|mark_safe\(|{%\s*autoescape\s+off|SafeString\(")
    hits = [
        str(path.relative_to(settings.BASE_DIR))
        for root in roots
        for path in root.rglob("*")
        if path.suffix in (".html", ".py", ".txt") and unsafe.search(path.read_text(encoding="utf-8"))
    ]
    assert hits == []


def test_no_script_puts_strings_into_markup():
    # Leaflet renders a string given to bindTooltip/bindPopup/setContent as HTML: scripts pass DOM nodes
    # (ZMap.text / ZMap.link in static/js/map.js) and never assign innerHTML.
    markup = r"innerHTML|outerHTML|insertAdjacentHTML|document\.write"
    leaflet = (
        r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\((?!\s*(window\.)?ZMap\.(text|link)\()"
    )
    unsafe = re.compile(f"{markup}|{leaflet}")
    scripts = (Path(settings.BASE_DIR) / "static" / "js").rglob("*.js")
    assert [str(path) for path in scripts if unsafe.search(path.read_text(encoding="utf-8"))] == []
