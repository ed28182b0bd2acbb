"""The cadre's phone page /m/ (SPEC §8): login, a CSP-ready page, its service worker, and the bootstrap data
the phone keeps for dead spots (scoped to the cadre, personal data masked)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import include, path

from campaign.geo import wgs84_to_gcj02
from tests.factories import CampaignFactory, EnterpriseFactory, HouseholdFactory
from visits import page_api, views
from visits.page_api import BootstrapView

# Until config/urls.py mounts the page and the bootstrap endpoint, these tests mount them in front of it.
urlpatterns = [
    path("m/", include("visits.page_urls")),
    path("api/v1/m/bootstrap/", BootstrapView.as_view(), name="api-m-bootstrap"),
    path("", include("config.urls")),
]
pytestmark = pytest.mark.urls(__name__)

BOOTSTRAP = "/api/v1/m/bootstrap/"


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP (script-src 'self'; style-src 'self') would block."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            if not names.get("src"):
                self.problems.append("inline <script>")
            self.scripts.append(names.get("src") or "")
            self._in_script = True
        if tag == "style":
            self.problems.append("<style> block")
        if "style" in names:
            self.problems.append(f"style= on <{tag}>")
        self.problems.extend(f"{name}= on <{tag}>" for name in names if name.startswith("on"))
        for name in ("href", "src"):
            if (names.get(name) or "").startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("script body")


# --- the page ---------------------------------------------------------------------------------------------
def test_phone_page_sends_an_anonymous_visitor_to_login(client, db):
    response = client.get("/m/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/m/"


def test_phone_page_renders_for_a_cadre_with_a_csrf_cookie(client, cadre, campaign_obj):
    client.force_login(cadre)

    response = client.get("/m/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "记录走访" in html and "立即发送" in html and "当场解决" in html
    assert 'rel="manifest"' in html
    assert f'data-me="{cadre.pk}"' in html
    assert "csrftoken" in response.cookies  # the page's fetch() calls read it for X-CSRFToken
    assert "no-cache" in response["Cache-Control"]


def test_phone_page_has_no_inline_script_or_style(client, cadre):
    client.force_login(cadre)

    html = client.get("/m/").content.decode()

    finder = InlineCodeFinder()
    finder.feed(html)
    assert finder.problems == []
    assert "/static/leaflet/leaflet.js" in finder.scripts  # django-leaflet's ({% leaflet_js %})
    assert "/static/js/m/app.js" in finder.scripts
    assert "cdn" not in html.lower() and "https://" not in html  # closed network: every file is local


def test_every_file_of_the_page_shell_exists():
    for name in [*views.SHELL_STATIC, "m/icon-512.png", "js/m/sw.js"]:
        assert finders.find(name), f"static/{name} is missing"
    manifest = json.loads(Path(finders.find("m/manifest.webmanifest")).read_text(encoding="utf-8"))
    assert manifest["start_url"] == "/m/" and manifest["scope"] == "/m/"


def test_service_worker_is_served_under_m_with_its_shell(client, db):
    response = client.get("/m/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/m/"
    text = response.content.decode()
    assert "__SW_VERSION__" not in text and "/*SHELL_URLS*/" not in text
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", text).group(1))
    assert shell[0] == "/m/"
    assert "/static/js/m/app.js" in shell and "/static/js/m/outbox.js" in shell
    assert "/api/" not in text.split("var SHELL")[1].split(";")[0]  # API answers are never cached


# --- bootstrap --------------------------------------------------------------------------------------------
def test_bootstrap_answers_the_cadres_campaign_and_only_their_grids_targets_masked(api, cadre, org, campaign_obj):
    # given households and an enterprise in the cadre's grid, and a household in another street's grid
    own = HouseholdFactory(unit=org.grid1, head_name="张三丰", phone="13812345678")
    unconfirmed = HouseholdFactory(unit=org.grid1, head_name="李四", confirmed=False)
    firm = EnterpriseFactory(unit=org.grid1, contact_name="王五", contact_phone="13987654321")
    HouseholdFactory(unit=org.grid2, head_name="赵六")

    # when the phone asks for its bootstrap data
    response = api.as_user(cadre).get(BOOTSTRAP)

    # then it holds the cadre, the active campaign and the grid's targets, nothing personal in clear
    assert response.status_code == 200
    data = response.json()
    assert data["me"]["id"] == cadre.pk and data["me"]["unit"]["id"] == org.grid1.pk
    assert data["campaign"]["id"] == campaign_obj.pk
    assert [item["key"] for item in data["campaign"]["checklist"]] == [
        "family",
        "livelihood",
        "opinions",
        "difficulties",
    ]
    assert "社会保障" in data["campaign"]["categories"]
    keys = {(t["type"], t["id"]) for t in data["targets"]}
    assert keys == {("household", own.pk), ("household", unconfirmed.pk), ("enterprise", firm.pk)}
    by_id = {(t["type"], t["id"]): t for t in data["targets"]}
    assert by_id[("household", own.pk)]["name"] == "张**"
    assert by_id[("household", unconfirmed.pk)]["confirmed"] is False
    assert by_id[("enterprise", firm.pk)]["name"] == firm.name
    text = response.content.decode()
    for secret in ("张三丰", "13812345678", "王五", "13987654321", "赵六"):
        assert secret not in text
    assert data["next"] is None


def test_bootstrap_pages_through_many_targets(api, cadre, org, monkeypatch):
    # given five targets and pages of two
    monkeypatch.setattr(page_api, "TARGETS_PER_PAGE", 2)
    households = [HouseholdFactory(unit=org.grid1) for _ in range(3)]
    firms = [EnterpriseFactory(unit=org.grid1) for _ in range(2)]

    # when the phone follows `next` to the end
    seen, url, pages = [], BOOTSTRAP, 0
    while url:
        data = api.as_user(cadre).get(url).json()
        assert len(data["targets"]) <= 2
        seen += [(t["type"], t["id"]) for t in data["targets"]]
        url, pages = data["next"], pages + 1

    # then every target came exactly once, households first
    assert seen == [("household", h.pk) for h in households] + [("enterprise", e.pk) for e in firms]
    assert pages == 3


@pytest.mark.parametrize("cursor", ["x:1", "h:abc", "e:99999999999999999999", "h"])
def test_bootstrap_rejects_a_malformed_cursor(api, cadre, cursor):
    response = api.as_user(cadre).get(BOOTSTRAP + f"?cursor={cursor}")

    assert response.status_code == 400
    assert "cursor" in response.json()


def test_bootstrap_query_count_is_flat(api, cadre, org, campaign_obj, django_assert_max_num_queries):
    for _ in range(20):
        HouseholdFactory(unit=org.grid1)
        EnterpriseFactory(unit=org.grid1)
    api.as_user(cadre)

    # 6, plus the units a meeting may be held in and the key projects, the user's own first (issue 16 item 6)
    with django_assert_max_num_queries(8):
        response = api.get(BOOTSTRAP)

    assert len(response.json()["targets"]) == 40


def test_bootstrap_has_no_campaign_when_none_is_active_for_the_cadres_unit(api, cadre, cadre2, org):
    # given an active campaign of street2 only, and an inactive one of the whole district
    CampaignFactory(name="鱼化寨专项").units.add(org.street2)
    CampaignFactory(name="已结束", is_active=False).units.add(org.district)

    # then the cadre of street1 has none, the cadre of street2 has street2's
    assert api.as_user(cadre).get(BOOTSTRAP).json()["campaign"] is None
    assert api.as_user(cadre2).get(BOOTSTRAP).json()["campaign"]["name"] == "鱼化寨专项"


def test_bootstrap_needs_login(api, db):
    assert api.get(BOOTSTRAP).status_code in (401, 403)


# --- the shared map helper -------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_map_js_shifts_to_gcj02_exactly_as_campaign_geo_does():
    script = (
        "global.window = {}; const dj = JSON.stringify({layers: [['底图', 'https://t/{z}/{x}/{y}.png', {datum: 'gcj02'}]]});"
        "global.document = {querySelector: () => ({getAttribute: () => dj})};"  # {% leaflet_map %}'s options
        f"eval(require('fs').readFileSync({json.dumps(str(settings.BASE_DIR / 'static/js/map.js'))}, 'utf8'));"
        "const pts = [[34.19, 108.88], [39.9, 116.4], [22.54, 114.06], [48.85, 2.35]];"
        "console.log(JSON.stringify(pts.map(p => window.ZMap.toDisplay(p[0], p[1]))));"
    )
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=30).stdout
    for (lat, lng), shown in zip(
        [[34.19, 108.88], [39.9, 116.4], [22.54, 114.06], [48.85, 2.35]], json.loads(out), strict=True
    ):
        assert shown == pytest.approx(list(wgs84_to_gcj02(lat, lng)), abs=1e-12)
