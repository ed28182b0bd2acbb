"""帮扶成效 (issue 16 item 8): a resolution records amounts of its campaign's help counts — checked, stored once,
replaced by the next resolution, shown on the ticket."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from campaign.models.help_counts import help_counts_errors
from issues.models import TicketEvent, TicketHelp

pytestmark = pytest.mark.django_db


def _resolve(api: Any, user: Any, ticket: Any, **body: Any) -> Any:
    ticket.refresh_from_db()
    payload = {"version": ticket.version, "result": "已安置就业", **body}
    return api.as_user(user).post(f"/api/v1/tickets/{ticket.pk}/resolve/", payload, format="json")


def _stored(ticket: Any) -> dict[str, Decimal]:
    return dict(TicketHelp.objects.filter(ticket=ticket).values_list("key", "amount"))


# --- the campaign's counts --------------------------------------------------------------------------------------
def test_a_campaign_counts_employed_projects_and_money_by_default(campaign_obj):
    assert [c["key"] for c in campaign_obj.help_counts] == ["employed", "projects", "money"]
    campaign_obj.full_clean()


@pytest.mark.parametrize(
    "value",
    [
        {"employed": "人"},  # not a list
        [{"key": "Employed", "label": "用工"}],  # not a slug
        [{"key": "employed", "label": "用工"}, {"key": "employed", "label": "再次"}],  # twice
        [{"key": "employed", "label": ""}],  # no label
        [{"key": "employed", "label": "很长" * 11}],  # label too long
        [{"key": "employed", "label": "用\x00工"}],  # a control character
        [{"key": "money", "label": "资金", "decimals": 3}],
        [{"key": "money", "label": "资金", "decimals": True}],
        [{"key": "money", "label": "资金", "colour": "red"}],  # unknown setting
        [{"key": f"k{i}", "label": "项"} for i in range(11)],  # too many
        ["employed"],
    ],
)
def test_the_admin_refuses_counts_of_another_shape(campaign_obj, value):
    assert help_counts_errors(value)
    campaign_obj.help_counts = value
    with pytest.raises(ValidationError) as refused:
        campaign_obj.full_clean()
    assert "help_counts" in refused.value.message_dict


def test_an_empty_list_records_no_counts(campaign_obj):
    campaign_obj.help_counts = []
    campaign_obj.full_clean()


# --- the database holds the rows --------------------------------------------------------------------------------
def test_the_database_refuses_a_negative_amount_and_a_second_row_of_a_count(tickets):
    ticket = tickets.at("resolved")
    TicketHelp.objects.create(ticket=ticket, district_id=ticket.district_id, key="employed", amount=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketHelp.objects.create(ticket=ticket, district_id=ticket.district_id, key="employed", amount=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketHelp.objects.create(ticket=ticket, district_id=ticket.district_id, key="money", amount=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketHelp.objects.create(ticket=ticket, district_id=ticket.district_id, key="money", amount=2_000_000)


# --- resolve through the API -------------------------------------------------------------------------------------
def test_resolve_records_the_amounts_and_the_detail_shows_them(api, tickets, handler):
    ticket = tickets.at("in_progress")
    response = _resolve(api, handler, ticket, help={"employed": 3, "money": 12.5})
    assert response.status_code == 200, response.content
    assert _stored(ticket) == {"employed": Decimal("3.00"), "money": Decimal("12.50")}
    shown = {row["key"]: row for row in response.json()["help"]}
    assert shown["employed"] == {"key": "employed", "label": "解决用工", "unit": "人", "amount": 3}
    assert shown["money"]["amount"] == 12.5 and shown["money"]["unit"] == "万元"
    event = TicketEvent.objects.filter(ticket=ticket, action="resolve").get()
    assert event.payload["help"] == {"employed": 3, "money": 12.5}


def test_resolve_without_help_records_none(api, tickets, handler):
    ticket = tickets.at("in_progress")
    assert _resolve(api, handler, ticket).status_code == 200
    assert _stored(ticket) == {}
    assert api.as_user(handler).get(f"/api/v1/tickets/{ticket.pk}/").json()["help"] == []


HOSTILE = [
    ({"employed": -1}, "negative"),
    ({"employed": 1_000_001}, "too large"),
    ({"employed": 10**400}, "huge"),
    ({"money": 1e308}, "huge float"),
    ({"employed": "5"}, "a string"),
    ({"employed": True}, "a boolean"),
    ({"employed": None}, "null"),
    ({"employed": [1]}, "a list"),
    ({"employed": 1.5}, "a fraction of a person"),
    ({"money": 1.005}, "three decimals"),
    ({"volunteers": 2}, "a key the campaign does not count"),
    ({"employed": 2, "volunteers": 2}, "one bad key spoils the whole body"),
    ([3], "not an object"),
    ("3", "a text"),
    ({"empl\x00oyed": 1}, "a control character in a key"),
]


@pytest.mark.parametrize(("help_body", "why"), HOSTILE)
def test_hostile_amounts_answer_400_and_nothing_changes(api, tickets, handler, help_body, why):
    ticket = tickets.at("in_progress")
    version = ticket.version
    response = _resolve(api, handler, ticket, help=help_body)
    assert response.status_code == 400, why
    assert "help" in response.json(), why
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version, _stored(ticket)) == ("in_progress", version, {}), why


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals_are_refused_before_the_machine(api, tickets, handler, literal):
    ticket = tickets.at("in_progress")
    body = f'{{"version": {ticket.version}, "result": "已办", "help": {{"employed": {literal}}}}}'
    client = api.as_user(handler)
    response = client.post(f"/api/v1/tickets/{ticket.pk}/resolve/", body, content_type="application/json")
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and _stored(ticket) == {}


def test_a_campaigns_own_counts_are_the_ones_accepted(api, tickets, handler, campaign_obj):
    campaign_obj.help_counts = [{"key": "families", "label": "帮扶家庭", "unit": "户"}]
    campaign_obj.save()
    ticket = tickets.at("in_progress")
    assert ticket.campaign_id == campaign_obj.pk
    assert _resolve(api, handler, ticket, help={"employed": 1}).status_code == 400
    assert _resolve(api, handler, ticket, help={"families": 4}).status_code == 200
    assert _stored(ticket) == {"families": Decimal("4.00")}


def test_a_reopened_ticket_resolved_again_replaces_its_amounts(api, tickets, handler, dispatcher):
    ticket = tickets.at("in_progress")
    assert _resolve(api, handler, ticket, help={"employed": 3, "projects": 1}).status_code == 200
    tickets.act(ticket, "callback", dispatcher, rating="unsatisfied", note="未落实")
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.reopen_count == 1
    assert _resolve(api, handler, ticket, help={"employed": 5}).status_code == 200
    assert _stored(ticket) == {"employed": Decimal("5.00")}  # replaced, not added: projects dropped, employed 5


def test_a_retried_resolve_is_refused_and_records_nothing_twice(api, tickets, handler):
    ticket = tickets.at("in_progress")
    version = ticket.version
    body = {"version": version, "result": "已办", "help": {"employed": 3}}
    client = api.as_user(handler)
    assert client.post(f"/api/v1/tickets/{ticket.pk}/resolve/", body, format="json").status_code == 200
    assert client.post(f"/api/v1/tickets/{ticket.pk}/resolve/", body, format="json").status_code == 409
    assert _stored(ticket) == {"employed": Decimal("3.00")}


def test_out_of_scope_is_404_and_nothing_stored(api, tickets, handler2, cadre2):
    ticket = tickets.at("in_progress")
    for outsider in (handler2, cadre2):  # another department's handler, a cadre of another street
        assert _resolve(api, outsider, ticket, help={"employed": 3}).status_code == 404
        assert _resolve(api, outsider, ticket, help={"employed": -1}).status_code == 404  # scope before fields
    assert _stored(ticket) == {}


def test_a_role_that_may_not_resolve_is_403_before_the_amounts_are_read(api, tickets, dispatcher):
    ticket = tickets.at("in_progress")
    assert _resolve(api, dispatcher, ticket, help={"employed": -1}).status_code == 403
    assert _stored(ticket) == {}


# --- the ticket page -------------------------------------------------------------------------------------------
def test_the_page_form_records_the_amounts_and_the_page_shows_them(web, tickets, handler):
    ticket = tickets.at("in_progress")
    page = web(handler).get(f"/tickets/{ticket.pk}/")
    html = page.content.decode()
    assert 'name="help_employed"' in html and 'name="help_money"' in html
    body = {"version": ticket.version, "result": "已安置", "help_employed": "79", "help_money": "150.25"}
    response = web(handler).post(f"/tickets/{ticket.pk}/act/resolve/", body)
    assert response.status_code == 302
    assert _stored(ticket) == {"employed": Decimal("79.00"), "money": Decimal("150.25")}
    html = web(handler).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="help-figures"' in html
    assert 'data-help="employed" data-amount="79"' in html and 'data-help="money" data-amount="150.25"' in html


@pytest.mark.parametrize(("field", "value"), [("help_employed", "abc"), ("help_employed", "-3"), ("help_money", "NaN")])
def test_a_bad_amount_on_the_page_shows_why_and_stores_nothing(web, tickets, handler, field, value):
    ticket = tickets.at("in_progress")
    body = {"version": ticket.version, "result": "已安置", field: value}
    response = web(handler).post(f"/tickets/{ticket.pk}/act/resolve/", body)
    assert response.status_code == 400
    assert "解决用工" in response.content.decode() or "帮扶资金" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and _stored(ticket) == {}


def test_the_form_of_a_reopened_ticket_is_prefilled_with_the_previous_amounts(api, web, tickets, handler, dispatcher):
    ticket = tickets.at("in_progress")
    assert _resolve(api, handler, ticket, help={"employed": 3, "money": 1.5}).status_code == 200
    tickets.act(ticket, "callback", dispatcher, rating="unsatisfied", note="未落实")
    html = web(handler).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="help_employed"' in html and 'value="3"' in html and 'value="1.5"' in html


def test_the_ticket_ledger_names_the_amounts(api, tickets, handler, dispatcher):
    helped, plain = tickets.at("in_progress"), tickets.at("in_progress")
    assert _resolve(api, handler, helped, help={"employed": 2, "money": 1.5}).status_code == 200
    assert _resolve(api, handler, plain).status_code == 200
    response = api.as_user(dispatcher).get("/api/v1/tickets/export.xlsx", {"status": "resolved"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    column = rows[0].index("帮扶成效")
    cells = {row[0]: row[column] for row in rows[1:]}
    helped.refresh_from_db()
    plain.refresh_from_db()
    assert cells[helped.code] == "解决用工 2人；帮扶资金 1.5万元"
    assert cells[plain.code] in ("", None)


# --- the other resolutions: 现场解决 and 直办 record help too --------------------------------------------------------
def test_a_cadre_resolving_on_site_records_the_amounts(api, tickets, cadre):
    ticket = tickets.reported()
    ticket.refresh_from_db()
    body = {"version": ticket.version, "result": "现场对接用工需求", "help": {"employed": 2}}
    response = api.as_user(cadre).post(f"/api/v1/tickets/{ticket.pk}/resolve_on_site/", body, format="json")
    assert response.status_code == 200, response.content
    assert _stored(ticket) == {"employed": Decimal(2)}
    assert TicketEvent.objects.filter(ticket=ticket).latest("at").payload["help"] == {"employed": 2}


def test_a_dispatcher_answering_directly_records_the_amounts_and_bad_ones_change_nothing(api, tickets, dispatcher):
    from issues.services import ticket_create

    ticket = ticket_create(
        actor=dispatcher, source="hotline", kind="consultation", category="城市管理", description="咨询创业补贴",
        lat=34.19, lng=108.88, requester_phone="13900005678",
    )  # fmt: skip
    url = f"/api/v1/tickets/{ticket.pk}/answer_directly/"
    bad = {"version": ticket.version, "result": "解释了创业补贴政策", "help": {"projects": -1}}
    assert api.as_user(dispatcher).post(url, bad, format="json").status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "reported" and _stored(ticket) == {}
    good = {**bad, "help": {"projects": 1, "money": 0.5}}
    assert api.as_user(dispatcher).post(url, good, format="json").status_code == 200
    assert _stored(ticket) == {"projects": Decimal(1), "money": Decimal("0.5")}


def test_the_ticket_pages_forms_of_both_offer_the_counts(web, tickets, cadre):
    ticket = tickets.reported()
    page = web(cadre).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="help_employed"' in page and 'name="help_money"' in page
