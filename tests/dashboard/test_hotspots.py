"""Hot spots (issue 15 item 5): tickets of one category in one ~500 m cell, GET /api/v1/stats/hotspots/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from campaign.models import OrgUnit
from dashboard import periods
from dashboard.hotspots import MAX_IDS, hotspots
from dashboard.models import PeriodSummary
from dashboard.periods import periods_refresh
from dashboard.signals import rollups_deferred
from issues.models import Ticket
from issues.topics import topic_create
from tests.dashboard.conftest import at, ticket_row

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)
WEEK = {"date_from": DAY - dt.timedelta(days=6), "date_to": DAY}  # previous period: the 7 days before
URL = "/api/v1/stats/hotspots/"
# Near grid1's centre, inside one cell: lat cell floor(34.1902 / 0.0045) = 7597, lng floor(108.8802 / 0.0055) = 19796.
HERE = (34.1902, 108.8802)
TWO_KM_NORTH = (HERE[0] + 0.018, HERE[1])


@pytest.fixture(autouse=True)
def five_make_a_hot_spot(settings):
    settings.HOTSPOT_MIN_TICKETS = 5


def tickets(
    unit: OrgUnit, n: int, *, day: dt.date = DAY, point: tuple[float, float] = HERE, **fields: Any
) -> list[Ticket]:
    """n tickets of `day` around `point` (a few metres apart, one minute apart, the last the newest)."""
    rows = [
        ticket_row(
            unit=unit,
            created_at=at(day, 9, i % 60),
            lat=point[0] + i % 10 * 1e-5,
            lng=point[1] - i % 10 * 1e-5,
            **fields,
        )
        for i in range(n)
    ]
    with rollups_deferred():
        return Ticket.objects.bulk_create(rows)


def ids_newest_first(rows: list[Ticket]) -> list[int]:
    return [t.pk for t in sorted(rows, key=lambda t: (t.created_at, t.pk), reverse=True)]


def get(api: Any, user: Any, **params: Any) -> Any:
    return api.as_user(user).get(URL, {**WEEK, **params})


def test_a_hot_spot_appears_with_its_fifth_ticket(org, leader, api):
    # given four tickets of one category in one cell
    first = tickets(org.grid1, 4)
    assert get(api, leader).json()["hotspots"] == []
    # when the fifth arrives
    fifth = tickets(org.grid1, 1, point=(HERE[0] + 0.0001, HERE[1] + 0.0001))
    # then the cell is a hot spot, centred on its tickets' mean point
    body = get(api, leader).json()
    assert (body["date_from"], body["date_to"], body["min_count"], body["cell_m"]) == (
        "2026-03-04",
        "2026-03-10",
        5,
        500,
    )
    [spot] = body["hotspots"]
    points = [(t.lat, t.lng) for t in first + fifth]
    assert spot["category"] == "城市管理" and spot["code"] == "urban"
    assert spot["count"] == 5 and spot["previous"] == 0 and spot["growth"] == 5
    assert spot["centre"]["lat"] == pytest.approx(sum(p[0] for p in points) / 5, abs=1e-6)
    assert spot["centre"]["lng"] == pytest.approx(sum(p[1] for p in points) / 5, abs=1e-6)
    assert spot["ticket_ids"] == ids_newest_first(first + fifth)
    assert spot["cell"] == "城市管理|7597|19796"
    assert spot["topic"] is None  # not (yet) a monthly topic


def test_a_period_without_the_tickets_has_no_hot_spot(org, leader, api):
    tickets(org.grid1, 6)
    later = {"date_from": DAY + dt.timedelta(days=1), "date_to": DAY + dt.timedelta(days=7)}
    assert get(api, leader, **later).json()["hotspots"] == []
    earlier = {"date_from": DAY - dt.timedelta(days=13), "date_to": DAY - dt.timedelta(days=7)}
    assert get(api, leader, **earlier).json()["hotspots"] == []


def test_a_ticket_two_km_away_lies_in_another_cell(org, leader, api):
    tickets(org.grid1, 4)
    tickets(org.grid1, 1, point=TWO_KM_NORTH)
    assert get(api, leader).json()["hotspots"] == []
    tickets(org.grid1, 4, point=TWO_KM_NORTH)
    [north] = get(api, leader).json()["hotspots"]
    assert north["count"] == 5 and north["cell"] == "城市管理|7601|19796"
    assert north["centre"]["lat"] == pytest.approx(TWO_KM_NORTH[0], abs=1e-4)


def test_each_category_is_its_own_hot_spot(org, leader, api):
    tickets(org.grid1, 3)
    tickets(org.grid1, 3, category="环境卫生")
    assert get(api, leader).json()["hotspots"] == []
    assert [s["category"] for s in get(api, leader, min_count=3).json()["hotspots"]] == ["城市管理", "环境卫生"]


def test_cancelled_tickets_suggestions_and_tickets_without_a_point_do_not_count(org, leader, api):
    tickets(org.grid1, 4)
    tickets(org.grid1, 1, status="cancelled")
    tickets(org.grid1, 1, kind="suggestion")
    with rollups_deferred():
        ticket_row(unit=org.grid1, created_at=at(DAY), lat=None, lng=None).save()
    assert get(api, leader).json()["hotspots"] == []
    [spot] = get(api, leader, min_count=4).json()["hotspots"]
    assert spot["count"] == 4


def test_growth_is_measured_against_the_previous_period_and_breaks_ties(org, leader, api):
    # given three clusters: 7 new; 6 new after 2 the week before; 6 new after none
    last_week = DAY - dt.timedelta(days=7)
    tickets(org.grid1, 7, category="环境卫生")
    tickets(org.grid1, 2, day=last_week, category="道路交通")
    tickets(org.grid1, 6, category="道路交通")
    tickets(org.grid1, 6, point=TWO_KM_NORTH)
    # then they rank by count, then growth
    spots = get(api, leader).json()["hotspots"]
    rows = [(s["category"], s["count"], s["previous"], s["growth"]) for s in spots]
    assert rows == [("环境卫生", 7, 0, 7), ("城市管理", 6, 0, 6), ("道路交通", 6, 2, 4)]
    # and last week's tickets are not among this week's ids
    assert len(spots[2]["ticket_ids"]) == 6


def test_a_cluster_lists_its_newest_ids_only(org):
    rows = tickets(org.grid1, MAX_IDS + 5)
    [spot] = hotspots(org.district, 0, WEEK["date_from"], WEEK["date_to"], 5)
    assert spot["count"] == MAX_IDS + 5
    assert spot["ticket_ids"] == ids_newest_first(rows)[:MAX_IDS]


def test_a_cluster_lists_its_own_tickets_only(org):
    # given two clusters, and tickets of each one's category in the other's cell (too few to be a cluster)
    here = tickets(org.grid1, 5)
    north = tickets(org.grid1, 5, point=TWO_KM_NORTH, category="环境卫生")
    tickets(org.grid1, 3, category="环境卫生")
    tickets(org.grid1, 3, point=TWO_KM_NORTH)
    # then each cluster's ids are its own tickets'
    spots = hotspots(org.district, 0, WEEK["date_from"], WEEK["date_to"], 5)
    assert {s["cell"]: s["ticket_ids"] for s in spots} == {
        "城市管理|7597|19796": ids_newest_first(here),
        "环境卫生|7601|19796": ids_newest_first(north),
    }


def test_cells_are_floored_on_both_sides_of_zero(org):
    # the grid's arithmetic holds on any coordinates: FLOOR, not a truncation towards zero
    tickets(org.grid1, 2, point=(-0.001, -0.001))
    tickets(org.grid1, 2, point=(0.001, 0.001))
    cells = {s["cell"] for s in hotspots(org.district, 0, WEEK["date_from"], WEEK["date_to"], 2)}
    assert cells == {"城市管理|-1|-1", "城市管理|0|0"}


def test_the_subtree_and_the_campaign_restrict_the_tickets(org, street_leader, leader, campaign_obj, api):
    campaign = campaign_obj
    tickets(org.grid1, 5)
    tickets(org.grid2, 5, point=(34.2302, 108.8502), campaign=campaign)
    assert len(get(api, leader).json()["hotspots"]) == 2
    assert [s["count"] for s in get(api, street_leader).json()["hotspots"]] == [5]  # home unit: street1
    assert len(get(api, leader, unit=org.community2.pk).json()["hotspots"]) == 1  # a deeper unit: by path
    assert len(get(api, leader, unit=org.street1.pk, campaign=campaign.pk).json()["hotspots"]) == 0


def test_out_of_scope_unit_answers_404(org, street_leader, api):
    assert get(api, street_leader, unit=org.street2.pk).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_from"),
        ({"date_from": "2025-01-01", "date_to": "2026-03-01"}, "date_from"),  # over 400 days
        ({"min_count": "many"}, "min_count"),
        ({"min_count": "1"}, "min_count"),
        ({"min_count": "1001"}, "min_count"),
        ({"campaign": "999999"}, "campaign"),
    ],
)
def test_bad_parameters_answer_400_naming_the_field(org, leader, api, params, field):
    response = get(api, leader, **params)
    assert response.status_code == 400 and field in response.json()


def test_the_setting_is_the_default_threshold(org, leader, api, settings):
    settings.HOTSPOT_MIN_TICKETS = 3
    tickets(org.grid1, 3)
    body = get(api, leader).json()
    assert body["min_count"] == 3 and len(body["hotspots"]) == 1


def test_three_queries_whatever_the_number_of_clusters(org, leader, api, django_assert_max_num_queries):
    # given many clusters of many tickets
    for i in range(8):
        tickets(org.grid1, 6 + i, point=(HERE[0] + 0.005 * i, HERE[1]))
        tickets(org.grid2, 5, point=(34.2302, 108.8502 + 0.006 * i), category="环境卫生")
    # then the computation is three queries (clusters, their ids, the categories' codes)
    with django_assert_max_num_queries(3):
        assert len(hotspots(org.district, 0, WEEK["date_from"], WEEK["date_to"], 5)) == 16
    # and the API adds only the unit's scope lookup
    with django_assert_max_num_queries(4):
        assert len(get(api, leader).json()["hotspots"]) == 16


def test_the_dashboard_page_asks_for_its_hot_spots(org, leader, web):
    page = web(leader).get("/dashboard/", WEEK | {"period": "custom"}).content.decode()
    assert 'data-hotspots-url="/api/v1/stats/hotspots/?unit=' in page
    assert 'id="hotspots"' in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_draws_and_lists_its_hot_spots(org, leader, chromium_path, live_server):
    from playwright.sync_api import sync_playwright

    from tests.browser import LAUNCH_ARGS, TIMEOUT_MS, Watch, base_url, login

    # given a hot spot of the week in the district
    tickets(org.grid1, 5)
    base, watch = base_url(live_server), Watch()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        page = watch.page(watch.context(context).new_page())
        login(page, base, "leader", "/dashboard/")
        # when the leader opens the dashboard of that week
        page.goto(f"{base}/dashboard/?period=custom&date_from={WEEK['date_from']}&date_to={WEEK['date_to']}")
        page.wait_for_selector("#dash-map[data-ready='1']", state="attached")
        page.wait_for_selector("#hotspots[data-ready='1']", state="attached")
        # then the hot spot is listed, and its item centres the map on its circle
        item = page.locator("#hotspots li")
        assert item.count() == 1 and item.get_attribute("data-cell") == "城市管理|7597|19796"
        assert "5件" in item.inner_text() and "较上期 +5" in item.inner_text()
        item.locator("button.hotspot-go").click()
        page.wait_for_selector(".leaflet-tooltip", state="visible")
        assert "城市管理 5件" in page.locator(".leaflet-tooltip").inner_text()
        assert not page.evaluate("document.getElementById('dashboard').dataset.error || ''")
        browser.close()
    assert watch.errors == [] and watch.foreign == []


def test_a_hot_spot_promoted_to_a_topic_names_it(org, leader, api):
    rows = tickets(org.grid1, 5)
    topic = topic_create(
        actor=leader, title="占道经营整治", category="城市管理", area=org.district, lat=HERE[0], lng=HERE[1],
        lead_unit=org.dept1, deadline=DAY + dt.timedelta(days=30), month=DAY.replace(day=1),
        ticket_ids=[t.pk for t in rows],
    )  # fmt: skip
    [spot] = get(api, leader).json()["hotspots"]
    assert spot["topic"] == topic.pk


# The usual periods' hot spots come through the statistics path's cache (dashboard.periods): a row keeps them.
TODAY = dt.date(2026, 3, 20)
LAST_7 = {"date_from": TODAY - dt.timedelta(days=6), "date_to": TODAY}


@time_machine.travel(at(TODAY, 15), tick=False)
def test_a_usual_periods_hot_spots_are_read_from_its_row(org, leader, api, django_assert_max_num_queries):
    # given a hot spot of the last 7 days, its row written by a refresh
    first = tickets(org.grid1, 5, day=TODAY - dt.timedelta(days=1))
    periods_refresh(everything=True)
    kept = PeriodSummary.objects.get(unit=org.district, campaign_id=0, period=PeriodSummary.LAST_7)
    assert kept.hotspots == hotspots(org.district, 0, LAST_7["date_from"], TODAY, 5)
    # when a sixth ticket arrives (no sweep yet)
    tickets(org.grid1, 1, day=TODAY)
    # then the last 7 days answer from the row, as at its computing: the scope, the row, the topics
    with django_assert_max_num_queries(3):
        [spot] = api.as_user(leader).get(URL, LAST_7).json()["hotspots"]
    assert spot["count"] == 5 and spot["ticket_ids"] == ids_newest_first(first)
    # while another threshold, a campaign, or a period no row keeps computes now
    assert get(api, leader, **LAST_7, min_count=6).json()["hotspots"][0]["count"] == 6
    other = {"date_from": TODAY - dt.timedelta(days=5), "date_to": TODAY}
    assert get(api, leader, **other).json()["hotspots"][0]["count"] == 6
    # and the next refresh counts the sixth
    periods_refresh(everything=True)
    assert api.as_user(leader).get(URL, LAST_7).json()["hotspots"][0]["count"] == 6


@time_machine.travel(at(TODAY, 15), tick=False)
def test_a_kept_hot_spot_names_the_topic_it_was_promoted_to_at_once(org, leader, api):
    rows = tickets(org.grid1, 5, day=TODAY)
    periods_refresh(everything=True)
    assert api.as_user(leader).get(URL, LAST_7).json()["hotspots"][0]["topic"] is None
    topic = topic_create(
        actor=leader, title="占道经营整治", category="城市管理", area=org.district, lat=HERE[0], lng=HERE[1],
        lead_unit=org.dept1, deadline=TODAY + dt.timedelta(days=30), month=TODAY.replace(day=1),
        ticket_ids=[t.pk for t in rows],
    )  # fmt: skip
    assert api.as_user(leader).get(URL, LAST_7).json()["hotspots"][0]["topic"] == topic.pk


@time_machine.travel(at(TODAY, 15), tick=False)
def test_a_summary_read_leaves_the_hot_spots_unread(org):
    tickets(org.grid1, 5, day=TODAY)
    periods_refresh(everything=True)
    row = periods.cached(org.district, None, LAST_7["date_from"], TODAY)
    assert row is not None and "hotspots" in row.get_deferred_fields()
