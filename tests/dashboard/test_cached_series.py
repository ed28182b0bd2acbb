"""The dashboard's other reads of a usual period from the wide units' rows (issue 14, session 8): stats/daily's
days, the page's categories, its previous periods and its 全周期 — equal to the live path once the rows have aged."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from campaign.models import OrgUnit
from dashboard import page_data, periods
from dashboard.page_data import Period
from dashboard.periods import CACHE_MAX_AGE, usual_periods
from dashboard.rollups import rollup_range
from dashboard.selectors import StatsQuery, stats_daily
from issues.models import Ticket
from tests.dashboard.test_usual_periods import NOW, SPAN, TODAY, _answered_from_cache, _fill

pytestmark = pytest.mark.django_db


def test_the_daily_series_categories_and_the_pages_other_periods_come_from_the_rows_and_equal_the_live_path(
    org, campaign_obj, leader
):
    """stats/daily of a usual period, the page's category breakdown, its previous periods (yesterday, the 7 and 30
    days before) and its "全周期" (since the unit's campaigns began) are read from the wide units' rows, and equal
    what the one path computes without them (the rows aged past CACHE_MAX_AGE)."""
    with time_machine.travel(NOW, tick=False) as clock:
        _fill(org, leader, campaign_obj, [(t % 4, (3 * t) % SPAN, 9, t % 2) for t in range(30)],
              [(t % 3, (5 * t) % SPAN, ["closed", "dispatched", "cancelled"][t % 3], t % 2) for t in range(24)])  # fmt: skip
        Ticket.objects.filter(pk__in=Ticket.objects.order_by("pk").values("pk")[:8]).update(kind="suggestion")
        rollup_range(date_from=TODAY - dt.timedelta(days=SPAN - 1), date_to=TODAY)
        since = periods.since_start(org.district, TODAY)
        assert since == campaign_obj.start_date
        page = {"today": (TODAY, TODAY), "prev_today": (TODAY - dt.timedelta(days=1),) * 2,
                "prev_7": (TODAY - dt.timedelta(days=13), TODAY - dt.timedelta(days=7)),
                "prev_30": (TODAY - dt.timedelta(days=59), TODAY - dt.timedelta(days=30)), "since": (since, TODAY)}  # fmt: skip
        queries = [(None, start, end) for start, end in page.values()]
        queries += [(campaign_obj if cid else None, start, end) for cid, _key, start, end in usual_periods(TODAY)]
        answers = {}
        for unit in (org.district, org.street1, org.dept1):
            for scope, start, end in queries:
                q = StatsQuery(unit=unit, date_from=start, date_to=end, campaign=scope)
                assert _answered_from_cache(q), (unit, scope, start, end)
                answers[unit.pk, scope, start, end] = (
                    stats_daily(q),
                    page_data.categories(unit, Period("x", start, end)),
                )
        assert any(days["visits"] for daily, _ in answers.values() for days in daily)
        assert any(kinds for _, kinds in answers.values())

        clock.shift(CACHE_MAX_AGE + dt.timedelta(seconds=1))
        for (unit_id, scope, start, end), (daily, kinds) in answers.items():
            unit = OrgUnit.objects.get(pk=unit_id)
            q = StatsQuery(unit=unit, date_from=start, date_to=end, campaign=scope)
            assert not _answered_from_cache(q)
            live = stats_daily(q)
            for row in (*live, *daily):
                row.pop("overdue")  # today's: counted now; the rows' moment moved on with the clock
            assert daily == live, (unit, scope, start, end)
            assert kinds == page_data.categories(unit, Period("x", start, end)), (unit, scope, start, end)
