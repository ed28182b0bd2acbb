"""The leaders' usual periods (today, last 7 / 30 days, campaign to date) answered from their cache rows
(PeriodSummary): equal to the one path and the brute force after a backfill, after changes and their sweep; used
only while younger than CACHE_MAX_AGE, then computed through the one path; reads never touch VisitTargetDay; and the
statistics views' query counts stay flat as data grows."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.importer import registry_import
from campaign.models import OrgUnit
from dashboard import periods
from dashboard.models import DailyRollup, DirtyDay, OverdueSnapshot, PeriodSummary, TargetSpan, VisitTargetDay
from dashboard.periods import CACHE_MAX_AGE, REFRESH_AFTER, usual_periods
from dashboard.rollups import rollup_day, rollup_dirty, rollup_range
from dashboard.selectors import StatsQuery, stats_daily, stats_ranking, stats_summary
from dashboard.signals import rollups_deferred
from dashboard.tasks import rollup_nightly
from issues.models import Ticket
from tests.dashboard.brute import brute_ranking, brute_summary
from tests.dashboard.conftest import at, enterprise, household, ticket_row, visit_row
from visits.models import Visit

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 20)  # the campaign of CampaignFactory runs 2026-01-01 .. 2026-12-31
NOW = at(TODAY, 15)
SPAN = 40  # data over the 40 days up to today: some before the last 30 days
UNITS = ("district", "street1", "street2", "community1", "grid1", "grid2")


def _periods_of(campaign):
    for campaign_id, key, start, end in usual_periods(TODAY):
        yield key, start, end, (campaign if campaign_id else None)


def _summary(q):
    figures = stats_summary(q)
    assert figures.pop("updated_at")
    assert figures.pop("help") == {}  # no help recorded here (帮扶成效 vs brute force: test_help_stats.py)
    return figures


def _answered_from_cache(q) -> bool:
    return periods.cached(q.unit, q.campaign, q.date_from, q.date_to) is not None


def _assert_usual_periods_exact(org, campaign):
    """Every usual period of every unit: answered from its cache row (a district or street; a community or grid
    through the one path, live), equal to the brute force over raw rows, and so is the ranking of every level below
    it (from the ranked units' rows, or the rollups for communities and grids)."""
    for name in UNITS:
        unit = getattr(org, name)
        for key, start, end, scope in _periods_of(campaign):
            q = StatsQuery(unit=unit, date_from=start, date_to=end, campaign=scope)
            assert _answered_from_cache(q) == (name in ("district", "street1", "street2")), (name, key, scope)
            expected = brute_summary(unit=unit, date_from=start, date_to=end, campaign=scope)
            assert _summary(q) == pytest.approx(expected), (name, key, scope)
            for level in ("street", "community", "grid", "department"):
                rows = stats_ranking(q, level=level)
                brute = brute_ranking(parent=unit, level=level, date_from=start, date_to=end, campaign=scope)
                assert [r.pop("unit") for r in rows] == [r.pop("unit") for r in brute], (name, key, scope, level)
                assert rows == [pytest.approx(r) for r in brute], (name, key, scope, level)


def _fill(org, leader, campaign, visits, tickets):
    homes = [household(org.grid1, 2), household(org.grid1, 5), household(org.grid2, 3), enterprise(org.grid2)]
    with rollups_deferred():
        Visit.objects.bulk_create(
            visit_row(cadre=leader, target=homes[t], when=at(TODAY - dt.timedelta(days=d), h), campaign=campaign if c else None)
            for t, d, h, c in visits
        )  # fmt: skip
        Ticket.objects.bulk_create(
            ticket_row(
                unit=[org.grid1, org.grid2, org.community1][u],
                created_at=at(TODAY - dt.timedelta(days=d), 9),
                campaign=campaign if c else None,
                status=status,
                dispatched_at=at(TODAY - dt.timedelta(days=d), 10),
                accepted_at=at(TODAY - dt.timedelta(days=d), 11),
                satisfaction="satisfied" if status == "closed" else "",
                resolved_at=at(TODAY - dt.timedelta(days=d), 12) if status == "closed" else None,
            )
            for u, d, status, c in tickets
        )
    return homes


visit_st = st.tuples(st.integers(0, 3), st.integers(0, SPAN - 1), st.integers(8, 14), st.booleans())
ticket_st = st.tuples(
    st.integers(0, 2), st.integers(0, SPAN - 1), st.sampled_from(["dispatched", "closed", "cancelled"]), st.booleans()
)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(visits=st.lists(visit_st, max_size=20), tickets=st.lists(ticket_st, max_size=12), change=st.integers(0, 3))
def test_usual_periods_equal_the_exact_computation_after_changes_and_sweep(
    org, campaign_obj, leader, django_capture_on_commit_callbacks, visits, tickets, change
):
    for model in (Visit, Ticket, DailyRollup, VisitTargetDay, OverdueSnapshot, DirtyDay, PeriodSummary, TargetSpan):
        model.objects.all().delete()
    with time_machine.travel(NOW, tick=False) as clock:
        # given: a backfilled history
        homes = _fill(org, leader, campaign_obj, visits, tickets)
        rollup_range(date_from=TODAY - dt.timedelta(days=SPAN - 1), date_to=TODAY)
        _assert_usual_periods_exact(org, campaign_obj)

        # when: a visit today, one 10 days ago, and a ticket closed, then the sweep runs (with eager Celery, the
        # in-process scheduler's: nothing recomputes inside the request, tests/issues/test_embedded_no_rollup_in_request.py)
        with django_capture_on_commit_callbacks(execute=True):
            visit_row(cadre=leader, target=homes[change], when=at(TODAY, 9), campaign=campaign_obj).save()
            visit_row(cadre=leader, target=homes[3 - change], when=at(TODAY - dt.timedelta(days=10), 9)).save()
            ticket = ticket_row(
                unit=org.grid2, created_at=at(TODAY - dt.timedelta(days=change), 8), campaign=campaign_obj
            )
            ticket.save()
            ticket.status, ticket.resolved_at, ticket.satisfaction = "closed", NOW, "unsatisfied"
            ticket.save()
        clock.shift(periods.REFRESH_CHANGED_AFTER)  # the rows above a change are rewritten once a minute old
        rollup_dirty()

        # then
        assert not DirtyDay.objects.exists()
        _assert_usual_periods_exact(org, campaign_obj)


def test_a_cache_row_answers_while_younger_than_its_bound_then_the_one_path_does(org, leader):
    with time_machine.travel(NOW, tick=False) as clock:
        # given: the usual periods cached, then a visit whose sweep is midway: rollups (and spans) recomputed,
        # the mark pending, the cache not refreshed
        home = household(org.grid1, 4)
        rollup_range(date_from=TODAY - dt.timedelta(days=2), date_to=TODAY)
        with rollups_deferred():
            visit_row(cadre=leader, target=home, when=at(TODAY, 9)).save()
        DirtyDay.objects.create(day=TODAY, unit_id=org.grid1.pk, marked_at=NOW, pending_since=NOW)
        rollup_day(day=TODAY, unit_id=org.grid1.pk)
        q = StatsQuery(unit=org.district, date_from=TODAY - dt.timedelta(days=6), date_to=TODAY)
        custom = StatsQuery(unit=org.district, date_from=TODAY - dt.timedelta(days=9), date_to=TODAY)  # not usual

        # then: the young cache row answers, one visit behind, and says so; a custom range is already exact
        assert _answered_from_cache(q)
        assert stats_summary(q)["visits"] == 0
        assert _summary(custom) == pytest.approx(
            brute_summary(unit=org.district, date_from=custom.date_from, date_to=custom.date_to)
        )
        assert stats_summary(custom)["updated_at"] == NOW.isoformat()  # complete up to the pending mark

        # when the cache row is older than CACHE_MAX_AGE, the one path answers, the visit counted
        clock.shift(CACHE_MAX_AGE + dt.timedelta(seconds=1))
        assert not _answered_from_cache(q)
        with CaptureQueriesContext(connection) as ctx:
            assert _summary(q) == pytest.approx(brute_summary(unit=org.district, date_from=q.date_from, date_to=TODAY))
        assert not [x for x in ctx.captured_queries if "visittargetday" in x["sql"]]

        # and when the sweep runs, the cache is refreshed (its rows were due) and used again
        rollup_dirty()
        assert _answered_from_cache(q)
        figures = stats_summary(q)
        assert figures["visits"] == 1
        assert figures["updated_at"] == (NOW + CACHE_MAX_AGE + dt.timedelta(seconds=1)).isoformat()


def test_reads_never_touch_visit_target_day(org, campaign_obj, leader):
    with time_machine.travel(NOW, tick=False):
        _fill(org, leader, campaign_obj, [(t % 4, t % SPAN, 9, t % 2) for t in range(20)], [(0, 3, "closed", True)])
        rollup_range(date_from=TODAY - dt.timedelta(days=SPAN - 1), date_to=TODAY)
        with CaptureQueriesContext(connection) as ctx:
            for date_from in (TODAY - dt.timedelta(days=6), TODAY - dt.timedelta(days=12)):
                for unit in (org.district, org.grid2, None):
                    q = StatsQuery(unit=unit, date_from=date_from, date_to=TODAY, campaign=campaign_obj)
                    stats_summary(q), stats_daily(q), stats_ranking(q, level="grid")
        assert ctx.captured_queries
        assert not [x for x in ctx.captured_queries if "visittargetday" in x["sql"]]


def test_the_rows_of_yesterday_are_not_used_after_midnight(org, leader):
    with time_machine.travel(NOW, tick=False):
        visit_row(cadre=leader, target=household(org.grid1), when=at(TODAY, 9)).save()
        rollup_range(date_from=TODAY, date_to=TODAY)
    with time_machine.travel(at(TODAY + dt.timedelta(days=1), 0, 1), tick=False):
        q = StatsQuery(unit=org.district, date_from=TODAY - dt.timedelta(days=5), date_to=TODAY + dt.timedelta(days=1))
        assert not _answered_from_cache(q)  # the rows are of yesterday's periods: the one path answers until 01:00
        assert stats_summary(q)["visits"] == 1


def test_a_visit_dated_minutes_into_tomorrow_counts_only_from_tomorrow(org, leader, django_capture_on_commit_callbacks):
    tomorrow = TODAY + dt.timedelta(days=1)
    with time_machine.travel(at(TODAY, 23, 58), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            visit_row(cadre=leader, target=household(org.grid1), when=at(tomorrow, 0, 2)).save()
        periods.watch([org.district.pk])  # a leader reads the district: the sweep keeps its rows
        rollup_dirty()  # the sweep runs, refreshing the usual periods
        q = StatsQuery(unit=org.district, date_from=TODAY - dt.timedelta(days=6), date_to=TODAY)
        assert _answered_from_cache(q)
        assert _summary(q) == pytest.approx(brute_summary(unit=org.district, date_from=q.date_from, date_to=TODAY))
        assert stats_summary(q)["households_visited"] == 0
    with time_machine.travel(at(tomorrow, 1, 30), tick=False):
        rollup_nightly()
        q = StatsQuery(unit=org.district, date_from=tomorrow, date_to=tomorrow)
        assert _answered_from_cache(q)
        assert stats_summary(q)["households_visited"] == 1


def test_a_custom_range_is_not_cached(org, leader):
    with time_machine.travel(NOW, tick=False):
        rollup_range(date_from=TODAY - dt.timedelta(days=3), date_to=TODAY)
        q = StatsQuery(unit=org.district, date_from=TODAY - dt.timedelta(days=3), date_to=TODAY)
        assert not _answered_from_cache(q)


# --- query counts, flat as data grows ------------------------------------------------------------------------
def _queries(api, leader, path, params):
    with CaptureQueriesContext(connection) as ctx:
        response = api.as_user(leader).get(path, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


REQUESTS = [
    ("/api/v1/stats/summary/", {"date_from": (TODAY - dt.timedelta(days=6)).isoformat()}),  # usual: last 7 days
    ("/api/v1/stats/summary/", {"date_from": (TODAY - dt.timedelta(days=12)).isoformat()}),  # custom range
    ("/api/v1/stats/daily/", {"date_from": (TODAY - dt.timedelta(days=12)).isoformat()}),
    ("/api/v1/stats/ranking/", {"level": "street"}),
    ("/api/v1/stats/ranking/", {"level": "department"}),
]
# The counts, pinned: a change here is a change of the read path, to be explained in the commit. Each starts with
# the request's unit. A usual period: its cache row, the overdue that fell due since; a custom range: sums, spans
# (single-row targets, then shared ones),
# the anchor row (today's), the pending marks, the overdue since; daily: DayReach, anchor, overdue since (today is
# in the range), snapshots (the first visit days are the anchor's); a ranking of a usual period: the ranked units,
# their rows. Summary and daily add one live GROUP BY over the open tickets: open_in_time (issue 13). A custom range
# ending today, every campaign together, first looks for the unit's "全周期" row (dashboard.periods.SINCE): one more.
# A custom range's summary and daily also read the 帮扶成效 amounts (issue 16 item 8): one GROUP BY over HelpRollup.
EXPECTED_QUERIES = [4, 10, 8, 3, 3]


def test_statistics_views_query_counts_are_pinned_and_flat(org, campaign_obj, leader, api):
    with time_machine.travel(NOW, tick=False):
        counts = []
        for size in (1, 4):
            _fill(org, leader, campaign_obj, [(t % 4, t % SPAN, 9, t % 2) for t in range(size * 10)],
                  [(t % 3, t % SPAN, "closed", True) for t in range(size * 5)])  # fmt: skip
            rollup_range(date_from=TODAY - dt.timedelta(days=SPAN - 1), date_to=TODAY)
            counts.append([_queries(api, leader, path, params) for path, params in REQUESTS])
        assert counts[0] == counts[1] == EXPECTED_QUERIES


def test_overdue_grows_with_the_clock_while_the_row_stays_in_use(org, leader):
    # given: an open ticket falling due at 15:02, the usual periods cached at 15:00
    with time_machine.travel(NOW, tick=False):
        ticket_row(
            unit=org.grid1, created_at=at(TODAY, 9), status="dispatched", dispatched_at=at(TODAY, 10),
            due_at=at(TODAY, 15, 2),
        ).save()  # fmt: skip
        rollup_range(date_from=TODAY - dt.timedelta(days=1), date_to=TODAY)
        q = StatsQuery(unit=org.district, date_from=TODAY - dt.timedelta(days=6), date_to=TODAY)
        assert stats_summary(q)["overdue"] == 0
    # when: 15:04, nothing changed in between
    with time_machine.travel(at(TODAY, 15, 4), tick=False):
        # then: still the cache row, and its overdue counts the ticket that fell due since
        assert _answered_from_cache(q)
        assert stats_summary(q)["overdue"] == 1
        assert _summary(q) == pytest.approx(brute_summary(unit=org.district, date_from=q.date_from, date_to=TODAY))


def test_a_household_registered_shows_in_coverage_within_the_cache_bound(
    org, leader, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False) as clock:
        visit_row(cadre=leader, target=household(org.grid1), when=at(TODAY, 9)).save()
        rollup_range(date_from=TODAY, date_to=TODAY)
        q = StatsQuery(unit=org.district, date_from=TODAY - dt.timedelta(days=6), date_to=TODAY)
        custom = StatsQuery(unit=org.district, date_from=TODAY - dt.timedelta(days=8), date_to=TODAY)
        assert stats_summary(q)["coverage"] == 1.0

        # a household registered: the young cache row still holds the old count …
        household(org.grid2)
        assert stats_summary(q)["coverage"] == 1.0
        # … until it is older than CACHE_MAX_AGE: then the one path counts it
        clock.shift(CACHE_MAX_AGE + dt.timedelta(seconds=1))
        assert not _answered_from_cache(q)
        assert stats_summary(q)["coverage"] == 0.5
        assert stats_summary(custom)["coverage"] == 0.5
        # an import of two more; the next sweep refreshes the rows (older than REFRESH_AFTER) with all three
        with django_capture_on_commit_callbacks(execute=True):
            result = registry_import(
                kind="households",
                rows_or_file=[{"地址": f"鱼化路{i}号", "网格": org.grid2.name, "户主姓名": "孙七"} for i in (1, 2)],
            )
        assert result.created == 2, result.errors
        rollup_dirty()
        assert _answered_from_cache(q)
        assert stats_summary(q)["coverage"] == 0.25


def _watch_every_wide_unit():
    """Leaders read every unit that keeps rows (periods.watch): the paced refresh keeps only those current."""
    periods.watch(list(OrgUnit.objects.filter(kind__in=periods.CACHED_KINDS).values_list("pk", flat=True)))


def test_the_sweep_refreshes_rows_before_they_reach_the_bound(org, leader):
    with time_machine.travel(NOW, tick=False) as clock:
        rollup_range(date_from=TODAY, date_to=TODAY)
        _watch_every_wide_unit()
        assert rollup_dirty() == 0
        assert not PeriodSummary.objects.filter(computed_at__gt=NOW).exists()  # nothing due: nothing rewritten
        clock.shift(REFRESH_AFTER + dt.timedelta(seconds=1))
        rollup_dirty()  # nothing to recompute, but every row is due
        assert not PeriodSummary.objects.filter(computed_at__lte=NOW).exists()
        assert REFRESH_AFTER + dt.timedelta(minutes=1) < CACHE_MAX_AGE  # the minute sweep keeps every row young


def test_only_wide_units_keep_rows_and_a_community_is_answered_live_and_exact(org, campaign_obj, leader, api):
    # given: a history, backfilled (which refreshes every unit that keeps rows)
    with time_machine.travel(NOW, tick=False):
        _fill(org, leader, campaign_obj, [(t % 4, t % SPAN, 9, t % 2) for t in range(12)],
              [(t % 3, t % SPAN, "closed", True) for t in range(6)])  # fmt: skip
        rollup_range(date_from=TODAY - dt.timedelta(days=SPAN - 1), date_to=TODAY)

        # then: rows for the district and its streets (and departments), none for a community or a grid
        kinds = set(PeriodSummary.objects.values_list("unit__kind", flat=True))
        assert kinds <= set(periods.CACHED_KINDS) and {"district", "street"} <= kinds
        # and a community's usual period is computed through the one path, equal to the brute force
        q = StatsQuery(unit=org.community1, date_from=TODAY - dt.timedelta(days=6), date_to=TODAY)
        assert not _answered_from_cache(q)
        assert _summary(q) == pytest.approx(brute_summary(unit=org.community1, date_from=q.date_from, date_to=TODAY))
        # in a fixed number of queries: the unit, the sums, the spans (single, shared), the registry count, the
        # pending marks, overdue now, open_in_time, the 帮扶成效 sums (no cache lookups: a community has no rows)
        params = {"unit": org.community1.pk, "date_from": q.date_from}
        assert _queries(api, leader, "/api/v1/stats/summary/", params) == 9


def test_a_sweep_refreshes_the_departments_of_the_changed_district_only(org, leader):
    other = OrgUnit.objects.create(name="雁塔区", kind="district", code="YT")
    other_dept = OrgUnit.objects.create(name="雁塔城管局", kind="department", parent=other)
    with time_machine.travel(NOW, tick=False) as clock:
        rollup_range(date_from=TODAY, date_to=TODAY)  # every wide unit's rows, computed at NOW
        _watch_every_wide_unit()
        clock.shift(dt.timedelta(minutes=1))
        periods.periods_refresh(leaves={org.grid1.pk})  # a sweep that recomputed a grid of the first district
    written = dict(PeriodSummary.objects.filter(campaign_id=0, period="today").values_list("unit_id", "computed_at"))
    later = NOW + dt.timedelta(minutes=1)
    assert (
        written[org.dept1.pk] == written[org.dept2.pk] == written[org.street1.pk] == written[org.district.pk] == later
    )
    assert written[org.street2.pk] == written[other_dept.pk] == written[other.pk] == NOW


def test_a_refresh_past_its_budget_leaves_the_rest_for_the_next_sweep_oldest_first(org, leader, monkeypatch):
    with time_machine.travel(NOW, tick=False) as clock:
        rollup_range(date_from=TODAY, date_to=TODAY)  # every wide unit's rows at NOW
        _watch_every_wide_unit()
        monkeypatch.setattr(periods, "REFRESH_BUDGET", dt.timedelta(seconds=-1))  # spent after one unit
        clock.shift(REFRESH_AFTER + dt.timedelta(seconds=1))  # every row due
        ages = []
        for _ in range(3):
            clock.shift(dt.timedelta(seconds=1))
            periods.periods_refresh()
            rows = PeriodSummary.objects.filter(campaign_id=0, period="today")
            ages.append(sorted(rows.values_list("computed_at", flat=True)))
    wide = PeriodSummary.objects.filter(campaign_id=0, period="today").count()
    assert wide == 5  # the district, two streets, two departments
    # each sweep rewrote one unit (the oldest row), and the next sweep another one
    assert [sum(a > NOW for a in row) for row in ages] == [1, 2, 3]


def test_the_sweep_refreshes_at_most_once_a_minute(org, leader, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False) as clock:
        rollup_range(date_from=TODAY, date_to=TODAY)  # every wide unit's rows at NOW
        # a visit 10 s later: its sweep recomputes the grid's day, the rows above it wait for their minute
        clock.shift(dt.timedelta(seconds=10))
        with django_capture_on_commit_callbacks(execute=True):
            visit_row(cadre=leader, target=household(org.grid1), when=at(TODAY, 14)).save()
        assert rollup_dirty() == 1
        assert not PeriodSummary.objects.filter(computed_at__gt=NOW).exists()
        q = StatsQuery(unit=org.district, date_from=TODAY, date_to=TODAY)
        assert stats_summary(q)["visits"] == 0  # the row, 10 s old, does not count it yet
        # the next sweep a minute after the last refresh rewrites the rows above the change
        clock.shift(periods.REFRESH_CHANGED_AFTER)
        rollup_dirty()
        assert stats_summary(q)["visits"] == 1
