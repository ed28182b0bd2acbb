"""Property: whatever visits and tickets exist, stats/summary, stats/daily and stats/ranking (from DailyRollup,
DayReach, TargetSpan and the nightly overdue snapshots) equal a brute force over raw rows, for any period and any
subtree, with visits in two campaigns or none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.models import Campaign
from dashboard.models import DailyRollup, DirtyDay, HelpRollup, OverdueSnapshot, VisitTargetDay
from dashboard.rollups import rollup_range
from dashboard.signals import rollups_deferred
from issues.models import Ticket, TicketHelp
from tests.dashboard.brute import brute_help, brute_overdue_at_end_of, brute_ranking, brute_summary
from tests.dashboard.conftest import at, enterprise, household, ticket_row, visit_row
from tests.factories import CampaignFactory
from visits.models import Visit

D0 = dt.date(2026, 3, 1)
DAYS = 6
STATUSES = ["reported", "dispatched", "accepted", "in_progress", "resolved", "closed", "cancelled"]
RATINGS = ["", "satisfied", "basically_satisfied", "unsatisfied", "unreachable"]

# (target, day, hour, campaign: 0 none, 1 the campaign asked about, 2 another one running at the same time)
visit_st = st.tuples(st.integers(0, 5), st.integers(0, DAYS - 1), st.integers(0, 23), st.integers(0, 2))
ticket_st = st.fixed_dictionaries(
    {
        "unit": st.integers(0, 3),
        "day": st.integers(0, DAYS - 1),
        "hour": st.integers(0, 23),
        "kind": st.sampled_from(["complaint", "request", "suggestion", "consultation"]),
        "status": st.sampled_from(STATUSES),
        "answered": st.sampled_from([None, "on_site", "direct"]),  # resolved at once: 现场解决, or 直办
        "accept_after_h": st.sampled_from([None, 1, 23, 25, 48]),
        "due_after_h": st.sampled_from([None, -30, 5, 30, 24 * 400, 24 * 4000]),  # the last two: still in time now
        "resolve_after_h": st.sampled_from([1, 40]),
        "rating": st.sampled_from(RATINGS),
        "category": st.sampled_from(["城市管理", "教育", ""]),
        "campaign": st.booleans(),
        "lead": st.integers(0, 2),  # none, dept1, dept2 (when dispatched)
        "taken": st.sampled_from([None, True, False]),  # the router's category kept at dispatch (None: none suggested)
        "link": st.sampled_from([None, "recurs", "merge"]),  # repeats / merged into the first ticket (a cancelled one)
        # 帮扶成效 recorded by a resolution (kept on a ticket reopened since, counted only while resolved or closed)
        "help": st.sampled_from([None, {"employed": 3}, {"employed": 1, "money": Decimal("2.5")}, {"projects": 0}]),
    }
)


def _ticket(spec: dict, units: list, campaign, departments: list) -> Ticket:
    created = at(D0 + dt.timedelta(days=spec["day"]), spec["hour"])
    fields: dict = {"kind": spec["kind"], "status": spec["status"], "category": spec["category"]}
    done = spec["status"] in ("resolved", "closed")
    fields["resolved_on_site"] = done and spec["answered"] == "on_site"
    fields["answered_directly"] = done and spec["answered"] == "direct"
    if spec["status"] != "reported" and not (fields["resolved_on_site"] or fields["answered_directly"]):
        fields["dispatched_at"] = created + dt.timedelta(hours=1)
        fields["lead_unit"] = departments[spec["lead"]]
        fields["suggestion_taken"] = spec["taken"]
        if spec["accept_after_h"] is not None and spec["status"] not in ("dispatched",):
            fields["accepted_at"] = fields["dispatched_at"] + dt.timedelta(hours=spec["accept_after_h"])
        if spec["due_after_h"] is not None:
            fields["due_at"] = created + dt.timedelta(hours=spec["due_after_h"])
    if spec["status"] in ("resolved", "closed"):
        fields["resolved_at"] = created + dt.timedelta(hours=spec["resolve_after_h"])
        fields["satisfaction"] = spec["rating"]
    return ticket_row(
        unit=units[spec["unit"]], created_at=created, campaign=campaign if spec["campaign"] else None, **fields
    )


def _fresh(campaign_obj) -> None:
    Ticket.objects.update(recurs=None, merge_into=None)  # (protected links to the previous example's tickets)
    for model in (Visit, Ticket, DailyRollup, VisitTargetDay, OverdueSnapshot, DirtyDay, HelpRollup):
        model.objects.all().delete()
    Campaign.objects.exclude(pk=campaign_obj.pk).delete()


def _record_help(specs: list, rows: list) -> None:
    """The 帮扶成效 amounts the specs' resolutions recorded (a reopened or open ticket keeps rows, uncounted)."""
    TicketHelp.objects.bulk_create(
        TicketHelp(ticket=row, district_id=row.district_id, key=key, amount=amount)
        for spec, row in zip(specs, rows, strict=True)
        for key, amount in (spec["help"] or {}).items()
    )


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    visits=st.lists(visit_st, max_size=25),
    tickets=st.lists(ticket_st, max_size=20),
    period=st.tuples(st.integers(0, DAYS - 1), st.integers(0, DAYS - 1)),
    subtree=st.sampled_from(["district", "street1", "street2", "community1", "grid1", "grid2"]),
    by_campaign=st.booleans(),
)
def test_summary_equals_brute_force(org, campaign_obj, leader, api, visits, tickets, period, subtree, by_campaign):
    # given: fresh raw rows (hypothesis reuses the function-scoped database between examples)
    _fresh(campaign_obj)
    grids = [org.grid1, org.grid2]
    targets = [household(grids[0], 2), household(grids[0], 5), household(grids[1], 1), enterprise(grids[0]),
               enterprise(grids[1]), household(grids[1], 4)]  # fmt: skip
    ticket_units = [org.grid1, org.grid2, org.community1, org.street2]
    campaigns = [None, campaign_obj, CampaignFactory(name="第二轮走访")]
    with rollups_deferred():
        Visit.objects.bulk_create(
            visit_row(
                cadre=leader,
                target=targets[t],
                when=at(D0 + dt.timedelta(days=d), h),
                campaign=campaigns[c],
            )
            for t, d, h, c in visits
        )
        rows = Ticket.objects.bulk_create(
            _ticket(spec, ticket_units, campaign_obj, [None, org.dept1, org.dept2]) for spec in tickets
        )
        for spec, row in list(zip(tickets, rows, strict=True))[1:]:
            if spec["link"] == "recurs":
                Ticket.objects.filter(pk=row.pk).update(recurs=rows[0])
            elif spec["link"] == "merge" and spec["status"] == "cancelled":
                Ticket.objects.filter(pk=row.pk).update(merge_into=rows[0])
        _record_help(tickets, rows)
    rollup_range(date_from=D0, date_to=D0 + dt.timedelta(days=DAYS - 1))
    date_from, date_to = D0 + dt.timedelta(days=min(period)), D0 + dt.timedelta(days=max(period))
    unit = getattr(org, subtree)
    params = {"unit": unit.pk, "date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    if by_campaign:
        params["campaign"] = campaign_obj.pk

    # when
    response = api.as_user(leader).get("/api/v1/stats/summary/", params)

    # then
    assert response.status_code == 200, response.content
    scope = campaign_obj if by_campaign else None
    expected = brute_summary(unit=unit, date_from=date_from, date_to=date_to, campaign=scope)
    figures = response.json()
    assert figures.pop("updated_at")  # the data's age: nothing pending here, so "now"
    assert figures.pop("help") == brute_help(unit=unit, date_from=date_from, date_to=date_to, campaign=scope)
    assert figures == pytest.approx(expected)
    daily = api.as_user(leader).get("/api/v1/stats/daily/", params)
    assert daily.status_code == 200, daily.content
    for row in daily.json()["results"]:
        day = dt.date.fromisoformat(row.pop("date"))
        assert row.pop("help") == brute_help(unit=unit, date_from=day, date_to=day, campaign=scope), day
        brute = brute_summary(unit=unit, date_from=day, date_to=day, campaign=scope)
        brute["overdue"] = brute_overdue_at_end_of(unit=unit, day=day, campaign=scope)  # every day here is past
        assert row == pytest.approx(brute), day
    for level in ("street", "community", "grid", "department"):
        ranking = api.as_user(leader).get("/api/v1/stats/ranking/", {**params, "parent": unit.pk, "level": level})
        assert ranking.status_code == 200, ranking.content
        brute_rows = brute_ranking(parent=unit, level=level, date_from=date_from, date_to=date_to, campaign=scope)
        rows = ranking.json()["results"]
        assert [r.pop("unit") for r in rows] == [r.pop("unit") for r in brute_rows], level  # order and flags too
        assert rows == [pytest.approx(r) for r in brute_rows], level
