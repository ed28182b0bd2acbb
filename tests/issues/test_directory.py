"""The dispatch directory (issue 15 item 1): the most specific row wins, the dispatch form is pre-filled from it, a
dispatch records the row whose unit it took, and a "not our duty" return counts against that row."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction

from campaign.days import today
from campaign.errors import Invalid
from campaign.models import Category, OrgUnit, UnitKind
from dashboard.page_data import Period, categories
from dashboard.rollups import rollup_range
from issues.directory import matching_rows, proposal_for
from issues.forms import DispatchForm
from issues.models import DirectoryRow, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def cat(code: str) -> Category:
    return Category.objects.get(code=code)


def row(category: Category, lead_unit: OrgUnit, area: OrgUnit | None = None, **fields) -> DirectoryRow:
    return DirectoryRow.objects.create(category=category, area=area, lead_unit=lead_unit, **fields)


@pytest.fixture
def street_light(org) -> Category:
    return Category.objects.create(code="street_light", name="路灯不亮", parent=cat("traffic"))


def test_the_most_specific_row_wins(org, street_light):
    everywhere = row(cat("traffic"), org.dept1)
    in_street = row(cat("traffic"), org.dept2, area=org.street1)
    in_community = row(cat("traffic"), org.dept1, area=org.community1, mode="public")
    # a grid of street 1: the community's row (deepest area) before the street's, before everywhere
    assert [r.pk for r in matching_rows("道路交通", org.grid1)] == [in_community.pk, in_street.pk, everywhere.pk]
    # street 2 has no row of its own: everywhere
    assert proposal_for("道路交通", org.grid2).row_id == everywhere.pk
    # a sub-item: its parent's rows answer until a row names the sub-item, which then wins even from everywhere
    assert proposal_for("路灯不亮", org.grid1).row_id == in_community.pk
    exact = row(street_light, org.dept2)
    assert proposal_for("路灯不亮", org.grid1).row_id == exact.pk
    proposal = proposal_for("道路交通", org.grid1)
    assert (proposal.lead_unit_id, proposal.mode) == (org.dept1.pk, "public")


def test_inactive_rows_other_categories_and_other_districts_never_match(org):
    row(cat("traffic"), org.dept1, active=False)
    row(cat("education"), org.dept1)
    other_district = OrgUnit.objects.create(name="雁塔区", kind=UnitKind.DISTRICT, code="YT")
    other_dept = OrgUnit.objects.create(name="雁塔城管局", kind=UnitKind.DEPARTMENT, parent=other_district)
    row(cat("housing"), other_dept)  # everywhere, but its unit is another district's
    assert proposal_for("道路交通", org.grid1) is None
    assert proposal_for("住房物业", org.grid1) is None
    assert proposal_for("没有这个类别", org.grid1) is None and proposal_for("", org.grid1) is None


def test_one_row_per_category_and_area(org):
    row(cat("traffic"), org.dept1)
    row(cat("traffic"), org.dept1, area=org.street1)
    for area in (None, org.street1):
        with pytest.raises(IntegrityError), transaction.atomic():
            row(cat("traffic"), org.dept2, area=area)


def test_the_dispatch_form_is_pre_filled_from_the_directory(tickets, dispatcher, org):
    chosen = row(cat("urban"), org.dept2, area=org.street1, mode="coordinated")
    chosen.co_units.set([org.dept1])
    ticket = tickets.reported()
    form = DispatchForm(None, ticket=ticket, user=dispatcher, action="dispatch")
    assert form.initial["lead_unit"] == org.dept2.pk
    assert form.initial["mode"] == "coordinated" and form.initial["co_units"] == [str(org.dept1.pk)]
    assert "人社局" in str(form.fields["lead_unit"].help_text)


def test_a_not_our_duty_return_counts_against_the_row_that_chose_the_unit(tickets, dispatcher, handler, org):
    chosen = row(cat("urban"), org.dept1)
    ticket = tickets.at("dispatched")  # dispatched to dept1: the row's unit
    dispatched = TicketEvent.objects.get(ticket=ticket, action="dispatch")
    assert dispatched.payload["directory_row"] == chosen.pk
    tickets.act(ticket, "return", handler, reason="不归我们管", reason_code="not_our_duty")
    chosen.refresh_from_db()
    assert chosen.not_our_duty_returns == 1 and chosen.last_returned_at is not None
    returned = TicketEvent.objects.get(ticket=ticket, action="return")
    assert returned.payload["reason_code"] == "not_our_duty" and returned.payload["directory_row"] == chosen.pk


def test_other_returns_and_units_the_dispatcher_chose_do_not_count(tickets, handler, handler2, org):
    chosen = row(cat("urban"), org.dept2)  # the directory says dept2; the dispatcher sends it to dept1
    ticket = tickets.at("dispatched")
    assert "directory_row" not in TicketEvent.objects.get(ticket=ticket, action="dispatch").payload
    tickets.act(ticket, "return", handler, reason="不归我们管", reason_code="not_our_duty")
    second = tickets.at("dispatched", lead_unit=org.dept2.pk)
    tickets.act(second, "return", handler2, reason="地址不对", reason_code="wrong_place")
    third = tickets.at("dispatched", lead_unit=org.dept2.pk)
    tickets.act(third, "return", handler2, reason="说不清")  # no code: other
    chosen.refresh_from_db()
    assert chosen.not_our_duty_returns == 0
    assert TicketEvent.objects.filter(action="return", payload__reason_code="other").count() == 1


@pytest.mark.parametrize("code", ["nope", "NOT_OUR_DUTY", "not_our_duty\x00", ["not_our_duty"], 3])
def test_an_unknown_reason_code_is_refused_and_changes_nothing(tickets, handler, org, code):
    chosen = row(cat("urban"), org.dept1)
    ticket = tickets.at("dispatched")
    with pytest.raises(Invalid) as caught:
        tickets.act(ticket, "return", handler, reason="不归我们管", reason_code=code)
    assert "reason_code" in caught.value.detail
    ticket.refresh_from_db()
    chosen.refresh_from_db()
    assert ticket.status == "dispatched" and chosen.not_our_duty_returns == 0
    assert not TicketEvent.objects.filter(ticket=ticket, action="return").exists()


def test_the_api_and_the_page_take_the_reason_code(tickets, handler, org, api, web):
    chosen = row(cat("urban"), org.dept1)
    ticket = tickets.at("dispatched")
    url = f"/api/v1/tickets/{ticket.pk}/return/"
    bad = api.as_user(handler).post(
        url, {"version": ticket.version, "reason": "x", "reason_code": "nah"}, format="json"
    )
    assert bad.status_code == 400 and "reason_code" in bad.json()
    body = {"version": ticket.version, "reason": "不归我们管", "reason_code": "not_our_duty"}
    assert api.as_user(handler).post(url, body, format="json").status_code == 200
    second = tickets.at("dispatched")
    page = web(handler).post(
        f"/tickets/{second.pk}/act/return/",
        {"version": second.version, "reason": "不归我们管", "reason_code": "not_our_duty"},
    )
    assert page.status_code == 302
    chosen.refresh_from_db()
    assert chosen.not_our_duty_returns == 2


def test_the_dispatcher_confirms_or_changes_the_category_and_the_suggestion_is_recorded(tickets, dispatcher, org):
    ticket = tickets.reported(description="小区门口有人占道经营，影响通行", category="")
    done = tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body(category="城市管理"))
    assert done.category == "城市管理"
    payload = TicketEvent.objects.get(ticket=ticket, action="dispatch").payload
    # no model trained: the keyword list suggests 城市管理 for 占道经营, and the dispatcher kept it
    assert payload["category"] == "城市管理" and payload["suggested_category"] == "城市管理"
    assert payload["suggestion_taken"] is True
    other = tickets.reported(description="小区门口有人占道经营，影响通行")
    tickets.act(other, "dispatch", dispatcher, **tickets.dispatch_body(category="教育"))
    changed = TicketEvent.objects.get(ticket=other, action="dispatch").payload
    assert changed["category"] == "教育" and changed["suggestion_taken"] is False
    assert [done.suggestion_taken, Ticket.objects.get(pk=other.pk).suggestion_taken] == [True, False]


def test_the_acceptance_rate_per_category_comes_through_the_statistics(tickets, dispatcher, leader, org, api, web):
    kept = tickets.reported(description="小区门口有人占道经营，影响通行", category="")
    tickets.act(kept, "dispatch", dispatcher, **tickets.dispatch_body(category="城市管理"))
    changed = tickets.reported(description="小区门口有人占道经营，影响通行")
    tickets.act(changed, "dispatch", dispatcher, **tickets.dispatch_body(category="教育"))
    tickets.reported(description="小区门口有人占道经营，影响通行")  # not dispatched: no acceptance either way
    day = today()
    rollup_range(date_from=day, date_to=day)
    summary = api.as_user(leader).get("/api/v1/stats/summary/", {"unit": org.district.pk}).json()
    assert summary["acceptance_rate"] == pytest.approx(0.5)
    by_category = {c["category"]: c["acceptance"] for c in categories(org.district, Period("7d", day, day))}
    assert by_category == {"城市管理": 1.0, "教育": 0.0}
    page = web(leader).get("/dashboard/", {"period": "today"}).content.decode()
    row = re.search(r'<tr data-category="城市管理".*?</tr>', page, re.S)
    assert "建议类别采纳率" in page and row is not None and "100.0%" in row.group(0)


@pytest.mark.parametrize("category", ["别的", "x\x00", ["城市管理"]])
def test_a_category_outside_the_campaign_is_refused_at_dispatch(tickets, dispatcher, campaign_obj, category):
    campaign_obj.categories.set(Category.objects.filter(code__in=["urban", "traffic"]))
    ticket = tickets.reported()
    with pytest.raises(Invalid) as caught:
        tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body(category=category))
    assert "category" in caught.value.detail
    ticket.refresh_from_db()
    assert ticket.status == "reported" and ticket.category == "城市管理"
