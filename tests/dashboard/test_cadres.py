"""Cadre activity (issue 16 item 3): GET /api/v1/stats/cadres/, the dashboard's panel, and Campaign.targets' progress
bar against the coverage figure."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign.models import Campaign, Role
from campaign.partitions import ensure_partition
from dashboard import cadres, page_data, periods
from dashboard.rollups import rollup_range
from dashboard.signals import rollups_deferred
from issues.models import Ticket
from tests.dashboard.conftest import at, enterprise, household, ticket_row, visit_row
from tests.factories import UserFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)
PERIOD = {"date_from": "2026-02-25", "date_to": "2026-03-20"}  # two months: two partitions of visits_visit
URL = "/api/v1/stats/cadres/"


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(at(TODAY, 15), tick=False):
        yield


@pytest.fixture
def months():
    """January to March 2026 each in its own partition (PostgreSQL), as partitions_ahead would have made them."""
    if connection.vendor == "postgresql":
        for month in (1, 2, 3):
            ensure_partition("visits_visit", 2026, month)


@pytest.fixture
def walked(org, cadre, cadre2, months):
    """The cadre walks in February and early March, then stops; cadre2 visits once, two days ago."""
    home_a, home_b, home_c = household(org.grid1), household(org.grid1), household(org.grid2)
    firm = enterprise(org.grid1)
    with rollups_deferred():
        Visit.objects.bulk_create(
            [
                visit_row(cadre=cadre, target=home_a, when=at(day(2, 20))),  # before the period
                visit_row(cadre=cadre, target=home_a, when=at(day(2, 26), 10)),
                visit_row(cadre=cadre, target=home_a, when=at(day(2, 26), 16)),  # same household, same day
                visit_row(cadre=cadre, target=home_b, when=at(day(3, 2), 10)),
                visit_row(cadre=cadre, target=firm, when=at(day(3, 3), 0, 30)),  # 3 March here, 2 March in UTC
                visit_row(cadre=cadre2, target=home_c, when=at(day(3, 18), 9)),
            ]
        )
        Ticket.objects.bulk_create(
            [
                ticket_row(unit=org.grid1, created_at=at(day(3, 5)), created_by=cadre, source="visit"),
                ticket_row(unit=org.grid1, created_at=at(day(2, 10)), created_by=cadre, source="visit"),  # before
                ticket_row(unit=org.grid2, created_at=at(day(3, 6))),  # a hotline ticket: nobody's
            ]
        )


def get(api: Any, user: Any, **params: Any) -> Any:
    return api.as_user(user).get(URL, {**PERIOD, **params})


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["cadre"]["name"]: row for row in body["results"]}


def test_each_cadre_has_visits_targets_tickets_days_and_last_visit_of_the_period(walked, leader, cadre, cadre2, api):
    response = get(api, leader)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None
    rows = by_name(body)
    assert rows[str(cadre)] == {
        "cadre": {"id": cadre.pk, "name": str(cadre)},
        "unit": {"id": cadre.unit_id, "name": "丈八一网格"},
        "visits": 4,
        "targets": 3,  # two households and an enterprise
        "tickets_raised": 1,
        "days_active": 3,  # 26 Feb, 2 and 3 March in Asia/Shanghai
        "last_visit": at(day(3, 3), 0, 30).isoformat(),
        "inactive": True,  # nothing from 14 to 20 March
        "assignment_coverage": None,
    }
    assert (rows[str(cadre2)]["visits"], rows[str(cadre2)]["targets"], rows[str(cadre2)]["tickets_raised"]) == (1, 1, 0)
    assert rows[str(cadre2)]["days_active"] == 1 and rows[str(cadre2)]["inactive"] is False
    # most visits first by default
    assert [r["cadre"]["id"] for r in body["results"]] == [cadre.pk, cadre2.pk]


def test_orderings_and_the_inactive_filter(walked, leader, cadre, cadre2, api):
    def ids(**params: Any) -> list[int]:
        return [r["cadre"]["id"] for r in get(api, leader, **params).json()["results"]]

    assert ids(ordering="-last_visit") == [cadre2.pk, cadre.pk]
    assert ids(ordering="last_visit") == [cadre.pk, cadre2.pk]
    assert ids(ordering="visits") == [cadre2.pk, cadre.pk]
    assert ids(inactive="true") == [cadre.pk]
    assert ids(inactive="false") == [cadre2.pk]


def test_inactive_days_come_from_the_setting_or_the_query(walked, leader, cadre, cadre2, api, settings):
    # a window of 30 days reaches back to the cadre's visits of 26 February
    assert by_name(get(api, leader, inactive_days=30).json())[str(cadre)]["inactive"] is False
    # one day: cadre2's visit of 18 March is too old for 20 March
    assert by_name(get(api, leader, inactive_days=1).json())[str(cadre2)]["inactive"] is True
    settings.CADRE_INACTIVE_DAYS = 1
    assert by_name(get(api, leader).json())[str(cadre2)]["inactive"] is True
    # a past period is judged at its own last day: on 2 March the cadre had walked that week
    past = get(api, leader, date_from="2026-02-25", date_to="2026-03-02").json()
    assert by_name(past)[str(cadre)]["inactive"] is False and by_name(past)[str(cadre2)]["inactive"] is True


def test_a_campaign_narrows_visits_and_tickets(walked, leader, cadre, campaign_obj, api):
    Visit.objects.filter(cadre=cadre, visited_at__gte=at(day(3, 1), 0)).update(campaign=campaign_obj)
    row = by_name(get(api, leader, campaign=campaign_obj.pk).json())[str(cadre)]
    assert (row["visits"], row["targets"], row["days_active"], row["tickets_raised"]) == (2, 2, 2, 0)


def test_scope_a_unit_out_of_scope_answers_404(walked, street_leader, cadre, api, org):
    # a street's leader sees the cadres of the street only
    assert [r["cadre"]["id"] for r in get(api, street_leader).json()["results"]] == [cadre.pk]
    assert get(api, street_leader, unit=org.street2.pk).status_code == 404
    assert get(api, street_leader, unit=999999).status_code == 404


def test_a_cadre_reads_their_own_row_alone(walked, cadre, cadre2, api, org):
    body = get(api, cadre).json()
    assert body["count"] == 1 and body["results"][0]["cadre"]["id"] == cadre.pk
    assert get(api, cadre, unit=org.district.pk).status_code == 404  # above their scope
    assert [r["cadre"]["id"] for r in get(api, cadre2).json()["results"]] == [cadre2.pk]


def test_other_roles_are_refused_after_scope(walked, handler, dispatcher, admin_user, api, org):
    assert get(api, handler).status_code == 403
    assert get(api, handler, date_from="nonsense").status_code == 403  # 403 before 400 (SPEC §1)
    assert get(api, handler, unit=org.grid1.pk).status_code == 404  # out of the department's scope: 404 first
    assert get(api, dispatcher).status_code == 200 and get(api, admin_user).status_code == 200
    api.force_authenticate(None)
    assert api.get(URL).status_code == 401


HOSTILE = [
    {"date_from": "2026-03-20", "date_to": "2026-03-01"},
    {"date_from": "2026-02-30"},
    {"date_to": "2026-13-01"},
    {"date_from": "1999-12-31"},
    {"date_from": "NaN"},
    {"date_from": "2026-03-01\x00"},
    {"date_to": "2026-03-20\x1b[31m"},
    {"date_from": "2024-01-01", "date_to": "2026-03-20"},  # longer than 400 days
    {"unit": "\x00"},
    {"unit": "NaN"},
    {"campaign": "99999"},
    {"campaign": "1e3"},
    {"inactive_days": "NaN"},
    {"inactive_days": "inf"},
    {"inactive_days": "0"},
    {"inactive_days": "9" * 40},
    {"inactive": "maybe"},
    {"ordering": "visits\x00"},
    {"ordering": "password"},
    {"page": "NaN"},
    {"page": "-1"},
    {"page_size": "\x07"},
]


@pytest.mark.parametrize("params", HOSTILE, ids=[repr(p)[:40] for p in HOSTILE])
def test_hostile_parameters_answer_400_naming_them(walked, leader, api, params):
    response = get(api, leader, **params)
    assert response.status_code == 400, response.content
    assert set(response.json()) <= {"date_from", "date_to", "unit", "campaign", "inactive_days", "inactive",
                                    "ordering", "page", "page_size"}  # fmt: skip
    # and nothing broke: the next question is answered
    assert get(api, leader).status_code == 200


def test_the_same_few_queries_however_many_cadres(walked, leader, org, api, django_assert_num_queries):
    # the unit's scope, the count, the page, the page's assignment coverage
    with django_assert_num_queries(4):
        assert get(api, leader, unit=org.district.pk).json()["count"] == 2
    for i in range(6):
        someone = UserFactory(role=Role.CADRE, unit=org.grid2 if i % 2 else org.grid1)
        with rollups_deferred():
            Visit.objects.bulk_create(
                [visit_row(cadre=someone, target=household(org.grid1), when=at(day(3, k + 1))) for k in range(i)]
            )
            Ticket.objects.bulk_create([ticket_row(unit=org.grid1, created_at=at(day(3, 4)), created_by=someone)])
    with django_assert_num_queries(4):
        assert get(api, leader, unit=org.district.pk).json()["count"] == 8
    with django_assert_num_queries(4):
        assert len(get(api, leader, page_size=3, page=2).json()["results"]) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="visits are partitioned on PostgreSQL only")
def test_only_the_months_of_the_period_are_read(walked, leader, api):
    def plan(**params: Any) -> str:
        with CaptureQueriesContext(connection) as ctx:
            assert get(api, leader, **params).status_code == 200
        page = next(q["sql"] for q in ctx.captured_queries if "visits_visit" in q["sql"] and "LIMIT" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + page)
            return "\n".join(row[0] for row in cursor.fetchall())

    february_and_march = plan()
    assert "visits_visit_p202602" in february_and_march and "visits_visit_p202603" in february_and_march
    assert "visits_visit_p202601" not in february_and_march
    march = plan(date_from="2026-03-01")
    assert "visits_visit_p202602" not in march and "visits_visit_p202601" not in march


# --- the dashboard page ------------------------------------------------------------------------------------------------
def test_the_dashboard_panel_lists_the_cadres_as_the_api_does(walked, leader, cadre, cadre2, web, api):
    page = web(leader).get("/dashboard/", PERIOD).content.decode()
    assert "干部走访活跃度" in page
    listed = re.findall(r'<tr data-cadre="(\d+)"( class="cadre-inactive" data-inactive="1")?>', page)
    assert [(int(pk), bool(flag)) for pk, flag in listed] == [(cadre.pk, True), (cadre2.pk, False)]
    api_url = re.search(r'href="(/api/v1/stats/cadres/[^"]+)" id="cadres-all"', page)
    assert api_url is not None
    body = api.as_user(leader).get(api_url.group(1).replace("&amp;", "&")).json()
    assert [r["cadre"]["id"] for r in body["results"]] == [cadre.pk, cadre2.pk]
    assert "共 2 名干部，1 名近 7 天未走访" in page


def test_the_panel_and_the_bar_add_a_fixed_number_of_queries_to_the_page(
    walked, org, leader, campaign_obj, web, django_assert_num_queries, django_assert_max_num_queries
):
    # the panel: three queries (the counts, the first ten, their assignment coverage); the bar: the unit's campaign, and for a campaign with a
    # coverage target its stats summary (10 at most when computed live — its 帮扶成效 sums one of them —, fewer from a
    # cache row)
    campaign_obj.targets = {"household_coverage": 0.5}
    campaign_obj.save()
    with django_assert_num_queries(3):
        assert len(page_data.cadre_panel(org.district, day(2, 25), TODAY)["rows"]) == 2
    with django_assert_max_num_queries(11):
        assert page_data.coverage_target(org.district, TODAY) is not None
    Campaign.objects.filter(pk=campaign_obj.pk).update(targets={})
    with django_assert_num_queries(1):
        assert page_data.coverage_target(org.district, TODAY) is None
    # and the page stays flat with more cadres and visits
    client = web(leader)
    with django_assert_max_num_queries(60) as first:
        assert client.get("/dashboard/", PERIOD).status_code == 200
    for i in range(5):
        someone = UserFactory(role=Role.CADRE, unit=org.grid1)
        with rollups_deferred():
            Visit.objects.bulk_create([visit_row(cadre=someone, target=household(org.grid2), when=at(day(3, 10 + i)))])
    with django_assert_num_queries(3):
        assert len(page_data.cadre_panel(org.district, day(2, 25), TODAY)["rows"]) == 7
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/dashboard/", PERIOD).status_code == 200


def test_a_wide_units_row_keeps_the_panel_of_its_usual_periods(walked, org, django_assert_num_queries):
    week = (TODAY - dt.timedelta(days=6), TODAY)
    live = page_data.cadre_panel(org.district, *week)
    assert live["rows"] and live["rows"][0]["last_visit"] is not None
    periods.periods_refresh(everything=True)
    with django_assert_num_queries(1):  # the row, not the cadres' visits
        kept = page_data.cadre_panel(org.district, *week)
    assert kept == live  # last_visit read back as the same aware datetime
    with django_assert_num_queries(1):  # a longer period shows its last 30 days: the row of 30 days
        longer = page_data.cadre_panel(org.district, day(1, 1), TODAY)
    assert (longer["date_from"], longer["date_to"]) == (TODAY - dt.timedelta(days=29), TODAY)
    assert periods.cached_cadres(org.district, day(2, 25), TODAY) is None  # not a usual period: computed
    assert periods.cached_cadres(org.street1, *week) is not None  # streets keep theirs too
    assert cadres.panel_loaded(cadres.panel_stored(live)) == live


def test_a_cadre_cannot_open_the_dashboard(walked, cadre, web):
    assert web(cadre).get("/dashboard/").status_code == 403


# --- Campaign.targets: the shape, and the progress bar against coverage -------------------------------------------------
GOOD_TARGETS = [{}, {"household_coverage": 0.8}, {"household_coverage": 1, "by": "2026-12-31"}]
BAD_TARGETS = [
    [],
    "0.8",
    {"household_coverage": "0.8"},
    {"household_coverage": 0},
    {"household_coverage": 1.5},
    {"household_coverage": float("nan")},
    {"household_coverage": True},
    {"coverage": 0.8},
    {"household_coverage": 0.8, "by": "2026-02-30"},
    {"household_coverage": 0.8, "by": "31/12/2026"},
    {"household_coverage": 0.8, "by": 20261231},
    {"household_coverage": 0.8, "by": "2025-12-31"},  # before the campaign starts
]


def _campaign(targets: Any) -> Campaign:
    return Campaign(name="活动", start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31), targets=targets)


@pytest.mark.parametrize("targets", GOOD_TARGETS)
def test_targets_of_the_documented_shape_are_accepted(targets):
    _campaign(targets).full_clean()


@pytest.mark.parametrize("targets", BAD_TARGETS, ids=[repr(t)[:40] for t in BAD_TARGETS])
def test_targets_of_another_shape_are_refused_with_a_clear_error(targets):
    with pytest.raises(ValidationError) as refused:
        _campaign(targets).full_clean()
    assert list(refused.value.message_dict) == ["targets"]
    assert refused.value.message_dict["targets"][0]


def test_the_progress_bar_shows_the_campaigns_coverage_against_its_target(org, leader, cadre, campaign_obj, web, api):
    # given a campaign aiming at half the households by the end of June, and one of the district's three visited
    campaign_obj.targets = {"household_coverage": 0.5, "by": "2026-06-30"}
    campaign_obj.full_clean()
    campaign_obj.save()
    homes = [household(org.grid1), household(org.grid1), household(org.grid2)]
    with rollups_deferred():
        Visit.objects.bulk_create([visit_row(cadre=cadre, target=homes[0], when=at(day(3, 10)), campaign=campaign_obj)])
    rollup_range(date_from=day(3, 1), date_to=TODAY)
    # when the leader opens the dashboard
    page = web(leader).get("/dashboard/", {"period": "7d"}).content.decode()
    # then the bar carries the campaign's coverage since its start, as stats/summary answers it, against 0.5
    bar = re.search(r'id="coverage-target" data-live data-coverage="([^"]*)" data-target="([^"]*)"', page)
    assert bar is not None
    summary = (
        api.as_user(leader)
        .get(
            "/api/v1/stats/summary/",
            {
                "unit": org.district.pk,
                "campaign": campaign_obj.pk,
                "date_from": "2026-01-01",
                "date_to": TODAY.isoformat(),
            },
        )
        .json()
    )
    assert float(bar.group(1)) == pytest.approx(summary["coverage"]) == pytest.approx(1 / 3)
    assert float(bar.group(2)) == 0.5
    assert '<progress class="target-bar" max="0.5" value="0.3333' in page and "2026-06-30 前完成" in page


def test_no_bar_without_a_target_or_with_a_stored_value_of_another_shape(org, leader, campaign_obj, web):
    assert 'id="coverage-target"' not in web(leader).get("/dashboard/").content.decode()
    Campaign.objects.filter(pk=campaign_obj.pk).update(targets={"coverage": "most"})  # written around clean()
    response = web(leader).get("/dashboard/")
    assert response.status_code == 200 and 'id="coverage-target"' not in response.content.decode()


def test_a_cadres_row_carries_the_share_of_their_assignments_they_visited(walked, leader, cadre, org, api):
    from campaign.assignments import assignment_create

    visited = Visit.objects.filter(cadre=cadre, household__isnull=False).select_related("household").first()
    other = household(org.grid1)
    for target in (visited.household, other):
        assignment_create(actor=leader, user_id=cadre.pk, target_type="household", target_id=target.pk)
    rows = {r["cadre"]["id"]: r for r in get(api, leader).json()["results"]}
    assert rows[cadre.pk]["assignment_coverage"] == 0.5  # one of the two doors visited in the period
    assert all(r["assignment_coverage"] is None for pk, r in rows.items() if pk != cadre.pk)  # nothing assigned
