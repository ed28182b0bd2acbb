"""TargetSpan's day bits answer any range exactly: at word and block edges (bit 63 is the sign bit), over whole
blocks, and without reading VisitTargetDay; DayReach counts a household visited in two campaigns once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.daybits import day_number, range_masks
from dashboard.models import BLOCK_DAYS, DAY_EPOCH, SharedTarget, TargetSpan
from dashboard.rollups import rollup_range
from dashboard.selectors import StatsQuery, stats_daily, stats_summary
from dashboard.signals import rollups_deferred
from tests.dashboard.brute import brute_summary
from tests.dashboard.conftest import at, enterprise, household, visit_row
from tests.factories import CampaignFactory
from visits.models import Visit


def day(n: int) -> dt.date:
    return DAY_EPOCH + dt.timedelta(days=n)


# Block 25 holds days 9600..9983: its d2 word ends with day 9791 and d3 with 9855 (bit 63, the sign bit), its d5
# word with 9983 (the block's end); 9984 opens block 26.
EDGES = [9855, 9856, 9983, 9984, 9791, 9600, 9599]


def test_masks_cover_exactly_the_days_of_the_range():
    for first, last in [(9855, 9856), (9983, 9984), (9600, 9983), (9000, 10000), (9700, 9700), (9791, 9855)]:
        covered = set()
        for block, masks in range_masks(day(first), day(last)).items():
            if masks is None:
                covered |= set(range(block * BLOCK_DAYS, (block + 1) * BLOCK_DAYS))
                continue
            for word, mask in enumerate(masks):
                for bit in range(64):
                    if (mask >> bit) & 1:  # a negative mask (bit 63 set) shifts in ones: bit 63 itself counts once
                        covered.add(block * BLOCK_DAYS + word * 64 + bit)
        assert covered == set(range(first, last + 1)), (first, last)
    assert range_masks(day(9855), day(9855))[25] == [0, 0, 0, -(1 << 63), 0, 0]
    assert range_masks(day(9600), day(9983)) == {25: None}


@pytest.mark.django_db
def test_any_range_at_the_edges_equals_brute_force_without_reading_target_days(org, campaign_obj, leader):
    other = CampaignFactory(name="第二轮", start_date=day(9500), end_date=day(10100))
    homes = [household(org.grid1, 2), household(org.grid2, 5), enterprise(org.grid1)]
    rows = []
    for i, n in enumerate(EDGES):
        rows.append(visit_row(cadre=leader, target=homes[i % 3], when=at(day(n), 10), campaign=campaign_obj))
        # the same household again that day, in the other campaign: one household, one person count
        rows.append(visit_row(cadre=leader, target=homes[i % 3], when=at(day(n), 11), campaign=other))
    with time_machine.travel(at(day(9990), 12), tick=False):
        with rollups_deferred():
            Visit.objects.bulk_create(rows)
        rollup_range(date_from=day(9590), date_to=day(9990))
        assert TargetSpan.objects.filter(block=25).exclude(d3__gte=0).exists()  # bit 63 stored, negative
        ranges = [(9855, 9855), (9855, 9856), (9856, 9856), (9983, 9984), (9984, 9984), (9600, 9983),
                  (9000, 9990), (9592, 9600), (9857, 9982), (9791, 9791)]  # fmt: skip
        for first, last in ranges:
            for unit in (org.district, org.grid1, org.street2):
                for campaign in (None, other):
                    q = StatsQuery(unit=unit, date_from=day(first), date_to=day(last), campaign=campaign)
                    with CaptureQueriesContext(connection) as ctx:
                        figures = stats_summary(q)
                    assert not [x for x in ctx.captured_queries if "visittargetday" in x["sql"]]
                    expected = brute_summary(unit=unit, date_from=day(first), date_to=day(last), campaign=campaign)
                    assert figures.pop("updated_at")
                    assert figures.pop("help") == {}  # none recorded here (帮扶成效: test_help_stats.py)
                    assert figures == pytest.approx(expected), (first, last, unit.name, campaign)
        q = StatsQuery(unit=org.district, date_from=day(9853), date_to=day(9858))
        daily = {row["date"]: row for row in stats_daily(q)}
        assert daily[day(9855).isoformat()]["households_visited"] == 1  # twice that day, two campaigns: once
        assert daily[day(9855).isoformat()]["people_covered"] == 2
        assert daily[day(9856).isoformat()]["households_visited"] == 1
        assert daily[day(9856).isoformat()]["people_covered"] == 5


def test_day_number_counts_from_the_epoch():
    assert day_number(DAY_EPOCH) == 0
    assert day_number(dt.date(2026, 11, 25)) == 9825


@pytest.mark.django_db
def test_a_household_visited_in_two_units_counts_once_above_them(org, leader):
    # given: a household visited in grid1, then moved to grid2 and visited there (two span rows, one target)
    home = household(org.grid1, 3)
    with rollups_deferred():
        visit_row(cadre=leader, target=home, when=at(day(9855), 10)).save()
        home.unit = org.grid2
        home.save()
        visit_row(cadre=leader, target=home, when=at(day(9856), 10)).save()
    with time_machine.travel(at(day(9860), 12), tick=False):
        rollup_range(date_from=day(9855), date_to=day(9856))
        # then: marked as shared, and counted once by the district, once by each grid
        assert SharedTarget.objects.filter(target=home.pk * 2).exists()
        for unit, visited in ((org.district, 1), (org.grid1, 1), (org.grid2, 1), (org.street2, 1)):
            q = StatsQuery(unit=unit, date_from=day(9855), date_to=day(9856))
            assert stats_summary(q)["households_visited"] == visited, unit.name
        assert (
            stats_summary(StatsQuery(unit=org.district, date_from=day(9855), date_to=day(9856)))["people_covered"] == 3
        )
