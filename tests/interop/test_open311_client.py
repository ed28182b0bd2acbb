"""Open311 proven with a client no one here wrote (issue 17 item 1): the `georeport` package from PyPI reads the
live test server's services, requests and one request, in JSON and in XML. The client sends no api_key on reads
(its key is "only required if creating service requests", and it cannot create any), so the test adds the key as
the spec's GET parameter to the client's HTTP calls — nothing else of the client changes. The POST it cannot make
is tested with plain HTTP (urllib), form-encoded as the spec shows it."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import georeport.georeport as client_module
import pytest
import requests
from georeport import GeoReport

from issues.models import Source, Ticket
from tests.interop.open311_fixtures import (  # noqa: F401  fixtures
    KEY,
    REQUESTER_NAME,
    REQUESTER_PHONE,
    fast_password_hashing_fixture,
    partner_fixture,
    personal_ticket_fixture,
    tickets_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keyed(monkeypatch):
    """The client's requests.get, with the partner's api_key added to its parameters."""
    plain = requests.get

    def get(url: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        return plain(url, params={**(params or {}), "api_key": KEY}, timeout=10, **kwargs)

    monkeypatch.setattr(client_module.requests, "get", get)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_services_and_requests(live_server, org, partner, tickets, personal_ticket, keyed, fmt):
    closed = tickets.at("closed")
    client = GeoReport(f"{live_server.url}/open311/v2/", output_format=fmt)

    services = client.get_service_list()
    assert {"urban", "traffic"} <= {s["service_code"] for s in services}
    definition = client.get_service_definition("urban")
    assert definition["service_code"] == "urban"

    listed = client.get_service_requests()
    assert [r["service_request_id"] for r in listed] == [closed.code, personal_ticket.code]
    only_closed = client.get_service_requests(status="closed")
    # xmltodict gives one request as a dict, several as a list: the client's own shapes
    only_closed = only_closed if isinstance(only_closed, list) else [only_closed]
    assert [r["service_request_id"] for r in only_closed] == [closed.code]
    assert only_closed[0]["status"] == "closed" and only_closed[0]["agency_responsible"] == "城管局"

    one = client.get_service_request(personal_ticket.code)
    assert one["service_request_id"] == personal_ticket.code
    assert one["status"] == "open" and one["service_code"] == "urban"
    text = json.dumps([services, listed, one], ensure_ascii=False)
    assert REQUESTER_NAME not in text and REQUESTER_PHONE not in text


def test_georeport_client_without_key_gets_403(live_server, partner):
    client = GeoReport(f"{live_server.url}/open311/v2/")
    assert client.get_service_list()  # public
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_requests()
    assert raised.value.response.status_code == 403
    assert raised.value.response.json() == [
        {"code": 403, "description": "api_key: required (each partner system has its own key)"}
    ]


def test_plain_http_post_as_the_spec_shows_it(live_server, org, partner, campaign_obj):
    body = urllib.parse.urlencode(
        {
            "api_key": KEY,
            "service_code": "urban",
            "lat": "34.19",
            "long": "108.88",
            "description": "路灯不亮",
            "first_name": "秀英",
            "last_name": "欧阳",
            "phone": REQUESTER_PHONE,
        }
    ).encode()
    request = urllib.request.Request(f"{live_server.url}/open311/v2/requests.json", data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  the live test server
        assert response.status == 201
        [answer] = json.loads(response.read())
    ticket = Ticket.objects.get(code=answer["service_request_id"])
    assert (ticket.source, ticket.unit) == (Source.PARTNER, org.grid1)
    client = GeoReport(f"{live_server.url}/open311/v2/")
    with pytest.raises(requests.HTTPError):
        client.get_service_request(ticket.code)  # no key: 403
