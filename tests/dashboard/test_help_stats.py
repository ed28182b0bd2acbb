"""帮扶成效 (issue 16 item 8) in the statistics: the amounts resolutions recorded, summed through the rollups into
stats/summary's `help`, the dashboard's card and its workbook — equal to a brute force over the raw rows."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook

from campaign.models import Campaign
from dashboard.models import DirtyDay, HelpRollup
from dashboard.periods import periods_refresh
from dashboard.rollups import rollup_dirty, rollup_range
from dashboard.signals import rollups_deferred
from issues.machine import ticket_apply
from issues.models import Ticket, TicketHelp
from issues.services import ticket_create
from tests.dashboard.brute import brute_help
from tests.dashboard.conftest import at, ticket_row
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(at(TODAY, 15), tick=False):
        yield


def _helped(unit: Any, day: dt.date, status: str, amounts: dict[str, Any], campaign: Any = None) -> Ticket:
    extra = {"resolved_at": at(day, 12)} if status in ("resolved", "closed") else {}
    with rollups_deferred():
        (ticket,) = Ticket.objects.bulk_create([ticket_row(unit=unit, created_at=at(day, 9), campaign=campaign,
                                                            status=status, **extra)])  # fmt: skip
        TicketHelp.objects.bulk_create(
            TicketHelp(ticket=ticket, district_id=ticket.district_id, key=k, amount=Decimal(str(v)))
            for k, v in amounts.items()
        )
    return ticket


@pytest.fixture
def helped(org, campaign_obj):
    """Resolutions in both streets over the last days: the published kind of figures (用工、项目、资金)."""
    _helped(org.grid1, TODAY, "resolved", {"employed": 40, "money": "100.25"}, campaign_obj)
    _helped(org.grid1, TODAY - dt.timedelta(days=2), "closed", {"employed": 39, "projects": 57})
    _helped(org.grid2, TODAY - dt.timedelta(days=3), "closed", {"money": "49.75"}, campaign_obj)
    _helped(org.grid2, TODAY - dt.timedelta(days=1), "in_progress", {"employed": 1000})  # reopened: not counted
    _helped(org.grid2, TODAY - dt.timedelta(days=40), "closed", {"employed": 7})  # before the period
    rollup_range(date_from=TODAY - dt.timedelta(days=45), date_to=TODAY)
    return org


def _summary(api: Any, user: Any, **params: Any) -> dict[str, Any]:
    params.setdefault("date_from", (TODAY - dt.timedelta(days=29)).isoformat())
    params.setdefault("date_to", TODAY.isoformat())
    response = api.as_user(user).get("/api/v1/stats/summary/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_summary_sums_the_help_of_resolved_and_closed_tickets(helped, api, leader):
    assert _summary(api, leader)["help"] == {"employed": 79, "projects": 57, "money": 150}


@pytest.mark.parametrize("subtree", ["district", "street1", "street2", "grid1", "community2"])
@pytest.mark.parametrize("days", [(0, 0), (3, 0), (2, 1), (45, 0)])
@pytest.mark.parametrize("by_campaign", [False, True])
def test_summary_help_equals_brute_force(helped, api, leader, campaign_obj, subtree, days, by_campaign):
    unit = getattr(helped, subtree)
    date_from, date_to = TODAY - dt.timedelta(days=days[0]), TODAY - dt.timedelta(days=days[1])
    params: dict[str, Any] = {"unit": unit.pk, "date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    if by_campaign:
        params["campaign"] = campaign_obj.pk
    scope = campaign_obj if by_campaign else None
    expected = brute_help(unit=unit, date_from=date_from, date_to=date_to, campaign=scope)
    assert _summary(api, leader, **params)["help"] == expected


@pytest.mark.parametrize("back", [6, 8])  # the last 7 days (a usual period: its cache row) and a custom range
def test_daily_rows_carry_each_days_help_as_the_brute_force(helped, api, leader, back):
    periods_refresh(everything=True)
    params = {"date_from": (TODAY - dt.timedelta(days=back)).isoformat(), "date_to": TODAY.isoformat()}
    rows = api.as_user(leader).get("/api/v1/stats/daily/", params).json()["results"]
    assert len(rows) == back + 1
    for row in rows:
        day = dt.date.fromisoformat(row["date"])
        assert row["help"] == brute_help(unit=helped.district, date_from=day, date_to=day), day
    assert rows[-1]["help"] == {"employed": 40, "money": 100.25}


def test_a_usual_periods_cache_row_holds_the_same_help(helped, api, leader):
    periods_refresh(everything=True)
    cached = _summary(api, leader, unit=helped.district.pk)  # the last 30 days: a usual period, from its row
    HelpRollup.objects.filter(key="projects").delete()  # the row answers, not the rollups
    assert _summary(api, leader, unit=helped.district.pk)["help"] == cached["help"] == {
        "employed": 79, "projects": 57, "money": 150,
    }  # fmt: skip
    # a custom period is read from the rollups: the deleted rows are gone there
    live = _summary(api, leader, unit=helped.district.pk, date_from=(TODAY - dt.timedelta(days=28)).isoformat())
    assert live["help"] == {"employed": 79, "money": 150}


def test_the_rollups_are_flat_rows_per_unit_day_and_key(helped):
    rows = HelpRollup.objects.filter(day=TODAY - dt.timedelta(days=2)).values_list("unit_id", "key", "amount")
    assert sorted(rows) == [
        (helped.grid1.pk, "employed", Decimal("39.00")),
        (helped.grid1.pk, "projects", Decimal("57.00")),
    ]
    before = sorted(HelpRollup.objects.values_list("day", "unit_id", "campaign_id", "key", "amount", "tickets"))
    rollup_range(date_from=TODAY - dt.timedelta(days=45), date_to=TODAY)  # recompute-and-upsert: the same rows
    assert sorted(HelpRollup.objects.values_list("day", "unit_id", "campaign_id", "key", "amount", "tickets")) == before


def test_resolving_marks_the_day_dirty_and_the_sweep_counts_the_help(
    org, campaign_obj, api, leader, dispatcher, handler
):
    ticket = ticket_create(actor=dispatcher, source="hotline", kind="request", category="社会保障",
                           description="求职登记，希望推荐岗位", lat=34.19, lng=108.88)  # fmt: skip
    version = {"v": ticket.version}

    def live() -> dict[str, Any]:  # a period that is no usual one: read from the rollups, not a cache row
        return _summary(api, leader, date_from=(TODAY - dt.timedelta(days=3)).isoformat())["help"]

    def act(action: str, actor: Any, **data: Any) -> None:
        done = ticket_apply(ticket_id=ticket.pk, action=action, actor=actor, version=version["v"], data=data)
        version["v"] = done.version

    act("dispatch", dispatcher, mode="immediate", problem="就业", lead_unit=org.dept1.pk, responsible_person="李",
        measures="推荐岗位", expected_effect="就业")  # fmt: skip
    act("accept", handler)
    rollup_dirty()
    assert live() == {}
    act("resolve", handler, result="已推荐上岗", help={"employed": 2, "money": 0.5})
    assert DirtyDay.objects.filter(day=TODAY, unit_id=ticket.unit_id).exists()
    rollup_dirty()
    assert live() == {"employed": 2, "money": 0.5}
    act("callback", dispatcher, rating="unsatisfied", note="岗位不合适")  # reopened: no longer counted
    rollup_dirty()
    assert live() == {}
    act("resolve", handler, result="重新推荐上岗", help={"employed": 1})  # replaced, not added
    rollup_dirty()
    assert live() == {"employed": 1}


# --- the dashboard page and its workbook ----------------------------------------------------------------------------
def test_the_dashboard_shows_the_help_card_with_the_sums(helped, client, leader):
    client.force_login(leader)
    html = client.get("/dashboard/", {"period": "30d"}).content.decode()
    assert 'id="help-given"' in html and "帮扶成效" in html
    values = dict(re.findall(r'data-help="(help_\w+)" data-value="([^"]*)"', html))
    assert values == {"help_employed": "79", "help_projects": "57", "help_money": "150"}
    assert "解决用工（人）" in html and "帮扶资金（万元）" in html
    assert 'data-figure="help_' not in html  # not among the headline cards


def test_the_card_lists_the_campaigns_own_counts_and_any_other_recorded(helped, client, leader, campaign_obj):
    campaign_obj.help_counts = [{"key": "families", "label": "帮扶家庭", "unit": "户"}]
    campaign_obj.save()
    client.force_login(leader)
    html = client.get("/dashboard/", {"period": "30d"}).content.decode()
    values = dict(re.findall(r'data-help="(help_\w+)" data-value="([^"]*)"', html))
    assert values == {"help_families": "0", "help_employed": "79", "help_money": "150", "help_projects": "57"}
    assert "帮扶家庭（户）" in html


def test_the_workbook_holds_the_help_sums(helped, client, leader, api):
    client.force_login(leader)
    response = client.get("/dashboard/export.xlsx", {"period": "7d"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book["指标"].iter_rows(values_only=True))
    by_label = {r[0]: r for r in rows if r and r[0]}
    now = _summary(api, leader, date_from=(TODAY - dt.timedelta(days=6)).isoformat())["help"]
    assert by_label["解决用工（人）"][1] == now["employed"] == 79
    assert by_label["申报项目（项）"][1] == now["projects"] == 57
    assert by_label["帮扶资金（万元）"][1] == pytest.approx(now["money"]) == 150


def test_the_page_needs_no_more_queries_with_help_recorded(org, cadre, leader, client, django_assert_max_num_queries):
    client.force_login(leader)
    rollup_range(date_from=TODAY - dt.timedelta(days=40), date_to=TODAY)
    with django_assert_max_num_queries(32) as without:
        assert client.get("/dashboard/", {"period": "30d"}).status_code == 200
    for i in range(6):
        _helped(org.grid1 if i % 2 else org.grid2, TODAY - dt.timedelta(days=i), "closed", {"employed": i, "money": 1})
    Campaign.objects.create(name="第二轮", start_date=TODAY - dt.timedelta(days=10), end_date=TODAY).units.add(
        org.street1
    )
    rollup_range(date_from=TODAY - dt.timedelta(days=40), date_to=TODAY)
    with django_assert_max_num_queries(len(without.captured_queries)):
        assert client.get("/dashboard/", {"period": "30d"}).status_code == 200


def test_summary_queries_stay_flat_as_help_grows(org, api, leader, django_assert_max_num_queries):
    params = {"unit": org.street1.pk, "date_from": "2026-03-01", "date_to": TODAY.isoformat()}  # not a usual period
    client = api.as_user(leader)
    with django_assert_max_num_queries(20) as few:
        assert client.get("/api/v1/stats/summary/", params).status_code == 200
    for i in range(10):
        _helped(org.grid1, TODAY - dt.timedelta(days=i), "closed", {"employed": i, "projects": 1, "money": "0.5"},
                CampaignFactory() if i % 3 == 0 else None)  # fmt: skip
    rollup_range(date_from=TODAY - dt.timedelta(days=12), date_to=TODAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/stats/summary/", params)
    assert response.json()["help"] == {"employed": 45, "projects": 10, "money": 5}
