"""The leaders' dashboard page (/dashboard/): figures equal the stats API's, scope, export, no inline code, queries."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook

from campaign.models import OrgUnit
from dashboard.models import DirtyDay
from dashboard.rollups import rollup_range
from dashboard.signals import rollups_deferred
from dashboard.templatetags.zf_format import zf_change, zf_num, zf_pct, zf_trend
from issues.models import Ticket
from tests.dashboard.conftest import at, enterprise, household, ticket_row, visit_row
from tests.factories import square
from visits.models import Visit

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)
FIGURES = (
    "visits", "households_visited", "enterprises_visited", "people_covered", "coverage", "issues_collected",
    "suggestions", "resolved_on_site", "direct", "forwarded", "closure_rate", "on_time_rate", "response_rate", "satisfaction_rate",
    "recurrence_rate", "open_in_time", "overdue",
)  # fmt: skip


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(at(TODAY, 15), tick=False):
        yield


def _tickets(unit: OrgUnit, day: dt.date, n: int, **extra: Any) -> list[Ticket]:
    rows = []
    for i in range(n):
        fields: dict[str, Any] = {"category": ["城市管理", "社会保障", "市容环境"][i % 3]}
        if i % 2 == 0:
            fields.update(status="closed", dispatched_at=at(day, 11), accepted_at=at(day, 12), resolved_at=at(day, 13),
                          due_at=at(day + dt.timedelta(days=3)), satisfaction="satisfied" if i % 4 == 0 else "unsatisfied")  # fmt: skip
        else:
            fields.update(status="dispatched", dispatched_at=at(day, 11), due_at=at(day, 18), supervision=i % 3)
        if i % 5 == 0:
            fields.update(kind="suggestion")
        fields.update(extra)
        rows.append(ticket_row(unit=unit, created_at=at(day, 9), **fields))
    return rows


def seed(org: Any, cadre_user: Any, *, days: int = 12, per_day: int = 3) -> None:
    """Visits and tickets in both streets over `days` days up to today, then the rollups (as the nightly job)."""
    homes = [household(org.grid1, members=3), household(org.grid1, members=2), household(org.grid2, members=5)]
    firms = [enterprise(org.grid2)]
    visits, tickets = [], []
    with rollups_deferred():
        for back in range(days):
            day = TODAY - dt.timedelta(days=back)
            for i in range(per_day):
                visits.append(visit_row(cadre=cadre_user, target=homes[(back + i) % 3], when=at(day, 8 + i)))
            visits.append(visit_row(cadre=cadre_user, target=firms[0], when=at(day, 14)))
            tickets += _tickets(org.grid1 if back % 2 else org.grid2, day, per_day)
        Visit.objects.bulk_create(visits)
        Ticket.objects.bulk_create(tickets)
    rollup_range(date_from=TODAY - dt.timedelta(days=days + 40), date_to=TODAY)


def figures_on(html: str, shown: tuple[str, ...] = FIGURES) -> dict[str, str]:
    found = dict(re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', html))
    assert set(found) == set(shown)
    return found


def same(page_value: str, api_value: Any) -> bool:
    if api_value is None:
        return page_value == ""
    return abs(float(page_value) - float(api_value)) < 1e-9


@pytest.fixture
def data(org, cadre):
    seed(org, cadre)
    return org


@pytest.mark.parametrize(
    ("params", "dates"),
    [
        ({}, (TODAY - dt.timedelta(days=29), TODAY)),
        ({"period": "7d"}, (TODAY - dt.timedelta(days=6), TODAY)),
        ({"period": "today"}, (TODAY, TODAY)),
        ({"date_from": "2026-03-12", "date_to": "2026-03-15"}, (dt.date(2026, 3, 12), dt.date(2026, 3, 15))),
    ],
)
def test_figures_on_the_page_equal_the_stats_api(data, leader, client, api, params, dates):
    # given a leader of the district, logged in
    client.force_login(leader)
    # when they open the dashboard for a period
    html = client.get("/dashboard/", params).content.decode()
    # then each figure equals stats/summary for the same unit and days, and so does the previous period's
    api.as_user(leader)
    date_from, date_to = dates
    now = api.get("/api/v1/stats/summary/", {"date_from": date_from, "date_to": date_to}).json()
    length = (date_to - date_from).days + 1
    prev_to = date_from - dt.timedelta(days=1)
    prev = api.get(
        "/api/v1/stats/summary/", {"date_from": prev_to - dt.timedelta(days=length - 1), "date_to": prev_to}
    ).json()
    # … but "当前超期" of the previous period is its own: overdue at the end of its last day (stats/daily's figure)
    (prev["overdue"],) = (
        r["overdue"]
        for r in api.get("/api/v1/stats/daily/", {"date_from": prev_to, "date_to": prev_to}).json()["results"]
    )
    page = figures_on(html)
    previous = dict(re.findall(r'data-figure="(\w+)" data-value="[^"]*" data-previous="([^"]*)"', html))
    assert now["visits"] > 0
    for name in FIGURES:
        assert same(page[name], now[name]), name
        assert same(previous[name], prev[name]), name


def test_ranking_on_the_page_equals_the_ranking_api(data, leader, client, api):
    client.force_login(leader)
    html = client.get("/dashboard/", {"period": "30d"}).content.decode()
    params = {"level": "street", "date_from": TODAY - dt.timedelta(days=29), "date_to": TODAY}
    rows = api.as_user(leader).get("/api/v1/stats/ranking/", params).json()["results"]
    table = html.split('id="ranking"')[1].split("</table>")[0]
    on_page = re.findall(r'data-unit="(\d+)" data-score="([^"]*)" data-flag="(\w*)"', table)
    assert [int(u) for u, _, _ in on_page] == [r["unit"]["id"] for r in rows]
    assert all(same(s, r["score"]) and f == (r["flag"] or "") for (_, s, f), r in zip(on_page, rows, strict=True))
    assert 'id="ranking-departments"' in html  # departments are ranked apart for the district


def test_clicking_a_street_drills_down_to_its_communities(data, leader, client):
    client.force_login(leader)
    html = client.get("/dashboard/", {"period": "7d"}).content.decode()
    assert f'href="?unit={data.street1.pk}&amp;period=7d"' in html
    street = client.get("/dashboard/", {"unit": data.street1.pk, "period": "7d"}).content.decode()
    assert "社区排名" in street and data.community1.name in street and data.community2.name not in street
    assert f'href="?unit={data.district.pk}&amp;period=7d"' in street  # breadcrumb back up


def test_a_street_leader_sees_their_street_and_not_another(data, street_leader, client, api):
    client.force_login(street_leader)
    mine = client.get("/dashboard/", {"period": "30d"})
    assert mine.status_code == 200
    api_now = (
        api.as_user(street_leader)
        .get("/api/v1/stats/summary/", {"date_from": TODAY - dt.timedelta(days=29), "date_to": TODAY})
        .json()
    )
    assert same(figures_on(mine.content.decode())["visits"], api_now["visits"])
    assert client.get("/dashboard/", {"unit": data.street2.pk}).status_code == 404
    assert client.get("/dashboard/", {"unit": data.district.pk}).status_code == 404
    assert client.get("/dashboard/export.xlsx", {"unit": data.street2.pk}).status_code == 404
    assert client.get("/dashboard/grids.geojson", {"unit": data.street2.pk}).status_code == 404


@pytest.mark.parametrize("who", ["cadre", "handler"])
def test_cadres_and_handlers_may_not_open_the_dashboard(org, client, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export.xlsx").status_code == 403


def test_anonymous_is_sent_to_the_login_page(org, client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["dispatcher", "admin_user"])
def test_dispatchers_and_admins_may_open_the_dashboard(org, client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/dashboard/").status_code == 200


def test_export_holds_the_figures_and_the_ranking_of_the_api(data, leader, client, api):
    client.force_login(leader)
    response = client.get("/dashboard/export.xlsx", {"period": "7d"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["指标", "排名", "部门排名"]
    rows = list(book["指标"].iter_rows(values_only=True))
    header = rows.index(("指标", "本期", "上期", "变化"))
    by_label = {r[0]: r for r in rows[header + 1 :]}
    api.as_user(leader)
    now = api.get("/api/v1/stats/summary/", {"date_from": TODAY - dt.timedelta(days=6), "date_to": TODAY}).json()
    assert by_label["走访次数"][1] == now["visits"]
    assert by_label["覆盖群众"][1] == now["people_covered"]
    assert by_label["满意率"][1] == pytest.approx(now["satisfaction_rate"])
    assert by_label["当前超期"][1] == now["overdue"]
    # a change of a rate is written in percentage points and says so; a count's in per cent
    prev_to = TODAY - dt.timedelta(days=7)
    prev = api.get("/api/v1/stats/summary/", {"date_from": prev_to - dt.timedelta(days=6), "date_to": prev_to}).json()
    cells = {row[0].value: row for row in book["指标"].iter_rows() if row and row[0].value}
    assert cells["满意率"][3].value == pytest.approx((now["satisfaction_rate"] - prev["satisfaction_rate"]) * 100)
    assert cells["满意率"][3].number_format == '+0.0" 个百分点";-0.0" 个百分点";0.0" 个百分点"'
    assert cells["走访次数"][3].number_format == "+0.0%;-0.0%;0.0%"
    # and "当前超期" of the previous period is its own figure: overdue at the end of its last day
    daily = api.get("/api/v1/stats/daily/", {"date_from": prev_to, "date_to": prev_to}).json()["results"]
    assert by_label["当前超期"][2] == daily[0]["overdue"] != now["overdue"]
    ranking = list(book["排名"].iter_rows(values_only=True))
    assert ranking[0] == ("名次", "单位", "响应率", "办结率", "满意率", "得分", "重复诉求率", "旗帜")
    params = {"level": "street", "date_from": TODAY - dt.timedelta(days=6), "date_to": TODAY}
    expected = api.get("/api/v1/stats/ranking/", params).json()["results"]
    assert [r[1] for r in ranking[1:]] == [r["unit"]["name"] for r in expected]
    assert [r[5] for r in ranking[1:]] == pytest.approx([r["score"] for r in expected])
    assert [r[6] for r in ranking[1:]] == pytest.approx([r["recurrence_rate"] for r in expected])


def test_the_page_has_no_inline_script_or_style(data, leader, client):
    client.force_login(leader)
    for params in ({}, {"wall": "1"}, {"unit": data.street1.pk}, {"unit": data.grid1.pk, "period": "all"}):
        html = client.get("/dashboard/", params).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), params
        assert not re.search(r"<style", html) and not re.search(r"\sstyle=", html), params
        assert not re.search(r"\son[a-z]+=", html), params
        # (a link to a CDN, not "cdn" inside a random CSRF token)
        assert not re.search(r"//[^\"'\s]*cdn", html.lower()) and "https://" not in html


def test_wall_mode_is_marked_for_the_stylesheet_and_script(data, leader, client):
    client.force_login(leader)
    html = client.get("/dashboard/", {"wall": "1"}).content.decode()
    assert "dash-wall" in html and 'data-wall="1"' in html and 'data-refresh="60"' in html


def test_grid_boundaries_are_those_of_the_subtree(data, street_leader, client):
    client.force_login(street_leader)
    body = client.get("/dashboard/grids.geojson").json()
    assert [f["properties"]["id"] for f in body["features"]] == [data.grid1.pk]
    # each boundary is the stored one, spliced in as the database's JSON text of it
    assert body["features"][0]["geometry"] == data.grid1.boundary and body["features"][0]["type"] == "Feature"
    assert body["type"] == "FeatureCollection" and body["bbox"] is not None and body["truncated"] is False


def test_each_grid_carries_its_visits_of_the_period_as_the_stats_api_counts_them(data, leader, client, api):
    client.force_login(leader)
    for params in ({"period": "30d"}, {"period": "today"}, {"date_from": "2026-01-01", "date_to": "2026-12-31"}):
        page = client.get("/dashboard/", params).content.decode()
        grids_url = re.search(r'data-grids-url="([^"]+)"', page).group(1).replace("&amp;", "&")
        body = client.get(grids_url).json()
        query = dict(part.split("=") for part in grids_url.split("?")[1].split("&"))
        for feature in body["features"]:
            unit = feature["properties"]["id"]
            stats = api.as_user(leader).get("/api/v1/stats/summary/", {**query, "unit": unit}).json()
            assert feature["properties"]["visits"] == stats["visits"], (params, unit)
    assert sum(f["properties"]["visits"] for f in body["features"]) > 0
    assert client.get("/dashboard/grids.geojson", {"date_from": "2026-13-01"}).status_code == 400


def _grow(org: Any, cadre_user: Any, n: int) -> None:
    """More streets, communities, grids, visits and tickets: the page must not need more queries."""
    for i in range(n):
        street = OrgUnit.objects.create(name=f"新街道{i}", kind="street", parent=org.district)
        community = OrgUnit.objects.create(name=f"新社区{i}", kind="community", parent=street)
        grid = OrgUnit.objects.create(name=f"新网格{i}", kind="grid", parent=community, boundary=square(34.2, 108.9))
        with rollups_deferred():
            Visit.objects.bulk_create([visit_row(cadre=cadre_user, target=household(grid), when=at(TODAY, 9))])
            Ticket.objects.bulk_create(_tickets(grid, TODAY, 6, supervision=2, due_at=at(TODAY, 1)))
    rollup_range(date_from=TODAY - dt.timedelta(days=1), date_to=TODAY)


def test_the_page_needs_the_same_few_queries_however_much_data(
    data, leader, cadre, client, django_assert_max_num_queries
):
    client.force_login(leader)
    # 31 today: the figures, the charts' anchors, the ranking, the categories, the overdue list, the topics, the
    # cadres' panel (three) and the must-visit panel (two without must-visit households); flat as data grows
    with django_assert_max_num_queries(32) as small:
        assert client.get("/dashboard/", {"period": "30d"}).status_code == 200
    _grow(data, cadre, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/dashboard/", {"period": "30d"}).status_code == 200


def test_figures_are_written_the_chinese_way():
    assert (zf_num(163_000), zf_num(1_110_000), zf_num(9_999), zf_num(None)) == ("16.3万", "111万", "9999", "—")
    assert zf_num(150_000_000) == "1.5亿"
    assert (zf_pct(0.9923), zf_pct(1), zf_pct(None)) == ("99.2%", "100.0%", "—")
    assert zf_change(0.123) == "+12.3%" and zf_change(-0.04) == "−4.0%" and zf_change(None) == "—"
    assert zf_change(0.012, "rate") == "+1.2个百分点"
    # a rise shows green, but a rise of the recurrence rate (lower is better) red
    assert (zf_trend(0.02), zf_trend(0.02, True), zf_trend(-0.02, True), zf_trend(None, True)) == (
        "up", "down", "up", "flat",
    )  # fmt: skip


def test_the_page_speaks_english_when_asked(data, leader, client, settings):
    client.force_login(leader)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/dashboard/").content.decode()
    assert "Households visited" in html and "Satisfaction rate" in html and "Overdue and supervised tickets" in html
    assert "Data as of 15:00" in html


def test_the_page_says_up_to_when_its_figures_are_complete(data, leader, client):
    client.force_login(leader)
    # nothing pending: complete up to now
    assert (
        "数据更新于 15:00"
        in client.get("/dashboard/", {"period": "custom", "date_from": "2026-03-12"}).content.decode()
    )
    # a change of 14:20 still waiting for its recompute: complete up to 14:20
    DirtyDay.objects.create(
        day=TODAY, unit_id=data.grid1.pk, marked_at=at(TODAY, 14, 20), pending_since=at(TODAY, 14, 20)
    )
    html = client.get("/dashboard/", {"period": "custom", "date_from": "2026-03-12"}).content.decode()
    assert "数据更新于 14:20" in html


def test_a_bad_period_says_what_is_wrong_and_shows_the_default_period(client, leader):
    client.force_login(leader)

    response = client.get("/dashboard/?period=custom&date_from=2026-03-10&date_to=2026-03-01")

    assert response.status_code == 400
    assert "开始日期不能晚于结束日期" in response.content.decode()
    assert client.get("/dashboard/export.xlsx?period=forever").status_code == 400


def test_a_campaign_may_show_on_site_with_direct_as_districts_publish_it(data, leader, client, campaign_obj):
    # given tickets of today answered at intake (直办) and resolved on site
    with rollups_deferred():
        Ticket.objects.bulk_create(
            [
                ticket_row(unit=data.grid1, created_at=at(TODAY, 9), status="resolved", answered_directly=True),
                ticket_row(unit=data.grid1, created_at=at(TODAY, 10), status="resolved", answered_directly=True),
                ticket_row(unit=data.grid2, created_at=at(TODAY, 11), status="resolved", resolved_on_site=True),
            ]
        )
    rollup_range(date_from=TODAY, date_to=TODAY)
    client.force_login(leader)
    # then the dashboard shows 直办 and 转办, and no combined figure while no campaign asks for it
    page = figures_on(client.get("/dashboard/", {"period": "today"}).content.decode())
    assert int(page["direct"]) == 2
    # when the district's campaign counts 现场解决 with 直办 (policy explained at intake), as it publishes it
    campaign_obj.on_site_with_direct = True
    campaign_obj.save()
    html = client.get("/dashboard/", {"period": "today"}).content.decode()
    # then a separately labelled figure is their sum, beside 现场解决, which keeps its meaning
    page = figures_on(html, (*FIGURES, "on_site_with_direct"))
    assert int(page["on_site_with_direct"]) == int(page["resolved_on_site"]) + int(page["direct"])
    assert "现场解决(含政策解释)" in html
    keys = re.findall(r'data-figure="(\w+)"', html)
    assert keys.index("on_site_with_direct") == keys.index("resolved_on_site") + 1
