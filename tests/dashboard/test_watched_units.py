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


def test_only_the_units_read_lately_are_refreshed(org, street_leader, api, monkeypatch):
    with time_machine.travel(NOW, tick=False) as clock:
        rollup_range(date_from=TODAY, date_to=TODAY)  # a refresh of everything: every wide unit's rows at NOW
        cache.delete(WATCHED_KEY)
        clock.shift(REFRESH_AFTER + dt.timedelta(seconds=1))  # every row due
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
        periods.periods_refresh()  # the district, the other street and the departments: nobody read them
        assert refreshed_after(NOW) == {org.street1.pk}


def test_a_unit_nobody_read_is_computed_live_then_kept(org, leader, api):
    week = (TODAY - dt.timedelta(days=6), TODAY)
    week_q = f"date_from={week[0]}&date_to={week[1]}"
    with time_machine.travel(NOW, tick=False) as clock:
        rollup_range(date_from=TODAY, date_to=TODAY)  # a refresh of everything: every row keeps the panel too
        assert periods.cached_cadres(org.street1, *week) is not None
        cache.delete(WATCHED_KEY)
        clock.shift(periods.CACHE_MAX_AGE + dt.timedelta(seconds=1))  # the rows have aged past the bound
        periods.periods_refresh()  # nobody read anything: nothing rewritten
        assert refreshed_after(NOW) == set()
        assert periods.cached_cadres(org.street1, *week) is None  # too old to answer: the page computes it
        before = api.as_user(leader).get(f"/api/v1/stats/summary/?unit={org.street1.pk}&{week_q}")
        assert before.status_code == 200  # computed live, exact, and the street is now watched
        clock.shift(dt.timedelta(seconds=1))
        periods.periods_refresh()
        assert refreshed_after(NOW) == {org.street1.pk}
        row = PeriodSummary.objects.get(unit=org.street1, campaign_id=0, period=PeriodSummary.LAST_7)
        assert "cadres" in row.figures and row.hotspots is not None  # a watched unit's rows keep the extras
        assert periods.cached(org.street1, None, *week) is not None  # the next read is answered from the row …
        after = api.as_user(leader).get(f"/api/v1/stats/summary/?unit={org.street1.pk}&{week_q}")
        figures = {k: v for k, v in after.json().items() if k != "updated_at"}
        assert figures == {k: v for k, v in before.json().items() if k != "updated_at"}  # … with the live figures


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
