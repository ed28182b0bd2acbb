"""The public lookup (SPEC §8): code + last 4 phone digits, no login, rate limited, nothing personal shown."""

import pytest

from issues.lookup import LOOKUPS_PER_MINUTE
from issues.services import ticket_create
from tests.factories import HouseholdFactory


@pytest.fixture
def ticket(tickets):
    return tickets.reported(requester_name="王小明", requester_phone="13912345678")


def lookup(client, code, last4, ip="10.0.0.1"):
    return client.post("/lookup/", {"code": code, "last4": last4}, REMOTE_ADDR=ip)


def test_resident_sees_progress_with_code_and_last_four_digits(client, ticket):
    response = lookup(client, ticket.code, "5678")

    html = response.content.decode()
    assert response.status_code == 200
    assert ticket.code in html and "待派单" in html and "登记" in html
    assert "王小明" not in html and "1391234" not in html  # nothing personal
    assert "占道经营" not in html  # nor the description, which may name people


def test_code_is_case_insensitive(client, ticket):
    assert 'id="lookup-result"' in lookup(client, ticket.code.lower(), "5678").content.decode()


@pytest.mark.parametrize("last4", ["0000", "567", "abcd", ""])
def test_wrong_digits_answer_like_an_unknown_code(client, ticket, last4):
    wrong = lookup(client, ticket.code, last4).content.decode()
    unknown = lookup(client, "GX-20990101-999999", "5678").content.decode()

    assert 'id="lookup-result"' not in wrong
    assert "未找到匹配的工单" in wrong and "未找到匹配的工单" in unknown


def test_household_requester_phone_matches(client, org, cadre, campaign_obj):
    home = HouseholdFactory(unit=org.grid1, phone="13700004321")
    ticket = ticket_create(
        actor=cadre,
        source="self_found",
        kind="request",
        category="城市管理",
        description="路灯不亮",
        lat=34.19,
        lng=108.88,
        requester_household=home.pk,
    )

    assert 'id="lookup-result"' in lookup(client, ticket.code, "4321").content.decode()


def test_lookups_are_rate_limited_per_address(client, ticket):
    for _ in range(LOOKUPS_PER_MINUTE):
        assert lookup(client, ticket.code, "0000").status_code == 200

    assert lookup(client, ticket.code, "5678").status_code == 429
    assert lookup(client, ticket.code, "5678", ip="10.0.0.2").status_code == 200


def test_public_notices_of_public_tickets_are_listed(client, tickets, dispatcher, handler):
    ticket = tickets.reported()
    tickets.act(ticket, "dispatch", dispatcher, **tickets.dispatch_body("public"))
    tickets.act(ticket, "accept", handler)
    tickets.act(ticket, "resolve", handler, result="已公示", public_notice="小区停车位改造方案已公示，欢迎监督。")

    html = client.get("/lookup/").content.decode()

    assert "小区停车位改造方案已公示" in html


def test_page_has_no_inline_script_or_style(client, ticket):
    html = lookup(client, ticket.code, "5678").content.decode()

    assert "<script>" not in html and 'style="' not in html
