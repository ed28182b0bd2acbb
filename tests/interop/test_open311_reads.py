"""Open311 GeoReport v2 reads (issue 17 item 1): services (public), requests and requests/{id} with a partner's key,
in JSON and XML; the spec's filters; the spec's 403 error list for a missing or bad key; the district as scope; and
nothing personal in any answer."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from issues.models import Ticket
from tests.interop.open311_fixtures import (  # noqa: F401  fixtures
    KEY,
    OTHER_KEY,
    REQUESTER_NAME,
    REQUESTER_PHONE,
    elsewhere_fixture,
    fast_password_hashing_fixture,
    partner_fixture,
    personal_ticket_fixture,
    tickets_fixture,
)

BASE = "/open311/v2"
pytestmark = pytest.mark.django_db


def get(client, path: str, **params):
    return client.get(f"{BASE}/{path}", params)


def xml_of(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


# --- services (public) ---------------------------------------------------------------------------------------
def test_services_list_the_active_categories_in_json_and_xml(client, org):
    response = get(client, "services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = {s["service_code"]: s for s in response.json()}
    assert services["traffic"] == {
        "service_code": "traffic",
        "service_name": "道路交通",
        "description": "道路交通",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "道路交通",
    }
    root = xml_of(get(client, "services.xml"))
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert codes == list(services)
    assert root.find("service/metadata").text == "true"


def test_service_definition_offers_the_kind_of_matter(client, org):
    definition = get(client, "services/traffic.json").json()
    assert definition["service_code"] == "traffic"
    [kind] = definition["attributes"]
    assert (kind["code"], kind["datatype"], kind["required"]) == ("kind", "singlevaluelist", False)
    assert [v["key"] for v in kind["values"]] == ["complaint", "request", "suggestion", "consultation"]
    root = xml_of(get(client, "services/traffic.xml"))
    assert root.tag == "service_definition"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")][:2] == [
        "complaint",
        "request",
    ]


def test_unknown_service_is_the_spec_404_list(client, org):
    response = get(client, "services/no-such-thing.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service_code: no service no-such-thing"}]
    root = xml_of(get(client, "services/no-such-thing.xml"))
    assert root.tag == "errors" and root.findtext("error/code") == "404"


# --- the key ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["requests.json", "requests/GX-20260101-000001.json"])
@pytest.mark.parametrize("key", [None, "", "wrong-key", "x" * 300])
def test_missing_or_bad_key_is_the_spec_403_list(client, partner, path, key):
    params = {} if key is None else {"api_key": key}
    response = get(client, path, **params)
    assert response.status_code == 403
    [error] = response.json()
    assert error["code"] == 403 and error["description"].startswith("api_key: ")


def test_bad_key_in_xml_is_an_errors_document(client, partner):
    response = get(client, "requests.xml", api_key="wrong")
    assert response.status_code == 403
    root = xml_of(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "403"
    assert root.findtext("error/description") == "api_key: not a valid key"


def test_a_disabled_partner_key_is_refused(client, partner):
    partner.is_active = False
    partner.save()
    assert get(client, "requests.json", api_key=KEY).status_code == 403


# --- requests --------------------------------------------------------------------------------------------------
def test_requests_answer_the_spec_fields_without_personal_data(client, partner, personal_ticket):
    response = get(client, "requests.json", api_key=KEY)
    assert response.status_code == 200
    [row] = response.json()
    assert set(row) == {
        "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
        "address", "address_id", "zipcode", "lat", "long", "media_url",
    }  # fmt: skip
    assert row["service_request_id"] == personal_ticket.code
    assert (row["status"], row["status_notes"]) == ("open", "待派单")
    assert (row["service_name"], row["service_code"]) == ("城市管理", "urban")
    assert row["description"] == ""  # not the partner's own words: may name people
    assert (row["lat"], row["long"]) == (34.19, 108.88)
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"] is None
    for body in (response.content, get(client, "requests.xml", api_key=KEY).content):
        text = body.decode()
        assert REQUESTER_NAME not in text and REQUESTER_PHONE not in text and "欧阳" not in text


def test_a_resolved_request_is_closed_with_its_public_reply(client, partner, tickets):
    ticket = tickets.at("in_progress")
    tickets.act(ticket, "resolve", tickets.handler, result="内部：已罚款", public_reply="占道摊位已清理。")
    ticket.refresh_from_db()
    [row] = get(client, f"requests/{ticket.code}.json", api_key=KEY).json()
    assert (row["status"], row["status_notes"]) == ("closed", "占道摊位已清理。")
    assert row["agency_responsible"] == "城管局"
    assert row["expected_datetime"] == timezone.localtime(ticket.due_at).isoformat(timespec="seconds")
    assert row["updated_datetime"] == timezone.localtime(ticket.updated_at).isoformat(timespec="seconds")
    assert "内部" not in str(row)  # the internal result never
    root = xml_of(get(client, f"requests/{ticket.code}.xml", api_key=KEY))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == ticket.code
    assert root.findtext("request/status") == "closed"
    assert root.findtext("request/agency_responsible") == "城管局"


@pytest.mark.parametrize(("status", "spec"), [("accepted", "open"), ("cancelled", "closed"), ("closed", "closed")])
def test_status_is_closed_once_resolved_closed_or_cancelled(client, partner, tickets, status, spec):
    ticket = tickets.at(status)
    [row] = get(client, f"requests/{ticket.code}.json", api_key=KEY).json()
    assert row["status"] == spec
    assert row["status_notes"] == {"accepted": "已签收", "cancelled": "已撤销", "closed": "已关闭"}[status]


def test_filters_status_service_code_and_ids(client, partner, tickets):
    reported = tickets.reported()
    closed = tickets.at("closed")
    traffic = tickets.reported(category="道路交通")

    def ids(**params):
        return [r["service_request_id"] for r in get(client, "requests.json", api_key=KEY, **params).json()]

    assert ids() == [traffic.code, closed.code, reported.code]  # newest first
    assert ids(status="closed") == [closed.code]
    assert ids(status="open") == [traffic.code, reported.code]
    assert ids(status="open,closed") == [traffic.code, closed.code, reported.code]
    assert ids(service_code="traffic") == [traffic.code]
    assert ids(service_code="traffic,urban") == [traffic.code, closed.code, reported.code]
    assert ids(service_code="nothing") == []
    # a list of ids overrides the other filters (the spec)
    assert ids(service_request_id=f"{reported.code},{closed.code}", status="open") == [closed.code, reported.code]


def test_filters_start_and_end_date(client, partner, tickets):
    old, new = tickets.reported(), tickets.reported()
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))

    def ids(**params):
        response = get(client, "requests.json", api_key=KEY, **params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    week_ago = (timezone.now() - dt.timedelta(days=7)).isoformat()
    assert ids(start_date=week_ago) == [new.code]
    assert ids(end_date=week_ago) == [old.code]
    assert ids(start_date="2026-01-01T00:00:00Z", end_date="2026-01-02T00:00:00Z") == []
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=120))
    assert ids() == [new.code]  # the default window: the last 90 days


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-01-01"},  # no time, no offset
        {"start_date": "2026-01-01T00:00:00"},  # no offset
        {"start_date": "2026-02-30T00:00:00Z"},
        {"start_date": "9999-01-01T00:00:00Z"},
        {"start_date": "2026-01-01T00:00:00+25:00"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},  # over 90 days
        {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"},  # end before start
        {"status": "pending"},
        {"service_code": "BAD CODE"},
        {"service_request_id": "x" * 40},
        {"service_request_id": ",".join(f"GX-{i}" for i in range(101))},
        {"service_code": "urban\x00"},
        {"jurisdiction_id": "gx\x07"},
    ],
)
def test_bad_filters_are_the_spec_400_list(client, partner, params):
    response = get(client, "requests.json", api_key=KEY, **params)
    assert response.status_code == 400, response.content
    [error] = response.json()
    assert error["code"] == 400


def test_jurisdiction_id_is_accepted_and_ignored(client, partner, personal_ticket):
    rows = get(client, "requests.json", api_key=KEY, jurisdiction_id="anything.example").json()
    assert [r["service_request_id"] for r in rows] == [personal_ticket.code]


# --- scope -----------------------------------------------------------------------------------------------------
def test_another_districts_request_is_not_found_nor_listed(client, partner, personal_ticket, elsewhere):
    response = get(client, f"requests/{elsewhere.ticket.code}.json", api_key=KEY)
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": f"service_request_id: no request {elsewhere.ticket.code}"}]
    listed = get(
        client, "requests.json", api_key=KEY, service_request_id=f"{elsewhere.ticket.code},{personal_ticket.code}"
    )
    assert [r["service_request_id"] for r in listed.json()] == [personal_ticket.code]
    # and the other district's key reads its own only
    theirs = get(client, "requests.json", api_key=OTHER_KEY).json()
    assert [r["service_request_id"] for r in theirs] == [elsewhere.ticket.code]
    assert get(client, f"requests/{personal_ticket.code}.json", api_key=OTHER_KEY).status_code == 404


def test_requests_list_query_count_is_flat(client, partner, tickets, django_assert_max_num_queries):
    for _ in range(3):
        tickets.reported()
    with django_assert_max_num_queries(5):  # the partner, the intake account, the rows, the category codes
        response = get(client, "requests.json", api_key=KEY)
    assert len(response.json()) == 3
    for _ in range(5):
        tickets.reported(category="道路交通")
    with django_assert_max_num_queries(5):
        response = get(client, "requests.xml", api_key=KEY)
    assert len(xml_of(response).findall("request")) == 8


def test_a_stored_control_character_cannot_break_the_xml(client, partner, tickets):
    ticket = tickets.at("in_progress")
    tickets.act(ticket, "resolve", tickets.handler, result="已清理", public_reply="已清理")
    Ticket.objects.filter(pk=ticket.pk).update(public_reply="已\x0b清理")  # stored before the input checks
    root = xml_of(get(client, f"requests/{ticket.code}.xml", api_key=KEY))
    assert root.findtext("request/status_notes") == "已清理"


def test_other_methods_and_formats(client, partner):
    response = client.delete(f"{BASE}/requests.json?api_key={KEY}")
    assert response.status_code == 405
    assert response.json()[0]["code"] == 405
    assert client.get(f"{BASE}/requests.html", {"api_key": KEY}).status_code == 404
    assert client.post(f"{BASE}/services.json").status_code == 405


def test_the_key_in_a_logged_url_is_redacted():
    from campaign.logfilters import redact

    line = f'"GET /open311/v2/requests.json?status=open&api_key={KEY} HTTP/1.1" 200'
    assert KEY not in redact(line) and "status=open" in redact(line)
