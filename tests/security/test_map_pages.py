"""django-leaflet for real (issue 13 item 11): every page with a map loads Leaflet once, from django-leaflet's static
files (no second, vendored copy), through {% leaflet_css %} / {% leaflet_js %} / {% leaflet_map %}; every <script> is
a file or carries the response's CSP nonce (our overrides in templates/leaflet/ write none inline); and
MAP_TILES_URL / MAP_TILES_CRS reach the map through LEAFLET_CONFIG."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from tests.security.test_csp import BEFORE
from tests.security.test_deploy import manage

LEAFLET_JS = "/static/leaflet/leaflet.js"
LEAFLET_CSS = "/static/leaflet/leaflet.css"


class Tags(HTMLParser):
    """Every <script> (its attributes) and stylesheet <link> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.styles: list[str] = []
        self.options: list[dict] = []  # {% leaflet_map %}'s djoptions (templates/leaflet/_leaflet_map.html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self.scripts.append(names)
        if tag == "link" and names.get("rel") == "stylesheet":
            self.styles.append(names.get("href") or "")
        if names.get("data-leaflet-map"):
            self.options.append(json.loads(names.get("data-djoptions") or "null"))


@pytest.fixture
def ticket(org):
    from issues.models import Ticket

    return Ticket.objects.create(
        code="GX-20260512-000009", source="hotline", kind="request", category="环境卫生", description="楼道堆物",
        requester_name="王五", unit=org.grid1, lat=34.19, lng=108.88, status="reported", created_at=timezone.now(),
    )  # fmt: skip


def wall_path(client: Client, leader, unit) -> str:
    client.force_login(leader)
    found = re.search(
        r"/dashboard/wall/[\w-]+/", client.post("/dashboard/displays/", {"unit": unit.pk}).content.decode()
    )
    client.logout()
    assert found
    return found.group(0)


def map_pages(client: Client, request, org, ticket) -> list[tuple[str, str]]:
    """(who, path) of every page that draws a map; the wall's display link is opened without a session."""
    leader = request.getfixturevalue("leader")
    return [
        ("cadre", "/m/"),
        ("dispatcher", f"/tickets/{ticket.pk}/"),
        ("street_leader", "/dashboard/"),
        ("street_leader", "/dashboard/?wall=1"),
        ("", wall_path(client, leader, org.street1)),
    ]


def test_every_map_page_loads_django_leaflets_leaflet_once_and_only_scripts_the_csp_allows(
    client, request, org, ticket
):
    for who, path in map_pages(client, request, org, ticket):
        # given the page as its user (or a wall screen) opens it
        client.logout()
        if who:
            client.force_login(request.getfixturevalue(who))
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        tags = Tags()
        tags.feed(html)
        sources = [s.get("src") or "" for s in tags.scripts]
        # then Leaflet is django-leaflet's, once, and no vendored copy is left
        assert sources.count(LEAFLET_JS) == 1, (path, sources)
        assert tags.styles.count(LEAFLET_CSS) == 1, (path, tags.styles)
        assert "vendor/leaflet/" not in html, path
        assert "/static/leaflet/leaflet.extras.js" in sources, path  # L.Map.djangoMap, which map.js starts maps with
        # and every script is a file or carries the nonce the policy names, which stays the strict one
        policy = response["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", policy)
        for script in tags.scripts:
            assert script.get("src") or (nonce and script.get("nonce") == nonce.group(1)), (path, script)
        assert re.sub(r" 'nonce-[^']+'", "", policy) == BEFORE, path
        assert tags.options, path  # {% leaflet_map %}'s options for map.js


def test_the_dashboard_loads_the_heat_plugin_through_leaflet_config(client, street_leader, db):
    client.force_login(street_leader)
    tags = Tags()
    tags.feed(client.get("/dashboard/").content.decode())

    sources = [s.get("src") for s in tags.scripts]
    assert "/static/vendor/leaflet.heat/leaflet-heat.js" in sources
    assert sources.index(LEAFLET_JS) < sources.index("/static/vendor/leaflet.heat/leaflet-heat.js")


def test_one_copy_of_leaflet_in_the_project():
    assert not (Path(settings.BASE_DIR) / "static" / "vendor" / "leaflet").exists()
    assert finders.find("leaflet/leaflet.js") and finders.find("leaflet/leaflet.extras.js")
    for name in ("heat", "markercluster"):  # the plugins django-leaflet does not ship: vendored, found by static
        plugin = settings.LEAFLET_CONFIG["PLUGINS"][name]
        for url in [*plugin["js"], *plugin.get("css", [])]:
            assert finders.find(str(url).removeprefix(settings.STATIC_URL)), url


def leaflet_options(**env: str) -> dict:
    """The options {% leaflet_map %} writes on a fresh process with `env` (settings are read once, at start)."""
    code = (
        "from django.template import engines;"
        "html = engines['django'].from_string('{% load leaflet_tags %}{% leaflet_map \"m\" creatediv=False %}').render();"
        "print(html)"
    )
    done = manage("shell", "--no-imports", "-c", code, **env)
    assert done.returncode == 0, done.stderr
    tags = Tags()
    tags.feed(done.stdout)
    assert len(tags.options) == 1
    return tags.options[0]


def test_map_tiles_url_and_crs_reach_the_map_through_leaflet_config():
    url = "https://tiles.gx.gov.cn:8443/{z}/{x}/{y}.png"

    options = leaflet_options(MAP_TILES_URL=url, MAP_TILES_CRS="gcj02")

    assert options["layers"] == [["底图", url, {"attribution": "", "datum": "gcj02"}]]
    assert options["center"] == [34.19, 108.88] and options["zoom"] == 12


def test_without_map_tiles_url_the_map_has_no_tiles():
    assert leaflet_options()["layers"] == []
