"""The units someone reads are refreshed first (dashboard.periods.watch): under a city's steady stream of visits every
wide unit is due each minute and a sweep's budget covers a few, so the rows leaders read must not wait behind the
others' and age past the bound (then every read computes live)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from dashboard import periods
from dashboard.models import PeriodSummary
from dashboard.periods import REFRESH_AFTER, WATCHED_KEY
from dashboard.rollups import rollup_range
from tests.dashboard.conftest import at

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 20)
NOW = at(TODAY, 15)


def refreshed_after(moment: dt.datetime) -> set[int]:
    rows = PeriodSummary.objects.filter(campaign_id=0, period="today", computed_at__gt=moment)
    return set(rows.values_list("unit_id", flat=True))


def test_a_unit_read_lately_is_refreshed_before_older_rows(org, street_leader, api, monkeypatch):
    with time_machine.travel(NOW, tick=False) as clock:
        rollup_range(date_from=TODAY, date_to=TODAY)  # every wide unit's rows at NOW
        monkeypatch.setattr(periods, "REFRESH_BUDGET", dt.timedelta(seconds=-1))  # spent after one unit
        clock.shift(REFRESH_AFTER + dt.timedelta(seconds=1))  # every row due; by path the district comes first
        week = f"date_from={TODAY - dt.timedelta(days=6)}&date_to={TODAY}"
        assert api.as_user(street_leader).get(f"/api/v1/stats/summary/?unit={org.street2.pk}&{week}").status_code in (
            403,
            404,
        )  # out of scope: not read, not watched
        answer = api.as_user(street_leader).get(f"/api/v1/stats/summary/?unit={org.street1.pk}&{week}")
        assert answer.status_code == 200
        clock.shift(dt.timedelta(seconds=1))
        periods.periods_refresh()
        assert refreshed_after(NOW) == {org.street1.pk}
        clock.shift(dt.timedelta(seconds=1))
        periods.periods_refresh()  # then the oldest of the rest, by path: the district
        assert refreshed_after(NOW) == {org.street1.pk, org.district.pk}


def test_a_read_is_noted_at_most_once_a_minute_and_forgotten_after_a_while(org):
    with time_machine.travel(NOW, tick=False) as clock:
        periods.watch([org.street1.pk])
        first = cache.get(WATCHED_KEY)[org.street1.pk]
        clock.shift(dt.timedelta(seconds=30))
        periods.watch([org.street1.pk])
        assert cache.get(WATCHED_KEY)[org.street1.pk] == first
        clock.shift(dt.timedelta(seconds=31))
        periods.watch([org.street1.pk, org.street2.pk])
        assert cache.get(WATCHED_KEY)[org.street1.pk] > first
        assert periods.watched_units() == {org.street1.pk, org.street2.pk}
        clock.shift(dt.timedelta(seconds=periods.WATCH_FOR_S + 1))
        assert periods.watched_units() == set()


def test_only_the_units_read_lately_keep_the_panel_and_the_hot_spots(org, leader, api):
    week = (TODAY - dt.timedelta(days=6), TODAY)
    with time_machine.travel(NOW, tick=False) as clock:
        rollup_range(date_from=TODAY, date_to=TODAY)  # a refresh of everything: every wide unit keeps them
        assert periods.cached_cadres(org.street1, *week) is not None
        cache.delete(WATCHED_KEY)
        clock.shift(REFRESH_AFTER + dt.timedelta(seconds=1))  # every row due
        week_q = f"date_from={week[0]}&date_to={week[1]}"
        assert api.as_user(leader).get(f"/api/v1/stats/summary/?{week_q}").status_code == 200  # the district alone
        clock.shift(dt.timedelta(seconds=1))
        periods.periods_refresh()
        assert refreshed_after(NOW) >= {org.district.pk, org.street1.pk}
        rows = PeriodSummary.objects.filter(campaign_id=0, period=PeriodSummary.LAST_7)
        kept = {row.unit_id: ("cadres" in row.figures, row.hotspots is not None) for row in rows}
        assert kept[org.district.pk] == (True, True)
        assert kept[org.street1.pk] == (False, False)  # nobody read it: the refresh left them out
        # a read of the street computes them (and watches it), the next refresh keeps them
        assert periods.cached_cadres(org.street1, *week) is None
        clock.shift(REFRESH_AFTER + dt.timedelta(seconds=1))
        periods.periods_refresh()
        assert periods.cached_cadres(org.street1, *week) is not None
